/**
 * GCM (NIST SP 800-38D) over any 128-bit block cipher, for Camellia-GCM
 * (RFC 6367) in the scan's client: WebCrypto runs GCM only over AES. GHASH
 * is the bitwise multiplication of SP 800-38D Algorithm 1 on BigInts (slow
 * and not constant-time: a handshake's few records). Checked against
 * WebCrypto's AES-GCM with AES as the block cipher.
 *
 * @module
 */
import { concat } from "../wire/codec.ts";
import { camelliaEncryptor } from "./camellia.ts";
import { fromBigInt, toBigInt } from "./key_exchange.ts";

/** Encrypts one 16-byte block with the key already bound. */
export type BlockEncrypt = (block: Uint8Array) => Uint8Array | Promise<Uint8Array>;

const R = 0xe1n << 120n;
const M128 = (1n << 128n) - 1n;

/** SP 800-38D §6.3: X • Y in GF(2^128), GCM's bit order (the first bit is the highest). */
function mul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127; i >= 0; i--) {
    if ((x >> BigInt(i)) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ R : v >> 1n;
  }
  return z & M128;
}

/** SP 800-38D §6.4: GHASH over data padded to whole blocks. */
function ghash(h: bigint, aad: Uint8Array, ct: Uint8Array): bigint {
  let y = 0n;
  const absorb = (data: Uint8Array) => {
    for (let o = 0; o < data.length; o += 16) {
      const b = new Uint8Array(16);
      b.set(data.subarray(o, o + 16));
      y = mul(y ^ toBigInt(b), h);
    }
  };
  absorb(aad);
  absorb(ct);
  const lengths = (BigInt(aad.length * 8) << 64n) | BigInt(ct.length * 8);
  return mul(y ^ lengths, h);
}

/** SP 800-38D §6.5: GCTR from a counter block, incrementing its last 32 bits. */
async function gctr(enc: BlockEncrypt, counter: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const out = new Uint8Array(data.length);
  const cb = counter.slice();
  const dv = new DataView(cb.buffer);
  for (let o = 0; o < data.length; o += 16) {
    const ks = await enc(cb);
    const n = Math.min(16, data.length - o);
    for (let j = 0; j < n; j++) out[o + j] = data[o + j] ^ ks[j];
    dv.setUint32(12, (dv.getUint32(12) + 1) >>> 0);
  }
  return out;
}

/** A GCM key: the block cipher bound to its key, with a 16-byte tag. */
export class Gcm {
  /** Tag bytes. */
  readonly tagLength = 16;
  readonly #enc: BlockEncrypt;
  #h?: bigint;

  /**
   * Binds GCM to a block cipher.
   *
   * @param enc the block cipher's encryption, its key bound
   */
  constructor(enc: BlockEncrypt) {
    this.#enc = enc;
  }

  async #parts(nonce: Uint8Array): Promise<{ h: bigint; j0: Uint8Array }> {
    if (nonce.length !== 12) throw new RangeError("GCM here takes 12-byte nonces");
    this.#h ??= toBigInt(await this.#enc(new Uint8Array(16)));
    return { h: this.#h, j0: concat(nonce, Uint8Array.of(0, 0, 0, 1)) };
  }

  #first(j0: Uint8Array): Uint8Array {
    const c = j0.slice();
    c[15] = 2; // inc32(J0): the 12-byte nonce's counter starts at 1
    return c;
  }

  /**
   * Encrypts and tags.
   *
   * @param nonce 12 bytes
   * @param aad the additional data
   * @param plaintext the plaintext
   * @returns the ciphertext followed by the 16-byte tag
   * @example
   * ```ts
   * import { Gcm } from "./gcm.ts";
   * const gcm = Gcm.camellia(new Uint8Array(16));
   * const sealed = await gcm.seal(new Uint8Array(12), new Uint8Array(0), Uint8Array.of(1, 2));
   * console.assert(sealed.length === 18);
   * console.assert((await gcm.open(new Uint8Array(12), new Uint8Array(0), sealed))?.[1] === 2);
   * ```
   */
  async seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const { h, j0 } = await this.#parts(nonce);
    const ct = await gctr(this.#enc, this.#first(j0), plaintext);
    const s = ghash(h, aad, ct);
    const tag = toBigInt(await this.#enc(j0)) ^ s;
    return concat(ct, fromBigInt(tag, 16));
  }

  /**
   * Checks the tag and decrypts.
   *
   * @param nonce 12 bytes
   * @param aad the additional data
   * @param sealed the ciphertext followed by the tag
   * @returns the plaintext, or undefined when the tag does not match
   */
  async open(
    nonce: Uint8Array,
    aad: Uint8Array,
    sealed: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    if (sealed.length < 16) return undefined;
    const { h, j0 } = await this.#parts(nonce);
    const ct = sealed.subarray(0, sealed.length - 16);
    const tag = fromBigInt(toBigInt(await this.#enc(j0)) ^ ghash(h, aad, ct), 16);
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= tag[i] ^ sealed[sealed.length - 16 + i];
    if (diff) return undefined;
    return await gctr(this.#enc, this.#first(j0), ct);
  }

  /**
   * Camellia-GCM (RFC 6367's bulk cipher).
   *
   * @param key 16 or 32 bytes
   * @returns the GCM key
   */
  static camellia(key: Uint8Array): Gcm {
    return new Gcm(camelliaEncryptor(key));
  }
}
