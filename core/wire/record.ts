/**
 * The record layer (RFC 8446 §5.1, RFC 5246 §6.2) and handshake message
 * framing (RFC 8446 §4): records in, handshake messages out, with
 * fragmentation and coalescing handled, plus alerts (RFC 8446 §6).
 *
 * @module
 */
import { type Advice, TlsprobeError } from "../errors.ts";
import { Reader, Writer } from "./codec.ts";
import { alertByCode, alertName } from "../registry/alerts.ts";

/** Record content types. */
export const CONTENT = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
  heartbeat: 24,
} as const;

/** Handshake message types (RFC 8446 §4, RFC 5246 §7.4, RFC 6066 §8). */
export const HS = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  newSessionTicket: 4,
  endOfEarlyData: 5,
  encryptedExtensions: 8,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
  certificateStatus: 22,
  keyUpdate: 24,
  messageHash: 254,
} as const;

/** Largest plaintext fragment (2^14) and allowance for ciphertext expansion. */
export const MAX_PLAINTEXT = 16384;
const MAX_CIPHERTEXT = MAX_PLAINTEXT + 2048;

/** One TLS record. */
export interface TlsRecord {
  /** Content type. */
  type: number;
  /** Legacy record version. */
  version: number;
  /** The 5-byte header (the AEAD additional data in TLS 1.3). */
  header: Uint8Array;
  /** The fragment. */
  fragment: Uint8Array;
  /** Absolute stream offset of the header's first byte. */
  offset: number;
}

/**
 * Encodes one record.
 *
 * @param type content type
 * @param version legacy record version (0x0301 for a first ClientHello, RFC 8446 §5.1)
 * @param fragment the fragment (at most 2^14 bytes for plaintext)
 * @returns the record bytes
 */
export function encodeRecord(type: number, version: number, fragment: Uint8Array): Uint8Array {
  return new Writer().u8(type).u16(version).vec16(fragment).finish();
}

/**
 * Splits a handshake message into plaintext records of at most 2^14 bytes.
 *
 * @param message the handshake message with its 4-byte header
 * @param version the record version
 * @returns the records, concatenated
 */
export function encodeHandshakeRecords(message: Uint8Array, version: number): Uint8Array {
  const w = new Writer();
  for (let i = 0; i < message.length || i === 0; i += MAX_PLAINTEXT) {
    w.bytes(encodeRecord(CONTENT.handshake, version, message.subarray(i, i + MAX_PLAINTEXT)));
  }
  return w.finish();
}

/**
 * Accumulates stream bytes and yields complete records. Rejects what is not
 * TLS (an HTTP answer, an SSLv2 record) with `NOT_TLS`, oversized records with
 * `PEER_MALFORMED`. Linear: each received byte is copied into the buffer once
 * and out of it once (the unread tail moves down only when the buffer is full,
 * and is never longer than one record plus one read).
 */
export class RecordBuffer {
  #buf = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #consumed = 0;

  /** Bytes received but not yet returned as records. */
  get pending(): number {
    return this.#end - this.#start;
  }

  /** Adds received bytes. */
  push(bytes: Uint8Array): void {
    const pending = this.#end - this.#start;
    if (this.#end + bytes.length > this.#buf.length) {
      if (pending + bytes.length <= this.#buf.length && this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        const b = new Uint8Array(Math.max(2 * this.#buf.length, pending + bytes.length, 4096));
        b.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = b;
      }
      this.#start = 0;
      this.#end = pending;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /**
   * Returns the next complete record, or undefined when more bytes are needed.
   *
   * @throws TlsprobeError NOT_TLS when the bytes are not a TLS record header
   * @throws TlsprobeError PEER_MALFORMED for an oversized record
   */
  next(): TlsRecord | undefined {
    const b = this.#buf.subarray(this.#start, this.#end);
    if (b.length >= 1) checkContentType(b, this.#consumed);
    if (b.length < 5) return undefined;
    const version = (b[1] << 8) | b[2];
    if (b[1] !== 3 && !(b[1] === 0xfe)) {
      throw notTls(b, this.#consumed, `record version 0x${version.toString(16)}`);
    }
    const len = (b[3] << 8) | b[4];
    if (len > MAX_CIPHERTEXT) {
      throw new TlsprobeError(
        "PEER_MALFORMED",
        `Record of ${len} bytes exceeds the limit of ${MAX_CIPHERTEXT} (RFC 8446 §5.2) (record.length at byte ${
          this.#consumed + 3
        })`,
        { offset: this.#consumed + 3, field: "record.length" },
      );
    }
    if (b.length < 5 + len) return undefined;
    const rec: TlsRecord = {
      type: b[0],
      version,
      header: b.slice(0, 5),
      fragment: b.slice(5, 5 + len),
      offset: this.#consumed,
    };
    this.#start += 5 + len;
    this.#consumed += 5 + len;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return rec;
  }
}

function checkContentType(b: Uint8Array, offset: number): void {
  const t = b[0];
  if (t >= 20 && t <= 24) return;
  throw notTls(b, offset, `content type ${t}`);
}

function notTls(b: Uint8Array, offset: number, what: string): TlsprobeError {
  const text = new TextDecoder("latin1").decode(b.subarray(0, 64));
  const printable = /^[\x20-\x7e\r\n]{4,}/.test(text);
  const hint = (b[0] & 0x80) && b.length > 2 && b[2] === 4
    ? "the peer answered with an SSLv2 record"
    : printable
    ? `the peer answered in plain text: ${JSON.stringify(text.replace(/[\r\n].*$/s, ""))}`
    : `unexpected ${what}`;
  return new TlsprobeError(
    "NOT_TLS",
    `The peer does not speak TLS on this port: ${hint}`,
    { offset, field: "record.header", firstBytes: Array.from(b.subarray(0, 8)) },
  );
}

/** One handshake message. */
export interface HandshakeMessage {
  /** Message type. */
  type: number;
  /** The body, without the 4-byte header. */
  body: Uint8Array;
  /** The whole message with its header (what the transcript hashes). */
  raw: Uint8Array;
  /** Absolute offset of the body (for error messages). */
  offset: number;
}

/**
 * Reassembles handshake messages from record fragments (they may span or
 * share records, RFC 8446 §5.1). Linear: once a message's 4-byte header is
 * known its buffer is allocated at its full length (after the length check)
 * and filled in place, so a message split into many tiny records costs one
 * copy of each byte.
 */
export class HandshakeBuffer {
  #fragments: { bytes: Uint8Array; offset: number }[] = [];
  #head = new Uint8Array(4);
  #headLen = 0;
  #msg?: Uint8Array;
  #fill = 0;
  #base = 0;
  #queued = 0;

  /** Whether a partial message (or unread fragment bytes) is buffered. */
  get pending(): boolean {
    return this.#headLen > 0 || this.#msg !== undefined || this.#queued > 0;
  }

  /** Bytes buffered and not yet returned as messages. */
  get pendingBytes(): number {
    return this.#headLen + this.#fill + this.#queued;
  }

  /**
   * Adds a handshake record's fragment.
   *
   * @param fragment the bytes
   * @param offset absolute offset of the fragment, for error messages
   */
  push(fragment: Uint8Array, offset = 0): void {
    if (fragment.length === 0) return;
    this.#fragments.push({ bytes: fragment, offset });
    this.#queued += fragment.length;
  }

  /**
   * Returns the next complete message, or undefined when more is needed.
   *
   * @param maxLength refuse messages longer than this: a number, or a
   *   function of the message type (default 2^18: no server flight message is
   *   larger; a bigger length is garbage)
   * @throws TlsprobeError PEER_MALFORMED for a length over the limit
   */
  next(maxLength: number | ((type: number) => number) = 1 << 18): HandshakeMessage | undefined {
    while (this.#fragments.length) {
      const f = this.#fragments[0];
      let i = 0;
      if (!this.#msg) {
        if (this.#headLen === 0) this.#base = f.offset;
        while (this.#headLen < 4 && i < f.bytes.length) this.#head[this.#headLen++] = f.bytes[i++];
        if (this.#headLen === 4) {
          const h = this.#head;
          const len = (h[1] << 16) | (h[2] << 8) | h[3];
          const max = typeof maxLength === "number" ? maxLength : maxLength(h[0]);
          if (len > max) {
            throw new TlsprobeError(
              "PEER_MALFORMED",
              `Handshake message of ${len} bytes (type ${
                h[0]
              }) exceeds the limit of ${max} (handshake.length at byte ${this.#base + 1})`,
              { offset: this.#base + 1, field: "handshake.length", limit: max },
            );
          }
          this.#msg = new Uint8Array(4 + len);
          this.#msg.set(h);
          this.#fill = 4;
        }
      }
      if (this.#msg) {
        const take = Math.min(this.#msg.length - this.#fill, f.bytes.length - i);
        this.#msg.set(f.bytes.subarray(i, i + take), this.#fill);
        this.#fill += take;
        i += take;
      }
      this.#queued -= i;
      if (i === f.bytes.length) this.#fragments.shift();
      else this.#fragments[0] = { bytes: f.bytes.subarray(i), offset: f.offset + i };
      if (this.#msg && this.#fill === this.#msg.length) {
        const raw = this.#msg;
        const msg = { type: raw[0], body: raw.subarray(4), raw, offset: this.#base + 4 };
        this.#msg = undefined;
        this.#headLen = 0;
        this.#fill = 0;
        return msg;
      }
    }
    return undefined;
  }
}

/**
 * Frames a handshake message: type, 24-bit length, body.
 *
 * @param type message type
 * @param body the body
 * @returns the message
 */
export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  return new Writer().u8(type).vec24(body).finish();
}

/** A decoded alert. */
export interface Alert {
  /** 1 = warning, 2 = fatal. */
  level: number;
  /** Description code. */
  description: number;
  /** IANA name of the description. */
  name: string;
}

/**
 * Parses an alert (RFC 8446 §6).
 *
 * @param fragment the record fragment
 * @param offset absolute offset, for errors
 * @returns the alert
 * @throws TlsprobeError PEER_MALFORMED when not exactly two bytes
 */
export function parseAlert(fragment: Uint8Array, offset = 0): Alert {
  const r = new Reader(fragment, offset);
  const level = r.u8("alert.level");
  const description = r.u8("alert.description");
  r.expectEmpty("alert");
  return { level, description, name: alertName(description) };
}

/**
 * Encodes an alert.
 *
 * @param level 1 warning, 2 fatal
 * @param description the code
 * @returns the two bytes
 */
export function encodeAlert(level: number, description: number): Uint8Array {
  return Uint8Array.of(level, description);
}

/**
 * The error a peer's alert means: a stable code and a message saying what
 * happened.
 *
 * @param alert the alert received
 * @param during what the client was doing
 * @returns the error to throw
 */
export function alertError(alert: Alert, during: string): TlsprobeError {
  const code = alertByCode(alert.description)?.error ?? "ALERT";
  const hint: Record<string, [string, Advice?]> = {
    handshake_failure: [
      "the server accepts none of the offered versions, cipher suites or groups",
      "offer",
    ],
    protocol_version: ["the server refuses the offered protocol version(s)", "versions"],
    insufficient_security: [
      "the server wants stronger cipher suites than the ones offered",
      "wider-suites",
    ],
    certificate_required: ["the server requires a client certificate", "client-cert"],
    unrecognized_name: ["the server does not know the name sent in SNI", "sni"],
    no_application_protocol: ["the server accepts none of the offered ALPN protocols"],
  };
  const [why, advice] = hint[alert.name] ?? [];
  return new TlsprobeError(
    code,
    `The server sent a ${
      alert.level === 1 ? "warning" : "fatal"
    } alert ${alert.name} (${alert.description}) during ${during}${why ? ": " + why : ""}`,
    {
      alert: alert.name,
      level: alert.level,
      description: alert.description,
      ...(advice ? { advice } : {}),
    },
  );
}
