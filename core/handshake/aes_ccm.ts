/**
 * AES-CCM (RFC 3610, NIST SP 800-38C) from the two AES modes WebCrypto
 * has: the CBC-MAC is the last block of an AES-CBC encryption with a zero IV,
 * the encryption AES-CTR from counter block 1, and the tag is masked with
 * the keystream of counter block 0. TLS uses it with a 12-byte nonce and a
 * 16- or 8-byte tag (RFC 6655, RFC 8446 §B.4). Not constant-time: the tag
 * comparison exits early (a test server).
 *
 * @module
 */
import { concat } from "../wire/codec.ts";

// deno-lint-ignore no-explicit-any
const subtle = crypto.subtle as any;

/** One AES-CCM key with a fixed tag length. */
export class AesCcm {
  readonly #cbc: CryptoKey;
  readonly #ctr: CryptoKey;
  /** The tag length in bytes (4–16, even). */
  readonly tagLength: number;

  private constructor(cbc: CryptoKey, ctr: CryptoKey, tagLength: number) {
    this.#cbc = cbc;
    this.#ctr = ctr;
    this.tagLength = tagLength;
  }

  /**
   * Imports a key.
   *
   * @param key 16, 24 or 32 bytes
   * @param tagLength the tag length in bytes (4, 6, … 16)
   * @returns the cipher
   * @example
   * ```ts
   * import { AesCcm } from "./aes_ccm.ts";
   * const ccm = await AesCcm.create(new Uint8Array(16), 16);
   * const sealed = await ccm.seal(new Uint8Array(12), new Uint8Array(0), Uint8Array.of(1, 2));
   * console.assert(sealed.length === 18);
   * ```
   */
  static async create(key: Uint8Array, tagLength: number): Promise<AesCcm> {
    if (tagLength < 4 || tagLength > 16 || tagLength % 2) {
      throw new RangeError(`AES-CCM tag length ${tagLength} is not 4, 6, … 16`);
    }
    const use = ["encrypt", "decrypt"];
    return new AesCcm(
      await subtle.importKey("raw", key, { name: "AES-CBC" }, false, use),
      await subtle.importKey("raw", key, { name: "AES-CTR" }, false, use),
      tagLength,
    );
  }

  /** The counter block A_i for a nonce (RFC 3610 §2.3). */
  #counter(nonce: Uint8Array, i: number): Uint8Array {
    const q = 15 - nonce.length;
    const a = new Uint8Array(16);
    a[0] = q - 1;
    a.set(nonce, 1);
    for (let k = 0, v = i; k < q; k++, v = Math.floor(v / 256)) a[15 - k] = v & 0xff;
    return a;
  }

  /** The CBC-MAC T over B_0, the encoded additional data and the message (RFC 3610 §2.2). */
  async #mac(nonce: Uint8Array, aad: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
    const q = 15 - nonce.length;
    const b0 = new Uint8Array(16);
    b0[0] = (aad.length ? 0x40 : 0) | (((this.tagLength - 2) / 2) << 3) | (q - 1);
    b0.set(nonce, 1);
    for (let k = 0, v = message.length; k < q; k++, v = Math.floor(v / 256)) b0[15 - k] = v & 0xff;
    if (q < 8 && message.length >= 2 ** (8 * q)) {
      throw new RangeError("AES-CCM message too long for the nonce length");
    }
    let head = new Uint8Array(0);
    if (aad.length) {
      const n = aad.length;
      head = n < 0xff00
        ? Uint8Array.of(n >> 8, n & 0xff)
        : Uint8Array.of(0xff, 0xfe, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    }
    const pad = (b: Uint8Array) => concat(b, new Uint8Array((16 - (b.length % 16)) % 16));
    const blocks = concat(b0, pad(concat(head, aad)), pad(message));
    const out = new Uint8Array(
      await subtle.encrypt({ name: "AES-CBC", iv: new Uint8Array(16) }, this.#cbc, blocks),
    );
    return out.slice(blocks.length - 16, blocks.length - 16 + this.tagLength);
  }

  async #ctrXor(nonce: Uint8Array, from: number, data: Uint8Array): Promise<Uint8Array> {
    if (!data.length) return new Uint8Array(0);
    return new Uint8Array(
      await subtle.encrypt(
        // WebCrypto here counts in 32 or 64 bits; a message below 2^(8q) bytes never
        // carries the counter out of its q bytes, so the wider count is the same.
        {
          name: "AES-CTR",
          counter: this.#counter(nonce, from),
          length: 15 - nonce.length <= 4 ? 32 : 64,
        },
        this.#ctr,
        data,
      ),
    );
  }

  /**
   * Encrypts and authenticates.
   *
   * @param nonce 7–13 bytes
   * @param aad the additional authenticated data
   * @param plaintext the message
   * @returns ciphertext ‖ tag
   */
  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const t = await this.#mac(nonce, aad, plaintext);
    return concat(await this.#ctrXor(nonce, 1, plaintext), await this.#ctrXor(nonce, 0, t));
  }

  /**
   * Decrypts and checks the tag.
   *
   * @param nonce 7–13 bytes
   * @param aad the additional authenticated data
   * @param sealed ciphertext ‖ tag
   * @returns the message, or null when the tag does not match
   */
  async open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | null> {
    if (sealed.length < this.tagLength) return null;
    const cut = sealed.length - this.tagLength;
    const message = await this.#ctrXor(nonce, 1, sealed.subarray(0, cut));
    const want = await this.#ctrXor(nonce, 0, await this.#mac(nonce, aad, message));
    const got = sealed.subarray(cut);
    let diff = 0;
    for (let i = 0; i < want.length; i++) diff |= want[i] ^ got[i];
    return diff ? null : message;
  }
}
