/**
 * The portable archive (`deno task dist`, tools/dist.ts): the linux-x64
 * archive, unpacked into an empty folder and run with neither Node nor Deno
 * on PATH and an empty DENO_DIR, probes, lists ciphers, serves and connects
 * against real peers. The runtime package comes from npm once and is cached
 * under .ci/cache/deno-runtime/.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";
import { ROOT, run, startOpensslServer, startPeer } from "../_helpers/process.ts";
import { VERSION } from "../../core/version.ts";

const supported = Deno.build.os === "linux" && Deno.build.arch === "x86_64";
if (!supported) console.log("dist_test: skipped — the archive test runs on linux x86_64");

Deno.test({
  name: "the linux-x64 archive runs probe, ciphers, serve and connect without Node or Deno",
  ignore: !supported,
  sanitizeResources: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "tlsprobe-dist-" });
    const pki = await makeTestPki();
    try {
      const out = `${tmp}/dist`;
      const b = await run(Deno.execPath(), [
        "run",
        "-A",
        ROOT + "tools/dist.ts",
        "dist",
        "--target",
        "linux-x64",
        "--no-vsix",
        // Level-1 gzip: the same archive layout for 40% of the compression CPU.
        "--fast",
        "--out",
        out,
      ]);
      assert.equal(b.code, 0, b.stderr);
      const name = `tlsprobe-${VERSION}-linux-x64`;
      const sums = await Deno.readTextFile(`${out}/SHA256SUMS`);
      const want = sums.match(new RegExp(`^([0-9a-f]{64})  ${name}\\.tar\\.gz$`, "m"))?.[1];
      assert.ok(want, sums);
      const sha = await run("sha256sum", [`${out}/${name}.tar.gz`]);
      assert.equal(sha.stdout.split(" ")[0], want);

      // Unpack into an empty folder; reach the launcher through a link on PATH.
      const unpack = `${tmp}/unpacked`;
      await Deno.mkdir(unpack);
      const x = await run("tar", ["-xzf", `${out}/${name}.tar.gz`, "-C", unpack]);
      assert.equal(x.code, 0, x.stderr);
      await Deno.mkdir(`${tmp}/links`);
      await Deno.symlink(`${unpack}/${name}/tlsprobe`, `${tmp}/links/tlsprobe`);
      // PATH: the link, then a folder holding only readlink (what the sh launcher uses).
      await Deno.mkdir(`${tmp}/sys`);
      await Deno.symlink("/usr/bin/readlink", `${tmp}/sys/readlink`);
      const env = [
        `PATH=${tmp}/links:${tmp}/sys`,
        `HOME=${tmp}`,
        `DENO_DIR=${tmp}/deno-dir`,
        "NO_COLOR=1",
      ];
      const sh = (script: string) => run("/usr/bin/env", ["-i", ...env, "/bin/sh", "-c", script]);

      const which = await sh("command -v node; command -v deno; command -v tlsprobe");
      assert.equal(which.stdout.trim(), `${tmp}/links/tlsprobe`, "node or deno is on PATH");

      // ciphers: what openssl ciphers -v prints.
      const ours = await sh("tlsprobe ciphers -v 'ECDH+AES128'");
      const theirs = await run("openssl", ["ciphers", "-v", "ECDH+AES128"]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(ours.stdout, theirs.stdout);

      // probe a real openssl s_server.
      const server = await startOpensslServer([
        "-cert",
        pki.localhostCrt,
        "-key",
        pki.localhostKey,
        "-tls1_2",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256",
      ]);
      try {
        const p = await sh(`tlsprobe probe localhost:${server.port} -a '${pki.caCrt}' --json`);
        const o = JSON.parse(p.stdout);
        assert.equal(o.outcome, "ok", p.stdout + p.stderr);
        assert.equal(o.handshake.version, "TLSv1.2");
        assert.equal(o.handshake.cipher.iana, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert.equal(o.trust.verified, true);
      } finally {
        await server.stop();
      }

      // serve and connect, both from the archive; trust is exactly the CA file.
      const serve = await startPeer(
        "/usr/bin/env",
        [
          "-i",
          ...env,
          "/bin/sh",
          "-c",
          `exec tlsprobe serve --cert '${pki.localhostPem}' --port 0`,
        ],
        { ready: /port (\d+)/, timeoutMs: 30_000 },
      );
      try {
        const c = await sh(`tlsprobe connect -a '${pki.caCrt}' localhost ${serve.port} --json`);
        const o = JSON.parse(c.stdout);
        assert.equal(o.outcome, "ok", c.stdout + c.stderr);
        assert.equal(o.trust.exact, true);
        // A CA that did not sign the server: refused, exit 1.
        const bad = await sh(
          `tlsprobe connect -a '${pki.otherCaCrt}' localhost ${serve.port} --json`,
        );
        assert.equal(bad.code, 1);
        assert.equal(JSON.parse(bad.stdout).error.code, "CERT_UNKNOWN_ISSUER");
      } finally {
        await serve.stop();
      }
    } finally {
      await removeTestPki(pki);
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
