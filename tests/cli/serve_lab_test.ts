/**
 * `serve --lab` against independent clients: `openssl s_client
 * -verify_return_error` and `curl --cacert` reject exactly the flawed
 * endpoints, each with its usual error; `tlsprobe connect`/`probe` agree;
 * SIGTERM stops the lab, frees every port and removes its temporary files.
 */
import assert from "node:assert/strict";
import { run, startTlsprobe, tlsprobe } from "../_helpers/process.ts";
import { gnutlsEcho } from "../_helpers/lab_clients.ts";

interface Endpoint {
  name: string;
  port: number | null;
  expect: "connect" | "reject";
  error?: string;
  served: boolean;
  engine: "runtime" | "lab" | null;
}

function sClient(port: number, ca: string, args: string[] = []) {
  return run("openssl", [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-servername",
    "localhost",
    "-verify_return_error",
    "-verify_hostname",
    "localhost",
    "-CAfile",
    ca,
    "-ign_eof",
    ...args,
  ], { stdin: "" });
}

function curl(port: number, ca: string, args: string[] = []) {
  // The endpoints greet in plain text (no HTTP), hence --http0.9.
  return run("curl", [
    "-sS",
    "--max-time",
    "10",
    "--http0.9",
    "--cacert",
    ca,
    ...args,
    `https://localhost:${port}/`,
  ]);
}

/** What openssl s_client and curl say at each bad endpoint (their own usual words). */
const OPENSSL_ERRORS: Record<string, RegExp> = {
  "expired": /verify error:num=10:certificate has expired/,
  "not-yet-valid": /verify error:num=9:certificate is not yet valid/,
  "wrong-host": /verify error:num=62:hostname mismatch/,
  "self-signed": /verify error:num=18:self-signed certificate/,
  "untrusted-root": /verify error:num=19:self-signed certificate in certificate chain/,
  "incomplete-chain": /verify error:num=20:unable to get local issuer certificate/,
  "client-cert-required": /alert certificate required.*SSL alert number 116/s,
};
const CURL_ERRORS: Record<string, RegExp> = {
  "expired": /curl: \(60\) SSL certificate problem: certificate has expired/,
  "not-yet-valid": /curl: \(60\) SSL certificate problem: certificate is not yet valid/,
  "wrong-host": /curl: \(60\) SSL: no alternative certificate subject name matches/,
  "self-signed": /curl: \(60\) SSL certificate problem: self-signed certificate\n/,
  "untrusted-root":
    /curl: \(60\) SSL certificate problem: self-signed certificate in certificate chain/,
  "incomplete-chain":
    /curl: \(60\) SSL certificate problem: unable to get local issuer certificate/,
  "client-cert-required": /curl: \(56\).*alert certificate required/,
};

/** What OpenSSL 3.0 (security level 2) and curl do at the lab engine's endpoints. */
const ENGINE_CLIENTS: Record<string, { openssl: "connect" | RegExp; curl?: RegExp }> = {
  "tls10-only": {
    openssl: /legacy sigalg disallowed or unsupported|unsupported protocol/,
    curl: /curl: \(35\).*(legacy sigalg disallowed|unsupported protocol)/,
  },
  "tls11-only": {
    openssl: /legacy sigalg disallowed or unsupported|unsupported protocol/,
    curl: /curl: \(35\).*(legacy sigalg disallowed|unsupported protocol)/,
  },
  "rc4": {
    openssl: /alert handshake failure.*SSL alert number 40/s,
    curl: /curl: \(35\).*alert handshake failure/,
  },
  "3des": {
    openssl: /alert handshake failure.*SSL alert number 40/s,
    curl: /curl: \(35\).*alert handshake failure/,
  },
  "null": {
    openssl: /alert handshake failure.*SSL alert number 40/s,
    curl: /curl: \(35\).*alert handshake failure/,
  },
  "anon-dh": {
    openssl: /alert handshake failure.*SSL alert number 40/s,
    curl: /curl: \(35\).*alert handshake failure/,
  },
  "rsa-kex": { openssl: "connect" },
  "dh512": { openssl: /dh key too small/, curl: /curl: \(35\).*dh key too small/ },
  "dh1024": { openssl: /dh key too small/, curl: /curl: \(35\).*dh key too small/ },
  "sha1-signature": {
    openssl: /CA signature digest algorithm too weak/,
    curl: /curl: \(60\).*CA signature digest algorithm too weak/,
  },
  "rsa1024": {
    openssl: /EE certificate key too weak/,
    curl: /curl: \(60\).*EE certificate key too weak/,
  },
  "client-preference": { openssl: "connect" },
};

Deno.test("serve --lab: openssl and curl reject exactly the bad endpoints with their usual errors; SIGTERM frees every port", async () => {
  const lab = await startTlsprobe(
    ["serve", "--lab", "--port", "0", "--json", "--timeout", "5"],
    /("schemaVersion".*)\n/,
  );
  try {
    const index = JSON.parse(lab.output().match(/\{"schemaVersion".*\n/)![0]);
    assert.equal(index.schemaVersion, 1);
    const { ca, dir, endpoints } = index.lab as { ca: string; dir: string; endpoints: Endpoint[] };
    // The runtime's endpoints here; the lab engine's below, with their own table.
    const served = endpoints.filter((e) => e.engine === "runtime");
    const engine = endpoints.filter((e) => e.engine === "lab");
    const at = (name: string) => served.find((e) => e.name === name)!.port!;
    assert.deepEqual(served.map((e) => e.name), [
      "good",
      "expired",
      "not-yet-valid",
      "wrong-host",
      "self-signed",
      "untrusted-root",
      "incomplete-chain",
      "tls12-only",
      "tls13-only",
      "client-cert-required",
      "alpn-h2-only",
    ]);
    // Unserved cases are listed, never given a port.
    for (const e of endpoints.filter((e) => !e.served)) {
      assert.equal(e.port, null, e.name);
      assert.match((e as unknown as { description: string }).description, /not served/);
    }
    assert.deepEqual(endpoints.filter((e) => !e.served).map((e) => e.name), []);
    assert.deepEqual(engine.map((e) => e.name), [
      "tls10-only",
      "tls11-only",
      "rc4",
      "3des",
      "null",
      "anon-dh",
      "rsa-kex",
      "dh512",
      "dh1024",
      "sha1-signature",
      "rsa1024",
      "client-preference",
    ]);
    assert.equal(
      new Set([...served, ...engine].map((e) => e.port)).size,
      served.length + engine.length,
    );
    // Keys are 0600; the CA is not secret.
    for (const k of ["client.key", "client.pem", "leaf.key"]) {
      assert.equal((await Deno.stat(`${dir}/${k}`)).mode! & 0o777, 0o600, k);
    }
    assert.equal((await Deno.stat(ca)).mode! & 0o777, 0o644);

    // Every served endpoint, by both clients at once.
    const results = await Promise.all(served.map(async (e) => ({
      e,
      ssl: await sClient(e.port!, ca),
      // curl offers h2 by default and would then expect HTTP/2 frames: offer no ALPN there.
      curl: await curl(e.port!, ca, e.name === "alpn-h2-only" ? ["--no-alpn"] : []),
    })));
    for (const { e, ssl, curl: c } of results) {
      const sOut = ssl.stdout + ssl.stderr;
      const greeting = `tlsprobe lab: ${e.name}`;
      if (e.expect === "connect") {
        assert.equal(ssl.code, 0, `${e.name}: ${sOut}`);
        assert.match(ssl.stdout, /Verify return code: 0 \(ok\)/, e.name);
        assert.ok(ssl.stdout.includes(greeting), `${e.name}: ${sOut}`);
        assert.equal(c.code, 0, `${e.name}: ${c.stderr}`);
        assert.equal(c.stdout, greeting + "\n");
      } else {
        assert.notEqual(ssl.code, 0, e.name);
        assert.match(sOut, OPENSSL_ERRORS[e.name], `${e.name}: ${sOut}`);
        assert.ok(!ssl.stdout.includes(greeting), e.name);
        assert.match(c.stderr, CURL_ERRORS[e.name], `${e.name}: ${c.stderr}`);
        assert.equal(c.stdout, "");
      }
    }

    // The properties: version pinned, client certificate, ALPN.
    const [t12, t13, withCert, curlCert, h2, h11, curlH11, curl13, curl12] = await Promise.all([
      sClient(at("tls12-only"), ca, ["-tls1_3"]),
      sClient(at("tls13-only"), ca, ["-tls1_2"]),
      sClient(at("client-cert-required"), ca, ["-cert", `${dir}/client.pem`]),
      curl(at("client-cert-required"), ca, ["--cert", `${dir}/client.pem`]),
      sClient(at("alpn-h2-only"), ca, ["-alpn", "h2"]),
      sClient(at("alpn-h2-only"), ca, ["-alpn", "http/1.1"]),
      curl(at("alpn-h2-only"), ca, ["--http1.1"]),
      curl(at("tls12-only"), ca, ["--tlsv1.3"]),
      curl(at("tls13-only"), ca, ["--tls-max", "1.2"]),
    ]);
    assert.match(t12.stdout + t12.stderr, /alert protocol version.*SSL alert number 70/s);
    assert.match(t13.stdout + t13.stderr, /alert protocol version.*SSL alert number 70/s);
    assert.match(withCert.stdout, /tlsprobe lab: client-cert-required/);
    assert.equal(curlCert.stdout, "tlsprobe lab: client-cert-required\n");
    assert.match(h2.stdout, /ALPN protocol: h2/);
    assert.match(h11.stdout + h11.stderr, /alert no application protocol.*SSL alert number 120/s);
    assert.match(curlH11.stderr, /curl: \(35\).*alert no application protocol/);
    assert.match(curl13.stderr, /curl: \(35\).*alert protocol version/);
    assert.match(curl12.stderr, /curl: \(35\).*alert protocol version/);

    // The HTTPS index page on the base port, with the good certificate.
    const page = await run("curl", [
      "-sS",
      "--max-time",
      "10",
      "--cacert",
      ca,
      `https://localhost:${index.lab.port}/`,
    ]);
    assert.equal(page.code, 0, page.stderr);
    assert.match(page.stdout, /<title>tlsprobe lab<\/title>/);
    assert.ok(page.stdout.includes(`<td>${at("expired")}</td><td>expired</td>`));

    // tlsprobe's own client agrees with the index at every served endpoint: the
    // expected outcome, and the error code the index names (four at a time).
    const connected: Array<{ name: string; outcome: string; code?: string }> = [];
    for (let i = 0; i < served.length; i += 4) {
      connected.push(
        ...await Promise.all(
          served.slice(i, i + 4).map(async (e) => {
            const r = await tlsprobe(["connect", "--json", "-a", ca, "localhost", String(e.port)]);
            const o = JSON.parse(r.stdout);
            assert.equal(r.code === 0, o.outcome === "ok", `${e.name}: ${r.stdout}`);
            return { name: e.name, outcome: o.outcome, code: o.error?.code };
          }),
        ),
      );
    }
    assert.deepEqual(
      connected,
      served.map((e) => ({
        name: e.name,
        outcome: e.expect === "connect" ? "ok" : "error",
        code: e.error,
      })),
    );
    // The lab engine's endpoints: s_client (defaults: OpenSSL 3.0 at security
    // level 2), curl and tlsprobe connect each reject or connect as their
    // table says; and a client that opts in gets exactly the weak setup.
    const labAt = (name: string) => engine.find((e) => e.name === name)!.port!;
    const results2 = await Promise.all(engine.map(async (e) => ({
      e,
      ssl: await sClient(e.port!, ca),
      curl: await curl(e.port!, ca),
      own: JSON.parse(
        (await tlsprobe(["connect", "--json", "-a", ca, "localhost", String(e.port)])).stdout,
      ),
    })));
    for (const { e, ssl, curl: c, own } of results2) {
      const sOut = ssl.stdout + ssl.stderr;
      const greeting = `tlsprobe lab: ${e.name}`;
      const want = ENGINE_CLIENTS[e.name];
      if (want.openssl === "connect") {
        assert.equal(ssl.code, 0, `${e.name}: ${sOut}`);
        assert.ok(ssl.stdout.includes(greeting), `${e.name}: ${sOut}`);
        assert.equal(c.stdout, greeting + "\n", `${e.name}: ${c.stderr}`);
      } else {
        assert.notEqual(ssl.code, 0, e.name);
        assert.match(sOut, want.openssl, `${e.name}: ${sOut}`);
        assert.match(c.stderr, want.curl!, `${e.name}: ${c.stderr}`);
      }
      assert.equal(own.outcome, e.expect === "connect" ? "ok" : "error", e.name);
      assert.equal(own.error?.code, e.error, `${e.name}: ${JSON.stringify(own.error)}`);
    }
    // RC4 and 3DES: OpenSSL 3.0 has neither; gnutls-cli opts in and connects.
    const g = "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:%VERIFY_ALLOW_BROKEN";
    const [rc4, des] = await Promise.all([
      gnutlsEcho(labAt("rc4"), `${g}:+ARCFOUR-128`, 15_000),
      gnutlsEcho(labAt("3des"), `${g}:+3DES-CBC`, 15_000),
    ]);
    assert.match(rc4.output, /\(ARCFOUR-128\)-\(SHA1\)[^]*tlsprobe lab: rc4/, rc4.output);
    assert.match(des.output, /\(3DES-CBC\)-\(SHA1\)[^]*tlsprobe lab: 3des/, des.output);
    const [t10, nul, adh, pref, dh] = await Promise.all([
      sClient(labAt("tls10-only"), ca, ["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
      sClient(labAt("null"), ca, ["-cipher", "eNULL:@SECLEVEL=0"]),
      sClient(labAt("anon-dh"), ca, ["-cipher", "aNULL:@SECLEVEL=0"]),
      sClient(labAt("client-preference"), ca, [
        "-tls1_2",
        "-cipher",
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
      ]),
      sClient(labAt("dh1024"), ca, ["-cipher", "DEFAULT:@SECLEVEL=0"]),
    ]);
    assert.match(t10.stdout, /Protocol {2}: TLSv1\n[^]*tlsprobe lab: tls10-only/);
    assert.match(nul.stdout, /Cipher is ECDHE-ECDSA-NULL-SHA[^]*tlsprobe lab: null/);
    assert.match(adh.stdout, /Cipher is (ADH|AECDH)-AES128-[^]*tlsprobe lab: anon-dh/);
    assert.match(pref.stdout, /Cipher is ECDHE-ECDSA-AES128-GCM-SHA256[^]*client-preference/);
    assert.match(dh.stdout, /Server Temp Key: DH, 1024 bits[^]*tlsprobe lab: dh1024/);
    // OpenSSL 3.0 refuses 512-bit DH even at level 0; tlsprobe's own probe reads the group.
    const dh512 = JSON.parse(
      (await tlsprobe(["probe", "-a", ca, "--json", `localhost:${labAt("dh512")}`])).stdout,
    );
    assert.deepEqual(dh512.handshake.group, { name: "DH 512", code: null, bits: 512 });

    const probe12 = await tlsprobe(["probe", "-a", ca, "--json", `localhost:${at("tls12-only")}`]);
    const p = JSON.parse(probe12.stdout);
    assert.equal(p.handshake.version, "TLSv1.2", probe12.stdout);

    // SIGTERM: exit 143, every port free, the temporary directory gone.
    Deno.kill(lab.pid, "SIGTERM");
    const st = await lab.status;
    assert.equal(st.code, 143, lab.output());
    for (const port of [index.lab.port, ...[...served, ...engine].map((e) => e.port!)]) {
      const l = Deno.listen({ hostname: "127.0.0.1", port });
      l.close();
    }
    await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
  } finally {
    await lab.stop();
  }
});

Deno.test("serve --lab refuses single-server options and a bad --lab-dir with a usage error", async () => {
  const r = await tlsprobe(["serve", "--lab", "--cert", "x.pem", "--port", "0"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--cert cannot be used with --lab/);
  const d = await tlsprobe(["serve", "--lab-dir", "/tmp/x"]);
  assert.equal(d.code, 2);
  assert.match(d.stderr, /--lab-dir needs --lab/);
  const none = await tlsprobe(["serve"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /--cert/);
});

Deno.test("serve --lab with a busy port says which, exits 2 and leaves nothing listening", async () => {
  // The good endpoint (BASE+1) lands on a port this test holds.
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const busy = (held.addr as Deno.NetAddr).port;
  try {
    const r = await tlsprobe(["serve", "--lab", "--port", String(busy - 1)]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`Port ${busy} is already in use`));
    assert.equal(r.stdout, "");
  } finally {
    held.close();
  }
});
