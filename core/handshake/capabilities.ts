/**
 * What this build's inspection engine can offer and observe, and which
 * WebCrypto algorithms the runtime has: the pure half of `tlsprobe features`.
 *
 * @module
 */
import { CIPHER_SUITES } from "../registry/cipher_suites.ts";
import { groupName, GROUPS } from "../registry/groups.ts";
import { SIGNATURE_SCHEMES } from "../registry/signature_schemes.ts";
import { versionName, VERSIONS } from "../registry/versions.ts";
import { KEY_SHARE_GROUPS } from "./key_exchange.ts";
import { TLS13_SUITES } from "./key_schedule.ts";
import { canVerify } from "./signature.ts";

// deno-lint-ignore no-explicit-any
const subtle = crypto.subtle as any;

/** The engine's capabilities. */
export interface EngineCapabilities {
  /** Versions it can offer and observe. */
  versions: string[];
  /** Suites it can offer (every registry suite but signalling values). */
  offerableSuites: number;
  /** TLS 1.3 suites whose flight it can decrypt. */
  tls13Suites: string[];
  /** Groups it can make a TLS 1.3 key share for. */
  keyShareGroups: string[];
  /** Groups it can name when a TLS 1.2 server picks them (any in the registry). */
  observableGroups: number;
  /** Signature schemes whose server signature it can check. */
  verifiableSignatureSchemes: string[];
}

/**
 * The engine's capabilities (no I/O).
 *
 * @returns what it offers and observes
 */
export function engineCapabilities(): EngineCapabilities {
  return {
    versions: VERSIONS.filter((v) => v.code >= 0x0300).map((v) => versionName(v.code)),
    offerableSuites: CIPHER_SUITES.filter((s) => !s.scsv).length,
    tls13Suites: Object.keys(TLS13_SUITES).map((c) =>
      CIPHER_SUITES.find((s) => s.code === Number(c))?.iana ?? c
    ),
    keyShareGroups: KEY_SHARE_GROUPS.map(groupName),
    observableGroups: GROUPS.length,
    verifiableSignatureSchemes: SIGNATURE_SCHEMES.filter((s) => canVerify(s.code)).map((s) =>
      s.name
    ),
  };
}

/** One WebCrypto algorithm check. */
export interface AlgorithmSupport {
  /** The algorithm. */
  name: string;
  /** What it is used for in TLS. */
  use: string;
  /** Whether the runtime has it. */
  supported: boolean;
}

const CHECKS: [string, string, () => Promise<unknown>][] = [
  ["X25519", "key exchange", () => subtle.generateKey({ name: "X25519" }, false, ["deriveBits"])],
  ["X448", "key exchange", () => subtle.generateKey({ name: "X448" }, false, ["deriveBits"])],
  ...["P-256", "P-384", "P-521"].map((c): [string, string, () => Promise<unknown>] => [
    `ECDH ${c}`,
    "key exchange",
    () => subtle.generateKey({ name: "ECDH", namedCurve: c }, false, ["deriveBits"]),
  ]),
  ...["ML-KEM-512", "ML-KEM-768", "ML-KEM-1024"].map((
    n,
  ): [string, string, () => Promise<unknown>] => [
    n,
    "post-quantum key exchange",
    () => subtle.generateKey({ name: n }, false, ["decapsulateBits"]),
  ]),
  [
    "AES-GCM",
    "TLS 1.2/1.3 record protection",
    () => subtle.importKey("raw", new Uint8Array(16), { name: "AES-GCM" }, false, ["decrypt"]),
  ],
  [
    "ChaCha20-Poly1305",
    "TLS 1.2/1.3 record protection",
    () =>
      subtle.importKey("raw-secret", new Uint8Array(32), { name: "ChaCha20-Poly1305" }, false, [
        "decrypt",
      ]),
  ],
  [
    "AES-CCM",
    "TLS_AES_128_CCM_SHA256",
    () => subtle.importKey("raw", new Uint8Array(16), { name: "AES-CCM" }, false, ["decrypt"]),
  ],
  [
    "AES-CBC",
    "legacy record protection",
    () => subtle.importKey("raw", new Uint8Array(16), { name: "AES-CBC" }, false, ["decrypt"]),
  ],
  [
    "HMAC SHA-256",
    "key schedule",
    () =>
      subtle.importKey("raw", new Uint8Array(32), { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
      ]),
  ],
  [
    "HKDF",
    "key schedule",
    () => subtle.importKey("raw", new Uint8Array(32), { name: "HKDF" }, false, ["deriveBits"]),
  ],
  ["SHA-1", "legacy signatures", () => subtle.digest("SHA-1", new Uint8Array(1))],
  ["MD5", "TLS 1.0/1.1 signatures", () => subtle.digest("MD5", new Uint8Array(1))],
  ["RSA-PSS", "signatures", () =>
    subtle.generateKey(
      {
        name: "RSA-PSS",
        modulusLength: 1024,
        publicExponent: Uint8Array.of(1, 0, 1),
        hash: "SHA-256",
      },
      false,
      ["sign"],
    )],
  [
    "ECDSA",
    "signatures",
    () => subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]),
  ],
  ["Ed25519", "signatures", () => subtle.generateKey({ name: "Ed25519" }, false, ["sign"])],
  ["Ed448", "signatures", () => subtle.generateKey({ name: "Ed448" }, false, ["sign"])],
  ...["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"].map((n): [string, string, () => Promise<unknown>] => [
    n,
    "post-quantum signatures",
    () => subtle.generateKey({ name: n }, false, ["sign"]),
  ]),
];

/**
 * Checks which WebCrypto algorithms the runtime has, by trying each.
 *
 * @returns one entry per algorithm
 */
export async function webCryptoSupport(): Promise<AlgorithmSupport[]> {
  const out: AlgorithmSupport[] = [];
  for (const [name, use, fn] of CHECKS) {
    let supported = true;
    try {
      await fn();
    } catch {
      supported = false;
    }
    out.push({ name, use, supported });
  }
  return out;
}
