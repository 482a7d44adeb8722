/**
 * inspect() replayed over captured TLS 1.0–1.2 flights (no crypto is needed
 * to read them): the observation matches what the capture recorded, and a
 * server that closes early, answers with an alert, or picks something that
 * was not offered gets a typed error.
 */
import assert from "node:assert/strict";
import { loadFixtures } from "../wire/_fixtures.ts";
import { inspect, type InspectOptions } from "../../../core/handshake/inspect.ts";
import { replayTransport } from "../../../core/handshake/transport.ts";
import {
  DEFAULT_CIPHER_SUITES,
  DEFAULT_GROUPS,
  DEFAULT_SIGNATURE_ALGORITHMS,
} from "../../../core/handshake/defaults.ts";
import { fromHex, toHex } from "../../../core/wire/codec.ts";
import { TlsprobeError } from "../../../core/errors.ts";

const offer: InspectOptions = {
  versions: [0x0303, 0x0302, 0x0301],
  cipherSuites: [...DEFAULT_CIPHER_SUITES],
  groups: [...DEFAULT_GROUPS],
  signatureAlgorithms: [...DEFAULT_SIGNATURE_ALGORITHMS],
  serverName: "localhost",
};

const fixtures = (await loadFixtures()).filter((f) => f.expect.version < 0x0304);

for (const f of fixtures) {
  Deno.test(`inspect() replayed over ${f.name} observes what the capture recorded`, async () => {
    const t = replayTransport([f.serverBytes]);
    const o = await inspect(t, offer);
    assert.equal(o.version, f.expect.version);
    assert.equal(o.cipherSuite, f.expect.cipherSuite);
    assert.equal(o.keyExchange.group ?? null, f.expect.group);
    assert.equal(o.keyExchange.dhBits ?? null, f.expect.dhBits);
    assert.equal(o.certificates.length, f.expect.chainLength);
    assert.equal(!!o.ocspResponse, f.expect.ocspStapled);
    assert.equal(!!o.certificateRequest, f.expect.certificateRequest);
    assert.deepEqual(o.messages, f.expect.messageTypes);
    const sha = toHex(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(o.certificates[0]))),
    );
    assert.equal(sha, f.expect.leafSha256);
    // The client random differs from the capture's, so a TLS 1.2 signature cannot verify.
    if (o.signature && f.expect.version === 0x0303) assert.equal(o.signature.valid, false);
    assert.equal(t.written.length, 1, "only the ClientHello is sent");
  });
}

Deno.test("inspect() turns a server alert into its stable code", async () => {
  await assert.rejects(
    () => inspect(replayTransport([fromHex("15030300020228")]), offer),
    (e) =>
      e instanceof TlsprobeError && e.code === "HANDSHAKE_FAILURE" &&
      e.detail.alert === "handshake_failure",
  );
  await assert.rejects(
    () => inspect(replayTransport([fromHex("15030300020246")]), offer),
    (e) => e instanceof TlsprobeError && e.code === "PROTOCOL_VERSION",
  );
});

Deno.test("inspect() reports a server that closes mid-flight as CONNECTION_CLOSED", async () => {
  const f = fixtures[0];
  await assert.rejects(
    () => inspect(replayTransport([f.serverBytes.subarray(0, 100)]), offer),
    (e) => e instanceof TlsprobeError && e.code === "CONNECTION_CLOSED",
  );
});

Deno.test("inspect() refuses a version or suite that was not offered", async () => {
  const f = fixtures.find((x) => x.expect.version === 0x0303)!;
  await assert.rejects(
    () => inspect(replayTransport([f.serverBytes]), { ...offer, versions: [0x0302, 0x0301] }),
    (e) =>
      e instanceof TlsprobeError && e.code === "PEER_MALFORMED" && /not offered/.test(e.message),
  );
  await assert.rejects(
    () => inspect(replayTransport([f.serverBytes]), { ...offer, cipherSuites: [0x002f] }),
    (e) =>
      e instanceof TlsprobeError && e.code === "PEER_MALFORMED" && /not offered/.test(e.message),
  );
});
