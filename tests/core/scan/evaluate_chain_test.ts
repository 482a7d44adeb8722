/**
 * The scanner's chain view decodes for display: a malformed certificate keeps
 * its fields and carries its findings; the name is matched only by the strict
 * decoder (null when that one refuses the leaf).
 */
import assert from "node:assert/strict";
import { evaluateScan } from "../../../core/scan/evaluate.ts";
import type { PlannedScan } from "../../../core/scan/plan.ts";
import { oddCertificates } from "../../_helpers/odd_certs.ts";

const odd = new Map(oddCertificates().map((c) => [c.name, c.der]));

function planned(der: Uint8Array[]): PlannedScan {
  return {
    target: { host: "odd.example", port: 443, serverName: null },
    error: { code: "TIMEOUT", message: "stopped" } as PlannedScan["error"],
    interrupted: false,
    sslv2: false,
    versions: [],
    alpn: { protocols: [], serverOrder: null },
    sni: { withoutSni: "", wrongSni: "" },
    features: {},
    clientCertificate: { requested: false, required: null, caNames: [] },
    handshakes: 0,
    elapsedMs: 0,
    chains: [{ asked: "rsa", der }],
  };
}

Deno.test("evaluateScan() shows a malformed chain with its findings and matches names strictly", async () => {
  const bad = await evaluateScan(planned([odd.get("duplicate subjectAltName")!]), {
    now: new Date("2026-01-01T00:00:00Z"),
    trust: null,
  });
  const c = bad.certificates[0];
  assert.equal(c.subject, "CN=odd.example,C=XX");
  assert.deepEqual(c.sans, ["a.example", "b.example"]);
  assert.equal(c.nameMatches, null, "the strict decoder refuses the leaf: no name verdict");
  assert.deepEqual(c.chain[0].findings?.map((f) => [f.rule, f.severity]), [
    ["x509.duplicate-extension", "error"],
  ]);
  const good = await evaluateScan(planned([odd.get("key rsa2048")!]), {
    now: new Date("2026-01-01T00:00:00Z"),
    trust: null,
  });
  assert.equal(good.certificates[0].nameMatches, true);
  assert.equal(good.certificates[0].chain[0].findings, undefined);
});
