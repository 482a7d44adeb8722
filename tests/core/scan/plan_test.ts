/**
 * The scan plan against server models: the exact number of handshakes it
 * plans for a fixed model (a planning regression shows here, not in
 * timings), what it finds, and how it copes with a server that drops the
 * connection on some suites.
 */
import { strict as assert } from "node:assert";
import { planScan } from "../../../core/scan/plan.ts";
import { ProgressPlan, type ScanProgress } from "../../../core/scan/progress.ts";
import type {
  HelloAnswer,
  HelloOffer,
  InspectAnswer,
  InspectOffer,
  Prober,
} from "../../../core/scan/model.ts";
import type { ServerHello } from "../../../core/wire/server_hello.ts";
import { signatureSchemeName } from "../../../core/registry/signature_schemes.ts";

interface Model {
  /** Suites per version, in the server's preference order. */
  suites: Map<number, number[]>;
  serverOrder: boolean;
  groups13: number[];
  groups12: number[];
  sigalgs12: number[];
  sigalgs13: number[];
  alpn: string[];
  /** The connection is closed (no alert) when this suite is offered. */
  poison?: number;
}

function pick<T>(offered: readonly T[], server: readonly T[], serverOrder: boolean): T | undefined {
  return serverOrder
    ? server.find((x) => offered.includes(x))
    : offered.find((x) => server.includes(x));
}

function sh(version: number, suite: number, extra: Partial<ServerHello> = {}): ServerHello {
  return {
    legacyVersion: Math.min(version, 0x0303),
    version,
    random: new Uint8Array(32),
    sessionId: new Uint8Array(0),
    cipherSuite: suite,
    compression: 0,
    extensions: [],
    helloRetryRequest: false,
    statusRequest: false,
    sessionTicket: true,
    extendedMasterSecret: true,
    encryptThenMac: false,
    secureRenegotiation: true,
    offset: 0,
    ...extra,
  };
}

function modelProber(m: Model): Prober & { calls: string[] } {
  const calls: string[] = [];
  const alert = (name = "handshake_failure") =>
    ({ kind: "alert", alert: name, code: "HANDSHAKE_FAILURE" }) as const;
  return {
    calls,
    hello(o: HelloOffer): Promise<HelloAnswer> {
      calls.push("hello");
      if (m.poison !== undefined && o.suites.includes(m.poison)) {
        return Promise.resolve({ kind: "dropped", code: "CONNECTION_CLOSED" });
      }
      const v = [...o.versions].sort((a, b) => b - a).find((x) => m.suites.has(x));
      if (v === undefined) return Promise.resolve(alert("protocol_version"));
      if (o.fallbackScsv && v < Math.max(...m.suites.keys())) {
        return Promise.resolve(alert("inappropriate_fallback"));
      }
      const suite = pick(o.suites, m.suites.get(v)!, m.serverOrder);
      if (suite === undefined) return Promise.resolve(alert());
      const alpn = o.alpn ? pick(o.alpn, m.alpn, m.serverOrder) : undefined;
      if (v === 0x0304) {
        const offered = o.groups ?? m.groups13;
        const g = pick(offered, m.groups13, true);
        if (g === undefined) return Promise.resolve(alert());
        const shared = (o.keyShares ?? []).includes(g);
        return Promise.resolve({
          kind: "hello",
          serverHello: sh(
            v,
            suite,
            shared
              ? { keyShare: { group: g, keyExchange: new Uint8Array(32) } }
              : { helloRetryRequest: true, selectedGroup: g },
          ),
        });
      }
      let keyExchange: { group?: number; scheme?: number; dhBits?: number } | undefined;
      if (o.untilKeyExchange) {
        const ecdhe = suite >> 8 === 0xc0 || suite >> 8 === 0xcc;
        const g = ecdhe ? pick(o.groups ?? m.groups12, m.groups12, m.serverOrder) : undefined;
        if (ecdhe && g === undefined) return Promise.resolve(alert());
        const scheme = pick(o.sigalgs ?? m.sigalgs12, m.sigalgs12, true);
        if (scheme === undefined) return Promise.resolve(alert());
        keyExchange = { group: g, scheme, dhBits: ecdhe ? undefined : 2048 };
      }
      return Promise.resolve({ kind: "hello", serverHello: sh(v, suite, { alpn }), keyExchange });
    },
    inspect(o: InspectOffer): Promise<InspectAnswer> {
      calls.push("inspect");
      const v = [...o.versions].sort((a, b) => b - a).find((x) => m.suites.has(x))!;
      const suite = pick(o.suites, m.suites.get(v)!, m.serverOrder);
      const scheme = v === 0x0304 ? pick(o.sigalgs ?? m.sigalgs13, m.sigalgs13, true) : undefined;
      if (suite === undefined || (v === 0x0304 && scheme === undefined)) {
        return Promise.resolve(alert());
      }
      return Promise.resolve({
        kind: "ok",
        version: v,
        cipherSuite: suite,
        certificates: [],
        ocspStapled: false,
        sessionTicket: true,
        alpn: o.alpn ? pick(o.alpn, m.alpn, m.serverOrder) : undefined,
        signatureScheme: scheme === undefined ? undefined : signatureSchemeName(scheme),
      });
    },
    sslv2() {
      calls.push("sslv2");
      return Promise.resolve({ accepted: false });
    },
    resumption() {
      calls.push("resumption", "resumption"); // a full handshake, then the resumption
      return Promise.resolve({ resumed: true, note: "model" });
    },
  };
}

const MODEL: Model = {
  suites: new Map([
    [0x0304, [0x1302, 0x1301, 0x1303]],
    [0x0303, [0xc030, 0xc02f, 0x009e, 0x009c]],
  ]),
  serverOrder: true,
  groups13: [0x001d, 0x0017],
  groups12: [0x0017, 0x001d],
  sigalgs12: [0x0804, 0x0401],
  sigalgs13: [0x0804],
  alpn: ["h2", "http/1.1"],
};

Deno.test("planScan() plans exactly 40 handshakes for the fixed two-version model", async () => {
  const p = modelProber(MODEL);
  const r = await planScan(p, { host: "model", port: 443, serverName: "model" });
  // versions: the chain (TLS 1.3 and 0x0305, TLS 1.2, TLS 1.1 refused) 3 + SSLv2 1;
  // TLS 1.3 suites and groups together 2 + 1 refused, then suites 2 and groups
  // 1 alone, + order 1; TLS 1.2 suites 3 + 1 refused (the server's order shows,
  // no order test); TLS 1.2 groups and RSA signature schemes together 2 + 1
  // refused, then each alone 1 refused, ECDSA and DSS schemes 1 refused each,
  // + group order 1 (DHE sizes come from the suites' ServerKeyExchanges);
  // TLS 1.3 signature schemes 1 refused (the
  // one accepted came with the RSA certificate); certificates 3; SNI 2; ALPN
  // 3 + order 1; features 2 (feature hello, fallback SCSV; version tolerance
  // came with the chain) + session-ID resumption 2 (a full TLS 1.2 handshake,
  // then its session ID offered) + TLS 1.3 resumption 2 (a full handshake,
  // then its ticket as a PSK) + RFC 5077 ticket resumption 2 (the TLS 1.2
  // ServerHello announces a ticket). Was 41 before the chain, the pairs taken
  // together and the order proof (and without the resumption tests).
  assert.equal(r.handshakes, 40);
  assert.equal(p.calls.length, 40);
  assert.equal(r.features.sessionIdResumption.value, true);
  assert.equal(r.features.tls13Resumption.value, true);
  assert.equal(r.features.ticketResumption.value, true);
  const v13 = r.versions.find((v) => v.code === 0x0304)!;
  const v12 = r.versions.find((v) => v.code === 0x0303)!;
  assert.deepEqual(v13.suites, [0x1302, 0x1301, 0x1303]);
  assert.deepEqual(v12.suites, [0xc030, 0xc02f, 0x009e, 0x009c]);
  assert.equal(v12.serverOrder, true);
  assert.deepEqual(v13.groups, [0x001d, 0x0017]);
  assert.deepEqual(v12.groups, [0x0017, 0x001d]);
  assert.deepEqual(v12.sigalgs, [0x0804, 0x0401]);
  assert.deepEqual(v13.sigalgs, [0x0804]);
  assert.deepEqual(v12.dhBits, [2048]);
  assert.deepEqual(r.alpn, { protocols: ["h2", "http/1.1"], serverOrder: true });
  assert.equal(r.features.fallbackScsv.value, true);
  assert.equal(r.features.versionTolerance.value, true);
  assert.deepEqual(
    r.versions.filter((v) => v.accepted).map((v) => v.version),
    ["TLSv1.3", "TLSv1.2"],
  );
});

Deno.test("planScan() finds the client's order when the server follows it", async () => {
  const r = await planScan(modelProber({ ...MODEL, serverOrder: false }), {
    host: "model",
    port: 443,
    serverName: "model",
  });
  const v12 = r.versions.find((v) => v.code === 0x0303)!;
  assert.equal(v12.serverOrder, false);
  assert.deepEqual([...v12.suites].sort(), [0x009c, 0x009e, 0xc02f, 0xc030]);
});

Deno.test("planScan() still finds every suite when the server drops the connection on one", async () => {
  const poisoned: Model = { ...MODEL, poison: 0x0005 }; // RC4-SHA offered: hang up
  const p = modelProber(poisoned);
  const r = await planScan(p, { host: "model", port: 443, serverName: "model" });
  const v12 = r.versions.find((v) => v.code === 0x0303)!;
  assert.equal(v12.accepted, true);
  assert.deepEqual([...v12.suites].sort(), [0x009c, 0x009e, 0xc02f, 0xc030]);
  assert.equal(v12.error, undefined);
  // The split costs a bounded number of extra handshakes, not one per suite.
  assert.ok(r.handshakes < 36 + 40, `${r.handshakes} handshakes`);
});

Deno.test("planScan() reports a server that drops every ClientHello as CONNECTION_CLOSED", async () => {
  const p: Prober = {
    hello: () => Promise.resolve({ kind: "dropped", code: "CONNECTION_CLOSED" }),
    inspect: () => Promise.resolve({ kind: "dropped", code: "CONNECTION_CLOSED" }),
    sslv2: () => Promise.resolve({ accepted: false }),
  };
  const r = await planScan(p, { host: "h", port: 1, serverName: null });
  assert.equal(r.error?.code, "CONNECTION_CLOSED");
  // The first of the chain, SSLv2, each version alone, and again with few suites.
  assert.equal(r.handshakes, 1 + 1 + 5 + 5);
});

Deno.test("planScan() stops at once when the signal has fired, with interrupted set", async () => {
  const c = new AbortController();
  c.abort();
  const r = await planScan(modelProber(MODEL), {
    host: "model",
    port: 443,
    serverName: null,
    signal: c.signal,
  });
  assert.equal(r.interrupted, true);
  assert.equal(r.handshakes, 0);
});

Deno.test("planScan() reports progress: done never above total, ending at done = total = handshakes", async () => {
  const events: ScanProgress[] = [];
  const r = await planScan(modelProber(MODEL), {
    host: "model",
    port: 443,
    serverName: "model",
    onProgress: (e) => events.push({ ...e }),
  });
  // One report per handshake (each resumption test's two connections in one), and the end.
  assert.equal(events.length, r.handshakes - 3 + 1);
  for (const e of events) assert.ok(e.done <= e.total, `${e.done}/${e.total} ${e.phase}`);
  const steps = events.slice(1, -1).map((e, i) => e.done - events[i].done);
  assert.deepEqual(steps.filter((d) => d !== 1), [2, 2, 2]);
  assert.equal(events.at(-2)!.done, 40);
  assert.deepEqual(events.at(-1), {
    handshakes: 40,
    done: 40,
    total: 40,
    phase: "done",
    percent: 100,
  });
  // Planned ahead: once the versions are known the total covers most of the scan.
  const afterVersions = events.find((e) => e.phase !== "versions" && e.phase !== "SSLv2")!;
  assert.ok(afterVersions.total >= 30, `total ${afterVersions.total} after the versions`);
  const phases = new Set(events.map((e) => e.phase));
  for (const p of ["versions", "SSLv2", "TLSv1.2 suites", "TLSv1.3 suites and groups", "ALPN"]) {
    assert.ok(phases.has(p), `${p} in ${[...phases]}`);
  }
});

Deno.test("planScan() revises the progress total upward when a dropped connection splits the suites", async () => {
  const events: ScanProgress[] = [];
  const r = await planScan(modelProber({ ...MODEL, poison: 0x0005 }), {
    host: "model",
    port: 443,
    serverName: "model",
    onProgress: (e) => events.push({ ...e }),
  });
  const suites12 = events.filter((e) => e.phase === "TLSv1.2 suites");
  assert.ok(suites12.length > 12, `${suites12.length} TLS 1.2 suite handshakes (estimate 12)`);
  const firstTotal = suites12[0].total;
  assert.ok(Math.max(...events.map((e) => e.total)) > firstTotal);
  for (const e of events) assert.ok(e.done <= e.total);
  assert.equal(events.at(-1)!.total, r.handshakes);
  assert.equal(events.at(-1)!.done, r.handshakes);
  // done/total fell when the total grew; the percent did not.
  const ratios = events.map((e) => Math.floor((e.done * 100) / e.total));
  assert.ok(ratios.some((r, i) => i > 0 && r < ratios[i - 1]), ratios.join(" "));
  const percents = events.map((e) => e.percent);
  assert.ok(percents.every((p, i) => i === 0 || p >= percents[i - 1]), percents.join(" "));
  assert.ok(percents.slice(0, -1).every((p) => p < 100));
  assert.equal(percents.at(-1), 100);
});

Deno.test("ProgressPlan: a part's share is its estimate while it runs below it, what it made once finished or above it", () => {
  const seen: ScanProgress[] = [];
  const plan = new ProgressPlan((e) => seen.push(e));
  const a = plan.part("a", 3);
  const b = plan.part("b", 2);
  assert.equal(plan.total, 5);
  for (let i = 0; i < 5; i++) {
    a.start();
    a.done();
  }
  assert.equal(plan.total, 7); // a ran past its estimate
  a.finish();
  b.start();
  assert.equal(plan.total, 7);
  b.done();
  b.finish();
  assert.equal(plan.total, 6);
  // Reported before b finished.
  assert.deepEqual(seen.at(-1), { handshakes: 6, done: 6, total: 7, phase: "b", percent: 85 });
  plan.end();
  assert.deepEqual(seen.at(-1), { handshakes: 6, done: 6, total: 6, phase: "done", percent: 100 });
});

Deno.test("ProgressPlan: the percent is done/total with a floor at the last value, 100 only at the end", () => {
  const seen: ScanProgress[] = [];
  const plan = new ProgressPlan((e) => seen.push(e));
  const a = plan.part("a", 4);
  const b = plan.part("b", 6);
  for (let i = 0; i < 4; i++) {
    a.start();
    a.done();
  }
  assert.deepEqual(seen.map((e) => e.percent), [10, 20, 30, 40]); // of 10
  // a runs past its estimate: done/total goes 5/11 = 45 %, then 6/12 = 50 %.
  a.start(2); // two in flight: the total is 12 at once, and 4/12 = 33 % would go back
  plan.report("a");
  assert.deepEqual([seen.at(-1)!.total, seen.at(-1)!.percent], [12, 40]);
  a.done();
  a.done();
  assert.deepEqual(seen.slice(-2).map((e) => [e.done, e.total, e.percent]), [[5, 12, 41], [
    6,
    12,
    50,
  ]]);
  a.finish();
  b.start(6);
  for (let i = 0; i < 6; i++) b.done();
  assert.deepEqual(seen.slice(-6).map((e) => e.percent), [58, 66, 75, 83, 91, 99]);
  plan.report("b");
  assert.equal(seen.at(-1)!.percent, 99); // all done, but never 100 before the end
  plan.end();
  assert.equal(seen.at(-1)!.percent, 100);
});

Deno.test("ProgressPlan: a total revised up after done/total reached a high value keeps the percent", () => {
  const seen: ScanProgress[] = [];
  const plan = new ProgressPlan((e) => seen.push(e));
  const a = plan.part("a", 2);
  a.start(2);
  a.done();
  a.done();
  assert.equal(seen.at(-1)!.percent, 99); // 2 of 2, but the scan has not ended
  a.start(2); // the part grows to 4: done/total would say 75 %
  a.done();
  assert.equal(seen.at(-1)!.total, 4);
  assert.equal(seen.at(-1)!.percent, 99);
});
