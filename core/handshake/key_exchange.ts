/**
 * Client key shares for TLS 1.3 and their shared secrets, from WebCrypto:
 * X25519, X448, ECDH on P-256/384/521 (RFC 8446 §4.2.8.2: uncompressed
 * points), ML-KEM (FIPS 203) and the hybrids of draft-ietf-tls-ecdhe-mlkem
 * (X25519MLKEM768: ML-KEM first; SecP256r1MLKEM768 and SecP384r1MLKEM1024:
 * ECDH first), and the RFC 7919 finite-field groups with BigInt arithmetic
 * (WebCrypto has no finite-field DH).
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { concat } from "../wire/codec.ts";
import { groupName } from "../registry/groups.ts";

// WebCrypto typings lag behind ML-KEM and the raw-secret format.
// deno-lint-ignore no-explicit-any
const subtle = crypto.subtle as any;

/** A client key share: the public value sent and how to finish the exchange. */
export interface ClientKeyShare {
  /** Group code. */
  group: number;
  /** The key_exchange bytes for the ClientHello. */
  publicValue: Uint8Array;
  /**
   * Computes the shared secret from the server's key_exchange.
   *
   * @throws TlsprobeError PEER_MALFORMED when the server's value is unusable
   */
  derive(serverValue: Uint8Array): Promise<Uint8Array>;
}

interface Classic {
  alg: { name: string; namedCurve?: string };
  bits: number;
  pubLen: number;
}

const CLASSIC: Record<number, Classic> = {
  0x001d: { alg: { name: "X25519" }, bits: 256, pubLen: 32 },
  0x001e: { alg: { name: "X448" }, bits: 448, pubLen: 56 },
  0x0017: { alg: { name: "ECDH", namedCurve: "P-256" }, bits: 256, pubLen: 65 },
  0x0018: { alg: { name: "ECDH", namedCurve: "P-384" }, bits: 384, pubLen: 97 },
  0x0019: { alg: { name: "ECDH", namedCurve: "P-521" }, bits: 528, pubLen: 133 },
};

interface Kem {
  name: string;
  ekLen: number;
  ctLen: number;
}

const KEM: Record<string, Kem> = {
  "ML-KEM-512": { name: "ML-KEM-512", ekLen: 800, ctLen: 768 },
  "ML-KEM-768": { name: "ML-KEM-768", ekLen: 1184, ctLen: 1088 },
  "ML-KEM-1024": { name: "ML-KEM-1024", ekLen: 1568, ctLen: 1568 },
};

/** Hybrid and pure KEM groups: which KEM, which classical curve, and the order. */
const KEM_GROUPS: Record<number, { kem: Kem; classic?: number; kemFirst: boolean }> = {
  0x0200: { kem: KEM["ML-KEM-512"], kemFirst: true },
  0x0201: { kem: KEM["ML-KEM-768"], kemFirst: true },
  0x0202: { kem: KEM["ML-KEM-1024"], kemFirst: true },
  0x11ec: { kem: KEM["ML-KEM-768"], classic: 0x001d, kemFirst: true },
  0x11eb: { kem: KEM["ML-KEM-768"], classic: 0x0017, kemFirst: false },
  0x11ed: { kem: KEM["ML-KEM-1024"], classic: 0x0018, kemFirst: false },
};

/**
 * The RFC 7919 finite-field groups: bit size, the constant X of the prime's
 * definition (RFC 7919 Appendix A: p = 2^b - 2^(b-64) + (floor(2^(b-130) e) + X)
 * * 2^64 - 1, g = 2) and the private exponent size (RFC 7919 §5.2: at least
 * twice the group's security strength).
 */
const FFDHE: Record<number, { bits: number; x: number; exponentBits: number }> = {
  0x0100: { bits: 2048, x: 560316, exponentBits: 225 },
  0x0101: { bits: 3072, x: 2625351, exponentBits: 275 },
  0x0102: { bits: 4096, x: 5736041, exponentBits: 325 },
  0x0103: { bits: 6144, x: 15705020, exponentBits: 375 },
  0x0104: { bits: 8192, x: 10965728, exponentBits: 400 },
};

/** floor(2^n * e), from the series sum of 1/k! in fixed point. */
function eFixed(n: number): bigint {
  const guard = 64n;
  let term = 1n << (BigInt(n) + guard);
  let sum = 0n;
  for (let k = 1n; term > 0n; k++) {
    sum += term;
    term /= k;
  }
  return sum >> guard;
}

const primes = new Map<number, bigint>();

/**
 * The prime of an RFC 7919 group, computed from its definition (checked
 * against OpenSSL's in tests/core/handshake/ffdhe_test.ts).
 *
 * @param group the group code (0x0100–0x0104)
 * @returns p
 */
export function ffdhePrime(group: number): bigint {
  const f = FFDHE[group];
  let p = primes.get(group);
  if (p === undefined) {
    const b = BigInt(f.bits);
    p = (1n << b) - (1n << (b - 64n)) + (eFixed(f.bits - 130) + BigInt(f.x)) * (1n << 64n) - 1n;
    primes.set(group, p);
  }
  return p;
}

/**
 * The RFC 7919 group whose prime a TLS 1.0–1.2 ServerKeyExchange carries
 * (RFC 7919 §3: a server may use them without the client asking).
 *
 * @param p the prime, big-endian, as sent (dh_p)
 * @returns the group code (0x0100–0x0104), or undefined for any other prime
 * @example
 * ```ts
 * import { ffdheGroupOf } from "./key_exchange.ts";
 * console.assert(ffdheGroupOf(Uint8Array.of(23)) === undefined);
 * ```
 */
export function ffdheGroupOf(p: Uint8Array): number | undefined {
  let i = 0;
  while (i < p.length && p[i] === 0) i++;
  const bytes = p.length - i;
  // Every RFC 7919 prime has its top 64 bits set.
  if (bytes < 8 || p[i] !== 0xff) return undefined;
  for (const [code, f] of Object.entries(FFDHE)) {
    if (f.bits !== bytes * 8) continue;
    const want = ffdhePrime(Number(code));
    return toBigInt(p) === want ? Number(code) : undefined;
  }
  return undefined;
}

/**
 * base^exp mod m, square-and-multiply over BigInt (not constant-time: this
 * engine inspects servers and serves test labs, it keeps no secrets).
 *
 * @param base the base
 * @param exp the exponent
 * @param mod the modulus
 * @returns the power
 */
export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  base %= mod;
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % mod;
    base = (base * base) % mod;
    exp >>= 1n;
  }
  return result;
}

/**
 * RSAES-PKCS1-v1_5 encryption (RFC 8017 §7.2.1), which WebCrypto lacks: the
 * TLS 1.0–1.2 RSA key exchange's EncryptedPreMasterSecret (RFC 5246 §7.4.7.1).
 *
 * @param modulus the key's modulus octets
 * @param exponent the public exponent octets
 * @param message what to encrypt (at most the modulus length less 11 bytes)
 * @returns the ciphertext, the modulus length long
 * @example
 * ```ts
 * import { rsaEncryptPkcs1 } from "./key_exchange.ts";
 * const c = rsaEncryptPkcs1(Uint8Array.of(0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf1), Uint8Array.of(3), Uint8Array.of(7));
 * console.assert(c.length === 13);
 * ```
 */
export function rsaEncryptPkcs1(
  modulus: Uint8Array,
  exponent: Uint8Array,
  message: Uint8Array,
): Uint8Array {
  const n = toBigInt(modulus);
  const k = Math.ceil(n.toString(16).length / 2);
  if (message.length > k - 11) {
    throw new TlsprobeError("INTERNAL", "RSA PKCS#1 v1.5: the message is too long for the key");
  }
  // EM = 0x00 ‖ 0x02 ‖ PS (non-zero random) ‖ 0x00 ‖ M.
  const ps = new Uint8Array(k - message.length - 3);
  for (let i = 0; i < ps.length; i++) {
    let b = 0;
    while (b === 0) b = crypto.getRandomValues(new Uint8Array(1))[0];
    ps[i] = b;
  }
  const em = new Uint8Array(k);
  em[1] = 2;
  em.set(ps, 2);
  em.set(message, k - message.length);
  return fromBigInt(modPow(toBigInt(em), toBigInt(exponent), n), k);
}

/**
 * A big-endian unsigned integer.
 *
 * @param b the bytes
 * @returns the value
 */
export function toBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/**
 * Big-endian, left-padded to `len` bytes (RFC 8446 §4.2.8.1, §7.4.1).
 *
 * @param v the value
 * @param len the length
 * @returns the bytes
 */
export function fromBigInt(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function ffdheShare(group: number): ClientKeyShare {
  const f = FFDHE[group];
  const p = ffdhePrime(group);
  const len = f.bits / 8;
  const rnd = crypto.getRandomValues(new Uint8Array(Math.ceil(f.exponentBits / 8)));
  // A private exponent of exactly exponentBits bits.
  const x = (toBigInt(rnd) & ((1n << BigInt(f.exponentBits)) - 1n)) |
    (1n << BigInt(f.exponentBits - 1));
  return {
    group,
    publicValue: fromBigInt(modPow(2n, x, p), len),
    derive(serverValue: Uint8Array): Promise<Uint8Array> {
      if (serverValue.length !== len) {
        return Promise.reject(bad(group, `${serverValue.length} bytes, expected ${len}`));
      }
      const y = toBigInt(serverValue);
      // RFC 7919 §5.1: 1 < Y < p - 1.
      if (y <= 1n || y >= p - 1n) return Promise.reject(bad(group, "out of range"));
      return Promise.resolve(fromBigInt(modPow(y, x, p), len));
    },
  };
}

/** Groups for which this engine can make a key share. */
export const KEY_SHARE_GROUPS: readonly number[] = [
  ...Object.keys(CLASSIC).map(Number),
  ...Object.keys(KEM_GROUPS).map(Number),
  ...Object.keys(FFDHE).map(Number),
];

function bad(group: number, what: string): TlsprobeError {
  return new TlsprobeError(
    "PEER_MALFORMED",
    `The server's ${groupName(group)} key share is unusable: ${what}`,
    { field: "key_share.key_exchange" },
  );
}

async function classicShare(group: number): Promise<ClientKeyShare> {
  const c = CLASSIC[group];
  const kp = await subtle.generateKey(c.alg, true, ["deriveBits"]) as CryptoKeyPair;
  const publicValue = new Uint8Array(await subtle.exportKey("raw", kp.publicKey));
  return {
    group,
    publicValue,
    async derive(serverValue: Uint8Array): Promise<Uint8Array> {
      if (serverValue.length !== c.pubLen) {
        throw bad(group, `${serverValue.length} bytes, expected ${c.pubLen}`);
      }
      try {
        const peer = await subtle.importKey("raw", serverValue, c.alg, false, []);
        return new Uint8Array(
          await subtle.deriveBits({ name: c.alg.name, public: peer }, kp.privateKey, c.bits),
        );
      } catch (e) {
        throw bad(group, e instanceof Error ? e.message : String(e));
      }
    },
  };
}

async function kemShare(group: number): Promise<ClientKeyShare> {
  const g = KEM_GROUPS[group];
  const kp = await subtle.generateKey({ name: g.kem.name }, true, [
    "encapsulateBits",
    "decapsulateBits",
  ]) as CryptoKeyPair;
  const ek = new Uint8Array(await subtle.exportKey("raw-public", kp.publicKey));
  const classic = g.classic === undefined ? undefined : await classicShare(g.classic);
  const publicValue = !classic
    ? ek
    : g.kemFirst
    ? concat(ek, classic.publicValue)
    : concat(classic.publicValue, ek);
  return {
    group,
    publicValue,
    async derive(serverValue: Uint8Array): Promise<Uint8Array> {
      const cLen = classic ? CLASSIC[g.classic!].pubLen : 0;
      if (serverValue.length !== g.kem.ctLen + cLen) {
        throw bad(group, `${serverValue.length} bytes, expected ${g.kem.ctLen + cLen}`);
      }
      const ct = g.kemFirst ? serverValue.subarray(0, g.kem.ctLen) : serverValue.subarray(cLen);
      let ss: Uint8Array;
      try {
        ss = new Uint8Array(
          await subtle.decapsulateBits({ name: g.kem.name }, kp.privateKey, ct),
        );
      } catch (e) {
        throw bad(group, e instanceof Error ? e.message : String(e));
      }
      if (!classic) return ss;
      const cs = await classic.derive(
        g.kemFirst ? serverValue.subarray(g.kem.ctLen) : serverValue.subarray(0, cLen),
      );
      return g.kemFirst ? concat(ss, cs) : concat(cs, ss);
    },
  };
}

/**
 * Whether this engine can make a key share for a group.
 *
 * @param group the group code
 * @returns true when supported
 */
export function canShare(group: number): boolean {
  return group in CLASSIC || group in KEM_GROUPS || group in FFDHE;
}

/**
 * Makes a fresh key share for a group.
 *
 * @param group the group code
 * @returns the share
 * @throws TlsprobeError UNSUPPORTED for a group WebCrypto cannot do
 * @example
 * ```ts
 * import { makeKeyShare } from "./key_exchange.ts";
 * const share = await makeKeyShare(0x001d);
 * console.assert(share.publicValue.length === 32);
 * ```
 */
export async function makeKeyShare(group: number): Promise<ClientKeyShare> {
  if (group in CLASSIC) return await classicShare(group);
  if (group in KEM_GROUPS) return await kemShare(group);
  if (group in FFDHE) return ffdheShare(group);
  throw new TlsprobeError(
    "UNSUPPORTED",
    `Cannot make a key share for ${groupName(group)}: this engine supports ${
      KEY_SHARE_GROUPS.map(groupName).join(", ")
    }`,
  );
}
