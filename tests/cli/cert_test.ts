/**
 * `tlsprobe cert`: the chain view of a file, `--json`, and `--check-name`
 * answering as Twisted's check_server_certificate.py does.
 */
import assert from "node:assert/strict";
import { closedPort, startOpensslServer, tlsprobe } from "../_helpers/process.ts";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";

const FIX = new URL("../fixtures/x509/", import.meta.url).pathname;

Deno.test("cert FILE shows the leaf and checks every link of a bundle", async () => {
  const r = await tlsprobe(["cert", FIX + "chain.pem"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Certificate #0 \(leaf\)\n {2}Subject +CN=www\.example\.test,/);
  assert.match(r.stdout, /Validity +\S+ \.\. \S+ \(\d+ days left\)/);
  assert.match(r.stdout, /Names +DNS:www\.example\.test, DNS:\*\.example\.test/);
  assert.match(r.stdout, /Key +EC P-256, signed with rsassaPss/);
  assert.match(r.stdout, /Chain \(3 certificates, ends in a self-signed certificate\)/);
  assert.equal(r.stdout.match(/signature valid/g)?.length, 3);
});

Deno.test("cert -v --json gives one envelope with every certificate and the chain", async () => {
  const r = await tlsprobe(["cert", "--json", FIX + "chain.pem"]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.schemaVersion, 1);
  assert.equal(j.command, "cert");
  assert.equal(j.outcome, "ok");
  assert.equal(j.certificates.length, 3);
  assert.deepEqual(j.certificates[0].sans.ip, ["192.0.2.7", "2001:db8::1"]);
  assert.deepEqual(j.certificates[1].basicConstraints, { ca: true, pathLen: 0, critical: true });
  assert.deepEqual(
    j.chain.links.map((l: { signature: { status: string } }) => l.signature.status),
    [
      "valid",
      "valid",
      "valid",
    ],
  );
  const v = await tlsprobe(["cert", "-v", FIX + "inter.pem"]);
  assert.match(v.stdout, /OCSP +http:\/\/ocsp\.example\.test/);
  assert.match(v.stdout, /Basic constr\. +CA:TRUE, pathlen:0 \(critical\)/);
  assert.match(v.stdout, /incomplete: the issuer of the last one is not in the file/);
});

Deno.test("cert --check-name answers OK: <Certificate …> or BAD: reason, exit 0 / 1", async () => {
  const ok = await tlsprobe(["cert", "--check-name", "api.example.test", FIX + "chain.pem"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(
    ok.stdout,
    "OK: <Certificate Subject=www.example.test Issuer=Fixture Intermediate RSA>\n",
  );
  const bad = await tlsprobe(["cert", "--check-name", "a.b.example.test", FIX + "leaf.pem"]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stdout,
    /^BAD: No service reference ID could be validated against certificate: no DNS SAN matches a\.b\.example\.test/,
  );
});

Deno.test("cert gives clear errors: a refused HOST:PORT, a key instead of a certificate, no file", async () => {
  const port = closedPort();
  const hp = await tlsprobe(["cert", `127.0.0.1:${port}`]);
  assert.equal(hp.code, 3);
  assert.match(hp.stderr, /error CONNECTION_REFUSED/);
  const key = await tlsprobe(["cert", FIX + "leaf.key"]);
  assert.equal(key.code, 2);
  assert.match(key.stderr, /error BAD_INPUT: .*PRIVATE KEY, not a CERTIFICATE/);
  const none = await tlsprobe(["cert", "/nonexistent/x.pem"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /error FILE_NOT_FOUND/);
  for (const r of [hp, key, none]) assert.doesNotMatch(r.stderr, /\.ts:\d+:\d+/);
});

Deno.test("cert - reads certificates from standard input", async () => {
  const pem = await Deno.readTextFile(FIX + "ed25519.pem");
  const r = await tlsprobe(["cert", "--json", "-"], { stdin: pem });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.source, { stdin: true });
  assert.equal(j.certificates[0].key.type, "Ed25519");
});

Deno.test("cert HOST:PORT reads the server's chain with the probe engine; --check-name answers OK or BAD", async () => {
  const pki = await makeTestPki();
  const peer = await startOpensslServer([
    "-cert",
    pki.localhostCrt,
    "-key",
    pki.localhostKey,
    "-cert_chain",
    pki.caCrt,
  ]);
  try {
    const target = `localhost:${peer.port}`;
    const view = await tlsprobe(["cert", "--json", target]);
    assert.equal(view.code, 0, view.stderr);
    const j = JSON.parse(view.stdout);
    const served = new TextDecoder().decode(await Deno.readFile(pki.localhostCrt)).trim();
    assert.equal(j.certificates[0].pem.trim(), served);
    assert.equal(j.certificates.length, 2);

    const ok = await tlsprobe(["cert", "--check-name", "localhost", "-a", pki.caCrt, target]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK: <Certificate Subject=localhost/);
    const wrongName = await tlsprobe([
      "cert",
      "--check-name",
      "example.com",
      "-a",
      pki.caCrt,
      target,
    ]);
    assert.equal(wrongName.code, 1);
    assert.match(wrongName.stdout, /^BAD: No service reference ID could be validated/);
    // The name matches, but nothing trusted signed it: Twisted says BAD too.
    const untrusted = await tlsprobe([
      "cert",
      "--check-name",
      "localhost",
      "-a",
      pki.otherCaCrt,
      target,
    ]);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stdout, /^BAD: CERT_UNKNOWN_ISSUER: /);
  } finally {
    await peer.stop();
    await removeTestPki(pki);
  }
});
