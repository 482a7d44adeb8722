/**
 * A strict DER reader (ITU-T X.690, section 10): definite lengths in their
 * shortest form, bounded sub-readers, byte offsets in every error. It frames
 * certificates and reads every structure the decoder needs (names, key usage
 * bits, SCT lists here; the structured extension values in `extensions.ts`).
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";

/** One DER element: its tag, where its value starts and ends, and the whole encoding. */
export interface Tlv {
  /** The identifier octet (tags above 30 are rejected: X.509 never uses them). */
  tag: number;
  /** Offset of the identifier octet in the outermost buffer. */
  start: number;
  /** Offset of the first value octet in the outermost buffer. */
  valueStart: number;
  /** Offset just past the value in the outermost buffer. */
  end: number;
  /** The value octets. */
  value: Uint8Array;
  /** The whole encoding (identifier, length, value). */
  raw: Uint8Array;
  /** Set when read leniently: readers inside it are lenient too (see {@link BerSink}). */
  ber?: BerSink;
}

/**
 * Where a lenient reader reports the BER forms it accepted (X.690 section 8:
 * a length not in its shortest form, an indefinite length), which DER
 * (section 10) forbids and OpenSSL still reads. Only the display decoder
 * reads leniently; the strict one refuses these forms.
 */
export type BerSink = (what: string, offset: number) => void;

/** How deep indefinite-length elements may nest in a lenient read. */
const MAX_INDEFINITE_DEPTH = 32;

/** DER universal tags used here. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Throws the decoder's error: `CERT_INVALID` with the offset and field. */
export function derError(message: string, offset: number, field?: string): never {
  throw new TlsprobeError("CERT_INVALID", message, field ? { offset, field } : { offset });
}

/**
 * A cursor over DER bytes. `base` is the offset of `bytes` in the outermost
 * buffer, so nested readers report absolute offsets.
 */
export class DerReader {
  #bytes: Uint8Array;
  #pos = 0;
  #base: number;
  #field: string;
  #ber?: BerSink;
  #depth: number;

  /**
   * Makes a reader over `bytes`.
   *
   * @param bytes the bytes to read
   * @param base offset of `bytes` in the outermost buffer
   * @param field what is being read, for error messages
   * @param ber accept BER lengths (non-shortest, indefinite) and report them here
   * @param depth nesting of indefinite lengths so far (internal)
   */
  constructor(bytes: Uint8Array, base = 0, field = "certificate", ber?: BerSink, depth = 0) {
    this.#bytes = bytes;
    this.#base = base;
    this.#field = field;
    this.#ber = ber;
    this.#depth = depth;
  }

  /** Whether every byte has been read. */
  get done(): boolean {
    return this.#pos >= this.#bytes.length;
  }

  /** The absolute offset of the next byte. */
  get offset(): number {
    return this.#base + this.#pos;
  }

  /** The tag of the next element, or -1 at the end. */
  peekTag(): number {
    return this.done ? -1 : this.#bytes[this.#pos];
  }

  /** Reads one element of any tag. */
  any(): Tlv {
    const b = this.#bytes;
    const start = this.#pos;
    if (start >= b.length) {
      derError(`Cannot read ${this.#field}: element missing`, this.offset, this.#field);
    }
    const tag = b[start];
    if ((tag & 0x1f) === 0x1f) {
      derError(
        `Cannot read ${this.#field}: high tag numbers are not used in X.509`,
        this.offset,
        this.#field,
      );
    }
    if (start + 1 >= b.length) {
      derError(`Cannot read ${this.#field}: length missing`, this.#base + start + 1, this.#field);
    }
    let len = b[start + 1];
    let p = start + 2;
    if (len === 0x80) {
      if (this.#ber && (tag & 0x20) && this.#depth < MAX_INDEFINITE_DEPTH) {
        return this.#indefinite(tag, start, p);
      }
      derError(
        `Cannot read ${this.#field}: indefinite length is not DER`,
        this.#base + start + 1,
        this.#field,
      );
    }
    if (len > 0x80) {
      const n = len & 0x7f;
      if (n > 4) {
        derError(
          `Cannot read ${this.#field}: length of ${n} octets is too long`,
          this.#base + start + 1,
          this.#field,
        );
      }
      if (p + n > b.length) {
        derError(`Cannot read ${this.#field}: length truncated`, this.#base + p, this.#field);
      }
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p + i];
      if (b[p] === 0 || len < 0x80) {
        if (!this.#ber) {
          derError(
            `Cannot read ${this.#field}: length not in shortest form`,
            this.#base + p,
            this.#field,
          );
        }
        this.#ber(`${this.#field}: length not in shortest form`, this.#base + p);
      }
      p += n;
    }
    if (p + len > b.length) {
      derError(
        `Cannot read ${this.#field}: element of ${len} bytes overruns its container (${
          b.length - p
        } left)`,
        this.#base + start,
        this.#field,
      );
    }
    this.#pos = p + len;
    return this.#tlv(tag, start, p, len, 0);
  }

  /** The element at `start` whose value is `len` bytes at `p`, followed by `trailer` bytes. */
  #tlv(tag: number, start: number, p: number, len: number, trailer: number): Tlv {
    const b = this.#bytes;
    return {
      tag,
      start: this.#base + start,
      valueStart: this.#base + p,
      end: this.#base + p + len,
      value: b.subarray(p, p + len),
      raw: b.subarray(start, p + len + trailer),
      ...(this.#ber ? { ber: this.#ber } : {}),
    };
  }

  /** A constructed element of indefinite length: its elements up to the end-of-contents octets. */
  #indefinite(tag: number, start: number, p: number): Tlv {
    const b = this.#bytes;
    const inner = new DerReader(
      b.subarray(p),
      this.#base + p,
      this.#field,
      this.#ber,
      this.#depth + 1,
    );
    while (!(b[p + inner.#pos] === 0 && b[p + inner.#pos + 1] === 0)) {
      if (p + inner.#pos + 1 >= b.length) {
        derError(
          `Cannot read ${this.#field}: indefinite length without end-of-contents`,
          this.#base + start,
          this.#field,
        );
      }
      inner.any();
    }
    const len = inner.#pos;
    this.#ber!(`${this.#field}: indefinite length`, this.#base + start + 1);
    this.#pos = p + len + 2;
    return this.#tlv(tag, start, p, len, 2);
  }

  /** Reads one element and checks its tag. */
  expect(tag: number, what: string): Tlv {
    const at = this.offset;
    const t = this.peekTag();
    if (t !== tag) {
      derError(
        t < 0
          ? `Cannot read ${what}: missing`
          : `Cannot read ${what}: expected tag 0x${hex2(tag)}, found 0x${hex2(t)}`,
        at,
        what,
      );
    }
    return this.any();
  }

  /** Reads an element if the next tag is `tag`. */
  optional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.any() : undefined;
  }

  /** A reader over the value of a constructed element. */
  static inside(tlv: Tlv, field: string): DerReader {
    return new DerReader(tlv.value, tlv.valueStart, field, tlv.ber);
  }

  /** Fails if bytes remain. */
  expectEmpty(what: string): void {
    if (!this.done) derError(`Cannot read ${what}: trailing data`, this.offset, what);
  }
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** Upper-case hex with colons, as `openssl x509 -fingerprint` prints it. */
export function toColonHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => hex2(b).toUpperCase()).join(":");
}

/**
 * Decodes an OBJECT IDENTIFIER value (X.690 section 8.19) to dotted form.
 *
 * @param v the value octets
 * @param offset absolute offset, for errors
 */
export function decodeOid(v: Uint8Array, offset = 0): string {
  if (v.length === 0) derError("Cannot read object identifier: empty", offset, "oid");
  const arcs: (number | bigint)[] = [];
  let acc = 0n;
  let first = true;
  for (let i = 0; i < v.length; i++) {
    if (acc === 0n && v[i] === 0x80) {
      derError("Cannot read object identifier: arc not minimal", offset + i, "oid");
    }
    acc = (acc << 7n) | BigInt(v[i] & 0x7f);
    if (acc > 1n << 128n) {
      derError("Cannot read object identifier: arc too large", offset + i, "oid");
    }
    if (!(v[i] & 0x80)) {
      if (first) {
        if (acc < 40n) arcs.push(0, acc);
        else if (acc < 80n) arcs.push(1, acc - 40n);
        else arcs.push(2, acc - 80n);
        first = false;
      } else arcs.push(acc);
      acc = 0n;
    } else if (i === v.length - 1) {
      derError("Cannot read object identifier: last arc unterminated", offset + i, "oid");
    }
  }
  return arcs.map(String).join(".");
}

/** Reads a BIT STRING value and returns the set bit indexes (bit 0 is the first, most significant). */
export function bitStringBits(tlv: Tlv): number[] {
  const v = tlv.value;
  if (v.length === 0) derError("Cannot read bit string: empty", tlv.start, "bit string");
  const unused = v[0];
  if (unused > 7 || (v.length === 1 && unused !== 0)) {
    derError("Cannot read bit string: bad unused-bits count", tlv.valueStart, "bit string");
  }
  const bits: number[] = [];
  for (let i = 1; i < v.length; i++) {
    for (let j = 0; j < 8; j++) if (v[i] & (0x80 >> j)) bits.push((i - 1) * 8 + j);
  }
  return bits;
}

/** Reads a DER INTEGER value as a bigint (two's complement). */
export function integerValue(tlv: Tlv): bigint {
  const v = tlv.value;
  if (v.length === 0) derError("Cannot read integer: empty", tlv.start, "integer");
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  if (v[0] & 0x80) n -= 1n << BigInt(v.length * 8);
  return n;
}

/**
 * Encodes one DER element (definite length, shortest form).
 *
 * @param tag the identifier octet
 * @param content the value octets
 * @returns the element
 */
export function derElement(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80
    ? [n]
    : n < 0x100
    ? [0x81, n]
    : n < 0x10000
    ? [0x82, n >> 8, n & 0xff]
    : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}

/** Base64 of bytes (standard alphabet, padded). */
export function toBase64(bytes: Uint8Array): string {
  // The runtime's own encoder where it has one (Deno 2.9: 50× faster than
  // the loop below, which is most of a certificate decode); the loop for
  // older engines (the extension host).
  const native = (bytes as { toBase64?: () => string }).toBase64;
  if (typeof native === "function") return native.call(bytes);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}
