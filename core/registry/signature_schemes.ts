/**
 * Signature schemes (RFC 8446 §4.2.3, RFC 8422, RFC 8734, RFC 9189, the
 * ML-DSA draft) and the TLS 1.2 hash/signature pairs (RFC 5246 §7.4.1.4.1)
 * that share their code space.
 *
 * @module
 */
import { hexCode, indexBy } from "./_lookup.ts";

/** One signature scheme. */
export interface SignatureScheme {
  /** The 16-bit code point. */
  code: number;
  /** The IANA name (`rsa_pss_rsae_sha256`). */
  name: string;
  /** The key type that signs with it. */
  key: "rsa" | "ecdsa" | "ed25519" | "ed448" | "dsa" | "mldsa" | "sm2" | "gost";
  /** The hash, when the scheme has a separate one. */
  hash?: "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512" | "sm3" | "intrinsic";
  /** Whether TLS 1.3 allows it in CertificateVerify (RFC 8446 §4.2.3). */
  tls13: boolean;
  /** Why it is weak, when it is. */
  insecure?: string;
}

type Row = [number, string, SignatureScheme["key"], SignatureScheme["hash"], boolean, string?];

const ROWS: Row[] = [
  [0x0101, "rsa_md5", "rsa", "md5", false, "MD5 is broken"],
  [0x0102, "dsa_md5", "dsa", "md5", false, "MD5 is broken"],
  [0x0201, "rsa_pkcs1_sha1", "rsa", "sha1", false, "SHA-1 is broken (RFC 9155)"],
  [0x0202, "dsa_sha1", "dsa", "sha1", false, "SHA-1 is broken (RFC 9155)"],
  [0x0203, "ecdsa_sha1", "ecdsa", "sha1", false, "SHA-1 is broken (RFC 9155)"],
  [0x0301, "rsa_pkcs1_sha224", "rsa", "sha224", false],
  [0x0302, "dsa_sha224", "dsa", "sha224", false, "DSA is deprecated"],
  [0x0303, "ecdsa_sha224", "ecdsa", "sha224", false],
  [0x0401, "rsa_pkcs1_sha256", "rsa", "sha256", false],
  [0x0402, "dsa_sha256", "dsa", "sha256", false, "DSA is deprecated"],
  [0x0403, "ecdsa_secp256r1_sha256", "ecdsa", "sha256", true],
  [0x0501, "rsa_pkcs1_sha384", "rsa", "sha384", false],
  [0x0502, "dsa_sha384", "dsa", "sha384", false, "DSA is deprecated"],
  [0x0503, "ecdsa_secp384r1_sha384", "ecdsa", "sha384", true],
  [0x0601, "rsa_pkcs1_sha512", "rsa", "sha512", false],
  [0x0602, "dsa_sha512", "dsa", "sha512", false, "DSA is deprecated"],
  [0x0603, "ecdsa_secp521r1_sha512", "ecdsa", "sha512", true],
  [0x0708, "sm2sig_sm3", "sm2", "sm3", true],
  [0x0709, "gostr34102012_256a", "gost", "intrinsic", true],
  [0x070a, "gostr34102012_256b", "gost", "intrinsic", true],
  [0x070b, "gostr34102012_256c", "gost", "intrinsic", true],
  [0x070c, "gostr34102012_256d", "gost", "intrinsic", true],
  [0x070d, "gostr34102012_512a", "gost", "intrinsic", true],
  [0x070e, "gostr34102012_512b", "gost", "intrinsic", true],
  [0x070f, "gostr34102012_512c", "gost", "intrinsic", true],
  [0x0804, "rsa_pss_rsae_sha256", "rsa", "sha256", true],
  [0x0805, "rsa_pss_rsae_sha384", "rsa", "sha384", true],
  [0x0806, "rsa_pss_rsae_sha512", "rsa", "sha512", true],
  [0x0807, "ed25519", "ed25519", "intrinsic", true],
  [0x0808, "ed448", "ed448", "intrinsic", true],
  [0x0809, "rsa_pss_pss_sha256", "rsa", "sha256", true],
  [0x080a, "rsa_pss_pss_sha384", "rsa", "sha384", true],
  [0x080b, "rsa_pss_pss_sha512", "rsa", "sha512", true],
  [0x081a, "ecdsa_brainpoolP256r1tls13_sha256", "ecdsa", "sha256", true],
  [0x081b, "ecdsa_brainpoolP384r1tls13_sha384", "ecdsa", "sha384", true],
  [0x081c, "ecdsa_brainpoolP512r1tls13_sha512", "ecdsa", "sha512", true],
  [0x0904, "mldsa44", "mldsa", "intrinsic", true],
  [0x0905, "mldsa65", "mldsa", "intrinsic", true],
  [0x0906, "mldsa87", "mldsa", "intrinsic", true],
];

/** Every signature scheme this tool knows, by code point. */
export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = ROWS.map((
  [code, name, key, hash, tls13, insecure],
) => ({ code, name, key, hash, tls13, ...(insecure ? { insecure } : {}) }));

const BY_CODE = indexBy(SIGNATURE_SCHEMES, (s) => s.code);
const BY_NAME = indexBy(SIGNATURE_SCHEMES, (s) => s.name.toLowerCase());

/**
 * Finds a signature scheme by code point.
 *
 * @param code the code point
 * @returns the entry, or undefined
 * @example
 * ```ts
 * import { signatureSchemeByCode } from "./signature_schemes.ts";
 * console.assert(signatureSchemeByCode(0x0804)?.name === "rsa_pss_rsae_sha256");
 * ```
 */
export function signatureSchemeByCode(code: number): SignatureScheme | undefined {
  return BY_CODE.get(code);
}

/**
 * Finds a signature scheme by IANA name, case-insensitive.
 *
 * @param name the name
 * @returns the entry, or undefined
 */
export function signatureSchemeByName(name: string): SignatureScheme | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

/**
 * The IANA name of a scheme, or its `0x%04X` code when unknown.
 *
 * @param code the code point
 * @returns the name
 */
export function signatureSchemeName(code: number): string {
  return BY_CODE.get(code)?.name ?? hexCode(code);
}
