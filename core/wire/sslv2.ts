/**
 * SSLv2-compatible ClientHello detection and parsing (RFC 5246 Appendix E.2,
 * RFC 6101 Appendix E): old clients open with an SSL 2.0 record carrying a
 * TLS version, and a server-side report must recognise it rather than call it
 * garbage. tlsprobe never sends one.
 *
 * @module
 */
import { malformed, Reader } from "./codec.ts";

/** A parsed SSLv2-compatible ClientHello. */
export interface Sslv2ClientHello {
  /** The highest version the client supports (0x0002 for a real SSL 2.0 client). */
  version: number;
  /** Every 24-bit cipher spec, in order. */
  cipherSpecs: number[];
  /** The specs that are TLS suites (first byte zero), as 16-bit codes. */
  cipherSuites: number[];
  /** Session id (empty or 16 bytes). */
  sessionId: Uint8Array;
  /** The challenge (16 to 32 bytes; it becomes the client random). */
  challenge: Uint8Array;
}

/**
 * Whether the first bytes of a stream are an SSLv2 record holding a
 * CLIENT-HELLO (two-byte header with the top bit set, then message type 1).
 *
 * @param b the first bytes (at least 3)
 * @returns true for an SSLv2-format ClientHello
 * @example
 * ```ts
 * import { isSslv2ClientHello } from "./sslv2.ts";
 * console.assert(isSslv2ClientHello(new Uint8Array([0x80, 0x2e, 0x01])));
 * console.assert(!isSslv2ClientHello(new Uint8Array([0x16, 0x03, 0x01])));
 * ```
 */
export function isSslv2ClientHello(b: Uint8Array): boolean {
  return b.length >= 3 && (b[0] & 0x80) !== 0 && b[2] === 1;
}

/**
 * Parses an SSLv2-compatible ClientHello record (with its two-byte header).
 *
 * @param b the record
 * @param offset absolute offset, for errors
 * @returns the hello
 * @throws TlsprobeError PEER_MALFORMED
 */
export function parseSslv2ClientHello(b: Uint8Array, offset = 0): Sslv2ClientHello {
  const r = new Reader(b, offset);
  const at = r.offset;
  const header = r.u16("sslv2.msg_length");
  if (!(header & 0x8000)) throw malformed("Not a two-byte SSLv2 header", at, "sslv2.msg_length");
  const body = new Reader(r.bytes(header & 0x7fff, "sslv2.message"), r.offset);
  r.expectEmpty("sslv2.record");
  const typeAt = body.offset;
  if (body.u8("sslv2.msg_type") !== 1) {
    throw malformed("Not a CLIENT-HELLO", typeAt, "sslv2.msg_type");
  }
  const version = body.u16("sslv2.version");
  const specLen = body.u16("sslv2.cipher_spec_length");
  const sidLen = body.u16("sslv2.session_id_length");
  const chLen = body.u16("sslv2.challenge_length");
  if (specLen % 3 || specLen === 0) {
    throw malformed(
      `cipher_spec_length ${specLen} is not a positive multiple of 3`,
      typeAt + 3,
      "sslv2.cipher_spec_length",
    );
  }
  if (sidLen !== 0 && sidLen !== 16) {
    throw malformed(
      `session_id_length ${sidLen} is neither 0 nor 16`,
      typeAt + 5,
      "sslv2.session_id_length",
    );
  }
  if (chLen < 16 || chLen > 32) {
    throw malformed(
      `challenge_length ${chLen} is outside 16..32`,
      typeAt + 7,
      "sslv2.challenge_length",
    );
  }
  const specs = body.bytes(specLen, "sslv2.cipher_specs");
  const sessionId = body.bytes(sidLen, "sslv2.session_id");
  const challenge = body.bytes(chLen, "sslv2.challenge");
  body.expectEmpty("sslv2.client_hello");
  const cipherSpecs: number[] = [];
  for (let i = 0; i < specs.length; i += 3) {
    cipherSpecs.push((specs[i] << 16) | (specs[i + 1] << 8) | specs[i + 2]);
  }
  return {
    version,
    cipherSpecs,
    cipherSuites: cipherSpecs.filter((c) => c >> 16 === 0),
    sessionId,
    challenge,
  };
}
