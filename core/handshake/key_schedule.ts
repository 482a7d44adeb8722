/**
 * The TLS 1.3 key schedule (RFC 8446 §7.1) and record protection (§5.2–5.3),
 * over WebCrypto HMAC, AES-GCM and ChaCha20-Poly1305, and AES-CCM made of
 * WebCrypto's AES-CBC and AES-CTR (`aes_ccm.ts`).
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { concat, Writer } from "../wire/codec.ts";
import { AesCcm } from "./aes_ccm.ts";

// deno-lint-ignore no-explicit-any
const subtle = crypto.subtle as any;

/** Hash and AEAD parameters of a TLS 1.3 suite. */
export interface Tls13Suite {
  /** Suite code. */
  code: number;
  /** WebCrypto hash name. */
  hash: "SHA-256" | "SHA-384";
  /** Hash length. */
  hashLen: number;
  /** AEAD name in WebCrypto. */
  aead: "AES-GCM" | "ChaCha20-Poly1305" | "AES-CCM";
  /** Key length. */
  keyLen: number;
  /** Tag length (16; TLS_AES_128_CCM_8_SHA256: 8). */
  tagLen?: number;
}

/** The TLS 1.3 suites this engine can run (RFC 8446 §B.4). */
export const TLS13_SUITES: Record<number, Tls13Suite> = {
  0x1301: { code: 0x1301, hash: "SHA-256", hashLen: 32, aead: "AES-GCM", keyLen: 16 },
  0x1302: { code: 0x1302, hash: "SHA-384", hashLen: 48, aead: "AES-GCM", keyLen: 32 },
  0x1303: { code: 0x1303, hash: "SHA-256", hashLen: 32, aead: "ChaCha20-Poly1305", keyLen: 32 },
  0x1304: { code: 0x1304, hash: "SHA-256", hashLen: 32, aead: "AES-CCM", keyLen: 16 },
  0x1305: { code: 0x1305, hash: "SHA-256", hashLen: 32, aead: "AES-CCM", keyLen: 16, tagLen: 8 },
};

/**
 * HMAC with the suite's hash.
 *
 * @param hash hash name
 * @param key the key
 * @param data the data
 * @returns the tag
 */
export async function hmac(hash: string, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  // TLS 1.3 never uses an empty HMAC key (an empty salt becomes hashLen zeros).
  const k = await subtle.importKey("raw", key, { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await subtle.sign("HMAC", k, data));
}

/**
 * A hash of data.
 *
 * @param hash hash name
 * @param data the data
 * @returns the digest
 */
export async function digest(hash: string, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle.digest(hash, data));
}

/**
 * HKDF-Extract (RFC 5869 §2.2); an empty salt means hashLen zeros.
 */
export function hkdfExtract(s: Tls13Suite, salt: Uint8Array, ikm: Uint8Array): Promise<Uint8Array> {
  return hmac(s.hash, salt.length ? salt : new Uint8Array(s.hashLen), ikm);
}

/** HKDF-Expand (RFC 5869 §2.3). */
export async function hkdfExpand(
  s: Tls13Suite,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  let t: Uint8Array = new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let have = 0;
  for (let i = 1; have < length; i++) {
    t = await hmac(s.hash, prk, concat(t, info, Uint8Array.of(i)));
    parts.push(t);
    have += t.length;
  }
  return concat(...parts).slice(0, length);
}

/** HKDF-Expand-Label (RFC 8446 §7.1). */
export function expandLabel(
  s: Tls13Suite,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const info = new Writer()
    .u16(length)
    .vec8(new TextEncoder().encode("tls13 " + label))
    .vec8(context)
    .finish();
  return hkdfExpand(s, secret, info, length);
}

/** Derive-Secret (RFC 8446 §7.1) over a transcript. */
export async function deriveSecret(
  s: Tls13Suite,
  secret: Uint8Array,
  label: string,
  transcript: Uint8Array,
): Promise<Uint8Array> {
  return expandLabel(s, secret, label, await digest(s.hash, transcript), s.hashLen);
}

/** The handshake traffic secrets. */
export interface HandshakeSecrets {
  /** handshake_secret. */
  handshakeSecret: Uint8Array;
  /** client_handshake_traffic_secret. */
  client: Uint8Array;
  /** server_handshake_traffic_secret. */
  server: Uint8Array;
}

/**
 * Runs the schedule from the (EC)DHE shared secret to the handshake traffic
 * secrets (RFC 8446 §7.1), with a resumption PSK when one was agreed.
 *
 * @param s the suite
 * @param shared the shared secret
 * @param transcript ClientHello..ServerHello
 * @param psk the PSK (psk_dhe_ke); absent: zeros
 * @returns the secrets
 */
export async function handshakeSecrets(
  s: Tls13Suite,
  shared: Uint8Array,
  transcript: Uint8Array,
  psk?: Uint8Array,
): Promise<HandshakeSecrets> {
  const early = await hkdfExtract(s, new Uint8Array(0), psk ?? new Uint8Array(s.hashLen));
  const derived = await deriveSecret(s, early, "derived", new Uint8Array(0));
  const handshakeSecret = await hkdfExtract(s, derived, shared);
  return {
    handshakeSecret,
    client: await deriveSecret(s, handshakeSecret, "c hs traffic", transcript),
    server: await deriveSecret(s, handshakeSecret, "s hs traffic", transcript),
  };
}

/**
 * The application traffic secrets (RFC 8446 §7.1).
 *
 * @param s the suite
 * @param handshakeSecret handshake_secret
 * @param transcript ClientHello..server Finished
 * @returns client and server secrets
 */
export async function applicationSecrets(
  s: Tls13Suite,
  handshakeSecret: Uint8Array,
  transcript: Uint8Array,
): Promise<{ client: Uint8Array; server: Uint8Array }> {
  const derived = await deriveSecret(s, handshakeSecret, "derived", new Uint8Array(0));
  const master = await hkdfExtract(s, derived, new Uint8Array(s.hashLen));
  return {
    client: await deriveSecret(s, master, "c ap traffic", transcript),
    server: await deriveSecret(s, master, "s ap traffic", transcript),
  };
}

/**
 * The resumption PSK of one NewSessionTicket (RFC 8446 §4.6.1, §7.1):
 * resumption_master_secret from the transcript up to the client Finished,
 * expanded with the ticket's nonce.
 *
 * @param s the suite
 * @param handshakeSecret handshake_secret
 * @param transcript ClientHello..client Finished
 * @param nonce the ticket's ticket_nonce
 * @returns the PSK
 */
export async function ticketPsk(
  s: Tls13Suite,
  handshakeSecret: Uint8Array,
  transcript: Uint8Array,
  nonce: Uint8Array,
): Promise<Uint8Array> {
  const derived = await deriveSecret(s, handshakeSecret, "derived", new Uint8Array(0));
  const master = await hkdfExtract(s, derived, new Uint8Array(s.hashLen));
  const resumption = await deriveSecret(s, master, "res master", transcript);
  return expandLabel(s, resumption, "resumption", nonce, s.hashLen);
}

/**
 * A resumption PSK's binder (RFC 8446 §4.2.11.2): the Finished MAC under
 * the binder key, over the ClientHello cut before its binders list.
 *
 * @param s the suite the PSK belongs to
 * @param psk the PSK
 * @param truncatedHello the ClientHello message (header included) without the binders list
 * @returns the binder
 */
export async function pskBinder(
  s: Tls13Suite,
  psk: Uint8Array,
  truncatedHello: Uint8Array,
): Promise<Uint8Array> {
  const early = await hkdfExtract(s, new Uint8Array(0), psk);
  const binderKey = await deriveSecret(s, early, "res binder", new Uint8Array(0));
  const key = await expandLabel(s, binderKey, "finished", new Uint8Array(0), s.hashLen);
  return hmac(s.hash, key, await digest(s.hash, truncatedHello));
}

/**
 * The Finished verify_data (RFC 8446 §4.4.4).
 *
 * @param s the suite
 * @param trafficSecret the sender's handshake traffic secret
 * @param transcript the transcript up to (not including) Finished
 * @returns verify_data
 */
export async function finishedData(
  s: Tls13Suite,
  trafficSecret: Uint8Array,
  transcript: Uint8Array,
): Promise<Uint8Array> {
  const key = await expandLabel(s, trafficSecret, "finished", new Uint8Array(0), s.hashLen);
  return hmac(s.hash, key, await digest(s.hash, transcript));
}

/** One direction of TLS 1.3 record protection. */
export class RecordProtection {
  readonly #s: Tls13Suite;
  readonly #key: CryptoKey | AesCcm;
  readonly #iv: Uint8Array;
  #seq = 0n;

  private constructor(s: Tls13Suite, key: CryptoKey | AesCcm, iv: Uint8Array) {
    this.#s = s;
    this.#key = key;
    this.#iv = iv;
  }

  /**
   * Derives key and IV from a traffic secret (RFC 8446 §7.3).
   *
   * @param s the suite
   * @param secret the traffic secret
   * @returns the protection state
   */
  static async create(s: Tls13Suite, secret: Uint8Array): Promise<RecordProtection> {
    const raw = await expandLabel(s, secret, "key", new Uint8Array(0), s.keyLen);
    const iv = await expandLabel(s, secret, "iv", new Uint8Array(0), 12);
    if (s.aead === "AES-CCM") {
      return new RecordProtection(s, await AesCcm.create(raw, s.tagLen ?? 16), iv);
    }
    // ChaCha20-Poly1305 in WebCrypto takes only the "raw-secret" format.
    const format = s.aead === "AES-GCM" ? "raw" : "raw-secret";
    const key = await subtle.importKey(format, raw, { name: s.aead }, false, [
      "encrypt",
      "decrypt",
    ]);
    return new RecordProtection(s, key, iv);
  }

  #nonce(): Uint8Array {
    const n = this.#iv.slice();
    let q = this.#seq;
    for (let i = 11; i >= 4; i--) {
      n[i] ^= Number(q & 0xffn);
      q >>= 8n;
    }
    this.#seq++;
    return n;
  }

  /**
   * Decrypts a TLS 1.3 record (RFC 8446 §5.2): returns the inner content type
   * and content with padding removed.
   *
   * @throws TlsprobeError PEER_MALFORMED when authentication fails or there is no content type
   */
  async open(
    header: Uint8Array,
    fragment: Uint8Array,
  ): Promise<{ type: number; data: Uint8Array }> {
    let pt: Uint8Array;
    try {
      if (this.#key instanceof AesCcm) {
        const opened = await this.#key.open(this.#nonce(), header, fragment);
        if (!opened) throw new Error("tag");
        pt = opened;
      } else {
        pt = new Uint8Array(
          await subtle.decrypt(
            { name: this.#s.aead, iv: this.#nonce(), additionalData: header, tagLength: 128 },
            this.#key,
            fragment,
          ),
        );
      }
    } catch {
      throw new TlsprobeError(
        "PEER_MALFORMED",
        "A protected record failed authentication (bad_record_mac): the server's keys differ from ours",
        { field: "record.encrypted" },
      );
    }
    let end = pt.length - 1;
    while (end >= 0 && pt[end] === 0) end--;
    if (end < 0) {
      throw new TlsprobeError("PEER_MALFORMED", "Protected record without a content type", {
        field: "TLSInnerPlaintext",
      });
    }
    return { type: pt[end], data: pt.subarray(0, end) };
  }

  /**
   * Encrypts content into a TLS 1.3 record.
   *
   * @param type the inner content type
   * @param data the content
   * @returns the record bytes
   */
  async seal(type: number, data: Uint8Array): Promise<Uint8Array> {
    const inner = concat(data, Uint8Array.of(type));
    const header = new Writer().u8(23).u16(0x0303).u16(inner.length + (this.#s.tagLen ?? 16))
      .finish();
    if (this.#key instanceof AesCcm) {
      return concat(header, await this.#key.seal(this.#nonce(), header, inner));
    }
    const ct = new Uint8Array(
      await subtle.encrypt(
        { name: this.#s.aead, iv: this.#nonce(), additionalData: header, tagLength: 128 },
        this.#key,
        inner,
      ),
    );
    return concat(header, ct);
  }
}
