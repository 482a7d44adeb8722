/**
 * The one flight reader: stream bytes in, records and handshake messages out,
 * with every count and size bounded, as rustls and Go's `crypto/tls` bound
 * them. Every reader of a TLS byte stream (the inspection client, the
 * ClientHello reader of `serve --policy`, the server-flight watcher of
 * `connect --policy`, the runtime-offer capture of `features`) goes through
 * it, so a hostile peer meets the same limits everywhere:
 *
 * - a handshake message is at most 64 KiB (Certificate: 256 KiB, as Go's
 *   `maxHandshakeCertificateMsg`); the length is checked before any buffer is
 *   allocated, and reassembly is linear;
 * - at most {@link FlightLimits.maxRecords} records, {@link
 *   FlightLimits.maxMessages} handshake messages and {@link
 *   FlightLimits.maxHandshakeBytes} handshake bytes per reader;
 * - zero-length handshake, alert and ChangeCipherSpec records are refused
 *   (RFC 8446 §5.1), and at most one ChangeCipherSpec is accepted (RFC 8446
 *   §D.4); a handshake message may not be interleaved with another record type.
 *
 * Sans-I/O: the caller reads, pushes the bytes and asks for the next item;
 * protected records (TLS 1.3) come out as they are, and the caller pushes
 * what it decrypts back with {@link FlightReader.pushHandshake}.
 *
 * @example
 * ```ts
 * import { FlightReader } from "./flight.ts";
 * const r = new FlightReader();
 * // A ServerHelloDone (type 14, empty) in one handshake record.
 * r.push(new Uint8Array([22, 3, 3, 0, 4, 14, 0, 0, 0]));
 * const item = r.next();
 * console.assert(item?.kind === "message" && item.message.type === 14);
 * console.assert(r.next() === undefined);
 * ```
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import {
  type Alert,
  CONTENT,
  HandshakeBuffer,
  type HandshakeMessage,
  HS,
  parseAlert,
  RecordBuffer,
  type TlsRecord,
} from "./record.ts";

/** The bounds of one {@link FlightReader}. */
export interface FlightLimits {
  /** Largest handshake message body, by type (default 64 KiB; Certificate 256 KiB). */
  maxMessageLength: (type: number) => number;
  /** Records accepted over the reader's life (default 100,000). */
  maxRecords: number;
  /** Handshake messages returned over the reader's life (default 64). */
  maxMessages: number;
  /** Handshake bytes (headers included) over the reader's life (default 1 MiB). */
  maxHandshakeBytes: number;
  /** Bytes held unread at once (default 256 KiB). */
  maxBuffered: number;
  /** ChangeCipherSpec records accepted (default 1). */
  maxChangeCipherSpec: number;
  /** Warning alerts skipped before the reader gives up (default 4). */
  maxWarningAlerts: number;
}

/** 64 KiB: the largest handshake message rustls accepts. */
export const MAX_HANDSHAKE_MESSAGE = 0xffff;
/** 256 KiB: the largest Certificate message (Go's `maxHandshakeCertificateMsg`). */
export const MAX_CERTIFICATE_MESSAGE = 256 * 1024;

/**
 * The default per-type limit: 64 KiB, Certificate and CompressedCertificate
 * 256 KiB.
 *
 * @param type the handshake message type
 * @returns the largest body accepted
 */
export function defaultMaxMessageLength(type: number): number {
  return type === HS.certificate || type === 25 ? MAX_CERTIFICATE_MESSAGE : MAX_HANDSHAKE_MESSAGE;
}

/** The default bounds. */
export const DEFAULT_FLIGHT_LIMITS: Readonly<FlightLimits> = Object.freeze({
  maxMessageLength: defaultMaxMessageLength,
  maxRecords: 100_000,
  maxMessages: 64,
  maxHandshakeBytes: 1 << 20,
  maxBuffered: 256 * 1024,
  maxChangeCipherSpec: 1,
  maxWarningAlerts: 4,
});

/** One item read from the stream. */
export type FlightItem =
  | { kind: "message"; message: HandshakeMessage }
  | { kind: "alert"; alert: Alert; offset: number }
  | { kind: "changeCipherSpec"; offset: number }
  | { kind: "protected"; record: TlsRecord };

function limitError(
  what: string,
  limit: number | undefined,
  offset: number,
  field: string,
): TlsprobeError {
  return new TlsprobeError(
    "PEER_MALFORMED",
    `The peer sent ${what}${
      limit === undefined ? "" : ` (limit ${limit})`
    } (${field} at byte ${offset})`,
    limit === undefined ? { offset, field } : { offset, field, limit },
  );
}

/**
 * Reads records and handshake messages from a byte stream, bounded. See the
 * module documentation.
 */
export class FlightReader {
  readonly #records = new RecordBuffer();
  readonly #hs = new HandshakeBuffer();
  readonly #limits: FlightLimits;
  #recordCount = 0;
  #messageCount = 0;
  #handshakeBytes = 0;
  #ccs = 0;
  #warnings = 0;
  #streamOffset = 0;

  /**
   * Makes a reader.
   *
   * @param limits bounds that differ from {@link DEFAULT_FLIGHT_LIMITS}
   */
  constructor(limits: Partial<FlightLimits> = {}) {
    this.#limits = { ...DEFAULT_FLIGHT_LIMITS, ...limits };
  }

  /** Records read so far. */
  get records(): number {
    return this.#recordCount;
  }

  /** Handshake messages returned so far. */
  get messages(): number {
    return this.#messageCount;
  }

  /** Whether part of a handshake message is buffered. */
  get partialMessage(): boolean {
    return this.#hs.pending;
  }

  /** Bytes received and not yet returned. */
  get buffered(): number {
    return this.#records.pending + this.#hs.pendingBytes;
  }

  /**
   * Adds bytes read from the stream.
   *
   * @param bytes what was read
   * @throws TlsprobeError PEER_MALFORMED when more than `maxBuffered` bytes would be held
   */
  push(bytes: Uint8Array): void {
    if (this.#records.pending + bytes.length > this.#limits.maxBuffered) {
      throw limitError(
        `more than ${this.#limits.maxBuffered} bytes that do not complete a record`,
        this.#limits.maxBuffered,
        this.#streamOffset,
        "record",
      );
    }
    this.#streamOffset += bytes.length;
    this.#records.push(bytes);
  }

  /**
   * Adds decrypted handshake bytes (a TLS 1.3 protected record's content).
   *
   * @param data the inner plaintext's content
   * @param offset absolute offset of the record, for errors
   * @throws TlsprobeError PEER_MALFORMED for an empty fragment or too many bytes
   */
  pushHandshake(data: Uint8Array, offset: number): void {
    if (data.length === 0) {
      throw limitError(
        "an empty handshake fragment (RFC 8446 §5.1)",
        undefined,
        offset,
        "record.length",
      );
    }
    this.#handshakeBytes += data.length;
    if (this.#handshakeBytes > this.#limits.maxHandshakeBytes) {
      throw limitError(
        "too many handshake bytes",
        this.#limits.maxHandshakeBytes,
        offset,
        "handshake",
      );
    }
    this.#hs.push(data, offset);
  }

  /**
   * The next item, or undefined when more bytes are needed.
   *
   * @returns a handshake message, an alert, a ChangeCipherSpec or a protected record
   * @throws TlsprobeError NOT_TLS for bytes that are not TLS; PEER_MALFORMED for
   *   a malformed or oversized record or message and for every limit passed
   */
  next(): FlightItem | undefined {
    for (;;) {
      const m = this.#hs.next(this.#limits.maxMessageLength);
      if (m) {
        if (++this.#messageCount > this.#limits.maxMessages) {
          throw limitError(
            "too many handshake messages",
            this.#limits.maxMessages,
            m.offset - 4,
            "handshake",
          );
        }
        return { kind: "message", message: m };
      }
      const rec = this.#records.next();
      if (!rec) return undefined;
      if (++this.#recordCount > this.#limits.maxRecords) {
        throw limitError("too many records", this.#limits.maxRecords, rec.offset, "record");
      }
      if (rec.type !== CONTENT.handshake && this.#hs.pending) {
        // RFC 8446 §5.1: handshake messages are not interleaved with other types.
        throw limitError(
          `a record of type ${rec.type} inside a fragmented handshake message`,
          undefined,
          rec.offset,
          "record.type",
        );
      }
      switch (rec.type) {
        case CONTENT.handshake:
          this.pushHandshake(rec.fragment, rec.offset + 5);
          continue;
        case CONTENT.alert: {
          const alert = parseAlert(rec.fragment, rec.offset + 5);
          if (alert.level === 1 && alert.description !== 0) {
            // A warning (unrecognized_name before a ServerHello, say): skipped, counted.
            if (++this.#warnings > this.#limits.maxWarningAlerts) {
              throw limitError(
                "too many warning alerts",
                this.#limits.maxWarningAlerts,
                rec.offset,
                "alert",
              );
            }
            continue;
          }
          return { kind: "alert", alert, offset: rec.offset };
        }
        case CONTENT.changeCipherSpec:
          if (rec.fragment.length !== 1 || rec.fragment[0] !== 1) {
            throw limitError(
              "a malformed ChangeCipherSpec",
              undefined,
              rec.offset + 5,
              "change_cipher_spec",
            );
          }
          if (++this.#ccs > this.#limits.maxChangeCipherSpec) {
            throw limitError(
              this.#limits.maxChangeCipherSpec === 0
                ? "a ChangeCipherSpec where none may come"
                : "more than one ChangeCipherSpec",
              this.#limits.maxChangeCipherSpec,
              rec.offset,
              "change_cipher_spec",
            );
          }
          return { kind: "changeCipherSpec", offset: rec.offset };
        default:
          return { kind: "protected", record: rec };
      }
    }
  }
}
