/**
 * Client key shares for TLS 1.3 and their shared secrets, from WebCrypto:
 * X25519, X448, ECDH on P-256/384/521 (RFC 8446 §4.2.8.2: uncompressed
 * points), ML-KEM (FIPS 203) and the hybrids of draft-ietf-tls-ecdhe-mlkem
 * (X25519MLKEM768: ML-KEM first; SecP256r1MLKEM768 and SecP384r1MLKEM1024:
 * ECDH first).
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

/** Groups for which this engine can make a key share. */
export const KEY_SHARE_GROUPS: readonly number[] = [
  ...Object.keys(CLASSIC).map(Number),
  ...Object.keys(KEM_GROUPS).map(Number),
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
  return group in CLASSIC || group in KEM_GROUPS;
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
  throw new TlsprobeError(
    "UNSUPPORTED",
    `Cannot make a key share for ${groupName(group)}: this engine supports ${
      KEY_SHARE_GROUPS.map(groupName).join(", ")
    }`,
  );
}
