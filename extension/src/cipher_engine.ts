/**
 * The pure core's OpenSSL cipher-string engine, bundled into the extension
 * (esbuild packs `core/openssl/` from the repository), adapted to the rows
 * the hover and the expansion view show. The extension never reimplements it.
 *
 * @module
 */
import { expandCipherString } from "../../core/openssl/mod.ts";
import type { SuiteRow } from "./pure/cipher_locate.ts";

/** An expansion, or the engine's error (code and message). */
export type Expansion =
  | { ok: true; rows: SuiteRow[] }
  | { ok: false; code: string; message: string };

/**
 * Expands an OpenSSL cipher string as the given OpenSSL version would.
 *
 * @param cipherString e.g. `ECDH+AES128`
 * @param opensslVersion the `tlsprobe.opensslVersion` setting
 * @returns the suites in OpenSSL's order, or the engine's error
 */
export function expand(cipherString: string, opensslVersion: string): Expansion {
  try {
    const suites = expandCipherString(cipherString, { opensslVersion });
    return {
      ok: true,
      rows: suites.map((s) => ({
        name: s.name,
        version: s.version,
        kx: s.kx,
        au: s.au,
        enc: s.enc,
        mac: s.mac,
        rating: s.rating,
      })),
    };
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    return {
      ok: false,
      code: typeof err.code === "string" ? err.code : "INTERNAL",
      message: typeof err.message === "string" ? err.message : String(e),
    };
  }
}
