/** `tlsprobe serve` against real clients: openssl s_client, the project's own client, and misbehaving ones. */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";
import { ROOT, run, startPeer, startTlsprobe, tlsprobe } from "../_helpers/process.ts";

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

/** Whether something accepts connections on the port. */
async function listening(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** Waits until nothing listens on the port; returns how long it took (ms), or -1 after `ms`. */
async function freedWithin(port: number, ms: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    if (!(await listening(port))) return performance.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return -1;
}

Deno.test("SIGINT and SIGTERM stop serve cleanly: listener closed, exit 130 and 143", async () => {
  for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
    const server = await startTlsprobe(
      ["serve", "--cert", pki.localhostPem, "--port", "0"],
      LISTENING,
    );
    try {
      Deno.kill(server.pid, signal);
      const st = await server.status;
      assert.equal(st.code, code, server.output());
      assert.equal(await listening(server.port), false);
    } finally {
      await server.stop();
    }
  }
});

Deno.test("SIGTERM to serve under `deno task` frees its port within a second; so does stopping npx by its PID", async () => {
  const launchers: Array<[string, string[]]> = [[Deno.execPath(), ["task", "tlsprobe"]]];
  if ((await run("npx", ["--version"]).catch(() => ({ code: 1 }))).code === 0) {
    launchers.push(["npx", ["-y", "deno@2.9.6", "task", "tlsprobe"]]);
  }
  for (const [cmd, pre] of launchers) {
    const server = await startPeer(
      cmd,
      [...pre, "serve", "--cert", pki.localhostPem, "--port", "0"],
      { ready: LISTENING, cwd: ROOT, env: { NO_COLOR: "1" }, timeoutMs: 60_000 },
    );
    try {
      // The server reads its launchers once it starts; give it that moment.
      await new Promise((r) => setTimeout(r, 1500));
      Deno.kill(server.pid, "SIGTERM");
      // Within a second, plus the suite's margin for a busy CPU (3 s).
      const ms = await freedWithin(server.port, 1000 + 3000);
      assert.ok(ms >= 0, `${cmd}: port ${server.port} still listening 4 s after SIGTERM`);
    } finally {
      await server.stop();
    }
  }
});

Deno.test("server log lines for the six common client failures name the real cause, from the server's side", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostPem, "--port", "0", "--client-ca", pki.caCrt],
    LISTENING,
  );
  const s = (args: string[]) =>
    run("openssl", ["s_client", "-connect", `127.0.0.1:${server.port}`, "-ign_eof", ...args], {
      stdin: "",
    });
  try {
    // 1. An old client: TLS 1.0 only.
    await s(["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    await server.waitFor(
      /PROTOCOL_VERSION: The client at 127\.0\.0\.1:\d+ offered at most TLS 1\.0 \(TLS 1\.0, SSL 3(?:\.0)?\); this server speaks TLS 1\.2 to TLS 1\.3/,
    );
    // 2. No suite in common.
    await s(["-tls1_2", "-cipher", "AES128-SHA"]);
    await server.waitFor(
      /NO_SHARED_CIPHER: The client at 127\.0\.0\.1:\d+ offered 1 cipher suite for TLS 1\.2, none that this server speaks/,
    );
    // 3. The client does not trust this server's CA.
    await s(["-verify_return_error", "-cert", pki.clientCrt, "-key", pki.clientKey]);
    await server.waitFor(
      /ALERT: The client at 127\.0\.0\.1:\d+ refused this server's certificate \(alert unknown_ca\)/,
    );
    // 4. No client certificate.
    await s(["-CAfile", pki.caCrt]);
    await server.waitFor(
      /CLIENT_CERT_REQUIRED: Refused the client at 127\.0\.0\.1:\d+: it sent no certificate and this server requires one/,
    );
    // 5. Plaintext HTTP.
    const http = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await http.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
    await http.read(new Uint8Array(64)).catch(() => null);
    http.close();
    await server.waitFor(
      /NOT_TLS: The client at 127\.0\.0\.1:\d+ did not speak TLS: it sent plain text "GET \/ HTTP\/1\.0"/,
    );
    // 6. A port scan.
    (await Deno.connect({ hostname: "127.0.0.1", port: server.port })).close();
    await server.waitFor(
      /CONNECTION_CLOSED: The client at 127\.0\.0\.1:\d+ closed the connection without sending anything/,
    );
    // Never client-side advice in a server's log.
    assert.doesNotMatch(
      server.output(),
      /-c\/--cert|tlsprobe connect|pass -a|NOT_TLS[^\n]*TLS 1\.0/,
    );
  } finally {
    await server.stop();
  }
});
