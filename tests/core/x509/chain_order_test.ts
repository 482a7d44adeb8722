/**
 * Chain ordering is linear: a shuffled bundle of 2,000 certificates (a hostile
 * file, issue 10) is ordered leaf to root by name index, not by comparing
 * every pair (the quadratic version took 29 s here).
 */
import assert from "node:assert/strict";
import { decodeCertificateSync } from "../../../core/x509/decode.ts";
import { orderChain, verifyChain } from "../../../core/x509/chain.ts";
import { longChain } from "../../_helpers/odd_certs.ts";
import { prng } from "../../_helpers/prng.ts";

Deno.test("orderChain() orders a shuffled 2,000-certificate bundle leaf to root, well within 10 s", async () => {
  const ders = longChain(2000);
  const certs = ders.map((d) => decodeCertificateSync(d));
  const rnd = prng(2000);
  const shuffled = certs.map((c) => [rnd(), c] as const).sort((a, b) => a[0] - b[0]).map((x) =>
    x[1]
  );
  const t = performance.now();
  const { chain, unused } = orderChain(shuffled);
  const ms = performance.now() - t;
  assert.equal(chain.length, 2000);
  assert.equal(unused.length, 0);
  chain.forEach((c, i) => assert.equal(c.subject.rfc2253, `CN=chain ${i}`));
  assert.ok(ms < 10_000, `ordering took ${ms} ms`);
  const report = await verifyChain(chain, { now: new Date("2026-01-01T00:00:00Z") });
  assert.equal(report.links.length, 2000);
  assert.ok(report.complete);
  assert.ok(report.links.slice(0, -1).every((l) => l.issuerSource === "chain" && l.nameMatch));
  console.log(`orderChain: 2000 shuffled certificates ordered in ${ms.toFixed(0)} ms`);
});

Deno.test("orderChain() keeps the leaf choice and leaves strays unused", () => {
  const [leaf, inter, root] = longChain(3).map((d) => decodeCertificateSync(d));
  const stray = decodeCertificateSync(longChain(5)[3]);
  const { chain, unused } = orderChain([root, stray, inter, leaf]);
  assert.deepEqual(chain.map((c) => c.subject.rfc2253), [
    "CN=chain 0",
    "CN=chain 1",
    "CN=chain 2",
  ]);
  assert.deepEqual(unused.map((c) => c.subject.rfc2253), ["CN=chain 3"]);
});
