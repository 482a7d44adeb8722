/**
 * What the scanner offers: every suite the registry knows per version (SCSVs
 * excluded), the groups, signature schemes and ALPN protocols to try.
 *
 * @module
 */
import { CIPHER_SUITES, cipherSuiteByCode } from "../registry/cipher_suites.ts";
import { GROUPS } from "../registry/groups.ts";
import { SIGNATURE_SCHEMES } from "../registry/signature_schemes.ts";
import { SSL3, TLS1_0, TLS1_1, TLS1_2, TLS1_3 } from "../registry/versions.ts";
import { CLIENT_SUITES } from "../handshake/server_suites.ts";

/** The versions a scan tries, highest first (SSLv2 is tried separately). */
export const SCAN_VERSIONS: readonly number[] = [TLS1_3, TLS1_2, TLS1_1, TLS1_0, SSL3];

/**
 * Every suite the registry knows that can be negotiated at a version: TLS 1.3
 * suites for TLS 1.3; all others for TLS 1.2; those defined by SSLv3 and
 * TLS 1.0 below it. Signalling values are never offered as suites.
 *
 * @param version the wire version
 * @returns suite codes, in registry order
 * @example
 * ```ts
 * import { suitesFor } from "./candidates.ts";
 * console.assert(suitesFor(0x0304).includes(0x1301));
 * console.assert(!suitesFor(0x0301).includes(0xc02f));
 * ```
 */
export function suitesFor(version: number): number[] {
  return CIPHER_SUITES.filter((s) => {
    if (s.scsv) return false;
    if (version >= TLS1_3) return s.definedIn === "TLSv1.3";
    if (s.definedIn === "TLSv1.3") return false;
    if (version === TLS1_2) return true;
    return s.definedIn === "SSLv3" || s.definedIn === "TLSv1";
  }).map((s) => s.code);
}

/** Groups tried with TLS 1.3: every group TLS 1.3 allows, hybrids included. */
export const TLS13_GROUPS: readonly number[] = GROUPS.filter((g) => g.tls13).map((g) => g.code);

/** Groups tried with TLS 1.0–1.2 ECDHE: every elliptic curve. */
export const ECDHE_GROUPS: readonly number[] = GROUPS.filter((g) => g.kind === "ecdhe").map((g) =>
  g.code
);

/** Signature schemes tried with TLS 1.2 (every one the registry knows). */
export const TLS12_SIGALGS: readonly number[] = SIGNATURE_SCHEMES.map((s) => s.code);

/** Signature schemes tried with TLS 1.3 (the TLS 1.3 ones, and the legacy ones a lax server might take). */
export const TLS13_SIGALGS: readonly number[] = SIGNATURE_SCHEMES
  .filter((s) => s.tls13 || s.code === 0x0401 || s.code === 0x0501 || s.code === 0x0601)
  .map((s) => s.code);

/** ALPN protocols tried. */
export const ALPN_CANDIDATES: readonly string[] = [
  "h2",
  "http/1.1",
  "http/1.0",
  "h3",
  "spdy/3",
  "spdy/3.1",
  "stun.turn",
  "stun.nat-discovery",
  "webrtc",
  "xmpp-client",
  "xmpp-server",
  "imap",
  "pop3",
  "managesieve",
  "ftp",
  "irc",
  "postgresql",
  "mqtt",
  "dot",
  "coap",
  "acme-tls/1",
  "smb",
  "sunrpc",
  "nntp",
  "nnsp",
  "ldap",
];

/** The key types a server may hold a certificate for, and how to ask for each. */
export const KEY_TYPES: readonly { name: string; sigalgs: number[]; au: string[] }[] = [
  { name: "rsa", sigalgs: schemes("rsa"), au: ["RSA"] },
  { name: "ecdsa", sigalgs: schemes("ecdsa"), au: ["ECDSA"] },
  { name: "ed25519", sigalgs: [0x0807, 0x0808], au: ["ECDSA"] },
];

function schemes(key: string): number[] {
  return SIGNATURE_SCHEMES.filter((s) => s.key === key).map((s) => s.code);
}

/** Whether a suite is ECDHE. */
export function isEcdhe(code: number): boolean {
  return cipherSuiteByCode(code)?.kx === "ECDH";
}

/** Whether a suite is DHE. */
export function isDhe(code: number): boolean {
  return cipherSuiteByCode(code)?.kx === "DH";
}

/** Whether a suite's key exchange is signed with the certificate's key (ECDHE or DHE, not anonymous). */
export function isSignedKx(code: number): boolean {
  const s = cipherSuiteByCode(code);
  return !!s && (s.kx === "ECDH" || s.kx === "DH") && (s.au === "RSA" || s.au === "ECDSA" ||
    s.au === "DSS");
}

/** Whether a suite is a CBC suite (for encrypt-then-MAC). */
export function isCbc(code: number): boolean {
  const s = cipherSuiteByCode(code);
  return !!s && !s.aead && s.enc !== "None" && !s.enc.startsWith("RC4");
}

/** Versions one below the other: SSLv3 … TLS 1.3. */
export const LEGACY_VERSIONS: readonly number[] = [TLS1_2, TLS1_1, TLS1_0, SSL3];

/**
 * Whether this client can finish a full TLS 1.0–1.2 handshake with a suite
 * (for resumption and the client-certificate test): an ECDHE, DHE or RSA key
 * exchange authenticated by a certificate or anonymous, and a bulk cipher
 * the engine runs (AES-GCM, AES-CCM, ChaCha20-Poly1305, AES-CBC, 3DES-CBC,
 * Camellia-CBC, Camellia-GCM, RC4, NULL; not ARIA, SEED or GOST).
 *
 * @param code the suite
 * @returns true when the handshake can be finished
 * @example
 * ```ts
 * import { canFinish12 } from "./candidates.ts";
 * // ECDHE-RSA-AES128-GCM-SHA256, AES128-SHA, DES-CBC3-SHA and CAMELLIA128-SHA: yes.
 * console.assert(canFinish12(0xc02f) && canFinish12(0x002f) && canFinish12(0x000a));
 * console.assert(canFinish12(0x0041));
 * // TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256: yes; ARIA128-GCM-SHA256: no.
 * console.assert(canFinish12(0xc07a) && !canFinish12(0xc050));
 * ```
 */
export function canFinish12(code: number): boolean {
  const s = CLIENT_SUITES.get(code);
  return !!s;
}
