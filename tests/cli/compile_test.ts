/**
 * `deno task compile` (tools/dist.ts compile) needs `denort`, which Deno
 * downloads from dl.deno.land unless DENORT_BIN names a local copy. The
 * failure path always runs (the download is made to fail: an unreachable
 * proxy and an empty DENO_DIR); the build itself runs whenever DENORT_BIN is
 * set, and is skipped with a printed reason otherwise.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";
import { ROOT, run, startPeer } from "../_helpers/process.ts";

const HOST = `${Deno.build.os === "windows" ? "win32" : Deno.build.os}-${
  Deno.build.arch === "x86_64" ? "x64" : "arm64"
}`;
const denort = Deno.env.get("DENORT_BIN");
if (!denort) {
  console.log(
    "compile_test: build skipped — set DENORT_BIN to a denort " + Deno.version.deno +
      " binary to test `deno task compile` (dl.deno.land is unreachable here)",
  );
}

Deno.test("deno task compile without denort fails with one sentence and leaves no folder", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "tlsprobe-compile-" });
  try {
    const out = `${tmp}/dist`;
    const env = Deno.env.toObject();
    delete env.DENORT_BIN;
    const r = await run(Deno.execPath(), [
      "run",
      "-A",
      ROOT + "tools/dist.ts",
      "compile",
      "--target",
      HOST,
      "--out",
      out,
    ], {
      env: {
        ...env,
        DENO_DIR: `${tmp}/deno-dir`,
        HTTPS_PROXY: "http://127.0.0.1:9",
        https_proxy: "http://127.0.0.1:9",
        NO_COLOR: "1",
      },
    });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      new RegExp(`^Cannot compile tlsprobe for ${HOST}: cannot download denort .*DENORT_BIN.*\\.$`),
    );
    assert.doesNotMatch(r.stderr, /backtrace|Caused by|panicked/i);
    await assert.rejects(Deno.stat(out), Deno.errors.NotFound, "an empty dist/ was left");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name: "deno task compile builds a single binary with its sum that serves and connects",
  ignore: !denort,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "tlsprobe-compile-" });
    const pki = await makeTestPki();
    try {
      const out = `${tmp}/dist`;
      const r = await run(Deno.execPath(), [
        "run",
        "-A",
        ROOT + "tools/dist.ts",
        "compile",
        "--target",
        HOST,
        "--out",
        out,
      ], { env: { DENORT_BIN: denort! } });
      assert.equal(r.code, 0, r.stderr);
      const bin = `${out}/tlsprobe-${HOST}`;
      const sums = await Deno.readTextFile(`${out}/SHA256SUMS`);
      assert.match(sums, new RegExp(`^[0-9a-f]{64}  tlsprobe-${HOST}$`, "m"));
      const v = await run(bin, ["--version"]);
      assert.equal(v.code, 0);
      const server = await startPeer(bin, ["serve", "--cert", pki.localhostPem, "--port", "0"], {
        ready: /port (\d+)/,
      });
      try {
        const c = await run(bin, [
          "connect",
          "-a",
          pki.caCrt,
          "localhost",
          String(server.port),
          "--json",
        ]);
        const o = JSON.parse(c.stdout);
        assert.equal(o.outcome, "ok");
        // The binary embeds cli/runtime.env: trust is exactly the CA file.
        assert.equal(o.trust.exact, true);
      } finally {
        await server.stop();
      }
    } finally {
      await removeTestPki(pki);
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
