/**
 * The suites the lab engine's server side can run, derived from the
 * registry by IANA name (never a hand list of codes): key exchange ECDHE,
 * DHE, RSA and anonymous (EC)DH; authentication RSA, ECDSA or none; bulk
 * AES-GCM, ChaCha20-Poly1305, AES-CCM and AES-CCM-8 (RFC 6655, RFC 7251),
 * AES-CBC with HMAC-SHA1/256/384 and NULL; plus the TLS 1.3 suites of the key
 * schedule (AES-GCM, ChaCha20-Poly1305, AES-CCM, AES-CCM-8). RC4 (pure,
 * `rc4.ts`) and 3DES-CBC (the runtime's cipher, handed in by `core/net/`) for
 * testing clients against them, with HMAC-SHA1 or HMAC-MD5. CAMELLIA, ARIA
 * and SEED are not here: WebCrypto and the pinned libraries have none of them.
 *
 * @module
 */
import { CIPHER_SUITES } from "../registry/cipher_suites.ts";
import { TLS1_0, TLS1_2, TLS1_3 } from "../registry/versions.ts";
import { TLS13_SUITES } from "./key_schedule.ts";

/** How a TLS 1.0–1.2 suite is run. */
export interface LegacySuite {
  /** The code point. */
  code: number;
  /** The IANA name. */
  iana: string;
  /** Key exchange. */
  kx: "ECDHE" | "DHE" | "RSA";
  /** Authentication; `anon` sends no certificate. */
  au: "RSA" | "ECDSA" | "anon";
  /** Bulk cipher. */
  cipher:
    | "AES-GCM"
    | "ChaCha20-Poly1305"
    | "AES-CCM"
    | "AES-CBC"
    | "3DES-CBC"
    | "RC4"
    | "NULL"
    | "Camellia-CBC"
    | "Camellia-GCM";
  /** AEAD tag bytes (16; AES-CCM-8: 8). */
  tagLen?: number;
  /** Key bytes (0 for NULL). */
  keyLen: number;
  /** The record MAC: AEAD, or HMAC with this hash. */
  mac: "AEAD" | "MD5" | "SHA-1" | "SHA-256" | "SHA-384";
  /** TLS 1.2's PRF hash. */
  prfHash: "SHA-256" | "SHA-384";
  /** Lowest version it runs in (TLS 1.2 for AEAD and SHA-2 MACs). */
  minVersion: number;
}

const NAME =
  /^TLS_(ECDHE_RSA|ECDHE_ECDSA|DHE_RSA|RSA|DH_anon|ECDH_anon)_WITH_(AES_128_GCM|AES_256_GCM|CHACHA20_POLY1305|AES_128_CBC|AES_256_CBC|NULL|AES_(?:128|256)_CCM(?:_8)?|RC4_128|3DES_EDE_CBC)(?:_(MD5|SHA|SHA256|SHA384))?$/;

/** RFC 4132, RFC 5932 (CBC) and RFC 6367 (GCM) Camellia suites, which only the scan's client runs. */
const CAMELLIA_NAME =
  /^TLS_(ECDHE_RSA|ECDHE_ECDSA|DHE_RSA|RSA)_WITH_(CAMELLIA_128_CBC|CAMELLIA_256_CBC|CAMELLIA_128_GCM|CAMELLIA_256_GCM)_(SHA|SHA256|SHA384)$/;

function fromName(code: number, iana: string, names = NAME): LegacySuite | undefined {
  const m = names.exec(iana);
  if (!m) return undefined;
  const [, kxau, enc, mac] = m;
  // RFC 6655 names carry no MAC (their PRF is SHA-256); every other name does.
  if (enc.includes("CCM") === (mac !== undefined)) return undefined;
  const kx = kxau.startsWith("ECD") ? "ECDHE" : kxau.startsWith("DH") ? "DHE" : "RSA";
  const au = kxau.endsWith("anon") ? "anon" : kxau.endsWith("ECDSA") ? "ECDSA" : "RSA";
  const cipher = enc.startsWith("CAMELLIA")
    ? enc.endsWith("GCM") ? "Camellia-GCM" : "Camellia-CBC"
    : enc.endsWith("GCM")
    ? "AES-GCM"
    : enc.startsWith("CHACHA")
    ? "ChaCha20-Poly1305"
    : enc.includes("CCM")
    ? "AES-CCM"
    : enc === "NULL"
    ? "NULL"
    : enc === "RC4_128"
    ? "RC4"
    : enc === "3DES_EDE_CBC"
    ? "3DES-CBC"
    : "AES-CBC";
  const aead = cipher === "AES-GCM" || cipher === "ChaCha20-Poly1305" || cipher === "AES-CCM" ||
    cipher === "Camellia-GCM";
  const hmacHash = mac === "MD5"
    ? "MD5"
    : mac === "SHA"
    ? "SHA-1"
    : mac === "SHA256"
    ? "SHA-256"
    : "SHA-384";
  return {
    code,
    iana,
    kx,
    au,
    cipher,
    keyLen: enc === "NULL" ? 0 : enc === "3DES_EDE_CBC" ? 24 : enc.includes("128") ? 16 : 32,
    mac: aead ? "AEAD" : hmacHash,
    ...(aead ? { tagLen: enc.endsWith("_8") ? 8 : 16 } : {}),
    prfHash: mac === "SHA384" ? "SHA-384" : "SHA-256",
    minVersion: aead || (mac !== "SHA" && mac !== "MD5") ? TLS1_2 : TLS1_0,
  };
}

/** Every TLS 1.0–1.2 suite the engine serves, by code. */
export const LEGACY_SUITES: ReadonlyMap<number, LegacySuite> = new Map(
  CIPHER_SUITES.flatMap((s) => {
    const x = fromName(s.code, s.iana);
    return x ? [[s.code, x] as const] : [];
  }),
);

/**
 * Every TLS 1.0–1.2 suite the engine's client can finish (the scan's
 * resumption and client-certificate handshakes): those it serves, and the
 * Camellia-CBC and Camellia-GCM suites (`camellia.ts`, `gcm.ts`), which the
 * lab's server does not offer.
 */
export const CLIENT_SUITES: ReadonlyMap<number, LegacySuite> = new Map([
  ...LEGACY_SUITES,
  ...CIPHER_SUITES.flatMap((s) => {
    const x = fromName(s.code, s.iana, CAMELLIA_NAME);
    return x ? [[s.code, x] as const] : [];
  }),
]);

/**
 * Whether the engine's server side can run a suite in some version.
 *
 * @param code the suite
 * @returns true when served
 */
export function engineServes(code: number): boolean {
  return LEGACY_SUITES.has(code) || code in TLS13_SUITES;
}

/**
 * Whether a suite runs in a version.
 *
 * @param code the suite
 * @param version the version
 * @returns true when the suite is usable there
 */
export function suiteRunsIn(code: number, version: number): boolean {
  if (version === TLS1_3) return code in TLS13_SUITES;
  const s = LEGACY_SUITES.get(code);
  return !!s && version >= s.minVersion && version <= TLS1_2;
}
