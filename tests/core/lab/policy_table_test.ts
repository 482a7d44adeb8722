/**
 * `policy check --lab`'s rows from literal check results: a pass connects; a
 * refused baseline carries its error code; a trust or name finding its code;
 * a key-size finding its rule; a failure of the check itself is an `error`
 * that never matches; the table counts the rows that differ.
 */
import assert from "node:assert/strict";
import { labActual, labRow, labTableText } from "../../../core/lab/policy_table.ts";
import type { CheckResult } from "../../../core/policy/check.ts";
import type { LabEndpoint } from "../../../core/lab/cases.ts";

function result(
  verdict: "pass" | "fail",
  findings: Array<{ rule: string; observed: string | number; severity: "error" | "warning" }>,
  baselineError?: string,
): CheckResult {
  return {
    evaluation: {
      policy: "p",
      verdict,
      findings: findings.map((f) => ({ ...f, expected: null, message: `${f.rule} says no` })),
    },
    baseline: {
      outcome: baselineError ? "error" : "ok",
      ...(baselineError ? { error: { code: baselineError, message: "m", detail: {} } } : {}),
    } as unknown as CheckResult["baseline"],
    probes: [],
  };
}

const endpoint = (name: string, expect: "connect" | "reject", error?: string): LabEndpoint => ({
  name,
  port: 4000,
  expect,
  ...(error ? { error } : {}),
  client: "",
  description: "",
  served: true,
  engine: "lab",
});

Deno.test("labActual: connect, refusal codes, rules, and failures of the check itself", () => {
  assert.deepEqual(
    labActual(result("pass", [{ rule: "certificate-type", observed: "rsa", severity: "warning" }])),
    {
      behaviour: "connect",
    },
  );
  assert.equal(
    labActual(
      result("fail", [{ rule: "handshake", observed: "x", severity: "error" }], "PROTOCOL_VERSION"),
    ).code,
    "PROTOCOL_VERSION",
  );
  assert.equal(
    labActual(
      result("fail", [{ rule: "verification", observed: "CERT_EXPIRED", severity: "error" }]),
    ).code,
    "CERT_EXPIRED",
  );
  assert.equal(
    labActual(result("fail", [{ rule: "hostname", observed: "mismatch", severity: "error" }])).code,
    "CERT_NAME_MISMATCH",
  );
  // The first error decides, warnings never do.
  const r = labActual(result("fail", [
    { rule: "certificate-type", observed: "rsa", severity: "warning" },
    { rule: "key-size.dh", observed: 1024, severity: "error" },
    { rule: "verification", observed: "CERT_INVALID", severity: "error" },
  ]));
  assert.deepEqual([r.behaviour, r.code], ["reject", "key-size.dh"]);
  assert.deepEqual(labActual({ code: "CONNECTION_RESET", message: "m" }).behaviour, "reject");
  assert.deepEqual(labActual({ code: "INTERNAL", message: "m" }).behaviour, "error");
});

Deno.test("labRow and labTableText: match on behaviour; the count of rows that differ", () => {
  const rows = [
    labRow(endpoint("good", "connect"), { behaviour: "connect" }),
    labRow(endpoint("expired", "reject", "CERT_EXPIRED"), { behaviour: "connect" }),
    labRow(endpoint("dh512", "reject", "HANDSHAKE_FAILURE"), {
      behaviour: "reject",
      code: "key-size.dh",
    }),
    labRow(endpoint("tls10-only", "reject"), { behaviour: "error", code: "INTERNAL" }),
  ];
  assert.deepEqual(rows.map((r) => r.match), [true, false, true, false]);
  assert.deepEqual(rows[1].expected, { behaviour: "reject", error: "CERT_EXPIRED" });
  const text = labTableText("p", rows);
  assert.match(text.join("\n"), /^expired\s+4000\s+reject \(CERT_EXPIRED\)\s+connect\s+NO$/m);
  assert.match(
    text.join("\n"),
    /^dh512\s+4000\s+reject \(HANDSHAKE_FAILURE\)\s+reject \(key-size\.dh\)\s+yes$/m,
  );
  assert.equal(text.at(-1), "2 of 4 rows differ");
  assert.equal(labTableText("p", rows.slice(0, 1)).at(-1), "All 1 rows match");
});
