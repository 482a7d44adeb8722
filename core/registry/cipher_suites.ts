/**
 * The cipher-suite registry: every suite OpenSSL 3.0 knows plus hand-checked
 * IANA entries it lacks, one table sorted by code (the data is generated into
 * `cipher_suites_table.ts` by `tools/gen_cipher_suites.ts`).
 *
 * @module
 */
import { CIPHER_SUITE_TABLE } from "./cipher_suites_table.ts";
import type { CipherRating } from "./cipher_rating.ts";
import { hexCode } from "./_lookup.ts";

export type { CipherRating, RatedParts } from "./cipher_rating.ts";
export { hasForwardSecrecy, rateCipherSuite } from "./cipher_rating.ts";

/** The protocol version a suite was defined in, as `openssl ciphers -v` prints it. */
export type DefinedIn = "SSLv3" | "TLSv1" | "TLSv1.2" | "TLSv1.3";

/** One cipher suite. */
export interface CipherSuite {
  /** The two-byte code point, e.g. `0x1301`. */
  code: number;
  /** The IANA name (for OpenSSL-private code points, the OpenSSL name). */
  iana: string;
  /** The OpenSSL name, when OpenSSL has (or had) one. */
  openssl?: string;
  /** The version column of `openssl ciphers -v` (OpenSSL's `min_tls`). */
  definedIn: DefinedIn;
  /** Key exchange, as `openssl ciphers -v` names it (`ECDH` is ephemeral ECDHE, `DH` is DHE). */
  kx: string;
  /** Authentication (`RSA`, `ECDSA`, `DSS`, `PSK`, `None`, `any`, ...). */
  au: string;
  /** Bulk cipher without its size (`AESGCM`, `CHACHA20/POLY1305`, `None`, ...). */
  enc: string;
  /** Symmetric key bits (0 for NULL). */
  bits: number;
  /** MAC (`AEAD`, `SHA1`, `SHA256`, `SHA384`, `MD5`, ...). */
  mac: string;
  /** Whether the cipher is an AEAD. */
  aead: boolean;
  /** Whether the key exchange gives forward secrecy. */
  pfs: boolean;
  /** Security rating. */
  rating: CipherRating;
  /** Why it has that rating (reasons joined by "; "). */
  ratingReason: string;
  /** Where the entry comes from: the local OpenSSL, or hand-checked data. */
  source: "openssl" | "iana";
  /** Export-grade suite. */
  export?: boolean;
  /** A signalling value (SCSV), not a real suite. */
  scsv?: boolean;
}

/** Every known suite, sorted by code. */
export const CIPHER_SUITES: readonly CipherSuite[] = CIPHER_SUITE_TABLE;

const byCode = new Map<number, CipherSuite>();
const byName = new Map<string, CipherSuite>();
for (const s of CIPHER_SUITES) {
  byCode.set(s.code, s);
  byName.set(s.iana, s);
}
for (const s of CIPHER_SUITES) {
  if (s.openssl && !byName.has(s.openssl)) byName.set(s.openssl, s);
}

/**
 * Finds a suite by its code point.
 *
 * @param code the two-byte code, e.g. `0xC02F`
 * @returns the suite, or undefined when unknown
 * @example
 * ```ts
 * import { cipherSuiteByCode } from "./cipher_suites.ts";
 * console.assert(cipherSuiteByCode(0x1301)?.iana === "TLS_AES_128_GCM_SHA256");
 * ```
 */
export function cipherSuiteByCode(code: number): CipherSuite | undefined {
  return byCode.get(code);
}

/**
 * Finds a suite by IANA or OpenSSL name (exact, case-sensitive).
 *
 * @param name `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256` or `ECDHE-RSA-AES128-GCM-SHA256`
 * @returns the suite, or undefined when unknown
 * @example
 * ```ts
 * import { cipherSuiteByName } from "./cipher_suites.ts";
 * console.assert(cipherSuiteByName("ECDHE-RSA-AES128-GCM-SHA256")?.code === 0xC02F);
 * ```
 */
export function cipherSuiteByName(name: string): CipherSuite | undefined {
  return byName.get(name);
}

/**
 * Formats a code point as `0x%04X` (the registry's one hex formatter).
 *
 * @param code the two-byte code
 * @returns e.g. `0x00FF`
 * @example
 * ```ts
 * import { formatCode } from "./cipher_suites.ts";
 * console.assert(formatCode(0xc02f) === "0xC02F");
 * ```
 */
export function formatCode(code: number): string {
  return hexCode(code);
}

/**
 * The TLS 1.3 suites (RFC 8446 §B.4 and later RFCs), in code order: the
 * suites no TLS 1.0–1.2 handshake can choose.
 */
export const TLS13_CIPHER_SUITES: readonly CipherSuite[] = CIPHER_SUITES.filter((s) =>
  s.definedIn === "TLSv1.3"
);

/**
 * Whether a suite belongs to TLS 1.3 only.
 *
 * @param code the suite's code
 * @returns true for a TLS 1.3 suite
 * @example
 * ```ts
 * import { isTls13Suite } from "./cipher_suites.ts";
 * console.assert(isTls13Suite(0x1301) && !isTls13Suite(0xc02f));
 * ```
 */
export function isTls13Suite(code: number): boolean {
  return byCode.get(code)?.definedIn === "TLSv1.3";
}

/**
 * OpenSSL's default TLS 1.3 suites in its order (`TLS_DEFAULT_CIPHERSUITES`,
 * OpenSSL 1.1.1 to 3.x), which Python keeps and the probe offers.
 */
export const TLS13_DEFAULT_ORDER: readonly number[] = [0x1302, 0x1303, 0x1301];

/**
 * The display name of a code point: the IANA name when known, else `0x%04X`.
 *
 * @param code the two-byte code
 * @returns e.g. `TLS_AES_128_GCM_SHA256` or `0xABCD`
 * @example
 * ```ts
 * import { cipherSuiteName } from "./cipher_suites.ts";
 * console.assert(cipherSuiteName(0xABCD) === "0xABCD");
 * ```
 */
export function cipherSuiteName(code: number): string {
  return byCode.get(code)?.iana ?? formatCode(code);
}
