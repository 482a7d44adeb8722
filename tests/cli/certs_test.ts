/**
 * `tlsprobe certs init`: what it makes passes `openssl verify`, serves TLS
 * that rustls/webpki (Deno.connectTls) accepts, and its client certificate is
 * accepted by `openssl s_server -Verify 1`.
 */
import assert from "node:assert/strict";
import { run, startOpensslServer, tlsprobe } from "../_helpers/process.ts";
import { SAMPLE_PKI_FILES as FILES } from "../_helpers/pki.ts";

async function init(key: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `tlsprobe-certs-${key}-` });
  const r = await tlsprobe(["certs", "init", "--key", key, dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Made a local PKI in /);
  return dir;
}

async function withDir(key: string, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await init(key);
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const key of ["ecdsa-p256", "rsa2048"]) {
  Deno.test(`certs init --key ${key}: openssl verify -CAfile accepts the server and client certificates`, async () => {
    await withDir(key, async (dir) => {
      for (const f of FILES) {
        const mode = (await Deno.stat(`${dir}/${f}`)).mode! & 0o777;
        assert.equal(mode, /\.(key|pem)$/.test(f) ? 0o600 : 0o644, `${f} mode ${mode.toString(8)}`);
      }
      const verify = (files: string[], purpose?: string) =>
        run("openssl", [
          "verify",
          ...(purpose ? ["-purpose", purpose] : []),
          "-CAfile",
          `${dir}/ca.crt`,
          ...files.map((f) => `${dir}/${f}`),
        ]);
      const v = await verify(["localhost.crt", "client.crt"]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      assert.equal(v.stdout, `${dir}/localhost.crt: OK\n${dir}/client.crt: OK\n`);
      // The purpose checks too: the leaf is for servers, the client certificate for clients.
      for (
        const [file, purpose, ok] of [
          ["localhost.crt", "sslserver", true],
          ["client.crt", "sslclient", true],
          ["client.crt", "sslserver", false],
        ] as const
      ) {
        const r = await verify([file], purpose);
        assert.equal(r.code === 0, ok, `${file} as ${purpose}: ${r.stdout}${r.stderr}`);
      }
      // localhost.pem is the book's bundle: certificate, then key.
      const pem = await Deno.readTextFile(`${dir}/localhost.pem`);
      assert.match(
        pem,
        /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----/,
      );
    });
  });

  Deno.test(`certs init --key ${key}: Deno.connectTls (webpki) trusts a Deno.listenTls server using the leaf, by name and by IP`, async () => {
    await withDir(key, async (dir) => {
      const listener = Deno.listenTls({
        hostname: "127.0.0.1",
        port: 0,
        cert: await Deno.readTextFile(`${dir}/localhost.crt`),
        key: await Deno.readTextFile(`${dir}/localhost.key`),
      });
      const serving = (async () => {
        for (let i = 0; i < 2; i++) {
          const conn = await listener.accept();
          try {
            await conn.handshake();
            await conn.write(new TextEncoder().encode("hello"));
          } catch {
            /* the client's failure is asserted below */
          } finally {
            conn.close();
          }
        }
      })();
      try {
        const caCerts = [await Deno.readTextFile(`${dir}/ca.crt`)];
        for (const hostname of ["localhost", "127.0.0.1"]) {
          const conn = await Deno.connectTls({ hostname, port: listener.addr.port, caCerts });
          try {
            await conn.handshake();
            const buf = new Uint8Array(5);
            let n = 0;
            while (n < 5) {
              const k = await conn.read(buf.subarray(n));
              if (k === null) break;
              n += k;
            }
            assert.equal(new TextDecoder().decode(buf.subarray(0, n)), "hello", hostname);
          } finally {
            conn.close();
          }
        }
      } finally {
        await serving.catch(() => {});
        listener.close();
      }
    });
  });

  Deno.test(`certs init --key ${key}: openssl s_server -Verify 1 accepts the client certificate`, async () => {
    await withDir(key, async (dir) => {
      const server = await startOpensslServer([
        "-cert",
        `${dir}/localhost.crt`,
        "-key",
        `${dir}/localhost.key`,
        "-CAfile",
        `${dir}/ca.crt`,
        "-Verify",
        "1",
        "-verify_return_error",
      ]);
      try {
        const c = await run("openssl", [
          "s_client",
          "-connect",
          `127.0.0.1:${server.port}`,
          "-CAfile",
          `${dir}/ca.crt`,
          "-verify_return_error",
          "-cert",
          `${dir}/client.crt`,
          "-key",
          `${dir}/client.key`,
        ], { stdin: "ping\n" });
        assert.match(c.stdout, /Verify return code: 0 \(ok\)/, c.stdout + c.stderr);
        await server.waitFor(/ping/);
        const o = server.output();
        assert.match(o, /depth=0 [^\n]*CN = tlsprobe client\nverify return:1/, o);
        assert.match(o, /depth=1 [^\n]*CN = tlsprobe local CA\nverify return:1/, o);
        assert.doesNotMatch(o, /verify error/, o);
      } finally {
        await server.stop();
      }
    });
  });
}

Deno.test("certs init refuses to overwrite without --force, and --force rewrites keys with mode 0600", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tlsprobe-certs-force-" });
  try {
    await Deno.writeTextFile(`${dir}/ca.key`, "old\n", { mode: 0o644 });
    const refused = await tlsprobe(["certs", "init", dir]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /error BAD_INPUT: .* already holds ca\.key; pass --force to overwrite/,
    );
    assert.equal(await Deno.readTextFile(`${dir}/ca.key`), "old\n");
    const forced = await tlsprobe([
      "certs",
      "init",
      "--force",
      "--json",
      "--name",
      "app.test",
      "--name",
      "bücher.example",
      "--ip",
      "192.0.2.1",
      "--days",
      "30",
      dir,
    ]);
    assert.equal(forced.code, 0, forced.stderr);
    const j = JSON.parse(forced.stdout);
    assert.equal(j.command, "certs init");
    assert.deepEqual(j.server.sans.dns, ["app.test", "xn--bcher-kva.example"]);
    assert.deepEqual(j.server.sans.ip, ["192.0.2.1"]);
    assert.deepEqual(j.server.extendedKeyUsage, ["serverAuth"]);
    assert.deepEqual(j.client.extendedKeyUsage, ["clientAuth"]);
    assert.deepEqual(j.server.basicConstraints, { ca: false, critical: true });
    assert.equal(j.server.version, 3);
    assert.equal(j.server.authorityKeyId, j.ca.subjectKeyId);
    const days = (Date.parse(j.server.notAfter) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days < 31, `${days} days`);
    assert.equal((await Deno.stat(`${dir}/ca.key`)).mode! & 0o777, 0o600);
    assert.match(await Deno.readTextFile(`${dir}/ca.key`), /^-----BEGIN PRIVATE KEY-----/);
    const badName = await tlsprobe(["certs", "init", "--force", "--name", "no spaces", dir]);
    assert.equal(badName.code, 2);
    assert.match(badName.stderr, /error BAD_INPUT: Name "no spaces" is not a DNS name/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("certs init --force never writes through a link, nor plants a key at a dangling one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tlsprobe-certs-link-" });
  const outside = await Deno.makeTempDir({ prefix: "tlsprobe-certs-outside-" });
  try {
    const victim = `${outside}/victim.txt`;
    await Deno.writeTextFile(victim, "keep me\n", { mode: 0o644 });
    await Deno.symlink(victim, `${dir}/ca.key`);
    const r = await tlsprobe(["certs", "init", "--force", dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /error BAD_INPUT: .*ca\.key is a symbolic link/);
    assert.equal(await Deno.readTextFile(victim), "keep me\n");
    assert.equal((await Deno.stat(victim)).mode! & 0o777, 0o644);
    // Nothing was written, not even the files before ca.key.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["ca.key"]);

    await Deno.remove(`${dir}/ca.key`);
    const planted = `${outside}/planted.key`;
    await Deno.symlink(planted, `${dir}/localhost.key`);
    const r2 = await tlsprobe(["certs", "init", "--force", dir]);
    assert.equal(r2.code, 2, r2.stderr);
    await assert.rejects(() => Deno.lstat(planted), Deno.errors.NotFound);

    // A directory where a file should be is refused too; regular files are replaced, keys 0600.
    await Deno.remove(`${dir}/localhost.key`);
    await Deno.mkdir(`${dir}/client.pem`);
    const r3 = await tlsprobe(["certs", "init", "--force", dir]);
    assert.equal(r3.code, 2, r3.stderr);
    assert.match(r3.stderr, /client\.pem is not a regular file/);
    await Deno.remove(`${dir}/client.pem`);
    await Deno.writeTextFile(`${dir}/ca.key`, "old", { mode: 0o666 });
    const r4 = await tlsprobe(["certs", "init", "--force", dir]);
    assert.equal(r4.code, 0, r4.stderr);
    assert.equal((await Deno.stat(`${dir}/ca.key`)).mode! & 0o777, 0o600);
    assert.match(await Deno.readTextFile(`${dir}/ca.key`), /PRIVATE KEY/);
    assert.ok(![...Deno.readDirSync(dir)].some((e) => e.name.endsWith(".tmp")), "no temp left");
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});
