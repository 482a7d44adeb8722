/**
 * Camellia (RFC 3713) with 128- and 256-bit keys, and CBC over it without
 * padding (TLS pads its own way), for the scan's client to finish handshakes
 * with the TLS 1.0–1.2 Camellia-CBC suites (RFC 5932): WebCrypto and the
 * runtime have no Camellia. Pure TypeScript, not constant-time (the client
 * only looks at a server; no user data goes through it). Checked on RFC 3713's
 * examples and against `openssl enc -camellia-*-cbc`.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { toBigInt } from "./key_exchange.ts";
import type { CbcCipher } from "./record_legacy.ts";

/** RFC 3713 §2.4.4: SBOX1; SBOX2–4 are derived from it by rotations. */
// deno-fmt-ignore
const SBOX1 = Uint8Array.from([
  0x70, 0x82, 0x2c, 0xec, 0xb3, 0x27, 0xc0, 0xe5, 0xe4, 0x85, 0x57, 0x35, 0xea, 0x0c, 0xae, 0x41,
  0x23, 0xef, 0x6b, 0x93, 0x45, 0x19, 0xa5, 0x21, 0xed, 0x0e, 0x4f, 0x4e, 0x1d, 0x65, 0x92, 0xbd,
  0x86, 0xb8, 0xaf, 0x8f, 0x7c, 0xeb, 0x1f, 0xce, 0x3e, 0x30, 0xdc, 0x5f, 0x5e, 0xc5, 0x0b, 0x1a,
  0xa6, 0xe1, 0x39, 0xca, 0xd5, 0x47, 0x5d, 0x3d, 0xd9, 0x01, 0x5a, 0xd6, 0x51, 0x56, 0x6c, 0x4d,
  0x8b, 0x0d, 0x9a, 0x66, 0xfb, 0xcc, 0xb0, 0x2d, 0x74, 0x12, 0x2b, 0x20, 0xf0, 0xb1, 0x84, 0x99,
  0xdf, 0x4c, 0xcb, 0xc2, 0x34, 0x7e, 0x76, 0x05, 0x6d, 0xb7, 0xa9, 0x31, 0xd1, 0x17, 0x04, 0xd7,
  0x14, 0x58, 0x3a, 0x61, 0xde, 0x1b, 0x11, 0x1c, 0x32, 0x0f, 0x9c, 0x16, 0x53, 0x18, 0xf2, 0x22,
  0xfe, 0x44, 0xcf, 0xb2, 0xc3, 0xb5, 0x7a, 0x91, 0x24, 0x08, 0xe8, 0xa8, 0x60, 0xfc, 0x69, 0x50,
  0xaa, 0xd0, 0xa0, 0x7d, 0xa1, 0x89, 0x62, 0x97, 0x54, 0x5b, 0x1e, 0x95, 0xe0, 0xff, 0x64, 0xd2,
  0x10, 0xc4, 0x00, 0x48, 0xa3, 0xf7, 0x75, 0xdb, 0x8a, 0x03, 0xe6, 0xda, 0x09, 0x3f, 0xdd, 0x94,
  0x87, 0x5c, 0x83, 0x02, 0xcd, 0x4a, 0x90, 0x33, 0x73, 0x67, 0xf6, 0xf3, 0x9d, 0x7f, 0xbf, 0xe2,
  0x52, 0x9b, 0xd8, 0x26, 0xc8, 0x37, 0xc6, 0x3b, 0x81, 0x96, 0x6f, 0x4b, 0x13, 0xbe, 0x63, 0x2e,
  0xe9, 0x79, 0xa7, 0x8c, 0x9f, 0x6e, 0xbc, 0x8e, 0x29, 0xf5, 0xf9, 0xb6, 0x2f, 0xfd, 0xb4, 0x59,
  0x78, 0x98, 0x06, 0x6a, 0xe7, 0x46, 0x71, 0xba, 0xd4, 0x25, 0xab, 0x42, 0x88, 0xa2, 0x8d, 0xfa,
  0x72, 0x07, 0xb9, 0x55, 0xf8, 0xee, 0xac, 0x0a, 0x36, 0x49, 0x2a, 0x68, 0x3c, 0x38, 0xf1, 0xa4,
  0x40, 0x28, 0xd3, 0x7b, 0xbb, 0xc9, 0x43, 0xc1, 0x15, 0xe3, 0xad, 0xf4, 0x77, 0xc7, 0x80, 0x9e,
]);

const rotl8 = (x: number, n: number) => ((x << n) | (x >>> (8 - n))) & 0xff;
const SBOX2 = SBOX1.map((x) => rotl8(x, 1));
const SBOX3 = SBOX1.map((x) => rotl8(x, 7));
const SBOX4 = SBOX1.map((_, x) => SBOX1[rotl8(x, 1)]);

/** A 64-bit value as two unsigned 32-bit halves. */
type Half = [hi: number, lo: number];

/** RFC 3713 §2.4.1: F, the S-boxes then the byte mixing P. */
function f(x: Half, k: Half): Half {
  const a = (x[0] ^ k[0]) >>> 0, b = (x[1] ^ k[1]) >>> 0;
  const t1 = SBOX1[a >>> 24], t2 = SBOX2[(a >>> 16) & 0xff];
  const t3 = SBOX3[(a >>> 8) & 0xff], t4 = SBOX4[a & 0xff];
  const t5 = SBOX2[b >>> 24], t6 = SBOX3[(b >>> 16) & 0xff];
  const t7 = SBOX4[(b >>> 8) & 0xff], t8 = SBOX1[b & 0xff];
  const y1 = t1 ^ t3 ^ t4 ^ t6 ^ t7 ^ t8;
  const y2 = t1 ^ t2 ^ t4 ^ t5 ^ t7 ^ t8;
  const y3 = t1 ^ t2 ^ t3 ^ t5 ^ t6 ^ t8;
  const y4 = t2 ^ t3 ^ t4 ^ t5 ^ t6 ^ t7;
  const y5 = t1 ^ t2 ^ t6 ^ t7 ^ t8;
  const y6 = t2 ^ t3 ^ t5 ^ t7 ^ t8;
  const y7 = t3 ^ t4 ^ t5 ^ t6 ^ t8;
  const y8 = t1 ^ t4 ^ t5 ^ t6 ^ t7;
  return [
    ((y1 << 24) | (y2 << 16) | (y3 << 8) | y4) >>> 0,
    ((y5 << 24) | (y6 << 16) | (y7 << 8) | y8) >>> 0,
  ];
}

const rotl32 = (x: number, n: number) => ((x << n) | (x >>> (32 - n))) >>> 0;

/** RFC 3713 §2.4.2: FL. */
function fl(x: Half, k: Half): Half {
  const x2 = (x[1] ^ rotl32((x[0] & k[0]) >>> 0, 1)) >>> 0;
  return [(x[0] ^ (x2 | k[1])) >>> 0, x2];
}

/** RFC 3713 §2.4.3: FL⁻¹. */
function flInv(y: Half, k: Half): Half {
  const y1 = (y[0] ^ (y[1] | k[1])) >>> 0;
  return [y1, (y[1] ^ rotl32((y1 & k[0]) >>> 0, 1)) >>> 0];
}

const xor = (a: Half, b: Half): Half => [(a[0] ^ b[0]) >>> 0, (a[1] ^ b[1]) >>> 0];

/** RFC 3713 §2.2: the key constants Σ1–Σ6. */
const SIGMA: Half[] = [
  [0xa09e667f, 0x3bcc908b],
  [0xb67ae858, 0x4caa73b2],
  [0xc6ef372f, 0xe94f82be],
  [0x54ff53a5, 0xf1d36f1c],
  [0x10e527fa, 0xde682d1d],
  [0xb05688c2, 0xb3e6c1fd],
];

const M128 = (1n << 128n) - 1n;

/** The left (`0`) or right (`1`) 64 bits of a 128-bit value rotated left by `n`. */
function part(v: bigint, n: number, side: 0 | 1): Half {
  const r = n === 0 ? v : ((v << BigInt(n)) | (v >> BigInt(128 - n))) & M128;
  const h = side === 0 ? r >> 64n : r & 0xffffffffffffffffn;
  return [Number(h >> 32n), Number(h & 0xffffffffn)];
}

const halvesOf = (v: bigint): [Half, Half] => [part(v, 0, 0), part(v, 0, 1)];
const join = (a: Half, b: Half): bigint =>
  (BigInt(a[0]) << 96n) | (BigInt(a[1]) << 64n) | (BigInt(b[0]) << 32n) | BigInt(b[1]);

/** The subkeys, in the order encryption uses them. */
interface Schedule {
  /** kw1–kw4: whitening. */
  kw: Half[];
  /** k and ke in their order of use: six round keys, an FL/FL⁻¹ pair, six more, … */
  keys: Half[];
}

/** RFC 3713 §2.2 and §2.3: KA, KB and the subkeys (128- or 256-bit keys). */
function schedule(key: Uint8Array): Schedule {
  if (key.length !== 16 && key.length !== 32) {
    throw new TlsprobeError(
      "INTERNAL",
      `Camellia takes 16 or 32 key bytes here, not ${key.length}`,
    );
  }
  const kl = toBigInt(key.subarray(0, 16));
  const kr = key.length === 32 ? toBigInt(key.subarray(16)) : 0n;
  let [d1, d2] = halvesOf(kl ^ kr);
  d2 = xor(d2, f(d1, SIGMA[0]));
  d1 = xor(d1, f(d2, SIGMA[1]));
  const [l1, l2] = halvesOf(kl);
  d1 = xor(d1, l1);
  d2 = xor(d2, l2);
  d2 = xor(d2, f(d1, SIGMA[2]));
  d1 = xor(d1, f(d2, SIGMA[3]));
  const ka = join(d1, d2);
  // Both halves of a value rotated by n.
  const both = (v: bigint, n: number) => [part(v, n, 0), part(v, n, 1)];
  if (key.length === 16) {
    return {
      kw: [...both(kl, 0), ...both(ka, 111)],
      keys: [
        ...both(ka, 0), // k1, k2
        ...both(kl, 15), // k3, k4
        ...both(ka, 15), // k5, k6
        ...both(ka, 30), // ke1, ke2
        ...both(kl, 45), // k7, k8
        part(ka, 45, 0), // k9
        part(kl, 60, 1), // k10
        ...both(ka, 60), // k11, k12
        ...both(kl, 77), // ke3, ke4
        ...both(kl, 94), // k13, k14
        ...both(ka, 94), // k15, k16
        ...both(kl, 111), // k17, k18
      ],
    };
  }
  let [e1, e2] = halvesOf(ka ^ kr);
  e2 = xor(e2, f(e1, SIGMA[4]));
  e1 = xor(e1, f(e2, SIGMA[5]));
  const kb = join(e1, e2);
  return {
    kw: [...both(kl, 0), ...both(kb, 111)],
    keys: [
      ...both(kb, 0), // k1, k2
      ...both(kr, 15), // k3, k4
      ...both(ka, 15), // k5, k6
      ...both(kr, 30), // ke1, ke2
      ...both(kb, 30), // k7, k8
      ...both(kl, 45), // k9, k10
      ...both(ka, 45), // k11, k12
      ...both(kl, 60), // ke3, ke4
      ...both(kr, 60), // k13, k14
      ...both(kb, 60), // k15, k16
      ...both(kl, 77), // k17, k18
      ...both(ka, 77), // ke5, ke6
      ...both(kr, 94), // k19, k20
      ...both(ka, 94), // k21, k22
      ...both(kl, 111), // k23, k24
    ],
  };
}

/**
 * One block through the Feistel network: six rounds, then FL/FL⁻¹, and so on
 * (18 rounds for 128-bit keys, 24 for 256). Decryption runs the same network
 * with the subkeys in reverse order (RFC 3713 §2.3.3).
 */
function block(s: Schedule, input: Uint8Array, decrypt: boolean): Uint8Array {
  const keys = decrypt ? [...s.keys].reverse() : s.keys;
  const [w1, w2, w3, w4] = decrypt ? [s.kw[2], s.kw[3], s.kw[0], s.kw[1]] : s.kw;
  const dv = new DataView(input.buffer, input.byteOffset, 16);
  let d1: Half = xor([dv.getUint32(0), dv.getUint32(4)], w1);
  let d2: Half = xor([dv.getUint32(8), dv.getUint32(12)], w2);
  let i = 0;
  // Each group of 8 keys: six rounds' keys then an FL pair; the last group has no pair.
  while (i < keys.length) {
    for (let r = 0; r < 3; r++) {
      d2 = xor(d2, f(d1, keys[i++]));
      d1 = xor(d1, f(d2, keys[i++]));
    }
    if (i < keys.length) {
      d1 = fl(d1, keys[i++]);
      d2 = flInv(d2, keys[i++]);
    }
  }
  d2 = xor(d2, w3);
  d1 = xor(d1, w4);
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  ov.setUint32(0, d2[0]);
  ov.setUint32(4, d2[1]);
  ov.setUint32(8, d1[0]);
  ov.setUint32(12, d1[1]);
  return out;
}

/**
 * Encrypts one 16-byte block (ECB), for the RFC 3713 examples.
 *
 * @param key 16 or 32 bytes
 * @param plaintext 16 bytes
 * @returns 16 bytes
 * @throws TlsprobeError INTERNAL for another key length
 * @example
 * ```ts
 * import { camelliaEncryptBlock } from "./camellia.ts";
 * const k = Uint8Array.from([1, 35, 69, 103, 137, 171, 205, 239, 254, 220, 186, 152, 118, 84, 50, 16]);
 * // RFC 3713 Appendix A, 128-bit key: 67 67 31 38 …
 * console.assert(camelliaEncryptBlock(k, k)[0] === 0x67);
 * ```
 */
export function camelliaEncryptBlock(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return block(schedule(key), plaintext, false);
}

/**
 * One key's block encryption, its subkeys computed once (for GCM's counter blocks).
 *
 * @param key 16 or 32 bytes
 * @returns a function from a 16-byte block to its encryption
 * @throws TlsprobeError INTERNAL for another key length
 */
export function camelliaEncryptor(key: Uint8Array): (block: Uint8Array) => Uint8Array {
  const s = schedule(key);
  return (b) => block(s, b, false);
}

/**
 * Decrypts one 16-byte block (ECB).
 *
 * @param key 16 or 32 bytes
 * @param ciphertext 16 bytes
 * @returns 16 bytes
 * @throws TlsprobeError INTERNAL for another key length
 */
export function camelliaDecryptBlock(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return block(schedule(key), ciphertext, true);
}

/**
 * Camellia-CBC without padding, as the record layer's {@link CbcCipher}.
 *
 * @example
 * ```ts
 * import { CAMELLIA_CBC } from "./camellia.ts";
 * const ct = await CAMELLIA_CBC.encrypt(new Uint8Array(16), new Uint8Array(16), new Uint8Array(32));
 * const pt = await CAMELLIA_CBC.decrypt(new Uint8Array(16), new Uint8Array(16), ct);
 * console.assert(ct.length === 32 && pt.every((b) => b === 0));
 * ```
 */
export const CAMELLIA_CBC: CbcCipher = {
  blockSize: 16,
  encrypt(key, iv, data) {
    const s = schedule(key);
    const out = new Uint8Array(data.length);
    let prev = iv;
    for (let o = 0; o < data.length; o += 16) {
      const x = data.slice(o, o + 16);
      for (let j = 0; j < 16; j++) x[j] ^= prev[j];
      prev = block(s, x, false);
      out.set(prev, o);
    }
    return Promise.resolve(out);
  },
  decrypt(key, iv, data) {
    const s = schedule(key);
    const out = new Uint8Array(data.length);
    let prev = iv;
    for (let o = 0; o < data.length; o += 16) {
      const c = data.subarray(o, o + 16);
      const x = block(s, c, true);
      for (let j = 0; j < 16; j++) x[j] ^= prev[j];
      out.set(x, o);
      prev = c;
    }
    return Promise.resolve(out);
  },
};
