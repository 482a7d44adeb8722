/** `tlsprobe serve` against real clients: openssl s_client, the project's own client, and misbehaving ones. */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";
import { run, startTlsprobe, tlsprobe } from "../_helpers/process.ts";

const pki = await makeTestPki();
const LISTENING = /Listening at interface '127\.0\.0\.1' and port (\d+)/;

Deno.test("openssl s_client -CAfile verifies serve and receives the greeting", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostPem, "--port", "0"],
    LISTENING,
  );
  try {
    const r = await run("openssl", [
      "s_client",
      "-connect",
      `127.0.0.1:${server.port}`,
      "-servername",
      "localhost",
      "-verify_hostname",
      "localhost",
      "-CAfile",
      pki.caCrt,
      "-verify_return_error",
      "-ign_eof",
    ], { stdin: "" });
    assert.match(r.stdout, /Verify return code: 0 \(ok\)/, r.stdout + r.stderr);
    assert.match(r.stdout, /Simple is better than complex\./);
    await server.waitFor(/Connection from host '127\.0\.0\.1' and port \d+/);
  } finally {
    await server.stop();
  }
});

Deno.test("serve --greeting sends the given text; --host '' listens on every interface", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostPem, "--host", "", "--port", "0", "--greeting", "hello there"],
    /Listening at interface '' and port (\d+)/,
  );
  try {
    const r = await tlsprobe(["connect", "-a", pki.caCrt, "localhost", String(server.port)]);
    assert.match(r.stdout, /b'hello there'/);
  } finally {
    await server.stop();
  }
});

Deno.test("a client sending garbage and one that stalls are logged and disturb no other client", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostPem, "--port", "0", "--timeout", "3"],
    LISTENING,
  );
  const staller = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  try {
    const garbage = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await garbage.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    // A good client is served while the other two misbehave.
    const r = await tlsprobe(["connect", "-a", pki.caCrt, "localhost", String(server.port)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /b'Simple is better than complex\.'/);
    await server.waitFor(/NOT_TLS: The client at 127\.0\.0\.1:\d+ did not speak TLS/);
    await server.waitFor(/TIMEOUT: 127\.0\.0\.1:\d+ did not complete the TLS handshake within 3 s/);
    garbage.close();
    // Still serving after all that.
    const again = await tlsprobe(["connect", "-a", pki.caCrt, "localhost", String(server.port)]);
    assert.equal(again.code, 0, again.stderr);
  } finally {
    staller.close();
    await server.stop();
  }
});

Deno.test("serve --once exits after one client, with that client's status; --json prints event lines", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostPem, "--port", "0", "--once", "--json"],
    /"event":"listening".*"port":(\d+)/,
  );
  const r = await tlsprobe(["connect", "-a", pki.caCrt, "localhost", String(server.port)]);
  assert.equal(r.code, 0, r.stderr);
  const status = await server.status;
  assert.equal(status.code, 0);
  const events = server.output().trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.event), [
    "listening",
    "connection",
    "handshake",
    "sent",
    "closed",
    "stopped",
  ]);
  assert.ok(events.every((e) => e.schemaVersion === 1));

  const failing = await startTlsprobe([
    "serve",
    "--cert",
    pki.localhostPem,
    "--port",
    "0",
    "--once",
  ], LISTENING);
  const bad = await tlsprobe(["connect", "localhost", String(failing.port)]); // no -a: refuses the server
  assert.equal(bad.code, 1);
  assert.equal((await failing.status).code, 4, failing.output());
});

Deno.test("serve refuses a busy port and a mismatched key with one clear line", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const busy = await tlsprobe([
      "serve",
      "--cert",
      pki.localhostPem,
      "--port",
      String((l.addr as Deno.NetAddr).port),
    ]);
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /already in use/);
  } finally {
    l.close();
  }
  const mismatch = await tlsprobe([
    "serve",
    "--cert",
    pki.localhostCrt,
    "--key",
    pki.clientKey,
    "--port",
    "0",
  ]);
  assert.equal(mismatch.code, 2, mismatch.stderr);
  assert.match(mismatch.stderr, /BAD_INPUT: Cannot use the certificate and key/);
});

addEventListener("beforeunload", () => removeTestPki(pki));
