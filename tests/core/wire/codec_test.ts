/**
 * The Reader/Writer pair, the record layer's refusals and ClientHello
 * building: literal bytes, typed errors with offsets.
 */
import assert from "node:assert/strict";
import {
  buildClientHello,
  encodeRecord,
  fromHex,
  HandshakeBuffer,
  isSslv2ClientHello,
  parseAlert,
  parseClientHello,
  parseServerHello,
  parseSslv2ClientHello,
  Reader,
  RecordBuffer,
  toHex,
  Writer,
} from "../../../core/wire/mod.ts";
import { TlsprobeError } from "../../../core/errors.ts";

function throwsCode(fn: () => unknown, code: string, offset?: number): TlsprobeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TlsprobeError, String(e));
    assert.equal(e.code, code);
    if (offset !== undefined) assert.equal(e.detail.offset, offset);
    return e;
  }
  assert.fail("did not throw");
}

Deno.test("Reader reads integers and vectors and reports absolute offsets", () => {
  const r = new Reader(fromHex("01 0203 040506 0708090a 02 aabb 0003 112233"), 100);
  assert.equal(r.u8("a"), 1);
  assert.equal(r.u16("b"), 0x0203);
  assert.equal(r.u24("c"), 0x040506);
  assert.equal(r.u32("d"), 0x0708090a);
  assert.equal(toHex(r.vec8("e")), "aabb");
  const sub = r.sub16("f");
  assert.equal(sub.offset, 100 + 15);
  assert.equal(sub.u8("g"), 0x11);
  const e = throwsCode(() => sub.u24("h"), "PEER_MALFORMED", 116);
  assert.match(e.message, /Truncated: need 3 byte\(s\), 2 left \(h at byte 116\)/);
  sub.u16("i");
  r.expectEmpty("all");
});

Deno.test("Reader.u32() reads values above 2^31 as positive numbers", () => {
  assert.equal(new Reader(fromHex("ffffffff")).u32("x"), 0xffffffff);
});

Deno.test("Reader rejects a vector longer than what is left, and trailing bytes", () => {
  throwsCode(() => new Reader(fromHex("05 0102")).vec8("v"), "PEER_MALFORMED", 1);
  throwsCode(() => new Reader(fromHex("00")).vec8("v", 1), "PEER_MALFORMED", 0);
  const r = new Reader(fromHex("0102"));
  r.u8("x");
  throwsCode(() => r.expectEmpty("m"), "PEER_MALFORMED", 1);
  throwsCode(() => new Reader(fromHex("0003 000102")).u16List("l"), "PEER_MALFORMED", 0);
});

Deno.test("Writer patches nested length prefixes", () => {
  const w = new Writer().u8(1).lengthPrefixed(2, (a) => {
    a.u16(0x1301).lengthPrefixed(1, (b) => b.bytes(fromHex("aabbcc")));
  }).vec24(fromHex("ff"));
  assert.equal(toHex(w.finish()), "01" + "0006" + "1301" + "03aabbcc" + "000001ff");
});

Deno.test("fromHex() rejects odd lengths and non-hex with BAD_INPUT", () => {
  throwsCode(() => fromHex("abc"), "BAD_INPUT");
  throwsCode(() => fromHex("zz"), "BAD_INPUT");
});

Deno.test("RecordBuffer says NOT_TLS for a plain-text answer and an SSLv2 record", () => {
  const http = new RecordBuffer();
  http.push(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n"));
  const e = throwsCode(() => http.next(), "NOT_TLS", 0);
  assert.match(e.message, /plain text: "HTTP\/1.1 400 Bad Request"/);
  const v2 = new RecordBuffer();
  v2.push(fromHex("8031 04 0002"));
  assert.match(throwsCode(() => v2.next(), "NOT_TLS").message, /SSLv2/);
});

Deno.test("RecordBuffer refuses a record over 2^14+2048 bytes", () => {
  const b = new RecordBuffer();
  b.push(fromHex("16 0303 4801"));
  throwsCode(() => b.next(), "PEER_MALFORMED", 3);
});

Deno.test("RecordBuffer waits for a whole record and HandshakeBuffer joins split messages", () => {
  const msg = fromHex("0e000000"); // ServerHelloDone
  const recs = new RecordBuffer();
  const bytes = encodeRecord(22, 0x0303, msg);
  recs.push(bytes.subarray(0, 6));
  assert.equal(recs.next(), undefined);
  recs.push(bytes.subarray(6));
  const r = recs.next()!;
  assert.equal(r.type, 22);
  const hs = new HandshakeBuffer();
  hs.push(r.fragment.subarray(0, 2));
  assert.equal(hs.next(), undefined);
  hs.push(r.fragment.subarray(2));
  assert.equal(hs.next()!.type, 14);
});

Deno.test("HandshakeBuffer refuses an absurd message length", () => {
  const hs = new HandshakeBuffer();
  hs.push(fromHex("0bffffff"), 10);
  throwsCode(() => hs.next(), "PEER_MALFORMED", 11);
});

Deno.test("parseAlert() names the description and needs exactly two bytes", () => {
  assert.deepEqual(parseAlert(fromHex("0228")), {
    level: 2,
    description: 40,
    name: "handshake_failure",
  });
  throwsCode(() => parseAlert(fromHex("02")), "PEER_MALFORMED", 1);
  throwsCode(() => parseAlert(fromHex("022800")), "PEER_MALFORMED", 2);
});

Deno.test("parseServerHello() rejects duplicate extensions with the offset of the second", () => {
  const body = fromHex(
    "0303" + "11".repeat(32) + "00" + "c02f" + "00" + "0008" + "0017 0000" + "0017 0000",
  );
  const e = throwsCode(() => parseServerHello(body), "PEER_MALFORMED", 44);
  assert.match(e.message, /Duplicate extension extended_master_secret/);
});

Deno.test("parseServerHello() recognises a HelloRetryRequest and its selected group", () => {
  const hrr = fromHex(
    "0303 cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c 00 1301 00" +
      "000c 002b 0002 0304 0033 0002 0018",
  );
  const sh = parseServerHello(hrr);
  assert.equal(sh.helloRetryRequest, true);
  assert.equal(sh.version, 0x0304);
  assert.equal(sh.selectedGroup, 0x0018);
});

Deno.test("buildClientHello() offers exactly what it is told, and parseClientHello() reads it back", () => {
  const ch = buildClientHello({
    versions: [0x0304, 0x0303],
    random: new Uint8Array(32).fill(7),
    sessionId: new Uint8Array(32).fill(9),
    cipherSuites: [0x1301, 0xc02f],
    groups: [0x001d, 0x0017],
    keyShares: [{ group: 0x001d, keyExchange: new Uint8Array(32).fill(1) }],
    signatureAlgorithms: [0x0804, 0x0403],
    serverName: "example.com",
    alpn: ["h2", "http/1.1"],
    statusRequest: true,
    sessionTicket: true,
    renegotiationInfo: true,
    extendedMasterSecret: true,
    fallbackScsv: true,
  });
  assert.equal(ch[0], 1);
  const p = parseClientHello(ch.subarray(4));
  assert.equal(p.legacyVersion, 0x0303);
  assert.deepEqual(p.cipherSuites, [0x1301, 0xc02f, 0x5600]);
  assert.deepEqual(p.supportedVersions, [0x0304, 0x0303]);
  assert.deepEqual(p.groups, [0x001d, 0x0017]);
  assert.equal(p.keyShares?.[0].group, 0x001d);
  assert.deepEqual(p.signatureAlgorithms, [0x0804, 0x0403]);
  assert.equal(p.serverName, "example.com");
  assert.deepEqual(p.alpn, ["h2", "http/1.1"]);
  const types = p.extensions.map((e) => e.type);
  for (const t of [5, 35, 0xff01, 23, 45]) assert.ok(types.includes(t), `extension ${t}`);
  assert.ok(!types.some((t) => (t & 0x0f0f) === 0x0a0a), "no GREASE unless asked");
});

Deno.test("buildClientHello() adds GREASE only when asked and omits TLS 1.3 extensions below 1.3", () => {
  const g = parseClientHello(
    buildClientHello({
      versions: [0x0304],
      random: new Uint8Array(32),
      cipherSuites: [0x1301],
      groups: [0x001d],
      grease: true,
    }).subarray(4),
  );
  assert.equal(g.cipherSuites[0], 0x0a0a);
  assert.equal(g.groups?.[0], 0x2a2a);
  const old = parseClientHello(
    buildClientHello({ versions: [0x0301], random: new Uint8Array(32), cipherSuites: [0x002f] })
      .subarray(4),
  );
  assert.equal(old.legacyVersion, 0x0301);
  assert.equal(old.supportedVersions, undefined);
  assert.deepEqual(old.extensions, []);
});

Deno.test("parseSslv2ClientHello() reads an SSLv2-compatible hello and keeps its TLS suites", () => {
  // RFC 5246 E.2: header 0x80 len, type 1, version 3.1, specs (3 bytes each), no session, 16-byte challenge.
  const specs = "010080" + "00002f" + "000035" + "0000ff";
  const msg = "01" + "0301" + "000c" + "0000" + "0010" + specs + "ab".repeat(16);
  const rec = fromHex((0x8000 | (msg.length / 2)).toString(16) + msg);
  assert.ok(isSslv2ClientHello(rec));
  const h = parseSslv2ClientHello(rec);
  assert.equal(h.version, 0x0301);
  assert.deepEqual(h.cipherSpecs, [0x010080, 0x00002f, 0x000035, 0x0000ff]);
  assert.deepEqual(h.cipherSuites, [0x002f, 0x0035, 0x00ff]);
  assert.equal(h.challenge.length, 16);
  for (let n = 0; n < rec.length; n++) {
    throwsCode(() => parseSslv2ClientHello(rec.subarray(0, n)), "PEER_MALFORMED");
  }
  assert.ok(!isSslv2ClientHello(fromHex("160301")));
});
