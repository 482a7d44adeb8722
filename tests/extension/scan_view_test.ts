/**
 * The panel's Scan: the CLI's scan JSON (from a real `openssl s_server`,
 * through the extension's CLI client) rendered as the version × suite table,
 * findings with severity icons and the grade; history lines; escaping.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { resolveCli, scan, scanArgs } from "../../extension/src/cli_client.ts";
import {
  addEntry,
  emptyModel,
  renderResult,
  summary,
} from "../../extension/src/pure/panel_model.ts";
import {
  parseProgressLine,
  progressPercent,
  renderScan,
  type ScanProgressLine,
  type ScanReport,
} from "../../extension/src/pure/scan_view.ts";
import { ROOT, startOpensslServer } from "../_helpers/process.ts";

const DENO_DIR = path.dirname(Deno.execPath());

Deno.test("scanArgs() maps the form to scan's flags and keeps the target from being an option", () => {
  assert.deepEqual(
    scanArgs({ target: "localhost:8443", caFile: "/ca.pem", alpn: "h2" }, 5000),
    [
      "scan",
      "localhost:8443",
      "--timeout",
      "5",
      "--cafile",
      "/ca.pem",
      "--quiet",
      "--progress",
      "json",
    ],
  );
  assert.throws(() => scanArgs({ target: "-p" }, 5000), /Not a target/);
});

Deno.test({
  name: "scan() runs the real CLI on an s_server and the panel renders suites, findings, grade",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const server = await startOpensslServer([
      "-cert",
      `${ROOT}certs/localhost.crt`,
      "-key",
      `${ROOT}certs/localhost.key`,
      "-tls1_2",
      "-serverpref",
      "-cipher",
      "ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA",
    ]);
    try {
      const cli = resolveCli({ envPath: DENO_DIR, searchRoots: [ROOT] });
      const req = {
        kind: "scan" as const,
        target: `localhost:${server.port}`,
        caFile: `${ROOT}certs/ca.crt`,
      };
      const seen: ScanProgressLine[] = [];
      const run = await scan(cli, req, {
        timeoutMs: 120_000,
        onProgress: (p) => seen.push(p),
      });
      const r = run.result as ScanReport;
      assert.equal(r.outcome, "ok", JSON.stringify(r.error));
      // Progress came while it ran, never above its total, and ended at 100 %.
      assert.ok(seen.length >= 10, `${seen.length} progress lines`);
      assert.ok(seen.every((p) => p.done <= p.total));
      assert.deepEqual(seen.at(-1), {
        done: r.handshakes,
        total: r.handshakes,
        phase: "done",
        percent: 100,
      });
      assert.equal(progressPercent(seen.at(-1)!), 100);
      assert.ok(seen.slice(0, -1).every((p) => progressPercent(p) < 100));
      const html = renderScan(r);
      assert.match(html, /TLSv1\.2 <span class="dim">server order<\/span>/);
      const rows = [
        ...html.matchAll(
          /<tr class="suite" data-version="TLSv1\.2">.*?<td class="(good|warn|bad) name" data-rating="\w+">(.+?)<\/td>/g,
        ),
      ].map((m) => m[2].replaceAll("<wbr>", ""));
      assert.deepEqual(rows, ["ECDHE-RSA-AES256-GCM-SHA384", "AES128-SHA"]);
      // Names may wrap after their separators only (a narrow side bar keeps every column).
      assert.match(html, />ECDHE-<wbr>RSA-<wbr>AES256-<wbr>GCM-<wbr>SHA384<\/td>/);
      assert.match(
        html,
        /<td class="warn name" data-rating="weak">AES128-<wbr>SHA<\/td>/,
      );
      assert.match(html, /id="scan-grade">Grade <b class="good">A<\/b>/);
      assert.match(
        html,
        /<li class="finding-warning"><span class="sev warn"><span aria-hidden="true">⚠<\/span> warning<\/span> <b>[\w-]+<\/b> RSA key exchange/,
      );
      assert.match(
        html,
        /id="scan-chains"><li><div class="subject">RSA: CN=localhost/,
      );
      const model = addEntry(emptyModel(), {
        request: req,
        startedAt: new Date().toISOString(),
        durationMs: 10,
        scan: r,
      });
      assert.match(summary(model.entries[0]), /: scan, grade A \(TLSv1\.2\)$/);
      assert.match(renderResult(model, new Date()), /id="scan-suites"/);
      assert.match(
        renderResult({ ...model, running: req }, new Date()),
        /Scanning localhost:\d+…/,
      );
      const running = renderResult({
        ...model,
        running: req,
        progress: seen[5],
      }, new Date());
      assert.match(
        running,
        new RegExp(
          `<progress aria-label="Scanning localhost:\\d+…" value="${
            progressPercent(seen[5])
          }" max="100">`,
        ),
      );
      assert.match(
        running,
        /id="scan-progress" data-percent="\d+">\d+ % · [^<]+ · 6 of \d+ handshakes/,
      );
    } finally {
      await server.stop();
    }
  },
});

Deno.test("renderScan() escapes what the server controls", () => {
  const html = renderScan({
    schemaVersion: 2,
    outcome: "ok",
    versions: [],
    findings: [{
      rule: "x",
      severity: "error",
      message: "<img src=x>",
      reference: "&",
    }],
    certificates: [],
    profiles: [],
    grade: { grade: "C", reasons: [] },
  } as unknown as ScanReport);
  assert.ok(!html.includes("<img"));
  assert.match(html, /&#60;img src=x&#62;/);
  assert.match(html, /class="bad">C</);
});

Deno.test("parseProgressLine() takes only well-formed progress lines", () => {
  assert.deepEqual(
    parseProgressLine(
      '{"target":"h:1","done":3,"total":40,"phase":"versions"}',
    ),
    {
      done: 3,
      total: 40,
      phase: "versions",
    },
  );
  // The CLI's percent is kept when it is a whole number 0–100, dropped otherwise.
  assert.equal(
    parseProgressLine('{"done":3,"total":40,"phase":"versions","percent":9}')?.percent,
    9,
  );
  for (const p of ["-1", "101", "9.5", '"9"']) {
    const line = parseProgressLine(`{"done":3,"total":40,"phase":"v","percent":${p}}`);
    assert.deepEqual(line, { done: 3, total: 40, phase: "v" }, p);
  }
  // A total below done is raised to it; a long phase is cut.
  assert.deepEqual(
    parseProgressLine(`{"done":5,"total":2,"phase":"${"p".repeat(300)}"}`),
    {
      done: 5,
      total: 5,
      phase: "p".repeat(100),
    },
  );
  for (
    const bad of [
      "",
      "tlsprobe: error TIMEOUT: …",
      "{",
      '{"done":-1,"total":2,"phase":"x"}',
      '{"done":1.5,"total":2,"phase":"x"}',
      '{"done":"1","total":2,"phase":"x"}',
      '{"done":1,"total":2}',
      "null",
      `{"done":1,"total":2,"phase":"${"x".repeat(2000)}"}`,
    ]
  ) {
    assert.equal(parseProgressLine(bad), undefined, bad);
  }
  assert.equal(progressPercent({ done: 49, total: 50, phase: "x" }), 98);
  assert.equal(progressPercent({ done: 50, total: 50, phase: "x" }), 99); // not the end yet
  assert.equal(progressPercent({ done: 50, total: 50, phase: "done" }), 100);
  assert.equal(progressPercent({ done: 0, total: 0, phase: "x" }), 0);
  // The CLI's own percent wins over done/total, below 100 until the end.
  assert.equal(progressPercent({ done: 9, total: 62, phase: "x", percent: 16 }), 16);
  assert.equal(progressPercent({ done: 9, total: 9, phase: "x", percent: 100 }), 99);
});

Deno.test({
  name:
    "the panel's scan percent never falls when the CLI revises its total up (s_server defaults)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    // TLS 1.2 and 1.3: the TLS 1.3 part runs past its estimate and the total grows early on.
    const server = await startOpensslServer([
      "-cert",
      `${ROOT}certs/localhost.crt`,
      "-key",
      `${ROOT}certs/localhost.key`,
    ]);
    try {
      const cli = resolveCli({ envPath: DENO_DIR, searchRoots: [ROOT] });
      const seen: ScanProgressLine[] = [];
      const run = await scan(cli, { kind: "scan", target: `127.0.0.1:${server.port}` }, {
        timeoutMs: 120_000,
        onProgress: (p) => seen.push(p),
      });
      assert.equal((run.result as ScanReport).outcome, "ok");
      const ratio = seen.map((p) => Math.floor((p.done * 100) / p.total));
      assert.ok(ratio.some((p, i) => i > 0 && p < ratio[i - 1]), `no revision: ${ratio}`);
      const shown = seen.map(progressPercent);
      for (let i = 1; i < shown.length; i++) {
        assert.ok(shown[i] >= shown[i - 1], `the panel's percent fell: ${shown.join(" ")}`);
      }
      assert.equal(shown.at(-1), 100);
      assert.ok(shown.slice(0, -1).every((p) => p < 100), shown.join(" "));
    } finally {
      await server.stop();
    }
  },
});

Deno.test({
  name:
    "scan() of a listener that never answers ends with TIMEOUT within its bound; cancel kills it at once",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    (async () => {
      for await (const c of silent) held.push(c);
    })().catch(() => {});
    const port = (silent.addr as Deno.NetAddr).port;
    try {
      const cli = resolveCli({ envPath: DENO_DIR, searchRoots: [ROOT] });
      const req = { kind: "scan" as const, target: `127.0.0.1:${port}` };
      // The extension's timeout of 8 s gives the CLI 2 s per handshake.
      const t0 = Date.now();
      const run = await scan(cli, req, { timeoutMs: 8000 });
      const ms = Date.now() - t0;
      assert.equal(run.result.outcome, "error");
      assert.equal(run.result.error?.code, "TIMEOUT");
      assert.ok(ms < 8000 + 3000, `${ms} ms`);
      // Cancel: the run ends as CANCELLED promptly, long before the CLI's own timeout.
      const abort = new AbortController();
      const t1 = Date.now();
      const p = scan(cli, req, { timeoutMs: 60_000, signal: abort.signal });
      setTimeout(() => abort.abort(), 1500);
      await assert.rejects(
        p,
        (e: Error & { code?: string }) => e.code === "CANCELLED",
      );
      const cancelMs = Date.now() - t1;
      assert.ok(cancelMs < 1500 + 3000, `cancelled after ${cancelMs} ms`);
      // And the CLI (its process group) is gone.
      let left = cliProcesses(req.target);
      for (let i = 0; i < 30 && left.length; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = cliProcesses(req.target);
      }
      assert.deepEqual(left, [], "the CLI still runs after cancel");
    } finally {
      silent.close();
      for (const c of held) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    }
  },
});

/** PIDs of live processes whose command line names `needle` (Linux /proc). */
function cliProcesses(needle: string): number[] {
  const pids: number[] = [];
  for (const d of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(d.name) || Number(d.name) === Deno.pid) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${d.name}/cmdline`);
      const stat = Deno.readTextFileSync(`/proc/${d.name}/stat`);
      if (cmd.includes(needle) && stat[stat.lastIndexOf(")") + 2] !== "Z") {
        pids.push(Number(d.name));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
