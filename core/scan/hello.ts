/**
 * The bytes a scan sends: a ClientHello record for a {@link HelloOffer}, an
 * SSLv2 CLIENT-HELLO, and the reading of what comes back (pure: the socket is
 * in `core/net/scan.ts`).
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { Writer } from "../wire/codec.ts";
import { buildClientHello } from "../wire/client_hello.ts";
import { alertError, encodeHandshake, encodeHandshakeRecords, HS } from "../wire/record.ts";
import { FlightReader } from "../wire/flight.ts";
import { parseServerHello } from "../wire/server_hello.ts";
import { parseCertificateRequest, parseServerKeyExchange } from "../wire/messages.ts";
import { cipherSuiteByCode } from "../registry/cipher_suites.ts";
import { SSL3, TLS1_2, TLS1_3 } from "../registry/versions.ts";
import { DEFAULT_GROUPS, DEFAULT_SIGNATURE_ALGORITHMS } from "../handshake/defaults.ts";
import { ffdheGroupOf } from "../handshake/key_exchange.ts";
import { pskBinder, type Tls13Suite } from "../handshake/key_schedule.ts";
import { EXT } from "../registry/extensions.ts";
import type { HelloAnswer, HelloOffer } from "./model.ts";

/**
 * Encodes the ClientHello records for an offer.
 *
 * @param offer what to offer
 * @param shares the public values of key shares, by group (TLS 1.3)
 * @param serverName SNI (undefined: none)
 * @returns the bytes to write
 */
export function encodeHello(
  offer: HelloOffer,
  shares: Map<number, Uint8Array>,
  serverName: string | undefined,
): Uint8Array {
  const min = Math.min(...offer.versions);
  return encodeHandshakeRecords(
    encodeHelloMessage(offer, shares, serverName),
    min <= SSL3 ? SSL3 : 0x0301,
  );
}

/**
 * The ClientHello handshake message for an offer (what a transcript hashes).
 *
 * @param offer what to offer
 * @param shares the public values of key shares, by group (TLS 1.3)
 * @param serverName SNI (undefined: none)
 * @param random the client random (default: fresh)
 * @returns the message, with its header
 */
export function encodeHelloMessage(
  offer: HelloOffer,
  shares: Map<number, Uint8Array>,
  serverName: string | undefined,
  random: Uint8Array = crypto.getRandomValues(new Uint8Array(32)),
): Uint8Array {
  const max = Math.max(...offer.versions);
  const tls13 = max >= TLS1_3;
  const ssl3 = max === SSL3;
  const keyShares = tls13
    ? (offer.keyShares ?? []).filter((g) => shares.has(g)).map((g) => ({
      group: g,
      keyExchange: shares.get(g)!,
    }))
    : undefined;
  const extra: { type: number; data: Uint8Array }[] = offer.heartbeat
    ? [{ type: 15, data: Uint8Array.of(1) }]
    : [];
  // RFC 8446 §4.2.11: pre_shared_key is the last extension.
  if (offer.psk && tls13) extra.push({ type: EXT.preSharedKey, data: pskExtension(offer.psk) });
  return buildClientHello({
    versions: [...offer.versions].sort((a, b) => b - a),
    random,
    sessionId: offer.sessionId ??
      (tls13 ? crypto.getRandomValues(new Uint8Array(32)) : undefined),
    cipherSuites: offer.suites,
    groups: ssl3 ? undefined : offer.groups ?? [...DEFAULT_GROUPS],
    keyShares,
    signatureAlgorithms: max >= TLS1_2
      ? offer.sigalgs ?? [...DEFAULT_SIGNATURE_ALGORITHMS]
      : undefined,
    serverName: ssl3 ? undefined : serverName,
    alpn: ssl3 ? undefined : offer.alpn,
    statusRequest: !ssl3,
    sessionTicket: !ssl3 && offer.sessionTicket !== false,
    ticket: offer.ticket,
    renegotiationInfo: !ssl3,
    renegotiationScsv: ssl3,
    extendedMasterSecret: !ssl3,
    encryptThenMac: offer.encryptThenMac,
    ecPointFormats: !ssl3,
    fallbackScsv: offer.fallbackScsv,
    grease: offer.grease,
    compressionMethods: offer.compression,
    extraExtensions: extra.length ? extra : undefined,
  });
}

/** pre_shared_key with one identity and a zero binder (RFC 8446 §4.2.11). */
function pskExtension(p: NonNullable<HelloOffer["psk"]>): Uint8Array {
  return new Writer()
    .lengthPrefixed(2, (w) => w.vec16(p.identity).u32(p.obfuscatedAge))
    .lengthPrefixed(2, (w) => w.vec8(new Uint8Array(p.binderLength)))
    .finish();
}

/**
 * Fills in the binder of a ClientHello made with a `psk` offer (RFC 8446
 * §4.2.11.2): the MAC over the message cut before its binders list.
 *
 * @param message the ClientHello message (with its header) from {@link encodeHelloMessage}
 * @param suite the ticket's suite
 * @param psk the resumption PSK
 * @returns the message with the binder in place
 */
export async function bindPsk(
  message: Uint8Array,
  suite: Tls13Suite,
  psk: Uint8Array,
): Promise<Uint8Array> {
  // The binders list: a 2-byte length, then one binder with its 1-byte length.
  const cut = message.length - (3 + suite.hashLen);
  const out = message.slice();
  out.set(await pskBinder(suite, psk, message.subarray(0, cut)), cut + 3);
  return out;
}

/**
 * Reads a server's answer to one ClientHello, chunk by chunk: push bytes
 * until {@link HelloReader.answer} is set.
 */
export class HelloReader {
  readonly #flight = new FlightReader();
  readonly #offer: HelloOffer;
  /** The answer, once known. */
  answer?: HelloAnswer;
  #partial?: Extract<HelloAnswer, { kind: "hello" }>;

  /**
   * Creates a reader for one ClientHello's answer.
   *
   * @param offer what was offered (to check the choice and to know how far to read)
   */
  constructor(offer: HelloOffer) {
    this.#offer = offer;
  }

  /**
   * Takes received bytes.
   *
   * @param chunk the bytes
   * @throws TlsprobeError NOT_TLS, PEER_MALFORMED
   */
  push(chunk: Uint8Array): void {
    // The one bounded flight reader (core/wire/flight.ts): its limits hold here too.
    this.#flight.push(chunk);
    for (;;) {
      if (this.answer) return;
      const item = this.#flight.next();
      if (!item) return;
      switch (item.kind) {
        case "message":
          this.#message(item.message.type, item.message.body, item.message.offset);
          continue;
        case "alert": {
          if (this.#partial) {
            this.answer = this.#partial; // the ServerHello was read: that is the answer
            return;
          }
          const e = alertError(item.alert, "the ServerHello");
          this.answer = { kind: "alert", alert: item.alert.name, code: e.code };
          return;
        }
        case "changeCipherSpec":
          continue;
        case "protected":
          throw new TlsprobeError(
            "PEER_MALFORMED",
            `Unexpected record type ${item.record.type} before the ServerHello`,
            { offset: item.record.offset, field: "record.type" },
          );
      }
    }
  }

  /** What to report when the connection ends early: the ServerHello when it was read. */
  get partial(): HelloAnswer | undefined {
    return this.#partial;
  }

  #message(type: number, body: Uint8Array, offset: number): void {
    if (!this.#partial) {
      if (type !== HS.serverHello) {
        throw new TlsprobeError(
          "PEER_MALFORMED",
          `Expected a ServerHello, got handshake message type ${type}`,
          { offset, field: "handshake.type" },
        );
      }
      const sh = parseServerHello(body, offset);
      if (!this.#offer.suites.includes(sh.cipherSuite)) {
        throw new TlsprobeError(
          "PEER_MALFORMED",
          `The server chose cipher suite 0x${sh.cipherSuite.toString(16)}, which was not offered`,
          { field: "server_hello.cipher_suite", cipherSuite: sh.cipherSuite },
        );
      }
      const hello: Extract<HelloAnswer, { kind: "hello" }> = { kind: "hello", serverHello: sh };
      const further = this.#offer.untilKeyExchange || this.#offer.untilDone;
      if (!further || sh.version >= TLS1_3 || sh.helloRetryRequest) {
        this.answer = hello;
        return;
      }
      this.#partial = hello;
      return;
    }
    if (type === HS.certificateRequest && this.#offer.untilDone) {
      const cr = parseCertificateRequest(body, this.#partial.serverHello.version, offset);
      this.#partial.certificateRequest = { caNames: cr.certificateAuthorities };
      return;
    }
    if (type === HS.serverKeyExchange) {
      const sh = this.#partial.serverHello;
      const s = cipherSuiteByCode(sh.cipherSuite);
      const kind = s?.kx === "DH" ? "DHE" : "ECDHE";
      const ske = parseServerKeyExchange(
        body,
        { kind, tls12: sh.version >= TLS1_2, anonymous: s?.au === "None" },
        offset,
      );
      this.#partial.keyExchange = {
        group: ske.namedGroup,
        dhBits: ske.dhBits,
        dhGroup: ske.dhP ? ffdheGroupOf(ske.dhP) : undefined,
        scheme: ske.signatureScheme,
      };
      if (!this.#offer.untilDone) this.answer = this.#partial;
      return;
    }
    if (type === HS.serverHelloDone) this.answer = this.#partial;
  }
}

/**
 * What a TLS 1.0–1.2 client without a certificate sends after a
 * CertificateRequest: an empty Certificate (RFC 5246 §7.4.6), then a
 * ClientKeyExchange whose public value is deliberately invalid, so the
 * server answers at once either way: an alert about the certificate when it
 * requires one (it checks the Certificate message first), an alert about
 * the key exchange when it does not.
 *
 * @param version the negotiated version
 * @param dhe whether the suite is DHE (else ECDHE)
 * @returns the record
 * @example
 * ```ts
 * import { encodeNoCertificate } from "./hello.ts";
 * const b = encodeNoCertificate(0x0303, false);
 * console.assert(b[0] === 22 && b[5] === 11);
 * ```
 */
export function encodeNoCertificate(version: number, dhe: boolean): Uint8Array {
  const empty = encodeHandshake(HS.certificate, new Writer().u24(0).finish());
  // A one-byte value: no valid EC point nor DH public value (RFC 4492 §5.7, RFC 5246 §7.4.7.2).
  const cke = encodeHandshake(
    HS.clientKeyExchange,
    dhe ? new Writer().u16(1).u8(1).finish() : new Writer().u8(1).u8(0).finish(),
  );
  const both = new Uint8Array(empty.length + cke.length);
  both.set(empty);
  both.set(cke, empty.length);
  return encodeHandshakeRecords(both, version);
}

/**
 * Alerts that mean the server wants a client certificate (after an empty
 * Certificate): handshake_failure is what OpenSSL sends for TLS 1.2.
 */
export const CERTIFICATE_ALERTS: readonly string[] = [
  "handshake_failure",
  "bad_certificate",
  "certificate_required",
  "certificate_unknown",
  "unsupported_certificate",
  "access_denied",
];

/** SSL 2.0 cipher kinds (RFC draft "The SSL Protocol", appendix C). */
const SSL2_SPECS = [0x010080, 0x020080, 0x030080, 0x040080, 0x050080, 0x060040, 0x0700c0];

/**
 * An SSL 2.0 CLIENT-HELLO offering every SSL 2.0 cipher kind.
 *
 * @returns the record, with its two-byte header
 * @example
 * ```ts
 * import { encodeSslv2Hello } from "./hello.ts";
 * const b = encodeSslv2Hello();
 * console.assert((b[0] & 0x80) !== 0 && b[2] === 1);
 * ```
 */
export function encodeSslv2Hello(): Uint8Array {
  const specs = new Writer();
  for (const c of SSL2_SPECS) specs.u8(c >> 16).u16(c & 0xffff);
  const specBytes = specs.finish();
  const challenge = crypto.getRandomValues(new Uint8Array(16));
  const body = new Writer().u8(1).u16(0x0002).u16(specBytes.length).u16(0).u16(challenge.length)
    .bytes(specBytes).bytes(challenge).finish();
  return new Writer().u16(0x8000 | body.length).bytes(body).finish();
}

/**
 * Whether bytes start an SSL 2.0 SERVER-HELLO (two-byte header, message type 4).
 *
 * @param b the first bytes received
 * @returns true for an SSLv2 SERVER-HELLO
 */
export function isSslv2ServerHello(b: Uint8Array): boolean {
  return b.length >= 3 && (b[0] & 0x80) !== 0 && b[2] === 4;
}
