/**
 * `tlsprobe probe` end to end: the CLI against openssl s_server on loopback,
 * text in the dotted test_tls.py layout, `--json` validated against the
 * committed schema, exit statuses for each failure class.
 */
import assert from "node:assert/strict";
import { makeTestPki, type TestPki } from "../_helpers/pki.ts";
import {
  closedPort,
  havePeer,
  startGnutlsServer,
  startOpensslServer,
  startTlsprobe,
  tlsprobe,
} from "../_helpers/process.ts";

const GNUTLS = await havePeer("gnutls-serv");
import { assertProbeSchema } from "../_helpers/schema.ts";

let pki: TestPki | undefined;
async function setup(): Promise<TestPki> {
  pki ??= await makeTestPki();
  return pki;
}

function normPem(s: string): string {
  return s.replace(/\r/g, "").trim();
}

Deno.test("probe --json reports the handshake, chain, identity and trust, matching the schema", async () => {
  const p = await setup();
  const server = await startOpensslServer(["-cert", p.localhostPem, "-www"]);
  try {
    const r = await tlsprobe([
      "probe",
      "--json",
      "-a",
      p.caCrt,
      "--servername",
      "localhost",
      `127.0.0.1:${server.port}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assertProbeSchema(j);
    assert.equal(j.outcome, "ok");
    assert.equal(j.handshake.version, "TLSv1.3");
    assert.equal(j.target.address, "127.0.0.1");
    assert.equal(j.target.serverName, "localhost");
    assert.equal(j.trust.verified, true);
    assert.equal(j.identity.matched, true);
    const served = await Deno.readTextFile(p.localhostCrt);
    assert.equal(normPem(j.certificates[0].pem), normPem(served));
  } finally {
    await server.stop();
  }
});

Deno.test("probe prints the dotted test_tls.py layout", async () => {
  const p = await setup();
  const server = await startOpensslServer(["-cert", p.localhostPem, "-www", "-tls1_2"]);
  try {
    const r = await tlsprobe(["probe", "-a", p.caCrt, "localhost", String(server.port)]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    for (
      const title of [
        "Address we want to talk to",
        "Peer certificate",
        "Name(s) on peer certificate",
        "Whether name(s) match the hostname",
        "Protocol version negotiated",
        "Cipher chosen for this connection",
        "Cipher defined in TLS version",
        "Cipher key has this many bits",
        "Compression algorithm in use",
      ]
    ) {
      const line = lines.find((l) => l.startsWith(title + "."));
      assert.ok(line, `missing ${title}`);
      assert.equal(line.indexOf(" ", title.length), 36, line);
    }
    assert.ok(lines.includes("Protocol version negotiated......... TLSv1.2"));
    assert.ok(lines.includes("Cipher key has this many bits....... 256"));
    assert.ok(lines.includes("Whether name(s) match the hostname.. Yes (dns-san-exact)"));
  } finally {
    await server.stop();
  }
});

Deno.test("probe -p and -C pin the version and suite, with names or an OpenSSL cipher string", async () => {
  const p = await setup();
  const server = await startOpensslServer(["-cert", p.localhostPem, "-www"]);
  try {
    for (
      const [c, want] of [
        ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"],
        ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"],
        ["ECDH+AES128:!ECDSA", "ECDHE-RSA-AES128-GCM-SHA256"],
      ]
    ) {
      const r = await tlsprobe([
        "probe",
        "--json",
        "-p",
        "TLSv1.2",
        "-C",
        c,
        "-a",
        p.caCrt,
        `localhost:${server.port}`,
      ]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const j = JSON.parse(r.stdout);
      assertProbeSchema(j);
      assert.equal(j.handshake.version, "TLSv1.2");
      assert.equal(j.handshake.cipher.openssl, want, c);
    }
  } finally {
    await server.stop();
  }
});

Deno.test("probe reports an unknown issuer with exit status 1 and still shows the handshake", async () => {
  const p = await setup();
  const server = await startOpensslServer(["-cert", p.localhostPem, "-www"]);
  try {
    const r = await tlsprobe(["probe", "--json", "-a", p.otherCaCrt, `localhost:${server.port}`]);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assertProbeSchema(j);
    assert.equal(j.trust.verified, false);
    assert.equal(j.trust.code, "CERT_UNKNOWN_ISSUER");
    assert.equal(j.handshake.version, "TLSv1.3");
  } finally {
    await server.stop();
  }
});

Deno.test("probe -a trusts only that file, not the platform store (the runtime's ClientHello capture runs after the store is narrowed)", async () => {
  const p = await setup();
  const server = await startOpensslServer(["-cert", p.localhostPem, "-www"]);
  try {
    // The platform store (DENO_TLS_CA_STORE=system, from cli/runtime.env) holds the
    // server's CA; -a names another CA: the server must not be trusted.
    const r = await tlsprobe(["probe", "--json", "-a", p.otherCaCrt, `localhost:${server.port}`], {
      env: { SSL_CERT_FILE: p.caCrt, SSL_CERT_DIR: p.dir },
    });
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.trust.verified, false);
    assert.equal(j.trust.code, "CERT_UNKNOWN_ISSUER");
    assert.equal(j.trust.store, "cafile");
  } finally {
    await server.stop();
  }
});

Deno.test("probe --servername that the certificate does not carry fails the name check with status 1", async () => {
  const p = await setup();
  const server = await startOpensslServer(["-cert", p.localhostPem, "-www"]);
  try {
    const r = await tlsprobe([
      "probe",
      "--json",
      "-a",
      p.caCrt,
      "--servername",
      "wrong.example",
      `127.0.0.1:${server.port}`,
    ]);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assertProbeSchema(j);
    assert.equal(j.identity.matched, false);
    assert.equal(j.identity.hostname, "wrong.example");
    assert.equal(j.trust.verified, false);
    assert.equal(j.trust.code, "CERT_NAME_MISMATCH");
  } finally {
    await server.stop();
  }
});

Deno.test("probe --no-sni sends no server name", async () => {
  const p = await setup();
  const server = await startOpensslServer(["-cert", p.localhostPem, "-www"]);
  try {
    const r = await tlsprobe([
      "probe",
      "--json",
      "--no-sni",
      "-a",
      p.caCrt,
      `localhost:${server.port}`,
    ]);
    const j = JSON.parse(r.stdout);
    assertProbeSchema(j);
    assert.equal(j.target.serverName, null);
  } finally {
    await server.stop();
  }
});

Deno.test("probe failures give one JSON error object and the exit status of their class", async () => {
  const port = closedPort();
  const refused = await tlsprobe(["probe", "--json", `127.0.0.1:${port}`]);
  assert.equal(refused.code, 3);
  const j = JSON.parse(refused.stdout);
  assertProbeSchema(j);
  assert.equal(j.outcome, "error");
  assert.equal(j.error.code, "CONNECTION_REFUSED");

  const bad = await tlsprobe(["probe", "-p", "TLSv9", "localhost"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /BAD_INPUT.*Unknown protocol/);
  const badC = await tlsprobe(["probe", "--json", "-C", "NOPE-CIPHER", "localhost:1"]);
  assert.equal(badC.code, 2);
  assertProbeSchema(JSON.parse(badC.stdout));
});

Deno.test("probe reads tlsprobe serve (rustls) with the ALPN it accepts", async () => {
  const p = await setup();
  const server = await startTlsprobe(
    ["serve", "--cert", p.localhostPem, "--port", "0", "--alpn", "h2"],
    /port (\d+)/,
  );
  try {
    const r = await tlsprobe([
      "probe",
      "--json",
      "-a",
      p.caCrt,
      "--alpn",
      "h2,http/1.1",
      `localhost:${server.port}`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assertProbeSchema(j);
    assert.equal(j.handshake.version, "TLSv1.3");
    assert.equal(j.handshake.alpn, "h2");
    assert.equal(j.handshake.signature.valid, true);
    assert.equal(j.trust.verified, true);
    assert.equal(normPem(j.certificates[0].pem), normPem(await Deno.readTextFile(p.localhostCrt)));
  } finally {
    await server.stop();
  }
});

Deno.test({
  name: "probe observes 3DES and RC4 from gnutls-serv, marks them, and says trust is uncheckable",
  ignore: !GNUTLS,
}, async () => {
  const p = await setup();
  for (
    const [prio, iana, rating] of [
      ["NORMAL:-VERS-TLS1.3:-CIPHER-ALL:+3DES-CBC", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "weak"],
      [
        "NORMAL:-VERS-TLS1.3:-CIPHER-ALL:+ARCFOUR-128:+SHA1",
        "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        "insecure",
      ],
    ]
  ) {
    const server = await startGnutlsServer(p.localhostCrt, p.localhostKey, prio);
    const port = server.port;
    try {
      const r = await tlsprobe(["probe", "--json", "-a", p.caCrt, `localhost:${port}`]);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assertProbeSchema(j);
      assert.equal(j.handshake.cipher.iana, iana);
      assert.equal(j.handshake.cipher.rating, rating);
      assert.ok(j.findings.some((f: { rule: string }) => f.rule === "cipher-suite"));
      assert.equal(j.trust.verified, null);
      assert.match(j.trust.message, /could not be checked with a modern TLS stack/);
    } finally {
      await server.stop();
    }
  }
});
