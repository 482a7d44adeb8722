/**
 * `tlsprobe scan --progress json`: one JSON line per handshake on stderr
 * (what the extension's Scan view reads), with a total that never falls
 * below what is done and ends equal to the report's handshake count.
 */
import { strict as assert } from "node:assert";
import { ROOT, startOpensslServer, tlsprobe } from "../_helpers/process.ts";

const CERTS = ROOT + "certs/";

Deno.test({
  name: "scan --progress json writes done/total/phase lines ending at done = total = handshakes",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const server = await startOpensslServer([
      "-cert",
      CERTS + "localhost.crt",
      "-key",
      CERTS + "localhost.key",
      "-tls1_2",
      "-cipher",
      "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
    ]);
    try {
      const r = await tlsprobe([
        "scan",
        "--json",
        "--progress",
        "json",
        "--timeout",
        "5",
        `127.0.0.1:${server.port}`,
      ]);
      const report = JSON.parse(r.stdout);
      const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l));
      assert.ok(lines.length >= 10, r.stderr);
      let last = 0;
      for (const l of lines) {
        assert.deepEqual(Object.keys(l), ["target", "done", "total", "phase"]);
        assert.equal(l.target, `127.0.0.1:${server.port}`);
        assert.ok(l.done >= last, `done went back: ${JSON.stringify(l)}`);
        assert.ok(l.done <= l.total, JSON.stringify(l));
        last = l.done;
      }
      assert.deepEqual(lines.at(-1), {
        target: `127.0.0.1:${server.port}`,
        done: report.handshakes,
        total: report.handshakes,
        phase: "done",
      });
      const phases = new Set(lines.map((l) => l.phase));
      assert.ok(phases.has("versions") && phases.has("TLSv1.2 suites"), [...phases].join(", "));
      // The total was planned ahead: after the versions it already covers most of the scan.
      const planned = lines.find((l) => l.phase === "TLSv1.2 suites")!;
      assert.ok(planned.total >= report.handshakes / 2, `${planned.total} of ${report.handshakes}`);
    } finally {
      await server.stop();
    }
  },
});

Deno.test("scan --progress with an unknown format is a usage error (exit 2)", async () => {
  const r = await tlsprobe(["scan", "--progress", "xml", "127.0.0.1:1"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Progress format "xml" is not known/);
});
