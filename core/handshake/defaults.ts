/**
 * What the inspection client offers by default: every suite it can observe
 * (strongest first, like a modern client), the groups it can make key shares
 * for first, and signature schemes old and new so legacy servers answer too.
 *
 * @module
 */
import { CIPHER_SUITES, type CipherSuite, TLS13_DEFAULT_ORDER } from "../registry/cipher_suites.ts";
import { TLS13_SUITES } from "./key_schedule.ts";

/** TLS 1.3 suites in OpenSSL's default order. */
export const DEFAULT_TLS13_SUITES: readonly number[] = TLS13_DEFAULT_ORDER;

const RATING_ORDER = ["recommended", "secure", "weak", "insecure"];
const KX_ORDER = ["ECDH", "DH", "RSA"];

function score(s: CipherSuite): number[] {
  const r = RATING_ORDER.indexOf(s.rating);
  const kx = KX_ORDER.indexOf(s.kx);
  return [
    r < 0 ? 9 : r,
    s.pfs ? 0 : 1,
    s.aead ? 0 : 1,
    -s.bits,
    kx < 0 ? 9 : kx,
    s.au === "ECDSA" ? 0 : 1,
  ];
}

function compare(x: number[], y: number[]): number {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/**
 * Every pre-1.3 suite in the registry except signalling values, strongest
 * first: offering them all lets the probe see what a legacy server picks.
 * (Each suite is scored once, not on every comparison: this runs at start-up.)
 */
export const DEFAULT_LEGACY_SUITES: readonly number[] = CIPHER_SUITES
  .filter((s) => !s.scsv && s.definedIn !== "TLSv1.3" && s.code < 0xff00)
  .map((s) => [...score(s), s.code])
  .sort(compare)
  .map((k) => k[k.length - 1]);

/** The default offer: TLS 1.3 suites this engine can decrypt, then the rest. */
export const DEFAULT_CIPHER_SUITES: readonly number[] = [
  ...DEFAULT_TLS13_SUITES.filter((c) => c in TLS13_SUITES),
  ...DEFAULT_LEGACY_SUITES,
];

/** Groups offered by default (key share for the first). */
export const DEFAULT_GROUPS: readonly number[] = [
  0x001d, // x25519
  0x0017, // secp256r1
  0x0018, // secp384r1
  0x0019, // secp521r1
  0x001e, // x448
  0x11ec, // X25519MLKEM768
  0x0100, // ffdhe2048
  0x0101, // ffdhe3072
  0x0102, // ffdhe4096
  0x0103, // ffdhe6144
  0x0104, // ffdhe8192
  0x001a, // brainpoolP256r1
  0x001b, // brainpoolP384r1
  0x001c, // brainpoolP512r1
];

/** Signature schemes offered by default, modern first, SHA-1 last for old servers. */
export const DEFAULT_SIGNATURE_ALGORITHMS: readonly number[] = [
  0x0403,
  0x0503,
  0x0603,
  0x0807,
  0x0808,
  0x0804,
  0x0805,
  0x0806,
  0x0809,
  0x080a,
  0x080b,
  0x0401,
  0x0501,
  0x0601,
  0x0303,
  0x0301,
  0x0201,
  0x0203,
  0x0402, // dsa_sha256 (RFC 5246 §7.4.1.4.1): DSS servers answer only when offered
  0x0202, // dsa_sha1
];
