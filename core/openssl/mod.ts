/**
 * OpenSSL cipher-string semantics (pure): expand a cipher string the way a
 * given OpenSSL version does, and render the list as `openssl ciphers` prints it.
 *
 * @module
 */
export * from "./cipher_string.ts";
export * from "./format.ts";
export type { OpensslProfile, OsslAlias, OsslCipher } from "./profile.ts";
