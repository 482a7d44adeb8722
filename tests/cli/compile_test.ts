/**
 * `deno task compile` needs `denort`, which Deno downloads from dl.deno.land
 * unless DENORT_BIN names a local copy. Where neither is available (the build
 * machines here reach only npm and apt) this test is skipped, saying why.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";
import { ROOT, run, startPeer } from "../_helpers/process.ts";

const denort = Deno.env.get("DENORT_BIN");
if (!denort) {
  console.log(
    "compile_test: skipped — set DENORT_BIN to a denort 2.9.6 binary to test `deno task compile` (dl.deno.land is unreachable here)",
  );
}

Deno.test({
  name: "deno task compile builds a single binary that serves and connects",
  ignore: !denort,
  async fn() {
    const r = await run(Deno.execPath(), ["task", "compile"], {
      cwd: ROOT,
      env: { DENORT_BIN: denort! },
    });
    assert.equal(r.code, 0, r.stderr);
    const bin = ROOT + "dist/tlsprobe";
    const v = await run(bin, ["--version"]);
    assert.equal(v.code, 0);
    const pki = await makeTestPki();
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
      await removeTestPki(pki);
    }
  },
});
