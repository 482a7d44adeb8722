/**
 * Anonymous suites (no certificate, no signature in ServerKeyExchange) are
 * observed, not refused as malformed: against `openssl s_server -nocert` with
 * ADH and AECDH suites at security level 0.
 */
import assert from "node:assert/strict";
import { probe } from "../../../core/net/probe.ts";
import { startOpensslServer } from "../../_helpers/process.ts";

for (
  const [name, code, kind] of [
    ["ADH-AES128-SHA", 0x0034, "DHE"],
    ["AECDH-AES128-SHA", 0xc018, "ECDHE"],
  ] as const
) {
  Deno.test(`probe observes the anonymous suite ${name} (ServerKeyExchange without a signature)`, async () => {
    const server = await startOpensslServer([
      "-nocert",
      "-tls1_2",
      "-cipher",
      `${name}:@SECLEVEL=0`,
      "-www",
    ]);
    try {
      const r = await probe({
        host: "127.0.0.1",
        port: server.port,
        versions: [0x0303],
        cipherSuites: [code],
        timeoutMs: 10_000,
        now: new Date(),
        noTrust: true,
      });
      assert.equal(r.error, undefined, r.error?.message);
      const obs = r.observation!;
      assert.equal(obs.cipherSuite, code);
      assert.equal(obs.certificates.length, 0);
      assert.equal(obs.keyExchange.kind, kind);
      assert.equal(obs.serverKeyExchange?.signature.length, 0);
      assert.equal(obs.signature, undefined);
    } finally {
      await server.stop();
    }
  });
}
