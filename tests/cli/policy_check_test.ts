/**
 * `policy check` against `openssl s_server` configurations: the verdict for
 * each Mozilla profile, and the book's default client policy connecting to a
 * server that offers only a legacy-but-allowed suite.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki, type TestPki } from "../_helpers/pki.ts";
import { closedPort, type Peer, run, startOpensslServer, tlsprobe } from "../_helpers/process.ts";
import { assertProbeSchema } from "../_helpers/schema.ts";
import { policyCheckJson } from "../_helpers/policy_check.ts";

async function withOpenssl(
  args: (pki: TestPki) => string[],
  fn: (server: Peer, pki: TestPki) => Promise<void>,
): Promise<void> {
  const pki = await makeTestPki();
  let server: Peer | undefined;
  try {
    server = await startOpensslServer(["-www", ...args(pki)]);
    await fn(server, pki);
  } finally {
    await server?.stop();
    await removeTestPki(pki);
  }
}

const check = policyCheckJson;

const rules = (body: { findings: { rule: string; severity: string }[] }) =>
  body.findings.filter((f) => f.severity === "error").map((f) => f.rule);

Deno.test("policy check: a TLS 1.2 ECDHE-AESGCM server fails modern, passes intermediate and old", async () => {
  await withOpenssl(
    (pki) => [
      "-cert",
      pki.localhostPem,
      "-tls1_2",
      "-cipher",
      "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
      "-serverpref",
    ],
    async (server) => {
      const modern = await check(server.port, "mozilla-modern");
      assert.equal(modern.code, 1);
      assert.equal(modern.body.verdict, "fail");
      assert.equal(modern.body.schemaVersion, 1);
      assert.deepEqual(rules(modern.body), ["handshake", "accepted.version"]);

      const inter = await check(server.port, "mozilla-intermediate");
      assert.equal(inter.code, 0, JSON.stringify(inter.body.findings));
      assert.equal(inter.body.verdict, "pass");
      assert.equal(inter.body.baseline.handshake.cipher.openssl, "ECDHE-RSA-AES128-GCM-SHA256");

      const old = await check(server.port, "mozilla-old");
      assert.equal(old.code, 0, JSON.stringify(old.body.findings));
    },
  );
});

Deno.test("policy check: a server that also accepts AES128-SHA fails intermediate, passes old", async () => {
  await withOpenssl(
    (pki) => [
      "-cert",
      pki.localhostPem,
      "-tls1_2",
      "-cipher",
      "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
      "-serverpref",
    ],
    async (server) => {
      const inter = await check(server.port, "mozilla-intermediate");
      assert.equal(inter.code, 1);
      assert.deepEqual(rules(inter.body), ["accepted.cipher"]);
      const f = inter.body.findings.find((x: { rule: string }) => x.rule === "accepted.cipher");
      assert.deepEqual(f.observed, ["AES128-SHA"]);
      const old = await check(server.port, "mozilla-old");
      assert.equal(old.code, 0, JSON.stringify(old.body.findings));
    },
  );
});

Deno.test("policy check: a TLS 1.3-only server passes modern; old fails it for client-order suites", async () => {
  await withOpenssl(
    (pki) => ["-cert", pki.localhostPem, "-tls1_3"],
    async (server) => {
      const modern = await check(server.port, "mozilla-modern");
      assert.equal(modern.code, 0, JSON.stringify(modern.body.findings));
      // The RSA certificate is not what modern recommends: a warning, not a failure.
      assert.ok(
        modern.body.findings.some((f: { rule: string; severity: string }) =>
          f.rule === "certificate-type" && f.severity === "warning"
        ),
      );
      const inter = await check(server.port, "mozilla-intermediate");
      assert.equal(inter.code, 0, JSON.stringify(inter.body.findings));
    },
  );
});

Deno.test("policy check in text: the verdict line and exit 1", async () => {
  await withOpenssl(
    (pki) => ["-cert", pki.localhostPem, "-tls1_2"],
    async (server) => {
      const r = await tlsprobe([
        "policy",
        "check",
        `127.0.0.1:${server.port}`,
        "--policy",
        "mozilla-modern",
      ]);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /Policy verdict\.+ fail \(mozilla-modern\)/);
      assert.match(r.stdout, /error accepted\.version: The server accepts TLSv1\.2/);
    },
  );
});

Deno.test("policy check: nobody listening is a network error (exit 3), not a verdict", async () => {
  const port = closedPort();
  const r = await tlsprobe(["policy", "check", `127.0.0.1:${port}`, "--policy", "mozilla-modern"]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /CONNECTION_REFUSED/);
});

Deno.test("the book's client connects where the book's server refuses: a DSS-only server", async () => {
  const pki = await makeTestPki();
  const dir = pki.dir;
  let server: Peer | undefined;
  try {
    // A DSA certificate: DHE-DSS suites are legacy but in Python 3.4's client list.
    for (
      const args of [
        ["dsaparam", "-out", `${dir}/dsa.param`, "2048"],
        ["gendsa", "-out", `${dir}/dsa.key`, `${dir}/dsa.param`],
        [
          "req",
          "-x509",
          "-new",
          "-key",
          `${dir}/dsa.key`,
          "-subj",
          "/CN=localhost",
          "-days",
          "2",
          "-out",
          `${dir}/dsa.crt`,
        ],
      ]
    ) {
      const r = await run("openssl", args);
      assert.equal(r.code, 0, r.stderr);
    }
    server = await startOpensslServer([
      "-www",
      "-cert",
      `${dir}/dsa.crt`,
      "-key",
      `${dir}/dsa.key`,
      "-tls1_2",
      "-cipher",
      "DHE-DSS-AES128-GCM-SHA256",
    ]);
    // The client policy offers DHE-DSS-AES128-GCM-SHA256 (DH+AESGCM) and connects.
    const client = await check(server.port, "python3.4-default-client", [
      "-a",
      pki.caCrt,
      "--servername",
      "localhost",
    ]);
    assert.equal(client.code, 0, JSON.stringify(client.body));
    assert.equal(client.body.baseline.handshake.cipher.openssl, "DHE-DSS-AES128-GCM-SHA256");
    // The server policy (no DSS) cannot talk to it, and today's Python client neither.
    const srv = await check(server.port, "python3.4-default-server", ["--no-enumerate"]);
    assert.equal(srv.code, 1);
    assert.deepEqual(rules(srv.body), ["handshake"]);
    const py313 = await check(server.port, "python-default-client");
    assert.equal(py313.code, 1);
  } finally {
    await server?.stop();
    await removeTestPki(pki);
  }
});

Deno.test("probe --policy offers only what the policy allows and checks the result", async () => {
  await withOpenssl(
    (pki) => ["-cert", pki.localhostPem],
    async (server, pki) => {
      // The server speaks TLS 1.3; under the locked policy the probe offers only
      // TLS 1.2 and ECDH+AES128, so that is what is negotiated.
      const r = await tlsprobe([
        "probe",
        "--policy",
        "book-locked-server",
        "-a",
        pki.caCrt,
        "--servername",
        "localhost",
        "--json",
        `127.0.0.1:${server.port}`,
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const body = JSON.parse(r.stdout);
      assertProbeSchema(body);
      assert.equal(body.handshake.version, "TLSv1.2");
      assert.match(body.handshake.cipher.openssl, /^ECDHE-(RSA|ECDSA)-AES128-/);
      assert.equal(body.policy.verdict, "pass");
      // Without the policy the same server negotiates TLS 1.3.
      const plain = await tlsprobe([
        "probe",
        "--json",
        "-a",
        pki.caCrt,
        `127.0.0.1:${server.port}`,
      ]);
      assert.equal(JSON.parse(plain.stdout).handshake.version, "TLSv1.3");
    },
  );
});
