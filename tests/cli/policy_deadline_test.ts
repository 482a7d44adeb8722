/**
 * `policy check --deadline`: one bound on the whole check. Against servers
 * that answer each probe just inside `--timeout` (slow drip) or stall, the
 * run ends with TIMEOUT (exit 3) within the deadline plus a margin, naming the
 * checks not completed, where the probes one by one would take several times
 * as long.
 */
import assert from "node:assert/strict";
import { type Behaviour, record, send, sleep, startHostileServer, T } from "../_helpers/hostile.ts";
import { tlsprobe } from "../_helpers/process.ts";
import { policyCheck, policyCheckJson } from "../_helpers/policy_check.ts";

/** handshake_failure, a fatal alert: a refusal of the offer. */
const REFUSAL = record(T.alert, new Uint8Array([2, 40]));

/** Waits (the connection open, nothing sent) until the client or the server ends it. */
async function stall(c: { conn: Deno.Conn; stopped: () => boolean }): Promise<void> {
  const buf = new Uint8Array(1024);
  const closed = c.conn.read(buf).then(() => true, () => true);
  while (!c.stopped()) {
    if (await Promise.race([closed, sleep(100).then(() => false)])) return;
  }
}

async function deadlineRun(
  behaviour: Behaviour,
  args: string[],
): Promise<{ code: number; seconds: number; body: Record<string, unknown>; stderr: string }> {
  const server = startHostileServer(behaviour);
  try {
    const t0 = performance.now();
    const r = await policyCheckJson(server.port, "mozilla-modern", args);
    return { ...r, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await server.stop();
  }
}

type ErrorBody = {
  error: {
    code: string;
    message: string;
    detail: { completed: string[]; notCompleted: string[]; probesMade: number };
  };
};

Deno.test("policy check --deadline ends a server that refuses, then stalls every probe, with TIMEOUT", async () => {
  // The baseline is refused at once (a verdict); every later probe stalls,
  // which is a refusal only after --timeout (3 s): three forbidden versions
  // alone would take 9 s.
  let n = 0;
  const r = await deadlineRun(
    (c) => n++ === 0 ? send(c.conn, REFUSAL) : stall(c),
    ["--timeout", "3", "--deadline", "2"],
  );
  assert.equal(r.code, 3, r.stderr);
  const e = (r.body as ErrorBody).error;
  assert.equal(e.code, "TIMEOUT");
  assert.match(e.message, /2 s deadline; checks not completed: forbidden versions/);
  assert.deepEqual(e.detail.completed, ["baseline"]);
  assert.equal(e.detail.notCompleted[0], "forbidden versions");
  assert.equal(e.detail.probesMade, 1);
  assert.equal(r.body.policy, "mozilla-modern");
  assert.ok(r.seconds < 2 + 3, `took ${r.seconds.toFixed(1)} s`);
});

Deno.test("policy check --deadline ends a slow-drip server that answers each probe just inside --timeout", async () => {
  // Each probe is refused by an alert dripped over about 1.5 s, inside the
  // 3 s --timeout: the baseline and three forbidden versions alone take 6 s.
  const r = await deadlineRun(async (c) => {
    for (const b of REFUSAL) {
      await sleep(250);
      if (c.stopped() || !await send(c.conn, new Uint8Array([b]))) return;
    }
  }, ["--timeout", "3", "--deadline", "2.5"]);
  assert.equal(r.code, 3, r.stderr);
  const e = (r.body as ErrorBody).error;
  assert.equal(e.code, "TIMEOUT");
  assert.deepEqual(e.detail.completed, ["baseline"]);
  assert.ok(e.detail.notCompleted.includes("forbidden versions"), e.message);
  assert.ok(r.seconds < 2.5 + 3, `took ${r.seconds.toFixed(1)} s`);
});

Deno.test("policy check --deadline shorter than --timeout ends a silent server with TIMEOUT, the baseline not completed", async () => {
  const r = await deadlineRun(stall, ["--timeout", "10", "--deadline", "1.5"]);
  assert.equal(r.code, 3, r.stderr);
  const e = (r.body as ErrorBody).error;
  assert.equal(e.code, "TIMEOUT");
  assert.deepEqual(e.detail.completed, []);
  assert.equal(e.detail.notCompleted[0], "baseline");
  assert.equal(e.detail.probesMade, 0);
  assert.ok(r.seconds < 1.5 + 3, `took ${r.seconds.toFixed(1)} s`);
});

Deno.test("policy check text output names the checks not completed and the option to raise", async () => {
  const server = startHostileServer(stall);
  try {
    const r = await policyCheck(server.port, "mozilla-intermediate", ["--deadline", "0.5"]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /TIMEOUT: The policy check did not finish within its 0\.5 s deadline; checks not completed: baseline, .*raise --deadline/,
    );
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // no stack trace
  } finally {
    await server.stop();
  }
});

Deno.test("policy check --deadline cannot be used with --lab", async () => {
  const r = await tlsprobe([
    "policy",
    "check",
    "--lab",
    "--policy",
    "mozilla-modern",
    "--deadline",
    "5",
  ]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--deadline cannot be used with --lab/);
});
