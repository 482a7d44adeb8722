/**
 * The codec against byte-exact captures from openssl s_server, gnutls-serv
 * and rustls: every message decodes to what the capture recorded, the record
 * layer reassembles the TLS 1.2 flights byte for byte, extension lists
 * re-encode to the same bytes, and every strict prefix fails cleanly.
 */
import assert from "node:assert/strict";
import { loadFixtures, parseAny } from "./_fixtures.ts";
import {
  bytesEqual,
  CONTENT,
  HandshakeBuffer,
  HS,
  parseCertificate,
  parseCertificateRequest,
  parseClientHello,
  parseServerHello,
  RecordBuffer,
  toHex,
  writeExtensions,
  Writer,
} from "../../../core/wire/mod.ts";
import { TlsprobeError } from "../../../core/errors.ts";

const fixtures = await loadFixtures();

Deno.test("fixtures: there is one per peer configuration and each names its peer", () => {
  assert.ok(fixtures.length >= 12);
  for (const f of fixtures) assert.ok(f.peer && f.peerVersion, f.name);
});

for (const f of fixtures) {
  Deno.test(`parseServerHello() and friends decode the ${f.name} capture as recorded`, async () => {
    const types = f.messages.map((m) => m[0]);
    assert.deepEqual(types, f.expect.messageTypes);
    const shs = f.messages.filter((m) => m[0] === HS.serverHello).map((m) =>
      parseServerHello(m.subarray(4))
    );
    const sh = shs[shs.length - 1];
    assert.equal(sh.version, f.expect.version);
    assert.equal(sh.cipherSuite, f.expect.cipherSuite);
    assert.equal(shs[0].helloRetryRequest, f.expect.helloRetryRequest);
    if (f.expect.version === 0x0304) assert.equal(sh.keyShare?.group, f.expect.group);
    for (const m of f.messages) {
      assert.equal((m[1] << 16) | (m[2] << 8) | m[3], m.length - 4, "handshake length");
      parseAny(m[0], m.subarray(4), f.expect.version, f.expect.cipherSuite);
    }
    const certMsg = f.messages.find((m) => m[0] === HS.certificate)!;
    const chain = parseCertificate(certMsg.subarray(4), f.expect.version === 0x0304).entries;
    assert.equal(chain.length, f.expect.chainLength);
    const sha = toHex(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(chain[0].der))),
    );
    assert.equal(sha, f.expect.leafSha256);
    const cr = f.messages.find((m) => m[0] === HS.certificateRequest);
    assert.equal(!!cr, f.expect.certificateRequest);
    if (cr) {
      const req = parseCertificateRequest(cr.subarray(4), f.expect.version);
      assert.equal(req.certificateAuthorities.length, f.expect.caNames);
    }
    const ske = f.messages.find((m) => m[0] === HS.serverKeyExchange);
    if (ske) {
      const p = parseAny(ske[0], ske.subarray(4), f.expect.version, f.expect.cipherSuite) as {
        namedGroup?: number;
        dhBits?: number;
      };
      if (f.expect.group !== null) assert.equal(p.namedGroup, f.expect.group);
      if (f.expect.dhBits !== null) assert.equal(p.dhBits, f.expect.dhBits);
    }
  });

  Deno.test(`parseClientHello() reads the ClientHello sent to ${f.name} and its extensions re-encode byte for byte`, () => {
    const ch = parseClientHello(f.clientHello.subarray(4));
    assert.ok(ch.cipherSuites.length > 10);
    assert.equal(ch.serverName, "localhost");
    const w = new Writer();
    writeExtensions(w, ch.extensions);
    const tail = f.clientHello.subarray(f.clientHello.length - w.length);
    assert.ok(bytesEqual(w.finish(), tail));
  });

  Deno.test(`every strict prefix of each ${f.name} message fails with PEER_MALFORMED`, () => {
    for (const m of f.messages) {
      const body = m.subarray(4);
      for (let n = 0; n < body.length; n++) {
        try {
          const r = parseAny(m[0], body.subarray(0, n), f.expect.version, f.expect.cipherSuite);
          // The one legal prefix: a ServerHello cut right before its extensions, which
          // reads as a TLS 1.2 ServerHello without any (RFC 5246 §7.4.1.3).
          const sh = r as { extensions?: unknown[] };
          assert.ok(
            m[0] === HS.serverHello && sh.extensions?.length === 0,
            `prefix ${n}/${body.length} of type ${m[0]} parsed`,
          );
        } catch (e) {
          assert.ok(e instanceof TlsprobeError, String(e));
          assert.equal(e.code, "PEER_MALFORMED");
          assert.equal(typeof e.detail.offset, "number");
        }
      }
    }
  });
}

for (const f of fixtures.filter((f) => f.expect.version < 0x0304)) {
  Deno.test(`RecordBuffer and HandshakeBuffer reassemble the ${f.name} flight byte for byte, in 7-byte chunks`, () => {
    const records = new RecordBuffer();
    const hs = new HandshakeBuffer();
    const got: Uint8Array[] = [];
    for (let i = 0; i < f.serverBytes.length; i += 7) {
      records.push(f.serverBytes.subarray(i, i + 7));
      for (let r = records.next(); r; r = records.next()) {
        assert.equal(r.type, CONTENT.handshake);
        hs.push(r.fragment, r.offset + 5);
        for (let m = hs.next(); m; m = hs.next()) got.push(m.raw);
      }
    }
    assert.equal(got.length, f.messages.length);
    got.forEach((m, i) => assert.ok(bytesEqual(m, f.messages[i])));
  });
}
