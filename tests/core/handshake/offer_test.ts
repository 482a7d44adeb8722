/**
 * The probe's option parsing: protocol names and ranges, cipher lists and
 * OpenSSL cipher strings, group names.
 */
import assert from "node:assert/strict";
import { parseCipherList, parseGroupList, parseProtocols } from "../../../core/handshake/offer.ts";
import { TlsprobeError } from "../../../core/errors.ts";

const isBadInput = (e: unknown) => e instanceof TlsprobeError && e.code === "BAD_INPUT";

Deno.test("parseProtocols() takes single versions, ranges and the book's SSLv23", () => {
  assert.deepEqual(parseProtocols("TLSv1.2"), [0x0303]);
  assert.deepEqual(parseProtocols("SSLv3"), [0x0300]);
  assert.deepEqual(parseProtocols("TLSv1"), [0x0301]);
  assert.deepEqual(parseProtocols("TLSv1_1"), [0x0302]);
  assert.deepEqual(parseProtocols("TLSv1:TLSv1.1"), [0x0302, 0x0301]);
  assert.deepEqual(parseProtocols("TLSv1.2:"), [0x0304, 0x0303]);
  assert.deepEqual(parseProtocols("SSLv23"), [0x0304, 0x0303, 0x0302, 0x0301]);
  assert.throws(() => parseProtocols("TLSv9"), isBadInput);
  assert.throws(() => parseProtocols("TLSv1.3:TLSv1"), isBadInput);
  assert.throws(() => parseProtocols("SSLv2"), isBadInput);
});

Deno.test("parseCipherList() takes OpenSSL and IANA names and keeps TLS 1.3 defaults", () => {
  assert.deepEqual(parseCipherList("ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"), [
    0x1302,
    0x1303,
    0x1301,
    0xc02f,
    0x002f,
  ]);
  assert.deepEqual(
    parseCipherList("TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    [
      0x1301,
      0xc02f,
    ],
  );
});

Deno.test("parseCipherList() expands OpenSSL cipher strings as OpenSSL 3.0 does", () => {
  const s = parseCipherList("ECDH+AES128");
  assert.ok(s.includes(0xc02b) && s.includes(0xc02f));
  assert.ok(!s.includes(0x009c), "no RSA key exchange in ECDH+AES128");
  assert.throws(() => parseCipherList("NOT-A-CIPHER"), isBadInput);
  assert.throws(() => parseCipherList(""), isBadInput);
});

Deno.test("parseGroupList() takes IANA and OpenSSL names", () => {
  assert.deepEqual(parseGroupList("X25519:P-256,secp384r1,X25519MLKEM768"), [
    0x001d,
    0x0017,
    0x0018,
    0x11ec,
  ]);
  assert.throws(() => parseGroupList("P-999"), isBadInput);
});
