/**
 * TLS 1.0–1.2 record protection, one direction each: AES-GCM (RFC 5288: a
 * 4-byte implicit salt and an 8-byte explicit nonce; AES-CCM the same way,
 * RFC 6655, with a 16- or 8-byte tag, from `aes_ccm.ts`), ChaCha20-Poly1305
 * (RFC 7905: the IV XOR the sequence number), AES-CBC with HMAC
 * (MAC-then-encrypt, RFC 5246 §6.2.3.2: TLS 1.0 chains the IV from the last
 * ciphertext block, TLS 1.1+ sends an explicit IV), 3DES-CBC the same way
 * with 8-byte blocks (the cipher itself supplied by the caller: WebCrypto
 * has none, `core/net/` passes node:crypto's), RC4 (a stream across the
 * records, `rc4.ts`) and NULL (HMAC only); HMAC-MD5 for the `_MD5` suites.
 *
 * WebCrypto's AES-CBC always adds PKCS#7 padding, which TLS's padding is
 * not; so encryption pads the TLS way to whole blocks and drops the extra
 * block WebCrypto appends, and decryption appends a block that decrypts to
 * a full PKCS#7 pad. Padding and MAC checks are not constant-time (a test
 * server: Lucky13-style timing is not defended against).
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { concat, Writer } from "../wire/codec.ts";
import { TLS1_1 } from "../registry/versions.ts";
import { hmac } from "./key_schedule.ts";
import { hmacMd5 } from "./prf.ts";
import { Rc4 } from "./rc4.ts";
import { AesCcm } from "./aes_ccm.ts";
import { CAMELLIA_CBC } from "./camellia.ts";
import { Gcm } from "./gcm.ts";
import type { LegacySuite } from "./server_suites.ts";

// deno-lint-ignore no-explicit-any
const subtle = crypto.subtle as any;

/**
 * A CBC block cipher without padding, from outside the pure core (3DES:
 * node:crypto, passed in by `core/net/lab_server.ts`).
 */
export interface CbcCipher {
  /** Block size in bytes. */
  blockSize: number;
  /**
   * Encrypts whole blocks.
   *
   * @param key the key
   * @param iv the IV
   * @param data a multiple of the block size
   * @returns the ciphertext, as long as `data`
   */
  encrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /**
   * Decrypts whole blocks.
   *
   * @param key the key
   * @param iv the IV
   * @param data a multiple of the block size
   * @returns the plaintext, as long as `data`
   */
  decrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}

/** The keys of one direction, cut from the key block (RFC 5246 §6.3). */
export interface DirectionKeys {
  /** The MAC key (empty for AEAD). */
  macKey: Uint8Array;
  /** The cipher key (empty for NULL). */
  key: Uint8Array;
  /** The IV: the AEAD salt or nonce base, or TLS 1.0's first CBC IV. */
  iv: Uint8Array;
}

/**
 * The lengths of MAC key, key and IV for a suite (RFC 5246 §6.3, RFC 5288 §3,
 * RFC 7905 §2).
 *
 * @param s the suite
 * @returns the lengths
 */
export function keyBlockLengths(s: LegacySuite): { mac: number; key: number; iv: number } {
  return { mac: MAC_LENGTH[s.mac], key: s.keyLen, iv: FIXED_IV_LENGTH[s.cipher] };
}

/** MAC key (and tag) length of each MAC, in bytes; AEAD suites have none. */
const MAC_LENGTH: Record<LegacySuite["mac"], number> = {
  AEAD: 0,
  MD5: 16,
  "SHA-1": 20,
  "SHA-256": 32,
  "SHA-384": 48,
};

/**
 * The IV taken from the key block, per bulk cipher: the AEAD salt (4 bytes
 * for GCM and CCM, 12 for ChaCha20-Poly1305), the CBC block (the TLS 1.0
 * implicit IV), none for stream ciphers.
 */
const FIXED_IV_LENGTH: Record<LegacySuite["cipher"], number> = {
  "AES-GCM": 4,
  "AES-CCM": 4,
  "ChaCha20-Poly1305": 12,
  "AES-CBC": 16,
  "3DES-CBC": 8,
  "Camellia-CBC": 16,
  "Camellia-GCM": 4,
  RC4: 0,
  NULL: 0,
};

function badMac(): TlsprobeError {
  return new TlsprobeError(
    "PEER_MALFORMED",
    "A protected record failed its MAC or padding check (bad_record_mac)",
    { field: "record.encrypted", sendAlert: 20 },
  );
}

function seqBytes(seq: bigint): Uint8Array {
  const b = new Uint8Array(8);
  let q = seq;
  for (let i = 7; i >= 0; i--) {
    b[i] = Number(q & 0xffn);
    q >>= 8n;
  }
  return b;
}

/** One direction of TLS 1.0–1.2 record protection. */
export class LegacyProtection {
  readonly #s: LegacySuite;
  readonly #version: number;
  readonly #k: DirectionKeys;
  #key?: CryptoKey;
  /** AES-CCM or Camellia-GCM (`#aead`), made on the first record. */
  #saltedAead?: AesCcm | Gcm;
  #rc4?: Rc4;
  readonly #tripleDes?: CbcCipher;
  #iv: Uint8Array;
  #seq = 0n;

  /**
   * Makes one direction's protection.
   *
   * @param s the suite
   * @param version the negotiated version
   * @param keys this direction's keys
   * @param tripleDes the 3DES-CBC cipher, for 3DES suites
   */
  constructor(s: LegacySuite, version: number, keys: DirectionKeys, tripleDes?: CbcCipher) {
    this.#tripleDes = tripleDes;
    this.#s = s;
    this.#version = version;
    this.#k = keys;
    this.#iv = keys.iv;
  }

  async #cryptoKey(): Promise<CryptoKey> {
    if (!this.#key) {
      const c = this.#s.cipher;
      const name = c === "AES-CBC" ? "AES-CBC" : c;
      this.#key = await subtle.importKey(
        c === "ChaCha20-Poly1305" ? "raw-secret" : "raw",
        this.#k.key,
        { name },
        false,
        ["encrypt", "decrypt"],
      );
    }
    return this.#key!;
  }

  #aad(seq: Uint8Array, type: number, length: number): Uint8Array {
    return new Writer().bytes(seq).u8(type).u16(this.#version).u16(length).finish();
  }

  #mac(seq: Uint8Array, type: number, data: Uint8Array): Promise<Uint8Array> {
    const input = concat(this.#aad(seq, type, data.length), data);
    return this.#s.mac === "MD5"
      ? hmacMd5(this.#k.macKey, input)
      : hmac(this.#s.mac, this.#k.macKey, input);
  }

  /**
   * The AEADs not in WebCrypto, both with RFC 5288's nonce (the 4-byte salt,
   * then the explicit 8 bytes sent in the record): AES-CCM and Camellia-GCM.
   */
  #aead(): Promise<AesCcm | Gcm> {
    return this.#s.cipher === "Camellia-GCM"
      ? Promise.resolve(Gcm.camellia(this.#k.key))
      : AesCcm.create(this.#k.key, this.#s.tagLen ?? 16);
  }

  #blockSize(): number {
    return this.#s.cipher === "3DES-CBC" ? 8 : 16;
  }

  #des(): CbcCipher {
    if (!this.#tripleDes) {
      throw new TlsprobeError("INTERNAL", "3DES-CBC needs the runtime's cipher (none was given)");
    }
    return this.#tripleDes;
  }

  /**
   * CBC without padding: WebCrypto's AES-CBC (dropping its PKCS#7 block), the given 3DES, or
   * Camellia (`camellia.ts`).
   */
  async #cbcEncrypt(iv: Uint8Array, pt: Uint8Array): Promise<Uint8Array> {
    if (this.#s.cipher === "3DES-CBC") return this.#des().encrypt(this.#k.key, iv, pt);
    if (this.#s.cipher === "Camellia-CBC") return CAMELLIA_CBC.encrypt(this.#k.key, iv, pt);
    return new Uint8Array(
      await subtle.encrypt({ name: "AES-CBC", iv }, await this.#cryptoKey(), pt),
    ).subarray(0, pt.length);
  }

  async #cbcDecrypt(iv: Uint8Array, ct: Uint8Array): Promise<Uint8Array> {
    if (this.#s.cipher === "3DES-CBC") return this.#des().decrypt(this.#k.key, iv, ct);
    if (this.#s.cipher === "Camellia-CBC") return CAMELLIA_CBC.decrypt(this.#k.key, iv, ct);
    const key = await this.#cryptoKey();
    // A block that decrypts (after XOR with the last block) to sixteen 0x10 bytes.
    const last = ct.subarray(ct.length - 16);
    const tail = new Uint8Array(
      await subtle.encrypt({ name: "AES-CBC", iv: last }, key, new Uint8Array(16).fill(16)),
    ).subarray(0, 16);
    return new Uint8Array(
      await subtle.decrypt({ name: "AES-CBC", iv }, key, concat(ct, tail)),
    ).subarray(0, ct.length);
  }

  #nonce(seq: Uint8Array): Uint8Array {
    const n = this.#iv.slice();
    for (let i = 0; i < 8; i++) n[4 + i] ^= seq[i];
    return n;
  }

  /**
   * Protects one record's content.
   *
   * @param type the content type
   * @param data the plaintext (at most 2^14 bytes)
   * @returns the whole record
   */
  async seal(type: number, data: Uint8Array): Promise<Uint8Array> {
    const seq = seqBytes(this.#seq++);
    let fragment: Uint8Array;
    const c = this.#s.cipher;
    if (c === "AES-CCM" || c === "Camellia-GCM") {
      this.#saltedAead ??= await this.#aead();
      const aad = this.#aad(seq, type, data.length);
      fragment = concat(seq, await this.#saltedAead.seal(concat(this.#iv, seq), aad, data));
    } else if (c === "AES-GCM") {
      const explicit = seq;
      const ct = new Uint8Array(
        await subtle.encrypt(
          {
            name: c,
            iv: concat(this.#iv, explicit),
            additionalData: this.#aad(seq, type, data.length),
            tagLength: 128,
          },
          await this.#cryptoKey(),
          data,
        ),
      );
      fragment = concat(explicit, ct);
    } else if (c === "ChaCha20-Poly1305") {
      fragment = new Uint8Array(
        await subtle.encrypt(
          { name: c, iv: this.#nonce(seq), additionalData: this.#aad(seq, type, data.length) },
          await this.#cryptoKey(),
          data,
        ),
      );
    } else {
      const mac = await this.#mac(seq, type, data);
      if (c === "NULL") fragment = concat(data, mac);
      else if (c === "RC4") {
        this.#rc4 ??= new Rc4(this.#k.key);
        fragment = this.#rc4.apply(concat(data, mac));
      } else {
        const B = this.#blockSize();
        const body = data.length + mac.length;
        const pad = B - 1 - (body % B);
        const pt = concat(data, mac, new Uint8Array(pad + 1).fill(pad));
        const explicit = this.#version >= TLS1_1;
        const iv = explicit ? crypto.getRandomValues(new Uint8Array(B)) : this.#iv;
        const ct = await this.#cbcEncrypt(iv, pt);
        if (!explicit) this.#iv = ct.slice(ct.length - B);
        fragment = explicit ? concat(iv, ct) : ct;
      }
    }
    return new Writer().u8(type).u16(this.#version).vec16(fragment).finish();
  }

  /**
   * Removes one record's protection.
   *
   * @param type the record's content type
   * @param fragment the record's fragment
   * @returns the plaintext
   * @throws TlsprobeError PEER_MALFORMED (detail.sendAlert 20, bad_record_mac)
   */
  async open(type: number, fragment: Uint8Array): Promise<Uint8Array> {
    const seq = seqBytes(this.#seq++);
    const c = this.#s.cipher;
    if (c === "AES-CCM" || c === "Camellia-GCM") {
      this.#saltedAead ??= await this.#aead();
      const tag = this.#saltedAead.tagLength;
      if (fragment.length < 8 + tag) throw badMac();
      const aad = this.#aad(seq, type, fragment.length - 8 - tag);
      const pt = await this.#saltedAead.open(
        concat(this.#iv, fragment.subarray(0, 8)),
        aad,
        fragment.subarray(8),
      );
      if (!pt) throw badMac();
      return pt;
    }
    if (c === "AES-GCM") {
      if (fragment.length < 24) throw badMac();
      const len = fragment.length - 24;
      try {
        return new Uint8Array(
          await subtle.decrypt(
            {
              name: c,
              iv: concat(this.#iv, fragment.subarray(0, 8)),
              additionalData: this.#aad(seq, type, len),
              tagLength: 128,
            },
            await this.#cryptoKey(),
            fragment.subarray(8),
          ),
        );
      } catch {
        throw badMac();
      }
    }
    if (c === "ChaCha20-Poly1305") {
      if (fragment.length < 16) throw badMac();
      try {
        return new Uint8Array(
          await subtle.decrypt(
            {
              name: c,
              iv: this.#nonce(seq),
              additionalData: this.#aad(seq, type, fragment.length - 16),
            },
            await this.#cryptoKey(),
            fragment,
          ),
        );
      } catch {
        throw badMac();
      }
    }
    const macLen = this.#k.macKey.length;
    let pt: Uint8Array;
    if (c === "NULL") pt = fragment;
    else if (c === "RC4") {
      this.#rc4 ??= new Rc4(this.#k.key);
      pt = this.#rc4.apply(fragment);
    } else {
      const B = this.#blockSize();
      const explicit = this.#version >= TLS1_1;
      const min = (explicit ? B : 0) + Math.ceil((macLen + 1) / B) * B;
      if (fragment.length < min || fragment.length % B) throw badMac();
      const iv = explicit ? fragment.subarray(0, B) : this.#iv;
      const ct = explicit ? fragment.subarray(B) : fragment;
      const last = ct.subarray(ct.length - B);
      pt = await this.#cbcDecrypt(iv, ct);
      if (!explicit) this.#iv = last.slice();
      const pad = pt[pt.length - 1];
      if (pad + 1 + macLen > pt.length) throw badMac();
      for (let i = pt.length - 1 - pad; i < pt.length; i++) if (pt[i] !== pad) throw badMac();
      pt = pt.subarray(0, pt.length - 1 - pad);
    }
    if (pt.length < macLen) throw badMac();
    const data = pt.subarray(0, pt.length - macLen);
    const mac = await this.#mac(seq, type, data);
    const got = pt.subarray(pt.length - macLen);
    let diff = 0;
    for (let i = 0; i < macLen; i++) diff |= mac[i] ^ got[i];
    if (diff) throw badMac();
    return data.slice();
  }
}
