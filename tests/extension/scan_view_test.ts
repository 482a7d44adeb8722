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
import { renderScan, type ScanReport } from "../../extension/src/pure/scan_view.ts";
import { ROOT, startOpensslServer } from "../_helpers/process.ts";

const DENO_DIR = path.dirname(Deno.execPath());

Deno.test("scanArgs() maps the form to scan's flags and keeps the target from being an option", () => {
  assert.deepEqual(
    scanArgs({ target: "localhost:8443", caFile: "/ca.pem", alpn: "h2" }, 5000),
    ["scan", "localhost:8443", "--timeout", "5", "--cafile", "/ca.pem", "--quiet"],
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
      const run = await scan(cli, req, { timeoutMs: 120_000 });
      const r = run.result as ScanReport;
      assert.equal(r.outcome, "ok", JSON.stringify(r.error));
      const html = renderScan(r);
      assert.match(html, /TLSv1\.2 <span class="dim">server order<\/span>/);
      const rows = [...html.matchAll(/<td class="(good|warn|bad)">([^<]+)<\/td>/g)].map((m) =>
        m[2]
      );
      assert.deepEqual(rows.slice(0, 2), ["ECDHE-RSA-AES256-GCM-SHA384", "AES128-SHA"]);
      assert.match(html, /id="scan-grade">Grade <b class="good">A<\/b>/);
      assert.match(html, /<li class="warn"><span aria-label="warning">▲<\/span> RSA key exchange/);
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
    findings: [{ rule: "x", severity: "error", message: "<img src=x>", reference: "&" }],
    certificates: [],
    profiles: [],
    grade: { grade: "C", reasons: [] },
  } as unknown as ScanReport);
  assert.ok(!html.includes("<img"));
  assert.match(html, /&#60;img src=x&#62;/);
  assert.match(html, /class="bad">C</);
});
