/**
 * A scan's findings are on the one severity scale (error, warning, info) and
 * the grade is the worst cap among their rules: written by hand per case.
 */
import assert from "node:assert/strict";
import { evaluateScan } from "../../../core/scan/evaluate.ts";
import { emptyVersion, type PlannedScan } from "../../../core/scan/plan.ts";
import type { VersionResult } from "../../../core/scan/model.ts";

function version(name: string, code: number, suites: number[]): VersionResult {
  const v = { ...emptyVersion(code), accepted: suites.length > 0, suites };
  assert.equal(v.version, name);
  return v;
}

function planned(versions: VersionResult[], features: PlannedScan["features"] = {}): PlannedScan {
  return {
    target: { host: "graded.example", port: 443, serverName: null },
    interrupted: false,
    sslv2: false,
    versions,
    alpn: { protocols: [], serverOrder: null },
    sni: { withoutSni: "", wrongSni: "" },
    features,
    clientCertificate: { requested: false, required: null, caNames: [] },
    handshakes: 0,
    elapsedMs: 0,
    chains: [],
  };
}

const facts = { now: new Date("2026-01-01T00:00:00Z"), trust: null };

Deno.test("evaluateScan() grades SSLv3 with RSA key exchange C, the error first", async () => {
  const r = await evaluateScan(
    planned([
      version("TLSv1.2", 0x0303, [0xc02f, 0x002f]),
      version("SSLv3", 0x0300, [0x002f]),
    ]),
    facts,
  );
  assert.deepEqual(r.findings.map((f) => [f.rule, f.severity]), [
    ["sslv3", "error"],
    ["rsa-kx", "warning"],
  ]);
  assert.equal(r.findings[0].reference, "RFC 7568");
  assert.deepEqual(r.grade, { grade: "C", reasons: ["error: SSLv3 is accepted (POODLE)"] });
});

Deno.test("evaluateScan() grades TLS 1.0 B and a warning-only server A", async () => {
  const b = await evaluateScan(
    planned([version("TLSv1.2", 0x0303, [0xc02f]), version("TLSv1", 0x0301, [0xc013])]),
    facts,
  );
  assert.equal(b.grade.grade, "B");
  assert.deepEqual(b.findings.map((f) => [f.rule, f.severity]), [
    ["tlsv1", "warning"],
    ["beast", "warning"],
  ]);
  const a = await evaluateScan(
    planned([version("TLSv1.3", 0x0304, [0x1301]), version("TLSv1.2", 0x0303, [0x009c])]),
    facts,
  );
  assert.deepEqual(a.grade, {
    grade: "A",
    reasons: ["warning: RSA key exchange (no forward secrecy): AES128-GCM-SHA256"],
  });
});

Deno.test("evaluateScan() gives A+ with only an info finding and TLS 1.3, A without TLS 1.3", async () => {
  const plus = await evaluateScan(
    planned([version("TLSv1.3", 0x0304, [0x1301])], {
      heartbeat: { value: true, note: "offered" },
    }),
    facts,
  );
  assert.deepEqual(plus.findings.map((f) => [f.rule, f.severity]), [["heartbeat", "info"]]);
  assert.deepEqual(plus.grade, { grade: "A+", reasons: [] });
  const twelve = await evaluateScan(planned([version("TLSv1.2", 0x0303, [0xc02f])]), facts);
  assert.deepEqual(twelve.findings, []);
  assert.equal(twelve.grade.grade, "A");
});
