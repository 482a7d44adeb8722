/**
 * The lab server's private keys: import from PKCS#8, the signature schemes
 * each key can make (RFC 8446 §4.2.3, RFC 5246 §7.4.1.4.1), signing (WebCrypto
 * for RSA-PSS, RSASSA-PKCS1-v1_5, ECDSA and Ed25519; TLS 1.0/1.1's
 * MD5 ‖ SHA-1 RSA signature and RSA key-exchange decryption with BigInt
 * arithmetic, which WebCrypto lacks).
 *
 * Not constant-time: this is a test server and keeps no secrets worth a
 * side-channel attack.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { concat } from "../wire/codec.ts";
import { TLS1_2, TLS1_3 } from "../registry/versions.ts";
import { fromBigInt, modPow, toBigInt } from "./key_exchange.ts";
import { digest } from "./key_schedule.ts";
import { md5Digest } from "./prf.ts";

// deno-lint-ignore no-explicit-any
const subtle = crypto.subtle as any;

/** RSA private key components (RFC 8017 §3.2, the CRT form). */
export interface RsaPrivate {
  /** Modulus. */
  n: bigint;
  /** Private exponent. */
  d: bigint;
  /** First prime. */
  p: bigint;
  /** Second prime. */
  q: bigint;
  /** d mod (p-1). */
  dp: bigint;
  /** d mod (q-1). */
  dq: bigint;
  /** q^-1 mod p. */
  qi: bigint;
  /** Modulus length in bytes. */
  k: number;
}

/** A server's private key, ready to sign and (RSA) decrypt. */
export interface ServerKey {
  /** `rsa`, `ecdsa` or `ed25519`. */
  type: "rsa" | "ecdsa" | "ed25519";
  /** ECDSA curve. */
  curve?: "P-256" | "P-384" | "P-521";
  /** Key size in bits (RSA modulus, curve size). */
  bits: number;
  /** The PKCS#8 DER (WebCrypto imports it per signature algorithm). */
  readonly pkcs8: Uint8Array;
  /** RSA: the private components, for the BigInt operations. */
  readonly rsa?: RsaPrivate;
}

function b64u(s: string): bigint {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  let v = 0n;
  for (let i = 0; i < bin.length; i++) v = (v << 8n) | BigInt(bin.charCodeAt(i));
  return v;
}

/**
 * Imports a PKCS#8 private key: RSA, ECDSA P-256/384/521 or Ed25519.
 *
 * @param pkcs8 the DER
 * @returns the key
 * @throws TlsprobeError BAD_INPUT when WebCrypto takes it as none of those
 */
export async function importServerKey(pkcs8: Uint8Array): Promise<ServerKey> {
  try {
    const k = await subtle.importKey(
      "pkcs8",
      pkcs8,
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      true,
      ["sign"],
    );
    const j = await subtle.exportKey("jwk", k);
    const n = b64u(j.n);
    const rsa: RsaPrivate = {
      n,
      d: b64u(j.d),
      p: b64u(j.p),
      q: b64u(j.q),
      dp: b64u(j.dp),
      dq: b64u(j.dq),
      qi: b64u(j.qi),
      k: Math.ceil(n.toString(16).length / 2),
    };
    return { type: "rsa", bits: n.toString(2).length, pkcs8, rsa };
  } catch { /* not RSA */ }
  for (const [curve, bits] of [["P-256", 256], ["P-384", 384], ["P-521", 521]] as const) {
    try {
      await subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: curve }, false, [
        "sign",
      ]);
      return { type: "ecdsa", curve, bits, pkcs8 };
    } catch { /* another curve */ }
  }
  try {
    await subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
    return { type: "ed25519", bits: 256, pkcs8 };
  } catch { /* nothing */ }
  throw new TlsprobeError(
    "BAD_INPUT",
    "The private key is not an RSA, ECDSA (P-256/384/521) or Ed25519 PKCS#8 key",
  );
}

/** Scheme → how WebCrypto makes it. */
const SCHEMES: Record<number, { type: ServerKey["type"]; alg: string; hash?: string }> = {
  0x0804: { type: "rsa", alg: "RSA-PSS", hash: "SHA-256" },
  0x0805: { type: "rsa", alg: "RSA-PSS", hash: "SHA-384" },
  0x0806: { type: "rsa", alg: "RSA-PSS", hash: "SHA-512" },
  0x0401: { type: "rsa", alg: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  0x0501: { type: "rsa", alg: "RSASSA-PKCS1-v1_5", hash: "SHA-384" },
  0x0601: { type: "rsa", alg: "RSASSA-PKCS1-v1_5", hash: "SHA-512" },
  0x0201: { type: "rsa", alg: "RSASSA-PKCS1-v1_5", hash: "SHA-1" },
  0x0403: { type: "ecdsa", alg: "ECDSA", hash: "SHA-256" },
  0x0503: { type: "ecdsa", alg: "ECDSA", hash: "SHA-384" },
  0x0603: { type: "ecdsa", alg: "ECDSA", hash: "SHA-512" },
  0x0203: { type: "ecdsa", alg: "ECDSA", hash: "SHA-1" },
  0x0807: { type: "ed25519", alg: "Ed25519" },
};

const CURVE_SCHEME: Record<string, number> = { "P-256": 0x0403, "P-384": 0x0503, "P-521": 0x0603 };

/**
 * The scheme to sign with: the first of ours the client offered. TLS 1.3
 * binds ECDSA to the key's curve and RSA to PSS (RFC 8446 §4.2.3). A TLS 1.2
 * client that sent no signature_algorithms gets SHA-1 with the key's type
 * (RFC 5246 §7.4.1.4.1).
 *
 * @param key the key
 * @param version the negotiated version (TLS 1.2 or 1.3; earlier versions have no scheme)
 * @param offered the client's signature_algorithms, if it sent them
 * @returns the scheme, or undefined when none fits
 */
export function chooseScheme(
  key: ServerKey,
  version: number,
  offered: number[] | undefined,
): number | undefined {
  const ours = key.type === "rsa"
    ? version >= TLS1_3
      ? [0x0804, 0x0805, 0x0806]
      : [0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201]
    : key.type === "ed25519"
    ? [0x0807]
    : version >= TLS1_3
    ? [CURVE_SCHEME[key.curve!]]
    : [CURVE_SCHEME[key.curve!], 0x0403, 0x0503, 0x0603, 0x0203];
  if (!offered) {
    if (version >= TLS1_3) return undefined;
    return key.type === "rsa" ? 0x0201 : key.type === "ecdsa" ? 0x0203 : undefined;
  }
  return ours.find((s) => offered.includes(s));
}

/** WebCrypto's raw r ‖ s ECDSA signature as the DER Ecdsa-Sig-Value TLS carries (RFC 8422 §5.4). */
function ecdsaDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return v[0] & 0x80 ? concat(Uint8Array.of(0x02, v.length + 1, 0), v) : concat(
      Uint8Array.of(0x02, v.length),
      v,
    );
  };
  const body = concat(int(raw.subarray(0, half)), int(raw.subarray(half)));
  const len = body.length < 128 ? Uint8Array.of(body.length) : Uint8Array.of(0x81, body.length);
  return concat(Uint8Array.of(0x30), len, body);
}

function rsaPrivateOp(r: RsaPrivate, c: bigint): bigint {
  // RFC 8017 §5.1.2, the CRT form.
  const m1 = modPow(c, r.dp, r.p);
  const m2 = modPow(c, r.dq, r.q);
  const h = (((m1 - m2) % r.p + r.p) * r.qi) % r.p;
  return m2 + h * r.q;
}

/**
 * Signs handshake data. With a scheme (TLS 1.2/1.3) as the scheme says;
 * without one (TLS 1.0/1.1) RSA signs MD5 ‖ SHA-1 with PKCS#1 v1.5 type 1
 * padding and no DigestInfo (RFC 2246 §7.4.3), ECDSA signs SHA-1 (RFC 4492 §5.4).
 *
 * @param key the key
 * @param scheme the scheme, or undefined before TLS 1.2
 * @param data what is signed
 * @returns the signature as TLS carries it
 */
export async function signWith(
  key: ServerKey,
  scheme: number | undefined,
  data: Uint8Array,
): Promise<Uint8Array> {
  if (scheme === undefined) {
    if (key.type === "rsa") {
      const t = concat(await md5Digest(data), await digest("SHA-1", data));
      const r = key.rsa!;
      const em = new Uint8Array(r.k).fill(0xff);
      em[0] = 0;
      em[1] = 1;
      em[r.k - t.length - 1] = 0;
      em.set(t, r.k - t.length);
      return fromBigInt(rsaPrivateOp(r, toBigInt(em)), r.k);
    }
    scheme = 0x0203;
  }
  const s = SCHEMES[scheme];
  const alg = s.alg === "ECDSA"
    ? { name: "ECDSA", namedCurve: key.curve }
    : s.hash
    ? { name: s.alg, hash: s.hash }
    : { name: s.alg };
  const k = await subtle.importKey("pkcs8", key.pkcs8, alg, false, ["sign"]);
  const params = s.alg === "RSA-PSS"
    ? { name: "RSA-PSS", saltLength: { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 }[s.hash!] }
    : s.alg === "ECDSA"
    ? { name: "ECDSA", hash: s.hash }
    : { name: s.alg };
  const sig = new Uint8Array(await subtle.sign(params, k, data));
  return s.alg === "ECDSA" ? ecdsaDer(sig) : sig;
}

/**
 * RSA key exchange: decrypts the EncryptedPreMasterSecret (PKCS#1 v1.5,
 * RFC 5246 §7.4.7.1). A bad padding, length or version gives a random
 * premaster instead of an error (the Bleichenbacher countermeasure: the
 * handshake then fails at Finished, not here). Not constant-time.
 *
 * @param key the RSA key
 * @param encrypted the ciphertext
 * @param clientVersion the ClientHello's legacy_version
 * @returns the 48-byte premaster secret
 */
export function rsaDecryptPremaster(
  key: ServerKey,
  encrypted: Uint8Array,
  clientVersion: number,
): Uint8Array {
  const r = key.rsa!;
  const fallback = crypto.getRandomValues(new Uint8Array(48));
  fallback[0] = clientVersion >> 8;
  fallback[1] = clientVersion & 0xff;
  const c = toBigInt(encrypted);
  if (encrypted.length !== r.k || c >= r.n) return fallback;
  const em = fromBigInt(rsaPrivateOp(r, c), r.k);
  const sep = em.indexOf(0, 2);
  if (em[0] !== 0 || em[1] !== 2 || sep < 10 || r.k - sep - 1 !== 48) return fallback;
  const pms = em.slice(sep + 1);
  if (pms[0] !== clientVersion >> 8 || pms[1] !== (clientVersion & 0xff)) return fallback;
  return pms;
}

/** Whether a version signs with a scheme (TLS 1.2 and later). */
export function hasSchemes(version: number): boolean {
  return version >= TLS1_2;
}
