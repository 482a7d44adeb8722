/**
 * `connect` with a client certificate after a STARTTLS dialogue, and
 * `connect --policy` / `-v` over STARTTLS: the upgraded socket is carried to
 * the runtime's TLS client through a loopback relay. The peer is the
 * project's own `serve --starttls smtp --client-ca … --verify-client require`,
 * which verifies the client's certificate and logs its subject.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";
import { startTlsprobe, tlsprobe } from "../_helpers/process.ts";

const pki = await makeTestPki();
const LISTENING = /Listening at interface '127\.0\.0\.1' and port (\d+)/;

async function withSmtpServer(fn: (port: number, log: () => string) => Promise<void>) {
  const server = await startTlsprobe([
    "serve",
    "--cert",
    pki.localhostPem,
    "--client-ca",
    pki.caCrt,
    "--verify-client",
    "require",
    "--starttls",
    "smtp",
    "--port",
    "0",
  ], LISTENING);
  try {
    await fn(server.port, server.output);
  } finally {
    await server.stop();
  }
}

const base = ["-t", "smtp", "-a", pki.caCrt, "--servername", "localhost"];
const target = (port: number) => ["127.0.0.1", String(port)];

Deno.test("connect -c after STARTTLS: the server verifies the certificate and the greeting comes back", async () => {
  await withSmtpServer(async (port, log) => {
    const r = await tlsprobe(["connect", ...base, "-c", pki.clientPem, "-v", ...target(port)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /b'Simple is better than complex\.'/);
    assert.match(r.stderr, /S: 220 2\.0\.0 Ready to start TLS/);
    assert.match(r.stderr, /Negotiated TLSv1\.3 TLS_AES_\w+, key exchange x25519/);
    // The server's side: the certificate was presented and verified.
    const deadline = Date.now() + 5000;
    while (!/verified \.+ yes/.test(log()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(log(), /Client certificate \.+ .*CN=tlsprobe test client/, log());
    assert.match(log(), /verified \.+ yes/);

    // Without -c the same server refuses, with its code.
    const no = await tlsprobe(["connect", ...base, "--send", "QUIT\r\n", ...target(port)]);
    assert.equal(no.code, 4, no.stderr);
    assert.match(no.stderr, /error CLIENT_CERT_REQUIRED: /);
  });
});

Deno.test("connect --policy after STARTTLS with -c: passes one policy, cuts the session for another", async () => {
  await withSmtpServer(async (port) => {
    const ok = await tlsprobe([
      "connect",
      ...base,
      "-c",
      pki.clientPem,
      "--policy",
      "mozilla-modern",
      ...target(port),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /b'Simple is better than complex\.'/);

    const cut = await tlsprobe([
      "connect",
      ...base,
      "-c",
      pki.clientPem,
      "--policy",
      "book-locked-server",
      ...target(port),
    ]);
    assert.match(
      cut.stderr,
      /error CHECK_FAILED: Session refused by policy book-locked-server: TLSv1\.3 was negotiated/,
    );
    assert.doesNotMatch(cut.stdout, /Simple is better/);
    assert.doesNotMatch(cut.stderr, /\.ts:\d+:\d+/, "no stack trace");
  });
});

addEventListener("beforeunload", () => removeTestPki(pki));
