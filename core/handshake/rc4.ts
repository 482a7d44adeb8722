/**
 * RC4 (the ARCFOUR keystream, as TLS's `RC4_128` suites use it: one stream
 * per direction, continued across records, no IV). Broken (RFC 7465 forbids
 * it); here only so the lab can serve it to test clients against.
 *
 * @module
 */

/** One RC4 keystream. */
export class Rc4 {
  readonly #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  /**
   * Keys the stream (the key-scheduling algorithm).
   *
   * @param key 1 to 256 bytes
   * @example
   * ```ts
   * import { Rc4 } from "./rc4.ts";
   * const out = new Rc4(new TextEncoder().encode("Key")).apply(new TextEncoder().encode("Plaintext"));
   * console.assert(out[0] === 0xbb && out[8] === 0xd3);
   * ```
   */
  constructor(key: Uint8Array) {
    if (!key.length || key.length > 256) throw new RangeError("RC4 key of 1 to 256 bytes");
    const s = this.#s;
    for (let i = 0; i < 256; i++) s[i] = i;
    for (let i = 0, j = 0; i < 256; i++) {
      j = (j + s[i] + key[i % key.length]) & 0xff;
      [s[i], s[j]] = [s[j], s[i]];
    }
  }

  /**
   * XORs data with the next bytes of the stream (encrypts or decrypts).
   *
   * @param data the input
   * @returns a new array
   */
  apply(data: Uint8Array): Uint8Array {
    const s = this.#s;
    const out = new Uint8Array(data.length);
    let i = this.#i, j = this.#j;
    for (let n = 0; n < data.length; n++) {
      i = (i + 1) & 0xff;
      j = (j + s[i]) & 0xff;
      const t = s[i];
      s[i] = s[j];
      s[j] = t;
      out[n] = data[n] ^ s[(s[i] + s[j]) & 0xff];
    }
    this.#i = i;
    this.#j = j;
    return out;
  }
}
