/**
 * Renders cipher lists exactly as `openssl ciphers` prints them: the
 * colon-joined names, or one `SSL_CIPHER_description()` line per suite
 * (`-v`), with the `0xHH,0xHH - ` code (`-V`) and the standard name
 * (`-stdname`) in front.
 *
 * @module
 */
import type { OsslCipher } from "./profile.ts";
import { versionByCode } from "../registry/versions.ts";

const pad = (s: string, n: number) => s.padEnd(n, " ");

/** The columns of one `SSL_CIPHER_description()` line. */
export interface CipherColumns {
  /** OpenSSL's name. */
  name: string;
  /** The version that defines the suite (`TLSv1.2`, `SSLv3`, …). */
  version: string;
  /** Key exchange (`ECDH`, `RSA`, `any` for TLS 1.3). */
  kx: string;
  /** Authentication (`RSA`, `ECDSA`, `any`). */
  au: string;
  /** Cipher with its bits, e.g. `AESGCM(128)`. */
  enc: string;
  /** MAC (`AEAD`, `SHA1`, …). */
  mac: string;
}

/**
 * The columns `openssl ciphers -v` shows for a suite, as data (the hover
 * and the expansion view use them; {@link formatCipherDescription} lays them out).
 *
 * @param c the suite as OpenSSL holds it
 * @returns its columns
 */
export function cipherColumns(c: OsslCipher): CipherColumns {
  const s = c.suite;
  const signalling = c.minTls === 0;
  return {
    name: c.name,
    version: versionByCode(c.minTls)?.name ?? "unknown",
    kx: signalling ? "any" : s.kx,
    au: signalling ? "any" : s.au,
    enc: signalling ? "unknown" : s.enc === "None" ? "None" : `${s.enc}(${s.bits})`,
    mac: signalling ? "unknown" : s.mac,
  };
}

/**
 * One `SSL_CIPHER_description()` line (with its newline), e.g.
 * `ECDHE-RSA-AES128-GCM-SHA256   TLSv1.2 Kx=ECDH     Au=RSA   Enc=AESGCM(128)            Mac=AEAD\n`.
 *
 * @param c the suite as OpenSSL holds it
 * @returns the line
 */
export function formatCipherDescription(c: OsslCipher): string {
  const { name, version, kx, au, enc, mac } = cipherColumns(c);
  return `${pad(name, 30)} ${pad(version, 7)} Kx=${pad(kx, 8)} Au=${pad(au, 5)} Enc=${
    pad(enc, 22)
  } Mac=${pad(mac, 4)}\n`;
}

/** Output options of {@link formatCiphers}, named after `openssl ciphers` flags. */
export interface FormatOptions {
  /** `-v`: one description line per suite. */
  v?: boolean;
  /** `-V`: `-v` with the two-byte code in front. */
  V?: boolean;
  /** `-stdname`: `-v` with the standard (IANA) name in front. */
  stdname?: boolean;
}

/**
 * The whole standard output of `openssl ciphers` for a list.
 *
 * @param ciphers the list (from `expandCipherString(...).ciphers`)
 * @param opts which of `-v`, `-V`, `-stdname` were given
 * @returns the text, newlines included
 * @example
 * ```ts
 * import { expandCipherString } from "./cipher_string.ts";
 * import { formatCiphers } from "./format.ts";
 * const { ciphers } = expandCipherString("AES128-SHA", { ciphersuites: "" });
 * console.assert(formatCiphers(ciphers, {}) === "AES128-SHA\n");
 * ```
 */
export function formatCiphers(ciphers: OsslCipher[], opts: FormatOptions = {}): string {
  const verbose = opts.v || opts.V || opts.stdname;
  if (!verbose) return ciphers.map((c) => c.name).join(":") + "\n";
  let out = "";
  for (const c of ciphers) {
    if (opts.V) {
      const hex = (n: number) => "0x" + n.toString(16).toUpperCase().padStart(2, "0");
      out += `          ${hex((c.id >> 8) & 0xff)},${hex(c.id & 0xff)} - `;
    }
    if (opts.stdname) out += pad(c.stdname, 45) + " - ";
    out += formatCipherDescription(c);
  }
  return out;
}

/**
 * The `-v` lines for a list, as an array without newlines (for hovers).
 *
 * @param ciphers the list
 * @returns one line per suite
 */
export function formatCiphersV(ciphers: OsslCipher[]): string[] {
  return ciphers.map((c) => formatCipherDescription(c).slice(0, -1));
}
