/**
 * `connect --policy`: the runtime's TLS client cannot be told a policy, so the
 * session is watched on the way and cut before any data when it breaks it.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";
import { startOpensslServer, tlsprobe } from "../_helpers/process.ts";

Deno.test("connect --policy refuses a session that breaks the policy and passes one that keeps it", async () => {
  const pki = await makeTestPki();
  const server = await startOpensslServer([
    "-www",
    "-cert",
    pki.localhostPem,
    "-tls1_2",
    "-cipher",
    "ECDHE-RSA-AES256-GCM-SHA384",
  ]);
  try {
    const args = (policy: string) => [
      "connect",
      "--policy",
      policy,
      "-a",
      pki.caCrt,
      "--send",
      "GET / HTTP/1.0\r\n\r\n",
      "--json",
      "localhost",
      String(server.port),
    ];
    // ECDH+AES128 only: rustls and the server agree on AES256, which the policy forbids.
    const bad = await tlsprobe(args("book-locked-server"));
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    const b = JSON.parse(bad.stdout);
    assert.equal(b.error.code, "CHECK_FAILED");
    assert.equal(b.receivedBytes, 0);
    assert.equal(b.policy.verdict, "fail");
    assert.deepEqual(b.policy.findings.map((f: { rule: string }) => f.rule), ["cipher"]);

    const good = await tlsprobe(args("mozilla-intermediate"));
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const g = JSON.parse(good.stdout);
    assert.equal(g.policy.verdict, "pass");
    assert.equal(g.handshake.version, "TLSv1.2");
    assert.equal(g.handshake.cipher.openssl, "ECDHE-RSA-AES256-GCM-SHA384");
    assert.ok(g.receivedBytes > 0);
    assert.equal(g.target.address, "127.0.0.1");
  } finally {
    await server.stop();
    await removeTestPki(pki);
  }
});
