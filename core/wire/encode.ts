/**
 * Typed encoders, one beside each parser of the codec, so that
 * `encode(parse(bytes))` gives back `bytes` for every message the codec reads
 * (tests/core/wire/round_trip_test.ts checks it on every captured fixture).
 * They write what the parsed value holds — unknown extensions and code points
 * included — so a test or a hostile peer can also build any message with any
 * field value.
 *
 * @example
 * ```ts
 * import { encodeCertificateVerify } from "./encode.ts";
 * import { parseCertificateVerify } from "./messages.ts";
 * const body = encodeCertificateVerify({ scheme: 0x0804, signature: new Uint8Array([1, 2]) });
 * console.assert(parseCertificateVerify(body).scheme === 0x0804);
 * ```
 *
 * @module
 */
import { Writer } from "./codec.ts";
import { writeExtensions } from "./extensions.ts";
import type { ClientHello } from "./client_hello.ts";
import type { ServerHello } from "./server_hello.ts";
import type {
  CertificateMessage,
  CertificateRequest,
  CertificateVerify,
  EncryptedExtensions,
  NewSessionTicket,
  ServerKeyExchange,
} from "./messages.ts";

function hello(
  w: Writer,
  h: { extensions: { type: number; data: Uint8Array }[]; noExtensionBlock?: true },
): Uint8Array {
  if (!h.noExtensionBlock) writeExtensions(w, h.extensions);
  return w.finish();
}

/**
 * Encodes a ClientHello body (RFC 8446 §4.1.2).
 *
 * @param ch the hello, as `parseClientHello` returns it
 * @returns the body, without the handshake header
 */
export function encodeClientHello(ch: ClientHello): Uint8Array {
  const w = new Writer().u16(ch.legacyVersion).bytes(ch.random).vec8(ch.sessionId);
  w.lengthPrefixed(2, (l) => ch.cipherSuites.forEach((c) => l.u16(c)));
  w.vec8(Uint8Array.from(ch.compressionMethods));
  return hello(w, ch);
}

/**
 * Encodes a ServerHello or HelloRetryRequest body (RFC 8446 §4.1.3).
 *
 * @param sh the hello, as `parseServerHello` returns it
 * @returns the body
 */
export function encodeServerHello(sh: ServerHello): Uint8Array {
  const w = new Writer().u16(sh.legacyVersion).bytes(sh.random).vec8(sh.sessionId)
    .u16(sh.cipherSuite).u8(sh.compression);
  return hello(w, sh);
}

/**
 * Encodes a Certificate body: TLS 1.2 (RFC 5246 §7.4.2) or, with a
 * `context`, TLS 1.3 (RFC 8446 §4.4.2).
 *
 * @param m the message, as `parseCertificate` returns it
 * @param tls13 whether to write the TLS 1.3 form
 * @returns the body
 */
export function encodeCertificate(m: CertificateMessage, tls13: boolean): Uint8Array {
  const w = new Writer();
  if (tls13) w.vec8(m.context ?? new Uint8Array(0));
  w.lengthPrefixed(3, (l) => {
    for (const e of m.entries) {
      l.vec24(e.der);
      if (tls13) writeExtensions(l, e.extensions);
    }
  });
  return w.finish();
}

/**
 * Encodes a CertificateStatus body (RFC 6066 §8): status_type ocsp, the response.
 *
 * @param ocspResponse the DER OCSP response
 * @returns the body
 */
export function encodeCertificateStatus(ocspResponse: Uint8Array): Uint8Array {
  return new Writer().u8(1).vec24(ocspResponse).finish();
}

/**
 * Encodes a ServerKeyExchange body (RFC 8422 §5.4, RFC 5246 §7.4.3): the
 * parameters as parsed, then the scheme (TLS 1.2, when present) and the
 * signature (none for anonymous suites: an empty signature with no scheme).
 *
 * @param ske the message, as `parseServerKeyExchange` returns it
 * @returns the body
 */
export function encodeServerKeyExchange(ske: ServerKeyExchange): Uint8Array {
  const w = new Writer();
  if (ske.kind === "ECDHE") w.u8(3).u16(ske.namedGroup ?? 0).vec8(ske.publicKey);
  else {w.vec16(ske.dhP ?? new Uint8Array(0)).vec16(ske.dhG ?? new Uint8Array(0)).vec16(
      ske.publicKey,
    );}
  if (ske.signatureScheme !== undefined) w.u16(ske.signatureScheme);
  if (ske.signatureScheme !== undefined || ske.signature.length) w.vec16(ske.signature);
  return w.finish();
}

/**
 * Encodes a CertificateRequest body: TLS 1.3 (RFC 8446 §4.3.2) from its
 * context and extensions, earlier versions (RFC 5246 §7.4.4) from its fields.
 *
 * @param cr the request, as `parseCertificateRequest` returns it
 * @param version the negotiated version
 * @returns the body
 */
export function encodeCertificateRequest(cr: CertificateRequest, version: number): Uint8Array {
  const w = new Writer();
  if (version >= 0x0304) {
    w.vec8(cr.context ?? new Uint8Array(0));
    writeExtensions(w, cr.extensions ?? []);
    return w.finish();
  }
  w.vec8(Uint8Array.from(cr.certificateTypes ?? []));
  if (version >= 0x0303) {
    w.lengthPrefixed(2, (l) => (cr.signatureAlgorithms ?? []).forEach((s) => l.u16(s)));
  }
  w.lengthPrefixed(2, (l) => cr.certificateAuthorities.forEach((n) => l.vec16(n)));
  return w.finish();
}

/**
 * Encodes an EncryptedExtensions body (RFC 8446 §4.3.1).
 *
 * @param ee the message, as `parseEncryptedExtensions` returns it
 * @returns the body
 */
export function encodeEncryptedExtensions(ee: EncryptedExtensions): Uint8Array {
  const w = new Writer();
  writeExtensions(w, ee.extensions);
  return w.finish();
}

/**
 * Encodes a CertificateVerify body (RFC 8446 §4.4.3).
 *
 * @param cv the scheme and signature
 * @returns the body
 */
export function encodeCertificateVerify(cv: CertificateVerify): Uint8Array {
  return new Writer().u16(cv.scheme).vec16(cv.signature).finish();
}

/**
 * Encodes a NewSessionTicket body: TLS 1.3 (RFC 8446 §4.6.1) or RFC 5077 §3.3.
 *
 * @param t the ticket, as `parseNewSessionTicket` returns it
 * @param tls13 whether to write the TLS 1.3 form
 * @returns the body
 */
export function encodeNewSessionTicket(t: NewSessionTicket, tls13: boolean): Uint8Array {
  const w = new Writer().u32(t.lifetime);
  if (!tls13) return w.vec16(t.ticket).finish();
  w.u32(t.ageAdd ?? 0).vec8(t.nonce ?? new Uint8Array(0)).vec16(t.ticket);
  writeExtensions(w, t.extensions ?? []);
  return w.finish();
}
