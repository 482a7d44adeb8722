/**
 * `tlsprobe scan --progress json`: one JSON line per handshake on stderr
 * (what the extension's Scan view reads), with a total that never falls
 * below what is done and ends equal to the report's handshake count.
 */
import { strict as assert } from "node:assert";
import { cliArgs, havePeer, ROOT, run, startOpensslServer, tlsprobe } from "../_helpers/process.ts";

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
        assert.deepEqual(Object.keys(l), ["target", "done", "total", "phase", "percent"]);
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
        percent: 100,
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

/** Runs `fn` against `openssl s_server` with its defaults (TLS 1.2 and 1.3) and the sample certificate. */
async function withDefaultServer(fn: (port: number) => Promise<void>): Promise<void> {
  const server = await startOpensslServer([
    "-cert",
    CERTS + "localhost.crt",
    "-key",
    CERTS + "localhost.key",
  ]);
  try {
    await fn(server.port);
  } finally {
    await server.stop();
  }
}

Deno.test({
  name: "scan --progress json: the percent never falls when the plan's total is revised up, " +
    "and is 100 on the last line only",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // s_server's defaults (TLS 1.2 and 1.3): the TLS 1.3 suites-and-groups part runs longer than
    // its estimate, so the total grows early on and done/total falls (16 % → 14 % when found).
    await withDefaultServer(async (port) => {
      const r = await tlsprobe([
        "scan",
        "--json",
        "--progress",
        "json",
        "--timeout",
        "5",
        `127.0.0.1:${port}`,
      ]);
      const report = JSON.parse(r.stdout);
      const lines: { done: number; total: number; phase: string; percent: number }[] = r.stderr
        .trim().split("\n").map((l) => JSON.parse(l));
      const trace = lines.map((l) => `${l.done}/${l.total}=${l.percent}`).join(" ");
      // The case under test happened: done/total fell at least once.
      const ratio = lines.map((l) => Math.floor((l.done * 100) / l.total));
      assert.ok(ratio.some((p, i) => i > 0 && p < ratio[i - 1]), `no revision: ${trace}`);
      for (let i = 1; i < lines.length; i++) {
        assert.ok(lines[i].percent >= lines[i - 1].percent, `percent fell: ${trace}`);
      }
      // Never behind done/total, and 100 only at the very end.
      for (const [i, l] of lines.entries()) {
        assert.ok(l.percent >= Math.min(99, ratio[i]), trace);
      }
      assert.ok(lines.slice(0, -1).every((l) => l.percent < 100), trace);
      assert.deepEqual(lines.at(-1), {
        target: `127.0.0.1:${port}`,
        done: report.handshakes,
        total: report.handshakes,
        phase: "done",
        percent: 100,
      });
      assert.ok(new Set(lines.map((l) => l.percent)).size >= 10, trace);
    });
  },
});

Deno.test({
  name: "scan's progress bar on a terminal never goes back and ends at 100 %",
  ignore: !(await havePeer("script")),
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await withDefaultServer(async (port) => {
      // script(1) gives the CLI a terminal, so it draws the bar on stderr.
      const words = [
        Deno.execPath(),
        ...cliArgs(),
        "scan",
        "--timeout",
        "5",
        `127.0.0.1:${port}`,
      ];
      const quoted = words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(" ");
      const r = await run("script", ["-qfec", quoted, "/dev/null"], {
        env: { NO_COLOR: "1", TERM: "dumb" },
      });
      assert.equal(r.code, 0, r.stdout);
      const frames = [...r.stdout.matchAll(/\r\[([#-]{30})\] (\d+)% /g)].map((m) => Number(m[2]));
      assert.ok(frames.length >= 2, JSON.stringify(r.stdout.slice(0, 500)));
      for (let i = 1; i < frames.length; i++) {
        assert.ok(frames[i] >= frames[i - 1], `bar went back: ${frames.join(" ")}`);
      }
      // 100 only at the end (the last progress report and the target's finish both draw it).
      assert.equal(frames.at(-1), 100, frames.join(" "));
      assert.ok(frames.indexOf(100) >= 1, frames.join(" "));
      assert.match(r.stdout, /TLSv1\.3/); // the report itself followed
    });
  },
});

Deno.test("scan --progress with an unknown format is a usage error (exit 2)", async () => {
  const r = await tlsprobe(["scan", "--progress", "xml", "127.0.0.1:1"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Progress format "xml" is not known/);
});
