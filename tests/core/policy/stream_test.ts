/**
 * The hello readers over handshakes captured from OpenSSL 3.0
 * (`tools/capture_policy_fixtures.ts`), and the policy decisions on them.
 */
import assert from "node:assert/strict";
import { TlsprobeError } from "../../../core/errors.ts";
import {
  builtinPolicy,
  checkServerHello,
  decideClientHello,
  defaultPolicyEnv,
  registryGroupName,
  resolvePolicy,
} from "../../../core/policy/mod.ts";
import { ClientHelloReader, ServerFlightReader } from "../../../core/policy/stream.ts";

function fixture(name: string): Uint8Array {
  const f = JSON.parse(
    Deno.readTextFileSync(new URL(`../../fixtures/policy/${name}.json`, import.meta.url)),
  );
  return Uint8Array.from(f.hex.match(/../g)!.map((h: string) => parseInt(h, 16)));
}

const locked = resolvePolicy(builtinPolicy("book-locked-server")!, defaultPolicyEnv());

Deno.test("ClientHelloReader reads s_client's TLS 1.1 hello; the locked policy answers protocol_version", () => {
  const hello = new ClientHelloReader().push(fixture("client_hello_tls11"));
  assert.ok(hello);
  assert.equal(hello.legacyVersion, 0x0302);
  assert.equal(hello.supportedVersions, undefined);
  const d = decideClientHello(locked, hello, registryGroupName);
  assert.equal(d.alert, "protocol_version");
});

Deno.test("ClientHelloReader reads s_client's ECDH+AES256 hello; the locked policy answers handshake_failure", () => {
  const hello = new ClientHelloReader().push(fixture("client_hello_ecdh_aes256"))!;
  assert.ok(hello.cipherSuites.includes(0xc030));
  const d = decideClientHello(locked, hello, registryGroupName);
  assert.equal(d.alert, "handshake_failure");
  assert.equal(d.findings[0].rule, "offer.cipher");
});

Deno.test("ClientHelloReader reads SNI, ALPN and versions of s_client's default hello", () => {
  const hello = new ClientHelloReader().push(fixture("client_hello_default"))!;
  assert.equal(hello.serverName, "localhost");
  assert.deepEqual(hello.alpn, ["h2", "http/1.1"]);
  assert.deepEqual(hello.supportedVersions, [0x0304, 0x0303, 0x0302, 0x0301]);
  assert.equal(decideClientHello(locked, hello, registryGroupName).action, "accept");
});

Deno.test("ClientHelloReader gives the same hello fed one byte at a time, and nothing before the end", () => {
  const bytes = fixture("client_hello_default");
  const r = new ClientHelloReader();
  for (let i = 0; i < bytes.length - 1; i++) {
    assert.equal(r.push(bytes.subarray(i, i + 1)), undefined);
  }
  const hello = r.push(bytes.subarray(bytes.length - 1))!;
  assert.deepEqual(hello, new ClientHelloReader().push(bytes));
});

Deno.test("ClientHelloReader refuses what is not TLS, and a first message that is not a ClientHello", () => {
  assert.throws(
    () => new ClientHelloReader().push(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n")),
    (e) => e instanceof TlsprobeError && e.code === "NOT_TLS",
  );
  const flight = fixture("server_flight_tls12");
  assert.throws(
    () => new ClientHelloReader().push(flight),
    (e) => e instanceof TlsprobeError && e.code === "PEER_MALFORMED",
  );
});

Deno.test("ClientHelloReader: corrupted hellos raise only the project's error", () => {
  const bytes = fixture("client_hello_default");
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  for (let i = 0; i < 2000; i++) {
    const b = bytes.slice();
    for (let k = 0; k < 3; k++) b[5 + (rand() % (b.length - 5))] = rand() & 0xff;
    try {
      new ClientHelloReader().push(b);
    } catch (e) {
      assert.ok(e instanceof TlsprobeError, `mutation ${i}: ${e}`);
    }
  }
});

Deno.test("ServerFlightReader reads s_server's TLS 1.2 flight: version, suite, group", () => {
  const r = new ServerFlightReader();
  assert.equal(r.push(fixture("server_flight_tls12")), true);
  const f = r.flight!;
  assert.equal(f.serverHello.version, 0x0303);
  assert.equal(f.group, "x25519");
  assert.equal(
    checkServerHello(locked, {
      version: f.serverHello.version,
      cipherSuite: f.serverHello.cipherSuite,
      compressionMethod: f.serverHello.compression,
      group: f.group,
    }).verdict,
    "fail",
  ); // OpenSSL's default order picks an AES256 suite
});

Deno.test("ServerFlightReader reads s_server's TLS 1.3 ServerHello and stops there", () => {
  const bytes = fixture("server_flight_tls13");
  const r = new ServerFlightReader();
  // Byte by byte: done exactly when the ServerHello record is complete.
  let at = -1;
  for (let i = 0; i < bytes.length; i++) {
    if (r.push(bytes.subarray(i, i + 1))) {
      at = i;
      break;
    }
  }
  const recordLength = 5 + ((bytes[3] << 8) | bytes[4]);
  assert.equal(at, recordLength - 1);
  assert.equal(r.flight!.serverHello.version, 0x0304);
  assert.equal(r.flight!.group, "x25519");
});

Deno.test("ServerFlightReader: every strict prefix of the TLS 1.2 flight is incomplete, never an error", () => {
  const bytes = fixture("server_flight_tls12");
  for (let n = 0; n < bytes.length; n++) {
    const r = new ServerFlightReader();
    const done = r.push(bytes.subarray(0, n));
    // Done early only once the ServerKeyExchange is in (the ServerHelloDone may follow).
    if (done) assert.ok(r.flight?.group, `prefix ${n}`);
  }
});
