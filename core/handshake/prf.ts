/**
 * The TLS 1.0–1.2 pseudo-random function and the values made with it: the
 * master secret (RFC 5246 §8.1, RFC 7627 §4 extended), the key block
 * (RFC 5246 §6.3) and Finished (RFC 5246 §7.4.9). TLS 1.2 runs P_SHA256 or
 * P_SHA384 over WebCrypto HMAC; TLS 1.0 and 1.1 split the secret between
 * P_MD5 and P_SHA1 (RFC 2246 §5, RFC 4346 §5). WebCrypto has no MD5, so MD5
 * and HMAC-MD5 come from `@noble/hashes`, loaded when first needed (an npm
 * package costs every start-up tens of milliseconds; TLS 1.2 needs none).
 *
 * @module
 */
import { concat } from "../wire/codec.ts";
import { TLS1_2 } from "../registry/versions.ts";
import { digest, hmac } from "./key_schedule.ts";

/** The hash a TLS 1.2 suite's PRF uses (RFC 5246 §5: SHA-256 unless the suite says SHA-384). */
export type PrfHash = "SHA-256" | "SHA-384";

type Mac = (key: Uint8Array, data: Uint8Array) => Promise<Uint8Array>;

/** P_hash (RFC 5246 §5): HMAC chained until `length` bytes. */
async function pHash(mac: Mac, secret: Uint8Array, seed: Uint8Array, length: number) {
  const parts: Uint8Array[] = [];
  let a = seed;
  let have = 0;
  while (have < length) {
    a = await mac(secret, a);
    const p = await mac(secret, concat(a, seed));
    parts.push(p);
    have += p.length;
  }
  return concat(...parts).slice(0, length);
}

/** `@noble/hashes`' MD5 and HMAC, loaded once, on first use. */
let noble:
  | Promise<{
    md5: typeof import("@noble/hashes/legacy.js").md5;
    hmac: typeof import("@noble/hashes/hmac.js").hmac;
  }>
  | undefined;
function legacyHashes() {
  noble ??= Promise.all([import("@noble/hashes/legacy.js"), import("@noble/hashes/hmac.js")])
    .then(([l, h]) => ({ md5: l.md5, hmac: h.hmac }));
  return noble;
}

/**
 * HMAC-MD5 (RFC 2104) from `@noble/hashes`: the TLS 1.0/1.1 PRF and the `_MD5` suites' record MAC.
 *
 * @param k the key
 * @param d the data
 * @returns the 16-byte tag
 */
export async function hmacMd5(k: Uint8Array, d: Uint8Array): Promise<Uint8Array> {
  const n = await legacyHashes();
  return n.hmac(n.md5, k, d);
}
const hmacSha: (hash: string) => Mac = (hash) => (k, d) => hmac(hash, k, d);

/**
 * PRF(secret, label, seed) for a version and suite hash.
 *
 * @param version the negotiated version (0x0301–0x0303)
 * @param hash the TLS 1.2 PRF hash (ignored before TLS 1.2)
 * @param secret the secret
 * @param label the ASCII label
 * @param seed the seed
 * @param length bytes wanted
 * @returns the output
 * @example
 * ```ts
 * import { prf } from "./prf.ts";
 * const out = await prf(0x0303, "SHA-256", new Uint8Array(48), "key expansion", new Uint8Array(64), 40);
 * console.assert(out.length === 40);
 * ```
 */
export async function prf(
  version: number,
  hash: PrfHash,
  secret: Uint8Array,
  label: string,
  seed: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const ls = concat(new TextEncoder().encode(label), seed);
  if (version >= TLS1_2) return pHash(hmacSha(hash), secret, ls, length);
  // RFC 2246 §5: S1 is the first half, S2 the second; they share a byte when the length is odd.
  const half = Math.ceil(secret.length / 2);
  const a = await pHash(hmacMd5, secret.subarray(0, half), ls, length);
  const b = await pHash(hmacSha("SHA-1"), secret.subarray(secret.length - half), ls, length);
  return a.map((x, i) => x ^ b[i]);
}

/**
 * The handshake hash Finished and the extended master secret cover: the PRF
 * hash in TLS 1.2, MD5 then SHA-1 before (RFC 2246 §7.4.9).
 *
 * @param version the negotiated version
 * @param hash the TLS 1.2 PRF hash
 * @param transcript the handshake messages
 * @returns the hash
 */
export async function handshakeHash(
  version: number,
  hash: PrfHash,
  transcript: Uint8Array,
): Promise<Uint8Array> {
  if (version >= TLS1_2) return digest(hash, transcript);
  return concat(await md5Digest(transcript), await digest("SHA-1", transcript));
}

/**
 * MD5 (for the TLS 1.0/1.1 RSA signature's MD5 ‖ SHA-1 digest; RFC 2246 §7.4.3).
 *
 * @param data the data
 * @returns the 16-byte digest
 */
export async function md5Digest(data: Uint8Array): Promise<Uint8Array> {
  return (await legacyHashes()).md5(data);
}
