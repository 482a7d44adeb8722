/**
 * The security rating of a cipher suite, derived from its parts.
 *
 * Ratings, best first: `recommended` (forward secrecy, AEAD, mainstream
 * cipher), `secure` (sound, with a caveat), `weak` (works, with a known
 * weakness: no forward secrecy, CBC, 64-bit blocks), `insecure` (broken or
 * no protection: NULL, anonymous, export, RC4, DES, MD5). Signalling values
 * (SCSVs) are rated `signaling`.
 *
 * @module
 */

/** A cipher suite's rating. */
export type CipherRating = "recommended" | "secure" | "weak" | "insecure" | "signaling";

/** The parts of a suite the rating looks at (columns of `openssl ciphers -v`). */
export interface RatedParts {
  /** Key exchange (`ECDH`, `DH`, `RSA`, `PSK`, `any`, ...). */
  kx: string;
  /** Authentication (`RSA`, `ECDSA`, `None`, ...). */
  au: string;
  /** Bulk cipher without size (`AESGCM`, `AES`, `3DES`, `None`, ...). */
  enc: string;
  /** Key bits. */
  bits: number;
  /** MAC (`AEAD`, `SHA1`, `MD5`, ...). */
  mac: string;
  /** Version column (`SSLv3`, `TLSv1`, `TLSv1.2`, `TLSv1.3`). */
  definedIn: string;
  /** Export-grade. */
  export?: boolean;
  /** A signalling value. */
  scsv?: boolean;
}

/** Block ciphers TLS uses in CBC mode (MAC-then-encrypt). */
const CBC = new Set(["AES", "Camellia", "ARIA", "3DES", "DES", "IDEA", "SEED", "RC2"]);

const ORDER: CipherRating[] = ["recommended", "secure", "weak", "insecure"];

/** Key exchanges that give forward secrecy (ephemeral (EC)DH, SRP, TLS 1.3). */
const PFS_KX = new Set(["DH", "ECDH", "DHEPSK", "ECDHEPSK", "SRP", "ECCPWD", "any"]);

/**
 * Whether a key exchange (as `openssl ciphers -v` names it) gives forward secrecy.
 *
 * @param kx the Kx column (`ECDH`, `DH`, `RSA`, `any`, ...)
 * @returns true for ephemeral key exchanges
 */
export function hasForwardSecrecy(kx: string): boolean {
  return PFS_KX.has(kx);
}

/**
 * Rates a suite and says why.
 *
 * @param s the suite's parts
 * @returns the rating and the reasons, worst first
 * @example
 * ```ts
 * import { rateCipherSuite } from "./cipher_rating.ts";
 * const r = rateCipherSuite({ kx: "RSA", au: "RSA", enc: "AES", bits: 128, mac: "SHA1", definedIn: "SSLv3" });
 * console.assert(r.rating === "weak");
 * ```
 */
export function rateCipherSuite(s: RatedParts): { rating: CipherRating; reasons: string[] } {
  if (s.scsv) {
    return { rating: "signaling", reasons: ["signalling value, not a cipher suite"] };
  }
  const found: [CipherRating, string][] = [];
  const add = (r: CipherRating, why: string) => found.push([r, why]);
  const aead = s.mac === "AEAD";
  if (s.enc === "None") add("insecure", "NULL encryption: no confidentiality");
  if (s.kx === "None") add("insecure", "no key exchange");
  if (s.au === "None") add("insecure", "anonymous: no server authentication (man-in-the-middle)");
  if (s.export) add("insecure", "export-grade: deliberately weakened keys");
  if (s.enc === "RC4") add("insecure", "RC4: biased keystream (RFC 7465 forbids it)");
  if (s.enc === "DES") add("insecure", "single DES: 56-bit key or less");
  if (s.enc === "RC2") add("insecure", "RC2: weak cipher with 40-bit export key");
  if (s.mac === "MD5") add("insecure", "MD5 MAC");
  if (s.enc === "3DES") add("weak", "3DES: 64-bit block (SWEET32), 112-bit strength");
  if (s.enc === "IDEA") add("weak", "IDEA: 64-bit block (SWEET32)");
  if (s.enc === "GOST89" || s.enc === "MAGMA") add("weak", "64-bit block cipher (SWEET32)");
  if (s.kx !== "None" && !hasForwardSecrecy(s.kx)) add("weak", "no forward secrecy");
  if (CBC.has(s.enc)) {
    add(
      "weak",
      s.mac === "SHA1"
        ? "CBC mode with SHA-1 MAC (padding oracles such as Lucky13)"
        : "CBC mode (padding oracles such as Lucky13)",
    );
  } else if (!aead && s.enc !== "None" && s.enc !== "RC4") {
    add("weak", "not AEAD: counter mode with a separate MAC");
  }
  if (s.kx === "ECCPWD") add("secure", "ECCPWD: password-based key exchange, rarely deployed");
  if (s.enc === "AESCCM8") add("secure", "8-byte authentication tag");
  if (aead && /^(ARIA|Camellia|SM4|KUZNYECHIK|MAGMA)/.test(s.enc)) {
    add("secure", `${s.enc.replace(/GCM|CCM|MGM/, "")}: sound but rarely deployed`);
  }
  if (s.kx === "DH" || s.kx === "DHEPSK") {
    add("secure", "finite-field DHE: strength depends on the server's group size");
  }
  if (found.length === 0) {
    return {
      rating: "recommended",
      reasons: [s.definedIn === "TLSv1.3" ? "TLS 1.3 AEAD suite" : "forward secrecy and AEAD"],
    };
  }
  found.sort((a, b) => ORDER.indexOf(b[0]) - ORDER.indexOf(a[0]));
  return { rating: found[0][0], reasons: found.map(([, why]) => why) };
}
