/**
 * The pure core's OpenSSL cipher-string engine, bundled into the extension
 * (esbuild packs `core/openssl/` from the repository), adapted to the rows
 * the hover and the expansion view show. The extension never reimplements
 * it: the columns are the engine's own `openssl ciphers -v` columns.
 *
 * @module
 */
import { cipherColumns, expandCipherString, type OpensslVersion } from "../../core/openssl/mod.ts";
import type { SuiteRow } from "./pure/cipher_locate.ts";

/** An expansion, or the engine's error (code and message). */
export type Expansion =
  | { ok: true; rows: SuiteRow[] }
  | { ok: false; code: string; message: string };

/** OpenSSL versions the engine models (the `tlsprobe.opensslVersion` setting's values). */
const VERSIONS: readonly OpensslVersion[] = ["3.0"];

/**
 * Expands an OpenSSL cipher string as the given OpenSSL version would.
 *
 * @param cipherString e.g. `ECDH+AES128`
 * @param opensslVersion the `tlsprobe.opensslVersion` setting
 * @returns the suites in OpenSSL's order (TLS 1.3 first, as `openssl ciphers -v`), or the engine's error
 */
export function expand(
  cipherString: string,
  opensslVersion: string,
): Expansion {
  const version = VERSIONS.find((v) => v === opensslVersion);
  if (!version) {
    return {
      ok: false,
      code: "UNSUPPORTED",
      message: `OpenSSL ${opensslVersion} is not modelled; set tlsprobe.opensslVersion to ${
        VERSIONS.join(" or ")
      }.`,
    };
  }
  try {
    const { ciphers } = expandCipherString(cipherString, { version });
    return {
      ok: true,
      rows: ciphers.map((c) => ({ ...cipherColumns(c), rating: c.suite.rating })),
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
