/**
 * The book's experiments against `serve --policy`, with `openssl s_client` as
 * the client: the hand-locked TLS 1.2 `ECDH+AES128` server turns away a
 * TLS 1.1 client with a protocol_version alert and a client without an
 * allowed suite with a handshake_failure alert, and accepts a compliant one.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki, type TestPki } from "../_helpers/pki.ts";
import { type Peer, run, startTlsprobe, tlsprobe } from "../_helpers/process.ts";

const READY = /Listening at interface '127\.0\.0\.1' and port (\d+)/;

function sClient(port: number, args: string[]) {
  return run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...args], { stdin: "" });
}

/** Waits until the server has printed `re` (its report lines come after the client ends). */
async function expectOutput(server: Peer, re: RegExp): Promise<void> {
  await server.waitFor(re);
}

async function withServer(
  args: string[],
  fn: (server: Peer, pki: TestPki) => Promise<void>,
  ready = READY,
): Promise<void> {
  const pki = await makeTestPki();
  let server: Peer | undefined;
  try {
    server = await startTlsprobe(
      // The runtime's TLS behind the policy gate (auto would take the lab
      // engine for these policies: tests/cli/serve_engine_test.ts).
      ["serve", "--cert", pki.localhostPem, "--port", "0", "--engine", "runtime", ...args],
      ready,
    );
    await fn(server, pki);
  } finally {
    await server?.stop();
    await removeTestPki(pki);
  }
}

/** The closest this OpenSSL allows to the book's `-C 'ECDH+3DES'`. */
async function weakCipherArgs(): Promise<string[]> {
  const has3des = (await run("openssl", ["ciphers", "ECDH+3DES:@SECLEVEL=0"])).code === 0;
  // Debian's OpenSSL 3.0 has no 3DES at all; ECDH+AES256 is what the book's
  // locked context passes over ("choose over AES256").
  return has3des ? ["-cipher", "ECDH+3DES:@SECLEVEL=0"] : ["-cipher", "ECDH+AES256"];
}

Deno.test("serve --policy book-locked-server: the book's two refusals and a compliant client", async () => {
  await withServer(["--policy", "book-locked-server", "--report"], async (server, pki) => {
    // 1. test_tls.py -p TLSv1_1: a protocol_version alert (70).
    const old = await sClient(server.port, ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    assert.match(old.stdout + old.stderr, /alert protocol version.*SSL alert number 70/s);
    await expectOutput(server, /Refused client 127\.0\.0\.1:\d+ with a protocol_version alert/);
    assert.match(server.output(), /Versions offered\.+ TLSv1\.1 TLSv1 SSLv3/);

    // 2. test_tls.py -C 'ECDH+3DES' (or the closest): a handshake_failure alert (40).
    const weak = await sClient(server.port, ["-tls1_2", ...(await weakCipherArgs())]);
    assert.match(weak.stdout + weak.stderr, /alert handshake failure.*SSL alert number 40/s);
    await expectOutput(server, /Refused client 127\.0\.0\.1:\d+ with a handshake_failure alert/);

    // 3. A compliant client: TLS 1.2 with an ECDH+AES128 suite gets the greeting.
    const good = await sClient(server.port, [
      "-tls1_2",
      "-cipher",
      "ECDH+AES128",
      "-CAfile",
      pki.caCrt,
      "-servername",
      "localhost",
    ]);
    assert.match(good.stdout, /Cipher is ECDHE-RSA-AES128-GCM-SHA256/);
    assert.match(good.stdout, /Verify return code: 0 \(ok\)/);
    await expectOutput(server, /Policy on the session\.+ pass \(book-locked-server\)/);
    assert.match(server.output(), /Protocol version negotiated\.+ TLSv1\.2/);
    assert.match(
      server.output(),
      /Cipher chosen for this connection\.+ ECDHE-RSA-AES128-GCM-SHA256/,
    );
  });
});

Deno.test("serve --policy book-locked-server keeps a TLS 1.2+1.3 client to TLS 1.2, and says why it refuses the suite the engine chose", async () => {
  await withServer(["--policy", "book-locked-server", "--report"], async (server) => {
    // A client offering TLS 1.3 and 1.2: the policy's versions pin the engine
    // to TLS 1.2, as OpenSSL locked to 1.2 would. The runtime's TLS cannot be
    // told a cipher list, follows this client's order (AES256 first) and the
    // session is refused before the ServerHello reaches the client.
    const r = await sClient(server.port, []);
    assert.match(r.stdout + r.stderr, /SSL alert number 40/);
    await expectOutput(server, /the TLS engine chose outside the policy/);
    assert.match(server.output(), /Versions offered\.+ TLSv1\.3 TLSv1\.2/);
    assert.match(server.output(), /Protocol version negotiated\.+ TLSv1\.2/);
    assert.doesNotMatch(server.output(), /negotiated\.+ TLSv1\.3/);
    assert.match(server.output(), /Policy on the session\.+ fail \(book-locked-server\)/);

    // An offer the policy allows but the runtime's TLS does not speak (CBC in
    // TLS 1.2): refused at the ClientHello, naming what was offered.
    const cbc = await sClient(server.port, ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"]);
    assert.match(cbc.stdout + cbc.stderr, /SSL alert number 40/);
    await expectOutput(
      server,
      /NO_SHARED_CIPHER: The client at 127\.0\.0\.1:\d+ offered 1 cipher suite for TLS 1\.2, none that this server speaks/,
    );
  });
});

Deno.test("serve --policy python3.4-default-server refuses a DSS-only client (the book's server context)", async () => {
  await withServer(["--policy", "python3.4-default-server"], async (server) => {
    const r = await sClient(server.port, ["-tls1_2", "-cipher", "DHE-DSS-AES128-GCM-SHA256"]);
    assert.match(r.stdout + r.stderr, /SSL alert number 40/);
    await expectOutput(server, /Refused client .* handshake_failure alert/);
    // The same server accepts what _RESTRICTED_SERVER_CIPHERS keeps.
    const ok = await sClient(server.port, ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"]);
    assert.match(ok.stdout, /Cipher is ECDHE-RSA-AES256-GCM-SHA384/);
  });
});

Deno.test("serve --report --json prints the offer and the negotiated session as JSON lines", async () => {
  await withServer(["--report", "--json"], async (server) => {
    const r = await sClient(server.port, ["-tls1_2", "-servername", "localhost", "-alpn", "h2"]);
    assert.match(r.stdout, /Protocol {2}: TLSv1\.2/);
    await expectOutput(server, /"event":"closed"/);
    const events = server.output().trim().split("\n").filter((l) => l.startsWith("{")).map((l) =>
      JSON.parse(l)
    );
    const hello = events.find((e) => e.event === "hello");
    assert.equal(hello.schemaVersion, 1);
    assert.equal(hello.offer.serverName, "localhost");
    assert.deepEqual(hello.offer.alpn, ["h2"]);
    assert.ok(
      hello.offer.cipherSuites.some((s: { openssl?: string }) =>
        s.openssl === "ECDHE-RSA-AES128-GCM-SHA256"
      ),
    );
    assert.equal(hello.decision, undefined);
    const neg = events.find((e) => e.event === "negotiated");
    assert.equal(neg.negotiated.version, "TLSv1.2");
    assert.equal(typeof neg.negotiated.cipher.code, "number");
    assert.ok(neg.negotiated.group);
  }, /"event":"listening","host":"127\.0\.0\.1","port":(\d+)/);
});

Deno.test("serve --policy rejects a policy file that breaks the schema, naming the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/p.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({ name: "p", role: "server", minKeySizes: { rsa: "2048" } }),
    );
    const r = await tlsprobe([
      "serve",
      "--cert",
      "certs/localhost.pem",
      "--port",
      "0",
      "--policy",
      file,
    ]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /BAD_INPUT: Policy .*p\.json breaks the schema at \$\.minKeySizes\.rsa: must be an integer/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --policy survives a client that speaks plain text or hangs up mid-hello", async () => {
  await withServer(["--policy", "book-locked-server", "--timeout", "2"], async (server, pki) => {
    const c1 = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await c1.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
    assert.equal(await c1.read(new Uint8Array(16)), null); // closed on us, no bytes
    c1.close();
    await expectOutput(
      server,
      /NOT_TLS: The client at 127\.0\.0\.1:\d+ did not speak TLS: it sent plain text "GET \/ HTTP\/1\.0"/,
    );

    const c2 = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
    await c2.write(Uint8Array.of(22, 3, 1, 0, 200, 1, 0)); // a record header and 2 bytes
    c2.close();
    await expectOutput(
      server,
      /CONNECTION_CLOSED: The client at 127\.0\.0\.1:\d+ closed the connection after 7 bytes, before its ClientHello was complete/,
    );

    // Still serving.
    const ok = await sClient(server.port, [
      "-tls1_2",
      "-cipher",
      "ECDH+AES128",
      "-CAfile",
      pki.caCrt,
    ]);
    assert.match(ok.stdout, /Cipher is ECDHE-RSA-AES128-GCM-SHA256/);
  });
});

Deno.test("serve --policy --once exits with the refused client's status", async () => {
  await withServer(["--policy", "book-locked-server", "--once"], async (server) => {
    await sClient(server.port, ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    const st = await server.status;
    assert.equal(st.code, 4);
  });
});

Deno.test("serve --policy FILE: a user policy's ALPN goes to the listener and refuses other protocols", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/h2.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      name: "h2-only",
      role: "server",
      versions: ["TLSv1.2", "TLSv1.3"],
      alpn: { protocols: ["h2"], required: true },
    }),
  );
  try {
    await withServer(["--policy", file], async (server) => {
      const bad = await sClient(server.port, ["-alpn", "http/1.1"]);
      assert.match(bad.stdout + bad.stderr, /SSL alert number 120/);
      await expectOutput(server, /Refused client .* no_application_protocol alert/);
      const good = await sClient(server.port, ["-alpn", "h2"]);
      assert.match(good.stdout, /ALPN protocol: h2/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
