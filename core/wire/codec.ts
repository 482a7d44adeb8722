/**
 * The one byte reader and the one byte writer of the wire codec.
 *
 * Every read is bounds-checked and a failure is a {@link TlsprobeError} with
 * code `PEER_MALFORMED`, the absolute byte offset and the field being read, so
 * a server that sends garbage produces a diagnosis, never a RangeError.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";

/**
 * Builds the decoding error: code `PEER_MALFORMED`, with the offset and field.
 *
 * @param message what is wrong
 * @param offset absolute byte offset
 * @param field the field being read
 * @returns the error (to throw)
 */
export function malformed(message: string, offset: number, field: string): TlsprobeError {
  return new TlsprobeError("PEER_MALFORMED", `${message} (${field} at byte ${offset})`, {
    offset,
    field,
  });
}

/**
 * A cursor over bytes. Sub-readers share the buffer and report absolute
 * offsets (from the start of what the outermost reader was given, plus
 * `base`).
 *
 * @example
 * ```ts
 * import { Reader } from "./codec.ts";
 * const r = new Reader(new Uint8Array([0, 2, 0xab, 0xcd]));
 * const inner = r.sub16("list");
 * console.assert(inner.u16("item") === 0xabcd);
 * inner.expectEmpty("list");
 * r.expectEmpty("message");
 * ```
 */
export class Reader {
  readonly #b: Uint8Array;
  #pos: number;
  readonly #end: number;
  readonly #base: number;

  /**
   * Makes a reader over bytes.
   *
   * @param bytes the bytes to read
   * @param base the absolute offset of `bytes[0]`, for error messages
   */
  constructor(bytes: Uint8Array, base = 0) {
    this.#b = bytes;
    this.#pos = 0;
    this.#end = bytes.length;
    this.#base = base;
  }

  /** The absolute offset of the next byte. */
  get offset(): number {
    return this.#base + this.#pos;
  }

  /** How many bytes are left. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  #need(n: number, field: string): void {
    if (n > this.#end - this.#pos) {
      throw malformed(
        `Truncated: need ${n} byte(s), ${this.#end - this.#pos} left`,
        this.offset,
        field,
      );
    }
  }

  /** The next byte without consuming it, or undefined at the end. */
  peek(): number | undefined {
    return this.#pos < this.#end ? this.#b[this.#pos] : undefined;
  }

  /** Reads one byte. */
  u8(field: string): number {
    this.#need(1, field);
    return this.#b[this.#pos++];
  }

  /** Reads a big-endian 16-bit integer. */
  u16(field: string): number {
    this.#need(2, field);
    const v = (this.#b[this.#pos] << 8) | this.#b[this.#pos + 1];
    this.#pos += 2;
    return v;
  }

  /** Reads a big-endian 24-bit integer. */
  u24(field: string): number {
    this.#need(3, field);
    const p = this.#pos;
    this.#pos += 3;
    return (this.#b[p] << 16) | (this.#b[p + 1] << 8) | this.#b[p + 2];
  }

  /** Reads a big-endian 32-bit integer. */
  u32(field: string): number {
    this.#need(4, field);
    const p = this.#pos;
    this.#pos += 4;
    return ((this.#b[p] << 24) >>> 0) + ((this.#b[p + 1] << 16) | (this.#b[p + 2] << 8) |
      this.#b[p + 3]);
  }

  /** Reads `n` bytes (a view, not a copy). */
  bytes(n: number, field: string): Uint8Array {
    this.#need(n, field);
    const v = this.#b.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return v;
  }

  /** Reads the rest. */
  rest(): Uint8Array {
    return this.bytes(this.remaining, "rest");
  }

  /** Reads an opaque vector with a 1-byte length. */
  vec8(field: string, min = 0): Uint8Array {
    const at = this.offset;
    const n = this.u8(field + ".length");
    if (n < min) throw malformed(`Length ${n} below minimum ${min}`, at, field);
    return this.bytes(n, field);
  }

  /** Reads an opaque vector with a 2-byte length. */
  vec16(field: string, min = 0): Uint8Array {
    const at = this.offset;
    const n = this.u16(field + ".length");
    if (n < min) throw malformed(`Length ${n} below minimum ${min}`, at, field);
    return this.bytes(n, field);
  }

  /** Reads an opaque vector with a 3-byte length. */
  vec24(field: string, min = 0): Uint8Array {
    const at = this.offset;
    const n = this.u24(field + ".length");
    if (n < min) throw malformed(`Length ${n} below minimum ${min}`, at, field);
    return this.bytes(n, field);
  }

  #subOf(bytes: Uint8Array): Reader {
    return new Reader(bytes, this.offset - bytes.length);
  }

  /** A bounded reader over a vector with a 1-byte length. */
  sub8(field: string, min = 0): Reader {
    return this.#subOf(this.vec8(field, min));
  }

  /** A bounded reader over a vector with a 2-byte length. */
  sub16(field: string, min = 0): Reader {
    return this.#subOf(this.vec16(field, min));
  }

  /** A bounded reader over a vector with a 3-byte length. */
  sub24(field: string, min = 0): Reader {
    return this.#subOf(this.vec24(field, min));
  }

  /**
   * Reads a list of 16-bit values from a vector with a 2-byte length (or 1 when
   * `prefix` is 1), rejecting an odd length.
   */
  u16List(field: string, prefix: 1 | 2 = 2, min = 0): number[] {
    const at = this.offset;
    const r = prefix === 1 ? this.sub8(field, min) : this.sub16(field, min);
    if (r.remaining % 2) throw malformed("Odd length for a list of 16-bit values", at, field);
    const out: number[] = [];
    while (r.remaining) out.push(r.u16(field));
    return out;
  }

  /** Throws unless every byte was read. */
  expectEmpty(field: string): void {
    if (this.#pos !== this.#end) {
      throw malformed(`${this.#end - this.#pos} trailing byte(s)`, this.offset, field);
    }
  }
}

/**
 * A growable byte writer. `lengthPrefixed` writes a placeholder length, runs
 * the body, then patches the length, so lengths are never counted by hand.
 *
 * @example
 * ```ts
 * import { Writer } from "./codec.ts";
 * const w = new Writer();
 * w.lengthPrefixed(2, (b) => b.u16(0x1301));
 * console.assert(w.finish().join(",") === "0,2,19,1");
 * ```
 */
export class Writer {
  #buf = new Uint8Array(256);
  #len = 0;

  #grow(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.#buf.subarray(0, this.#len));
    this.#buf = b;
  }

  /** Current length. */
  get length(): number {
    return this.#len;
  }

  /** Writes one byte. */
  u8(v: number): this {
    this.#grow(1);
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  /** Writes a big-endian 16-bit integer. */
  u16(v: number): this {
    return this.u8(v >> 8).u8(v);
  }

  /** Writes a big-endian 24-bit integer. */
  u24(v: number): this {
    return this.u8(v >> 16).u8(v >> 8).u8(v);
  }

  /** Writes a big-endian 32-bit integer. */
  u32(v: number): this {
    return this.u16(Math.floor(v / 65536)).u16(v);
  }

  /** Writes bytes. */
  bytes(b: Uint8Array): this {
    this.#grow(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }

  /**
   * Writes a vector: a `size`-byte length, then what `body` writes.
   *
   * @param size width of the length prefix in bytes
   * @param body writes the content
   */
  lengthPrefixed(size: 1 | 2 | 3, body: (w: Writer) => void): this {
    const at = this.#len;
    for (let i = 0; i < size; i++) this.u8(0);
    body(this);
    const n = this.#len - at - size;
    const max = 2 ** (8 * size) - 1;
    if (n > max) throw new RangeError(`vector of ${n} bytes exceeds ${max}`);
    for (let i = 0; i < size; i++) this.#buf[at + i] = (n >> (8 * (size - 1 - i))) & 0xff;
    return this;
  }

  /** Writes opaque bytes with a 1-byte length. */
  vec8(b: Uint8Array): this {
    return this.lengthPrefixed(1, (w) => w.bytes(b));
  }

  /** Writes opaque bytes with a 2-byte length. */
  vec16(b: Uint8Array): this {
    return this.lengthPrefixed(2, (w) => w.bytes(b));
  }

  /** Writes opaque bytes with a 3-byte length. */
  vec24(b: Uint8Array): this {
    return this.lengthPrefixed(3, (w) => w.bytes(b));
  }

  /** The bytes written (a copy). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/**
 * Concatenates byte arrays.
 *
 * @param parts the arrays
 * @returns one array
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
}

/**
 * Lower-case hex of bytes.
 *
 * @param b the bytes
 * @returns hex
 */
export function toHex(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/**
 * Bytes from hex (whitespace ignored).
 *
 * @param hex the hex string
 * @returns the bytes
 */
export function fromHex(hex: string): Uint8Array {
  const h = hex.replace(/\s+/g, "");
  if (h.length % 2 || /[^0-9a-fA-F]/.test(h)) {
    throw new TlsprobeError("BAD_INPUT", "Cannot parse hex: odd length or a non-hex character");
  }
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Whether two byte arrays are equal.
 *
 * @param a first
 * @param b second
 * @returns equality
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
