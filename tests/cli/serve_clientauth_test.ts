/**
 * `serve --client-ca` (Twisted's client authentication) against
 * `openssl s_client`: a client presenting a certificate from the CA is
 * served and named in the log; one without a certificate, or with one from
 * another CA, is refused with the alert a real server sends and a coded log
 * line; `--verify-client request` accepts none but still refuses a bad one;
 * `-p` keeps to a version.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki, type TestPki } from "../_helpers/pki.ts";
import { type Peer, run, startTlsprobe, tlsprobe } from "../_helpers/process.ts";

const READY = /Listening at interface '127\.0\.0\.1' and port (\d+)/;
const pki = await makeTestPki();

// A client certificate from a CA the server does not know.
const intruderKey = `${pki.dir}/intruder.key`, intruderCrt = `${pki.dir}/intruder.crt`;
{
  const r = await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    intruderKey,
    "-out",
    intruderCrt,
    "-subj",
    "/CN=intruder",
    "-days",
    "2",
  ]);
  assert.equal(r.code, 0, r.stderr);
}

function sClient(port: number, args: string[]) {
  return run("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-CAfile",
    pki.caCrt,
    "-ign_eof",
    ...args,
  ], { stdin: "" });
}

async function withServer(args: string[], fn: (s: Peer, p: TestPki) => Promise<void>) {
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostPem, "--port", "0", "--timeout", "5", ...args],
    args.includes("--json") ? /"event":"listening".*"port":(\d+)/ : READY,
  );
  try {
    await fn(server, pki);
  } finally {
    await server.stop();
  }
}

Deno.test("serve --client-ca: a client with a certificate from the CA is served and named; the server names its CA", async () => {
  await withServer(["--client-ca", pki.caCrt], async (server) => {
    const r = await sClient(server.port, ["-cert", pki.clientCrt, "-key", pki.clientKey]);
    assert.match(r.stdout, /Simple is better than complex\./, r.stdout + r.stderr);
    assert.match(r.stdout, /Acceptable client certificate CA names\n.*CN ?= ?tlsprobe Test CA/);
    await server.waitFor(/Client certificate \.+ .*CN=tlsprobe test client/);
    await server.waitFor(/verified \.+ yes/);
  });
});

Deno.test("serve --client-ca: no certificate is refused (certificate_required in TLS 1.3, handshake_failure in TLS 1.2) with a coded log line", async () => {
  await withServer(["--client-ca", pki.caCrt], async (server) => {
    const r13 = await sClient(server.port, ["-tls1_3"]);
    assert.match(r13.stdout + r13.stderr, /alert certificate required.*SSL alert number 116/s);
    assert.doesNotMatch(r13.stdout, /Simple is better/);
    const r12 = await sClient(server.port, ["-tls1_2"]);
    assert.match(r12.stdout + r12.stderr, /alert handshake failure.*SSL alert number 40/s);
    assert.doesNotMatch(r12.stdout, /Simple is better/);
    const lines = server.output().match(
      /CLIENT_CERT_REQUIRED: Refused the client at 127\.0\.0\.1:\d+: it sent no certificate and this server requires one/g,
    ) ?? [];
    if (lines.length < 2) {
      await server.waitFor(/(CLIENT_CERT_REQUIRED[^\n]*\n[^]*){2}/);
    }
  });
});

Deno.test("serve --client-ca: a certificate from another CA is refused and the log says why", async () => {
  await withServer(["--client-ca", pki.caCrt], async (server) => {
    const r = await sClient(server.port, ["-cert", intruderCrt, "-key", intruderKey]);
    assert.doesNotMatch(r.stdout, /Simple is better/);
    await server.waitFor(
      /CLIENT_CERT_REJECTED: Refused the client at 127\.0\.0\.1:\d+: its certificate (?:\(subject CN=intruder, issuer CN=intruder\) )?was refused: it is self-signed, not signed by a CA in the client CA file/,
    );
  });
});

Deno.test("serve --verify-client request: none is accepted, a bad one is not; --json carries the client certificate", async () => {
  await withServer(
    ["--client-ca", pki.caCrt, "--verify-client", "request", "--json"],
    async (server) => {
      const none = await sClient(server.port, []);
      assert.match(none.stdout, /Simple is better than complex\./);
      const good = await sClient(server.port, ["-cert", pki.clientCrt, "-key", pki.clientKey]);
      assert.match(good.stdout, /Simple is better than complex\./);
      const bad = await sClient(server.port, ["-cert", intruderCrt, "-key", intruderKey]);
      assert.doesNotMatch(bad.stdout, /Simple is better/);
      await server.waitFor(/"code":"CLIENT_CERT_REJECTED"/);
      const events = server.output().trim().split("\n").map((l) => JSON.parse(l));
      const hs = events.filter((e) => e.event === "handshake");
      assert.equal(hs.length, 2);
      assert.equal(hs[0].clientCertificateRequested, true);
      assert.equal(hs[0].clientCertificate, null);
      assert.match(hs[1].clientCertificate.subject, /CN=tlsprobe test client/);
      assert.equal(hs[1].clientCertificate.verified, true);
      assert.equal(events[0].clientCertificate, "request");
    },
  );
});

Deno.test("serve -p TLSv1.2 answers a client offering TLS 1.2 and 1.3 with TLS 1.2; -p TLSv1.3 refuses a TLS 1.2-only client", async () => {
  await withServer(["-p", "TLSv1.2", "--report"], async (server) => {
    const r = await sClient(server.port, []);
    assert.match(r.stdout, /New, TLSv1\.2, Cipher is ECDHE-RSA-/);
    await server.waitFor(/Protocol version negotiated\.+ TLSv1\.2/);
  });
  await withServer(["-p", "TLSv1.3"], async (server) => {
    const r = await sClient(server.port, ["-tls1_2"]);
    assert.match(r.stdout + r.stderr, /alert protocol version.*SSL alert number 70/s);
    await server.waitFor(
      /PROTOCOL_VERSION: The client at 127\.0\.0\.1:\d+ offered at most TLS 1\.2 \(TLS 1\.2[^)]*\); this server speaks TLS 1\.3/,
    );
  });
  // SSLv3: no engine serves it (TLS 1.0 and 1.1 are the lab engine's now).
  const bad = await tlsprobe(["serve", "--cert", pki.localhostPem, "-p", "SSLv3"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /"SSLv3" is not TLSv1, TLSv1\.1, TLSv1\.2, TLSv1\.3 or MIN:MAX/);
  const noCa = await tlsprobe(["serve", "--cert", pki.localhostPem, "--verify-client", "require"]);
  assert.equal(noCa.code, 2);
  assert.match(noCa.stderr, /--verify-client needs --client-ca FILE/);
});

addEventListener("beforeunload", () => removeTestPki(pki));
