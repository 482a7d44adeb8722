/**
 * Named groups (RFC 8446 §4.2.7, RFC 8422, RFC 7919, RFC 8734, RFC 7027 and
 * draft-ietf-tls-ecdhe-mlkem), from the IANA "TLS Supported Groups" registry.
 *
 * @module
 */
import { hexCode, indexBy } from "./_lookup.ts";

/** What kind of key exchange a group is. */
export type GroupKind = "ecdhe" | "ffdhe" | "hybrid" | "kem";

/** One named group. */
export interface NamedGroup {
  /** The 16-bit code point. */
  code: number;
  /** The IANA name (`secp256r1`, `x25519`, `X25519MLKEM768`). */
  name: string;
  /** OpenSSL's name for `-groups` (`P-256`, `X25519`), when it has one. */
  openssl?: string;
  /** Kind of key exchange. */
  kind: GroupKind;
  /**
   * Key size in bits as OpenSSL reports a temporary key (`X25519, 253 bits`);
   * for hybrids, the classical part.
   */
  bits: number;
  /** Approximate security level in bits. */
  security: number;
  /** Whether it resists a quantum adversary (the ML-KEM hybrids and ML-KEM). */
  postQuantum: boolean;
  /** Whether it may be used in TLS 1.3 (RFC 8446 §4.2.7 obsoleted the rest). */
  tls13: boolean;
  /** Whether it is deprecated or weak, and why. */
  insecure?: string;
}

const legacy = (code: number, name: string, bits: number): NamedGroup => ({
  code,
  name,
  kind: "ecdhe",
  bits,
  security: Math.floor(bits / 2),
  postQuantum: false,
  tls13: false,
  insecure: "deprecated curve (RFC 8422 §5.1.1, RFC 8446 §4.2.7)",
});

/** Every named group this tool knows, by code point. */
export const GROUPS: readonly NamedGroup[] = [
  legacy(1, "sect163k1", 163),
  legacy(2, "sect163r1", 163),
  legacy(3, "sect163r2", 163),
  legacy(4, "sect193r1", 193),
  legacy(5, "sect193r2", 193),
  legacy(6, "sect233k1", 233),
  legacy(7, "sect233r1", 233),
  legacy(8, "sect239k1", 239),
  legacy(9, "sect283k1", 283),
  legacy(10, "sect283r1", 283),
  legacy(11, "sect409k1", 409),
  legacy(12, "sect409r1", 409),
  legacy(13, "sect571k1", 571),
  legacy(14, "sect571r1", 571),
  legacy(15, "secp160k1", 160),
  legacy(16, "secp160r1", 160),
  legacy(17, "secp160r2", 160),
  legacy(18, "secp192k1", 192),
  legacy(19, "secp192r1", 192),
  legacy(20, "secp224k1", 224),
  legacy(21, "secp224r1", 224),
  legacy(22, "secp256k1", 256),
  {
    code: 23,
    name: "secp256r1",
    openssl: "P-256",
    kind: "ecdhe",
    bits: 256,
    security: 128,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 24,
    name: "secp384r1",
    openssl: "P-384",
    kind: "ecdhe",
    bits: 384,
    security: 192,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 25,
    name: "secp521r1",
    openssl: "P-521",
    kind: "ecdhe",
    bits: 521,
    security: 256,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 26,
    name: "brainpoolP256r1",
    openssl: "brainpoolP256r1",
    kind: "ecdhe",
    bits: 256,
    security: 128,
    postQuantum: false,
    tls13: false,
  },
  {
    code: 27,
    name: "brainpoolP384r1",
    openssl: "brainpoolP384r1",
    kind: "ecdhe",
    bits: 384,
    security: 192,
    postQuantum: false,
    tls13: false,
  },
  {
    code: 28,
    name: "brainpoolP512r1",
    openssl: "brainpoolP512r1",
    kind: "ecdhe",
    bits: 512,
    security: 256,
    postQuantum: false,
    tls13: false,
  },
  {
    code: 29,
    name: "x25519",
    openssl: "X25519",
    kind: "ecdhe",
    bits: 253,
    security: 128,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 30,
    name: "x448",
    openssl: "X448",
    kind: "ecdhe",
    bits: 448,
    security: 224,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 31,
    name: "brainpoolP256r1tls13",
    kind: "ecdhe",
    bits: 256,
    security: 128,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 32,
    name: "brainpoolP384r1tls13",
    kind: "ecdhe",
    bits: 384,
    security: 192,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 33,
    name: "brainpoolP512r1tls13",
    kind: "ecdhe",
    bits: 512,
    security: 256,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 34,
    name: "GC256A",
    kind: "ecdhe",
    bits: 256,
    security: 128,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 35,
    name: "GC256B",
    kind: "ecdhe",
    bits: 256,
    security: 128,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 36,
    name: "GC256C",
    kind: "ecdhe",
    bits: 256,
    security: 128,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 37,
    name: "GC256D",
    kind: "ecdhe",
    bits: 256,
    security: 128,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 38,
    name: "GC512A",
    kind: "ecdhe",
    bits: 512,
    security: 256,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 39,
    name: "GC512B",
    kind: "ecdhe",
    bits: 512,
    security: 256,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 40,
    name: "GC512C",
    kind: "ecdhe",
    bits: 512,
    security: 256,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 41,
    name: "curveSM2",
    kind: "ecdhe",
    bits: 256,
    security: 128,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 256,
    name: "ffdhe2048",
    openssl: "ffdhe2048",
    kind: "ffdhe",
    bits: 2048,
    security: 103,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 257,
    name: "ffdhe3072",
    openssl: "ffdhe3072",
    kind: "ffdhe",
    bits: 3072,
    security: 125,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 258,
    name: "ffdhe4096",
    openssl: "ffdhe4096",
    kind: "ffdhe",
    bits: 4096,
    security: 150,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 259,
    name: "ffdhe6144",
    openssl: "ffdhe6144",
    kind: "ffdhe",
    bits: 6144,
    security: 175,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 260,
    name: "ffdhe8192",
    openssl: "ffdhe8192",
    kind: "ffdhe",
    bits: 8192,
    security: 192,
    postQuantum: false,
    tls13: true,
  },
  {
    code: 0x0200,
    name: "MLKEM512",
    openssl: "MLKEM512",
    kind: "kem",
    bits: 512,
    security: 128,
    postQuantum: true,
    tls13: true,
  },
  {
    code: 0x0201,
    name: "MLKEM768",
    openssl: "MLKEM768",
    kind: "kem",
    bits: 768,
    security: 192,
    postQuantum: true,
    tls13: true,
  },
  {
    code: 0x0202,
    name: "MLKEM1024",
    openssl: "MLKEM1024",
    kind: "kem",
    bits: 1024,
    security: 256,
    postQuantum: true,
    tls13: true,
  },
  {
    code: 0x11eb,
    name: "SecP256r1MLKEM768",
    openssl: "SecP256r1MLKEM768",
    kind: "hybrid",
    bits: 256,
    security: 192,
    postQuantum: true,
    tls13: true,
  },
  {
    code: 0x11ec,
    name: "X25519MLKEM768",
    openssl: "X25519MLKEM768",
    kind: "hybrid",
    bits: 253,
    security: 192,
    postQuantum: true,
    tls13: true,
  },
  {
    code: 0x11ed,
    name: "SecP384r1MLKEM1024",
    openssl: "SecP384r1MLKEM1024",
    kind: "hybrid",
    bits: 384,
    security: 256,
    postQuantum: true,
    tls13: true,
  },
  {
    code: 0x6399,
    name: "X25519Kyber768Draft00",
    kind: "hybrid",
    bits: 253,
    security: 192,
    postQuantum: true,
    tls13: true,
    insecure: "pre-standard Kyber draft, superseded by X25519MLKEM768",
  },
  {
    code: 0x639a,
    name: "SecP256r1Kyber768Draft00",
    kind: "hybrid",
    bits: 256,
    security: 192,
    postQuantum: true,
    tls13: true,
    insecure: "pre-standard Kyber draft, superseded by SecP256r1MLKEM768",
  },
];

const BY_CODE = indexBy(GROUPS, (g) => g.code);
const BY_NAME = new Map<string, NamedGroup>();
for (const g of GROUPS) {
  BY_NAME.set(g.name.toLowerCase(), g);
  if (g.openssl) BY_NAME.set(g.openssl.toLowerCase(), g);
}
// OpenSSL's other spellings for the NIST curves.
BY_NAME.set("prime256v1", BY_CODE.get(23)!);
BY_NAME.set("secp256r1", BY_CODE.get(23)!);

/**
 * Finds a group by code point.
 *
 * @param code the code point
 * @returns the entry, or undefined
 * @example
 * ```ts
 * import { groupByCode } from "./groups.ts";
 * console.assert(groupByCode(0x001d)?.name === "x25519");
 * ```
 */
export function groupByCode(code: number): NamedGroup | undefined {
  return BY_CODE.get(code);
}

/**
 * Finds a group by IANA or OpenSSL name (`secp256r1`, `P-256`, `prime256v1`,
 * `X25519`), case-insensitive.
 *
 * @param name the name
 * @returns the entry, or undefined
 */
export function groupByName(name: string): NamedGroup | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

/**
 * The IANA name of a group, or its `0x%04X` code when unknown.
 *
 * @param code the code point
 * @returns the name
 */
export function groupName(code: number): string {
  return BY_CODE.get(code)?.name ?? hexCode(code);
}

/**
 * Whether a code point is a GREASE value (RFC 8701 §2: 0x?A?A with both bytes
 * equal), which a peer may send and a reader must ignore.
 *
 * @param code a 16-bit code point
 * @returns true for GREASE
 */
export function isGrease(code: number): boolean {
  return (code & 0x0f0f) === 0x0a0a && (code >> 8) === (code & 0xff);
}
