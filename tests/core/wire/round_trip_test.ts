/**
 * `encode(parse(bytes))` gives back `bytes`, byte for byte, for every message
 * of every captured fixture (OpenSSL, GnuTLS and rustls peers) and for the
 * ClientHello each fixture's client sent; every strict prefix of each
 * message fails with the project's own error.
 */
import assert from "node:assert/strict";
import { TlsprobeError } from "../../../core/errors.ts";
import { toHex } from "../../../core/wire/codec.ts";
import {
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateStatus,
  encodeCertificateVerify,
  encodeClientHello,
  encodeEncryptedExtensions,
  encodeNewSessionTicket,
  encodeServerHello,
  encodeServerKeyExchange,
} from "../../../core/wire/encode.ts";
import {
  type CertificateMessage,
  type CertificateRequest,
  type CertificateVerify,
  type EncryptedExtensions,
  HS,
  type NewSessionTicket,
  parseClientHello,
  type ServerHello,
  type ServerKeyExchange,
} from "../../../core/wire/mod.ts";
import { loadFixtures, parseAny } from "./_fixtures.ts";

const fixtures = await loadFixtures();

function encodeAny(type: number, parsed: unknown, version: number): Uint8Array | undefined {
  const tls13 = version === 0x0304;
  switch (type) {
    case HS.serverHello:
      return encodeServerHello(parsed as ServerHello);
    case HS.encryptedExtensions:
      return encodeEncryptedExtensions(parsed as EncryptedExtensions);
    case HS.certificate:
      return encodeCertificate(parsed as CertificateMessage, tls13);
    case HS.certificateStatus:
      return encodeCertificateStatus(parsed as Uint8Array);
    case HS.serverKeyExchange:
      return encodeServerKeyExchange(parsed as ServerKeyExchange);
    case HS.certificateRequest:
      return encodeCertificateRequest(parsed as CertificateRequest, version);
    case HS.serverHelloDone:
      return new Uint8Array(0);
    case HS.certificateVerify:
      return encodeCertificateVerify(parsed as CertificateVerify);
    case HS.newSessionTicket:
      return encodeNewSessionTicket(parsed as NewSessionTicket, tls13);
    case HS.finished:
      return parsed as Uint8Array;
  }
  return undefined;
}

Deno.test("fixtures: there is one to round-trip", () => {
  assert.ok(fixtures.length >= 10, `${fixtures.length} fixtures`);
});

for (const f of fixtures) {
  Deno.test(`encode(parse(m)) equals m for every message of the ${f.name} handshake`, () => {
    const types = new Set<number>();
    for (const m of f.messages) {
      const type = m[0];
      const body = m.subarray(4);
      const parsed = parseAny(type, body, f.expect.version, f.expect.cipherSuite);
      if (parsed === undefined && type !== HS.serverHelloDone) continue;
      const again = encodeAny(type, parsed, f.expect.version);
      assert.ok(again, `no encoder for type ${type}`);
      assert.equal(toHex(again), toHex(body), `${f.name}: message type ${type}`);
      types.add(type);
    }
    assert.ok(types.has(HS.serverHello) && types.has(HS.certificate), f.name);
  });

  Deno.test(`encodeClientHello(parseClientHello(b)) equals b for the ${f.name} client`, () => {
    const body = f.clientHello.subarray(4);
    assert.equal(toHex(encodeClientHello(parseClientHello(body))), toHex(body));
  });

  Deno.test(`every strict prefix of each ${f.name} message fails with the project's error`, () => {
    for (const m of f.messages) {
      const body = m.subarray(4);
      for (let n = 0; n < body.length; n++) {
        try {
          parseAny(m[0], body.subarray(0, n), f.expect.version, f.expect.cipherSuite);
        } catch (e) {
          assert.ok(e instanceof TlsprobeError, `type ${m[0]} cut at ${n}: ${e}`);
          continue;
        }
        // A prefix that parses must be a shorter valid message only where the
        // format allows it (a ServerHello without its extension block).
        assert.ok(
          m[0] === HS.serverHello || m[0] === HS.serverHelloDone,
          `type ${m[0]} cut at ${n} of ${body.length} parsed`,
        );
      }
    }
  });
}
