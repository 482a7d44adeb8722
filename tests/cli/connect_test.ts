/**
 * `tlsprobe connect` against real peers: the project's own server, and
 * `openssl s_server` configured for each failure the client must name.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";
import { closedPort, startOpensslServer, startTlsprobe, tlsprobe } from "../_helpers/process.ts";

const pki = await makeTestPki();

const LISTENING = /Listening at interface '127\.0\.0\.1' and port (\d+)/;

async function withOpenssl(
  args: string[],
  fn: (port: number, output: () => string) => Promise<void>,
) {
  const peer = await startOpensslServer(args);
  try {
    await fn(peer.port, peer.output);
  } finally {
    await peer.stop();
  }
}

function expectError(r: { code: number; stderr: string }, code: string, status: number) {
  assert.match(r.stderr, new RegExp(`error ${code}: `), r.stderr);
  assert.equal(r.code, status, r.stderr);
  assert.doesNotMatch(r.stderr, /\.ts:\d+:\d+/, "no stack trace");
}

Deno.test("connect ↔ serve: the book's demo, greeting received and printed as a repr", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostPem, "--port", "0"],
    LISTENING,
  );
  try {
    const r = await tlsprobe(["connect", "-a", pki.caCrt, "localhost", String(server.port)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `Connected to host 'localhost' and port ${server.port}\nb'Simple is better than complex.'\n`,
    );
    await server.waitFor(/Connection from host '127\.0\.0\.1' and port \d+/);
  } finally {
    await server.stop();
  }
});

Deno.test("connect --send to serve --echo gets its text back; --raw prints bytes as they are", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostCrt, "--key", pki.localhostKey, "--port", "0", "--echo"],
    LISTENING,
  );
  try {
    const r = await tlsprobe([
      "connect",
      "-a",
      pki.caCrt,
      "--send",
      "ping\n",
      "--raw",
      "localhost",
      String(server.port),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Connected to host 'localhost' and port ${server.port}\nping\n`);
    const piped = await tlsprobe(["connect", "-a", pki.caCrt, "127.0.0.1", String(server.port)], {
      stdin: "from stdin",
    });
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stdout, /b'from stdin'/);
  } finally {
    await server.stop();
  }
});

Deno.test("connect --alpn negotiates with serve --alpn and reports it in --json", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostPem, "--port", "0", "--alpn", "h2,http/1.1"],
    LISTENING,
  );
  try {
    const r = await tlsprobe([
      "connect",
      "-a",
      pki.caCrt,
      "--alpn",
      "http/1.1",
      "--json",
      "localhost",
      String(server.port),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.schemaVersion, 1);
    assert.equal(o.outcome, "ok");
    assert.equal(o.handshake.alpn, "http/1.1");
    assert.equal(o.trust.verified, true);
    assert.equal(o.trust.store, "cafile");
    assert.equal(o.trust.caCount, 1);
    assert.equal(o.trust.exact, true);
    assert.equal(o.target.address, "127.0.0.1");
    assert.equal(o.received[0].text, "Simple is better than complex.");
  } finally {
    await server.stop();
  }
});

Deno.test("connect → openssl s_server: verified with -a, CERT_UNKNOWN_ISSUER without", async () => {
  await withOpenssl(["-cert", pki.localhostPem, "-www"], async (port) => {
    const ok = await tlsprobe([
      "connect",
      "-a",
      pki.caCrt,
      "--send",
      "GET / HTTP/1.0\r\n\r\n",
      "localhost",
      String(port),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /HTTP\/1\.0 200 ok/);
    expectError(await tlsprobe(["connect", "localhost", String(port)]), "CERT_UNKNOWN_ISSUER", 1);
    // The book's semantics: with -a, only that file is trusted.
    const other = await tlsprobe(["connect", "-a", pki.otherCaCrt, "localhost", String(port)]);
    expectError(other, "CERT_UNKNOWN_ISSUER", 1);
    assert.match(other.stderr, new RegExp(`CA file ${pki.otherCaCrt.replaceAll(".", "\\.")}`));
  });
});

Deno.test("-a trusts only the CA file even when the platform store trusts the server", async () => {
  await withOpenssl(["-cert", pki.localhostPem, "-www"], async (port) => {
    // Make the sample CA a "platform" root for this process.
    const env = { SSL_CERT_FILE: pki.caCrt };
    const platform = await tlsprobe(
      ["connect", "--send", "x", "localhost", String(port), "--json"],
      { env },
    );
    assert.equal(JSON.parse(platform.stdout).outcome, "ok", platform.stdout);
    assert.equal(JSON.parse(platform.stdout).trust.store, "platform");
    const only = await tlsprobe(["connect", "-a", pki.otherCaCrt, "localhost", String(port)], {
      env,
    });
    expectError(only, "CERT_UNKNOWN_ISSUER", 1);
    const both = await tlsprobe(
      [
        "connect",
        "-a",
        pki.otherCaCrt,
        "--platform-roots",
        "--send",
        "x",
        "localhost",
        String(port),
      ],
      { env },
    );
    assert.equal(both.code, 0, both.stderr);
  });
});

Deno.test("connect names the wanted and presented names on CERT_NAME_MISMATCH; --servername verifies another name", async () => {
  await withOpenssl(["-cert", pki.wrongNamePem, "-www"], async (port) => {
    const r = await tlsprobe(["connect", "-a", pki.caCrt, "localhost", String(port)]);
    expectError(r, "CERT_NAME_MISMATCH", 1);
    assert.match(r.stderr, /not valid for localhost; it names wrong\.example/);
    const ok = await tlsprobe([
      "connect",
      "-a",
      pki.caCrt,
      "--servername",
      "wrong.example",
      "--send",
      "GET / HTTP/1.0\r\n\r\n",
      "127.0.0.1",
      String(port),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Connected to host '127\.0\.0\.1'/);
  });
});

// Each server configuration and the code (and exit status) the client must name.
const refusals: Array<[string, () => string[], string, number]> = [
  ["an expired certificate", () => ["-cert", pki.expiredPem], "CERT_EXPIRED", 1],
  ["a certificate valid from 2099", () => ["-cert", pki.notYetValidPem], "CERT_NOT_YET_VALID", 1],
  ["the CA certificate as its own", () => ["-cert", pki.caAsLeafPem], "CERT_CA_AS_LEAF", 1],
  ["a self-signed leaf", () => ["-cert", pki.selfSignedPem], "CERT_UNKNOWN_ISSUER", 1],
  [
    "TLS 1.1 only",
    () => ["-cert", pki.localhostPem, "-tls1_1", "-cipher", "ALL:@SECLEVEL=0"],
    "PROTOCOL_VERSION",
    4,
  ],
  [
    "TLS 1.2 with AES128-SHA only (no shared suite)",
    () => ["-cert", pki.localhostPem, "-tls1_2", "-cipher", "AES128-SHA"],
    "HANDSHAKE_FAILURE",
    4,
  ],
];

for (const [what, args, code, status] of refusals) {
  Deno.test(`connect reports ${code} against openssl s_server with ${what}`, async () => {
    await withOpenssl(args(), async (port) => {
      expectError(
        await tlsprobe(["connect", "-a", pki.caCrt, "localhost", String(port)]),
        code,
        status,
      );
    });
  });
}

Deno.test("connect -c presents a client certificate that openssl s_server -Verify 1 accepts", async () => {
  await withOpenssl(
    ["-cert", pki.localhostPem, "-CAfile", pki.caCrt, "-Verify", "1", "-www"],
    async (port, output) => {
      const r = await tlsprobe([
        "connect",
        "-a",
        pki.caCrt,
        "-c",
        pki.clientPem,
        "--send",
        "GET / HTTP/1.0\r\n\r\n",
        "localhost",
        String(port),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /HTTP\/1\.0 200 ok/);
      assert.match(output(), /depth=0 .*CN = tlsprobe test client\nverify return:1/);
      const sep = await tlsprobe([
        "connect",
        "-a",
        pki.caCrt,
        "-c",
        pki.clientCrt,
        "--key",
        pki.clientKey,
        "--send",
        "GET / HTTP/1.0\r\n\r\n",
        "localhost",
        String(port),
      ]);
      assert.equal(sep.code, 0, sep.stderr);
      // Required and missing: TLS 1.3 servers say certificate_required.
      const none = await tlsprobe([
        "connect",
        "-a",
        pki.caCrt,
        "--send",
        "x",
        "localhost",
        String(port),
      ]);
      expectError(none, "CLIENT_CERT_REQUIRED", 4);
    },
  );
});

Deno.test("connect reports CLIENT_CERT_REJECTED when the server does not trust our certificate", async () => {
  await withOpenssl(
    ["-cert", pki.localhostPem, "-CAfile", pki.otherCaCrt, "-Verify", "1", "-verify_return_error"],
    async (port) => {
      const r = await tlsprobe([
        "connect",
        "-a",
        pki.caCrt,
        "-c",
        pki.clientPem,
        "--send",
        "x",
        "localhost",
        String(port),
      ]);
      expectError(r, "CLIENT_CERT_REJECTED", 4);
    },
  );
});

Deno.test("connect reports CONNECTION_REFUSED, DNS and BAD_INPUT for where it cannot go", async () => {
  const port = closedPort();
  expectError(await tlsprobe(["connect", "127.0.0.1", port]), "CONNECTION_REFUSED", 3);
  expectError(await tlsprobe(["connect", "no-such-host.invalid", "443"]), "DNS", 3);
  expectError(await tlsprobe(["connect", "bad host!", "443"]), "BAD_INPUT", 2);
  expectError(await tlsprobe(["connect", "-a", pki.caKey, "localhost", "443"]), "BAD_INPUT", 2);
});

Deno.test("connect gives TIMEOUT within the bound when the peer accepts TCP and never answers", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of l) held.push(c);
  })();
  try {
    const t0 = performance.now();
    const r = await tlsprobe([
      "connect",
      "--timeout",
      "1",
      "127.0.0.1",
      String((l.addr as Deno.NetAddr).port),
    ]);
    const secs = (performance.now() - t0) / 1000;
    expectError(r, "TIMEOUT", 3);
    assert.match(r.stderr, /did not complete the TLS handshake within 1 s/);
    assert.ok(secs < 8, `returned after ${secs.toFixed(1)} s`);
  } finally {
    l.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
  }
});

Deno.test("connect gives NOT_TLS, cleanly, when the peer sends garbage", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const c of l) {
      await c.write(
        new TextEncoder().encode("HTTP/1.0 400 Bad Request\r\n\r\nthis is not TLS\r\n"),
      );
      c.close();
    }
  })();
  try {
    const r = await tlsprobe(["connect", "127.0.0.1", String((l.addr as Deno.NetAddr).port)]);
    expectError(r, "NOT_TLS", 4);
  } finally {
    l.close();
    await serving.catch(() => {});
  }
});

Deno.test("connect -c with --servername against openssl s_server -Verify 1 -verify_return_error: presented, verified for the name, -v shows version and suite", async () => {
  const server = await startOpensslServer([
    "-cert",
    pki.localhostPem,
    "-Verify",
    "1",
    "-verify_return_error",
    "-CAfile",
    pki.caCrt,
  ]);
  try {
    const r = await tlsprobe([
      "connect",
      "-v",
      "-a",
      pki.caCrt,
      "-c",
      pki.clientPem,
      "--servername",
      "localhost",
      "--send",
      "hello from the client",
      "--timeout",
      "3",
      "127.0.0.1",
      String(server.port),
    ]);
    assert.match(r.stdout, /^Connected to host '127\.0\.0\.1' and port \d+/, r.stderr);
    assert.match(r.stderr, /Verified localhost against CA file/);
    assert.match(r.stderr, /Negotiated TLSv1\.[23] \S+/);
    await server.waitFor(/hello from the client/);
    // s_server prints the verified chain on stderr and the data on stdout: two
    // pipes, read in no set order, so wait for this line too.
    await server.waitFor(/depth=0 [^\n]*CN ?= ?tlsprobe test client/);

    const wrong = await tlsprobe([
      "connect",
      "-a",
      pki.caCrt,
      "-c",
      pki.clientPem,
      "--servername",
      "wrong.example",
      "127.0.0.1",
      String(server.port),
    ]);
    expectError(wrong, "CERT_NAME_MISMATCH", 1);
    assert.doesNotMatch(wrong.stdout, /Connected to host/);
  } finally {
    await server.stop();
  }
});

addEventListener("beforeunload", () => removeTestPki(pki));

Deno.test("connect --send keeps the reply of a server that answers and closes at once (SMTP's QUIT)", async () => {
  // A real TLS server (the runtime's node:tls) that answers 100 ms after the
  // request and closes cleanly. Had connect sent its close_notify right after
  // the request, the server would close with it unread, and its reset would
  // discard the reply before connect read it (it printed nothing, exit 0).
  const { createServer } = await import("node:tls");
  const server = createServer({
    key: await Deno.readTextFile(pki.localhostKey),
    cert: await Deno.readTextFile(pki.localhostCrt),
  }, (c) => {
    c.on("error", () => {});
    c.once("data", () => setTimeout(() => c.end("221 2.0.0 Bye\r\n"), 100));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    for (let i = 0; i < 3; i++) {
      const r = await tlsprobe([
        "connect",
        "-a",
        pki.caCrt,
        "--servername",
        "localhost",
        "--send",
        "QUIT\r\n",
        "127.0.0.1",
        String(port),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /b'221 2\.0\.0 Bye\\r\\n'/);
    }
  } finally {
    await new Promise((r) => server.close(r));
  }
});
