/**
 * `serve --engine`, `-p`, `-C`, `--groups`, `--dhparam`, `--server-preference`
 * and `--policy` served exactly by the lab engine, with `openssl s_client` as
 * the client; and the settings one engine cannot serve, refused as usage
 * errors.
 */
import assert from "node:assert/strict";
import { type Peer, ROOT, run, startTlsprobe, tlsprobe } from "../_helpers/process.ts";
import { gnutlsEcho, sClientEcho } from "../_helpers/lab_clients.ts";

const READY = /Listening at interface '127\.0\.0\.1' and port (\d+)/;
const PEM = `${ROOT}certs/localhost.pem`;

async function withServe(args: string[], fn: (server: Peer) => Promise<void>): Promise<void> {
  const server = await startTlsprobe(["serve", "--cert", PEM, "--port", "0", ...args], READY);
  try {
    await fn(server);
  } finally {
    await server.stop();
  }
}

Deno.test("serve --policy book-locked-server negotiates TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256 with s_client run without options", async () => {
  await withServe(["--policy", "book-locked-server", "--echo"], async (server) => {
    assert.match(server.output(), /the lab engine serves \(policy book-locked-server/);
    const [plain, old] = await Promise.all([
      sClientEcho(server.port, []),
      sClientEcho(server.port, ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]),
    ]);
    assert.equal(plain.version, "TLSv1.2", plain.output);
    assert.equal(plain.cipher, "ECDHE-RSA-AES128-GCM-SHA256");
    assert.ok(plain.echoed, plain.output);
    assert.match(old.output, /alert protocol version.*SSL alert number 70/s);
  });
});

Deno.test("serve -p TLSv1 -C keeps to TLS 1.0 and the one suite, and refuses a TLS 1.2 client", async () => {
  await withServe(["-p", "TLSv1", "-C", "AES128-SHA", "--echo"], async (server) => {
    const [ok, modern] = await Promise.all([
      sClientEcho(server.port, ["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0"]),
      sClientEcho(server.port, ["-tls1_2"]),
    ]);
    assert.equal(ok.version, "TLSv1", ok.output);
    assert.equal(ok.cipher, "AES128-SHA");
    assert.ok(ok.echoed, ok.output);
    // The server answers TLS 1.0 (a ClientHello states no minimum); the client gives up.
    assert.match(modern.output, /unsupported protocol/);
    await server.waitFor(
      /PROTOCOL_VERSION: The client at 127\.0\.0\.1:\d+ sent a fatal alert protocol_version/,
    );
  });
});

Deno.test("serve --dhparam 1024 serves DHE with a 1024-bit group; --groups and --server-preference pick ECDHE's", async () => {
  await withServe([
    "-C",
    "DHE-RSA-AES128-GCM-SHA256",
    "-p",
    "TLSv1.2",
    "--dhparam",
    "1024",
    "--echo",
  ], async (server) => {
    const r = await sClientEcho(server.port, ["-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0"]);
    assert.equal(r.cipher, "DHE-RSA-AES128-GCM-SHA256", r.output);
    assert.match(r.tempKey ?? "", /^DH, 1024 bits/);
    assert.ok(r.echoed);
  });
  await withServe(
    [
      "-C",
      "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384",
      "--groups",
      "P-384,x25519",
      "--server-preference",
      "--echo",
      "-v",
    ],
    async (server) => {
      const [r12, r13] = await Promise.all([
        sClientEcho(server.port, ["-tls1_2"]),
        sClientEcho(server.port, ["-tls1_3", "-groups", "X25519:P-384"]),
      ]);
      // The server's order: AES128 first although s_client prefers AES256; P-384 first.
      assert.equal(r12.cipher, "ECDHE-RSA-AES128-GCM-SHA256", r12.output);
      assert.match(r12.tempKey ?? "", /secp384r1/);
      assert.equal(r13.version, "TLSv1.3");
      assert.match(r13.tempKey ?? "", /secp384r1/);
      await server.waitFor(/after HelloRetryRequest/);
    },
  );
});

Deno.test("serve --dhparam FILE serves the prime openssl dhparam made", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/dh.pem`;
    const made = await run("openssl", ["dhparam", "-out", file, "1024"]);
    assert.equal(made.code, 0, made.stderr);
    await withServe([
      "-C",
      "DHE-RSA-AES256-GCM-SHA384",
      "-p",
      "TLSv1.2",
      "--dhparam",
      file,
      "--echo",
    ], async (server) => {
      const r = await sClientEcho(server.port, [
        "-cipher",
        "DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0",
        "-msg",
      ]);
      assert.equal(r.cipher, "DHE-RSA-AES256-GCM-SHA384", r.output);
      assert.match(r.tempKey ?? "", /^DH, 1024 bits/);
      assert.ok(r.echoed);
      // The prime on the wire is the file's: its first bytes appear in the ServerKeyExchange dump.
      const text = (await run("openssl", ["dhparam", "-in", file, "-noout", "-text"])).stdout;
      const p = /P:\s*([0-9a-f:\s]+)G:/.exec(text)![1].replace(/[:\s]/g, "").replace(/^00/, "");
      const dump = r.output.replace(/\s/g, "").toLowerCase();
      assert.ok(dump.includes(p.slice(0, 32)), "the file's prime is not in the ServerKeyExchange");
    });
    const bad = await tlsprobe(["serve", "--cert", PEM, "--port", "0", "--dhparam", PEM]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /No -----BEGIN DH PARAMETERS----- block/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --json on the lab engine names the engine, suites and groups", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", PEM, "--port", "0", "--engine", "lab", "--json", "-p", "TLSv1.3", "--echo"],
    /"event":"listening".*"port":(\d+)/,
  );
  try {
    const listening = JSON.parse(server.output().split("\n").find((l) => l.includes("listening"))!);
    assert.equal(listening.engine, "lab");
    assert.deepEqual(listening.versions, ["TLSv1.3"]);
    await sClientEcho(server.port, []);
    await server.waitFor(/"event":"handshake"/);
    const hs = JSON.parse(server.output().split("\n").find((l) => l.includes('"handshake"'))!);
    assert.equal(hs.version, "TLSv1.3");
    assert.equal(hs.cipher.iana, "TLS_AES_256_GCM_SHA384");
  } finally {
    await server.stop();
  }
});

Deno.test("serve refuses settings the chosen engine cannot serve, as usage errors", async () => {
  const cases: [string[], RegExp][] = [
    [["--engine", "runtime", "-C", "AES128-SHA"], /-C\/--ciphers need\(s\) --engine lab/],
    [["--engine", "runtime", "-p", "TLSv1"], /-p TLSv1 need\(s\) --engine lab/],
    [
      ["-C", "AES128-SHA", "--starttls", "smtp"],
      /--starttls need\(s\) the runtime's TLS/,
    ],
    [["--dhparam", "777"], /No built-in DH group of 777 bits/],
    [["-C", "CAMELLIA128-SHA", "-p", "TLSv1.2"], /leaves no suite the lab engine serves/],
  ];
  for (const [args, want] of cases) {
    const r = await tlsprobe(["serve", "--cert", PEM, "--port", "0", "--once", ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, want, args.join(" "));
  }
});

Deno.test("serve --client-ca with -p TLSv1 / -C routes through the lab engine: s_client and probe -c/--key are served and named in the report, none is refused", async () => {
  const cert = ["-cert", `${ROOT}certs/client.crt`, "-key", `${ROOT}certs/client.key`];
  await withServe(
    ["-p", "TLSv1:TLSv1.3", "--client-ca", `${ROOT}certs/ca.crt`, "--echo", "--report"],
    async (server) => {
      assert.match(server.output(), /the lab engine serves \(-p TLSv1\)/);
      const [tls10, tls12, none] = await Promise.all([
        sClientEcho(server.port, ["-tls1", "-cipher", "AES128-SHA:@SECLEVEL=0", ...cert]),
        sClientEcho(server.port, ["-tls1_2", ...cert]),
        sClientEcho(server.port, ["-tls1_2"], 15_000),
      ]);
      assert.equal(tls10.version, "TLSv1", tls10.output);
      assert.ok(tls10.echoed && tls12.echoed, tls10.output + tls12.output);
      assert.match(
        tls10.output,
        /Acceptable client certificate CA names\n.*CN ?= ?tlsprobe local CA/,
      );
      assert.match(none.output, /alert handshake failure.*SSL alert number 40/s);
      const probe = await tlsprobe([
        "probe",
        `localhost:${server.port}`,
        "--cafile",
        `${ROOT}certs/ca.crt`,
        "-c",
        `${ROOT}certs/client.crt`,
        "--key",
        `${ROOT}certs/client.key`,
      ]);
      assert.equal(probe.code, 0, probe.stdout + probe.stderr);
      assert.match(
        probe.stdout,
        /Client certificate requested\.+ yes; acceptable CAs: CN=tlsprobe/,
      );
      await server.waitFor(
        /CLIENT_CERT_REQUIRED: The client at 127\.0\.0\.1:\d+ sent no certificate/,
      );
      await server.waitFor(/(Client certificate \.+ CN=tlsprobe client[^]*){3}/);
      const out = server.output();
      assert.match(out, /Protocol version negotiated\.+ TLSv1\n/);
      assert.match(out, /Cipher chosen for this connection\.+ AES128-SHA\n/);
      assert.match(out, /Server name \(SNI\)\.+ localhost/);
      assert.match(out, /verified \.+ yes/);
    },
  );
});

Deno.test("serve -C takes RC4 and 3DES suites by exact name (OpenSSL 3.0 has none) and gnutls-cli completes them both ways", async () => {
  await withServe(
    ["-p", "TLSv1:TLSv1.2", "-C", "RC4-SHA:TLS_RSA_WITH_3DES_EDE_CBC_SHA", "--echo", "--report"],
    async (server) => {
      const base = "NORMAL:-VERS-ALL:-CIPHER-ALL:-MAC-ALL:-KX-ALL:+RSA:+SHA1:%VERIFY_ALLOW_BROKEN";
      const [rc4, des] = await Promise.all([
        gnutlsEcho(server.port, `${base}:+VERS-TLS1.0:+ARCFOUR-128`),
        gnutlsEcho(server.port, `${base}:+VERS-TLS1.2:+3DES-CBC`),
      ]);
      assert.ok(rc4.echoed && des.echoed, rc4.output + des.output);
      assert.match(rc4.cipher ?? "", /^\(TLS1\.0-X\.509\)-\(RSA\)-\(ARCFOUR-128\)-\(SHA1\)$/);
      assert.match(des.cipher ?? "", /^\(TLS1\.2-X\.509\)-\(RSA\)-\(3DES-CBC\)-\(SHA1\)$/);
      // Each report is printed when its connection ends, in whichever order
      // the two ended: wait for both (the clients' echo comes before either).
      await server.waitFor(/Cipher chosen for this connection\.+ DES-CBC3-SHA/);
      await server.waitFor(/Cipher chosen for this connection\.+ RC4-SHA/);
    },
  );
});

Deno.test("serve on the lab engine: tlsprobe scan finds TLS 1.2 session-ID and RFC 5077 ticket resumption", async () => {
  await withServe(["-C", "ECDHE-RSA-AES128-GCM-SHA256", "-p", "TLSv1.2"], async (server) => {
    const r = await tlsprobe([
      "scan",
      `localhost:${server.port}`,
      "--cafile",
      `${ROOT}certs/ca.crt`,
      "--json",
    ]);
    const f = JSON.parse(r.stdout).features;
    assert.equal(f.sessionTicket.value, true, r.stdout);
    assert.equal(f.sessionIdResumption.value, true, f.sessionIdResumption.note);
    assert.equal(f.ticketResumption.value, true, f.ticketResumption.note);
  });
});

/** Runs s_client once against the server (no data), for a handshake expected to fail. */
function sClientOnce(port: number, args: string[]) {
  return run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...args], { stdin: "" });
}

Deno.test("serve --engine lab --report shows the offer and the reason on failed handshakes: no shared suite, version refused, the client's unknown_ca", async () => {
  await withServe(
    ["--engine", "lab", "-p", "TLSv1.2", "-C", "ECDHE-RSA-AES128-GCM-SHA256", "--report"],
    async (server) => {
      // One at a time, so each client's lines stay together.
      await sClientOnce(server.port, [
        "-tls1_2",
        "-cipher",
        "AES256-SHA",
        "-servername",
        "foo.example",
        "-alpn",
        "h2,http/1.1",
      ]);
      await server.waitFor(/Handshake failed\.+ NO_SHARED_CIPHER/);
      await sClientOnce(server.port, ["-tls1_3", "-groups", "P-384"]);
      await server.waitFor(/Handshake failed\.+ PROTOCOL_VERSION/);
      await sClientOnce(server.port, [
        "-tls1_2",
        "-servername",
        "bad.example",
        "-verify_return_error",
        "-no-CAfile",
        "-no-CApath",
        "-no-CAstore",
      ]);
      await server.waitFor(/Handshake failed\.+ \w+: .*unknown_ca/);
      // Each client's block, from its connection line on (stderr lines may fall in between).
      const blocks = server.output().split(/^Connection from host /m).slice(1);
      assert.equal(blocks.length, 3, server.output());
      const [suite, version, cert] = blocks;
      assert.match(suite, /Versions offered\.+ TLSv1\.2 /);
      assert.match(suite, /Cipher suites offered\.+ \(2\) AES256-SHA\n/);
      assert.match(suite, /Server name \(SNI\)\.+ foo\.example\n/);
      assert.match(suite, /ALPN protocols offered\.+ h2 http\/1\.1\n/);
      assert.match(
        suite,
        /Handshake failed\.+ NO_SHARED_CIPHER \(sent handshake_failure\): .*No cipher suite in common at TLSv1\.2/,
      );
      assert.match(version, /Versions offered\.+ TLSv1\.3\n/);
      assert.match(version, /Groups offered\.+ secp384r1\n/);
      assert.match(
        version,
        /Handshake failed\.+ PROTOCOL_VERSION \(sent protocol_version\): .*offers TLSv1\.3; this server speaks TLSv1\.2/,
      );
      assert.match(cert, /Server name \(SNI\)\.+ bad\.example\n/);
      assert.match(cert, /Handshake failed\.+ \w+: .*sent a fatal alert unknown_ca/);
      // Nothing negotiated was printed for any of them.
      assert.doesNotMatch(server.output(), /Protocol version negotiated/);
    },
  );
});

Deno.test("serve --engine lab --report --json writes the offer as a hello line before a failed handshake's clientError", async () => {
  const server = await startTlsprobe(
    [
      "serve",
      "--cert",
      PEM,
      "--port",
      "0",
      "--engine",
      "lab",
      "-p",
      "TLSv1.2",
      "--report",
      "--json",
    ],
    /"event":"listening".*"port":(\d+)/,
  );
  try {
    await sClientOnce(server.port, ["-tls1_3", "-servername", "json.example"]);
    await server.waitFor(/"clientError"/);
    const lines = server.output().split("\n").filter((l) => l.startsWith("{")).map((l) =>
      JSON.parse(l)
    );
    const hello = lines.findIndex((l) => l.event === "hello");
    const failed = lines.findIndex((l) => l.event === "clientError");
    assert.ok(hello >= 0 && hello < failed, server.output());
    assert.equal(lines[hello].client, lines[failed].client);
    assert.deepEqual(lines[hello].offer.versions, ["TLSv1.3"]);
    assert.equal(lines[hello].offer.serverName, "json.example");
    assert.equal(lines[failed].error.code, "PROTOCOL_VERSION");
    assert.equal(lines.filter((l) => l.event === "negotiated").length, 0);
  } finally {
    await server.stop();
  }
});
