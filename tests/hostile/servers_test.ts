/**
 * The hostile-peer suite, client side: misbehaving servers (raw `Deno.listen`
 * scripts from tests/_helpers/hostile.ts, and one real `openssl s_server`)
 * against every client verb — `probe`, `cert HOST:PORT`, `connect`,
 * `connect --policy` and `policy check` — run concurrently. Each case must end
 * within its deadline plus a margin with the expected code and exit status,
 * and memory must stay bounded: the in-process run's RSS growth, and the peak
 * RSS (VmHWM) of CLI child processes pointed at the worst servers.
 *
 * Expected codes come from what each server does (the RFC says what a client
 * must make of it), not from running the engine.
 */
import assert from "node:assert/strict";
import { TlsprobeError } from "../../core/errors.ts";
import { EXIT_CODES } from "../../cli/exit_codes.ts";
import { fetchCertificates, probe } from "../../core/net/probe.ts";
import { connectVerified } from "../../core/net/tls_client.ts";
import { connectUnderPolicy } from "../../core/net/policy_client.ts";
import { checkServerPolicy } from "../../core/net/policy_check.ts";
import { builtinPolicy, defaultPolicyEnv, resolvePolicy } from "../../core/policy/mod.ts";
import { parsePem } from "../../core/x509/pem.ts";
import {
  type Behaviour,
  certificate12,
  flood,
  helloRetryRequest,
  hsRecord,
  record,
  send,
  serverHello12,
  sleep,
  startHostileServer,
  T,
  text,
} from "../_helpers/hostile.ts";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";
import { closedPort, ROOT, startOpensslServer } from "../_helpers/process.ts";

/** Each operation's deadline (`--timeout`), short so the suite is quick. */
const TIMEOUT_MS = 2000;
/**
 * Deadline of the flood cases, which must end at a cap (a count or a size)
 * with PEER_MALFORMED, not at the deadline: on an idle machine they reach
 * the cap well inside {@link TIMEOUT_MS}, but on a starved CPU (the servers
 * share this process's event loop with the clients) the 2 s deadline could
 * come first and turn the cap's code into TIMEOUT. A cap that works still
 * ends the case at once; a missing cap still fails it (TIMEOUT after 6 s).
 */
const FLOOD_TIMEOUT_MS = 6000;
/** Margin for a CPU shared by many test processes. */
const MARGIN_MS = 3000;
/** `connect --policy` waits up to 1 s for its relay's verdict after the handshake fails. */
const RELAY_WAIT_MS = 1000;
/** Cases run at once. */
const CONCURRENCY = 8;
/** Bound on the in-process RSS growth over the whole concurrent run. */
const RSS_GROWTH_LIMIT = 150 * 1024 * 1024;
/** Bound on a CLI child's peak resident memory (VmHWM). */
const CHILD_HWM_LIMIT = 150 * 1024 * 1024;

const SH12 = hsRecord(2, serverHello12());
const bytes = (...b: number[]) => Uint8Array.from(b);

/**
 * A Certificate message of 256 KiB (type 11, length 0x040000, zero body) cut
 * into 4-byte handshake records: built once, by hand (building it per
 * connection would stall the shared event loop).
 */
const BIG_IN_TINY_RECORDS = (() => {
  const msg = new Uint8Array(4 + 256 * 1024);
  msg.set([11, 0x04, 0x00, 0x00]);
  const out = new Uint8Array((msg.length / 4) * 9);
  for (let i = 0, o = 0; i < msg.length; i += 4, o += 9) {
    out.set([T.handshake, 3, 3, 0, 4], o);
    out.set(msg.subarray(i, i + 4), o + 5);
  }
  return out;
})();

/** What a case must end with, per verb family. */
interface Expect {
  /** Code from the inspection engine (probe, cert, policy check's baseline). */
  engine: string | string[];
  /** Exit status of the verbs that run the runtime's TLS (connect, connect --policy). */
  runtimeExit: number[];
  /** Exit status of `policy check` when it differs from the engine code's. */
  policyExit?: number;
}

interface Case {
  name: string;
  behaviour: Behaviour;
  expect: Expect;
  readFirst?: boolean;
  /**
   * A longer deadline for a case that must be read to its end to show what it
   * tests (linear reassembly), so a loaded machine does not turn it into a TIMEOUT.
   */
  timeoutMs?: number;
}

const TLS = [4];
const NET = [3];

function cases(leafDer: Uint8Array): Case[] {
  const cert = hsRecord(11, certificate12(leafDer));
  return [
    {
      name: "sends its ServerHello one byte every 1.5 s",
      behaviour: async (c) => {
        for (const b of SH12) {
          if (c.stopped() || !await send(c.conn, bytes(b))) return;
          await sleep(1500);
        }
      },
      expect: { engine: "TIMEOUT", runtimeExit: NET },
    },
    {
      name: "accepts and never answers",
      behaviour: async (c) => {
        while (!c.stopped()) await sleep(100);
      },
      expect: { engine: "TIMEOUT", runtimeExit: NET },
    },
    {
      name: "sends endless ChangeCipherSpec records",
      behaviour: async (c) => {
        await send(c.conn, SH12);
        await flood(c, record(T.ccs, bytes(1)));
      },
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "sends endless zero-length handshake records",
      behaviour: async (c) => {
        await send(c.conn, SH12);
        await flood(c, record(T.handshake, new Uint8Array(0)));
      },
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "sends zero-length handshake records before anything",
      behaviour: (c) => flood(c, record(T.handshake, new Uint8Array(0))),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "sends endless valid Certificate messages",
      behaviour: async (c) => {
        await send(c.conn, SH12);
        await flood(c, cert);
      },
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "sends a 256 KiB Certificate message in 4-byte records",
      behaviour: async (c) => {
        await send(c.conn, SH12);
        await send(c.conn, BIG_IN_TINY_RECORDS);
        while (!c.stopped()) await sleep(100);
      },
      // The message is read (linearly: 65,536 records) and does not parse as a chain.
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "announces a 16 MiB handshake message",
      behaviour: async (c) => {
        await send(c.conn, record(T.handshake, bytes(2, 0xff, 0xff, 0xff, 3, 3)));
        await flood(c, record(T.handshake, new Uint8Array(16000)));
      },
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "announces a 70,000-byte ServerKeyExchange",
      behaviour: async (c) => {
        await send(c.conn, SH12);
        await send(c.conn, cert);
        await flood(c, record(T.handshake, bytes(12, 0x01, 0x11, 0x70)), 1 << 20);
      },
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "announces a 65,535-byte record",
      behaviour: async (c) => {
        await send(c.conn, bytes(T.handshake, 3, 3, 0xff, 0xff));
        await flood(c, new Uint8Array(4096), 1 << 20);
      },
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "answers with record version 0x0909",
      behaviour: (c) => send(c.conn, record(T.handshake, bytes(2, 0, 0, 0), 0x0909)).then(),
      expect: { engine: "NOT_TLS", runtimeExit: TLS },
    },
    {
      name: "chooses TLS version 0x0305, never offered",
      behaviour: (c) => send(c.conn, hsRecord(2, serverHello12(0xc02f, 0x0305))).then(),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "chooses SSL 3.0, never offered",
      behaviour: (c) => send(c.conn, hsRecord(2, serverHello12(0xc02f, 0x0300))).then(),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "chooses cipher suite 0xFEFE, never offered",
      behaviour: (c) => send(c.conn, hsRecord(2, serverHello12(0xfefe))).then(),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "sends an unsolicited Finished first",
      behaviour: (c) => send(c.conn, hsRecord(20, new Uint8Array(12))).then(),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "sends ServerHello twice",
      behaviour: (c) => send(c.conn, hsRecord(2, serverHello12())).then(() => send(c.conn, SH12)),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "sends a Certificate after ServerHelloDone's place (ServerHelloDone, then more)",
      behaviour: (c) =>
        send(c.conn, SH12).then(() => send(c.conn, hsRecord(11, certificate12(leafDer)))).then(() =>
          send(c.conn, hsRecord(13, bytes(1, 1, 0, 2, 4, 1, 0, 0)))
        ).then(() => send(c.conn, cert)).then(),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "sends endless HelloRequests (renegotiation requests)",
      behaviour: (c) => flood(c, hsRecord(0, new Uint8Array(0))),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "asks for renegotiation after its ServerHello",
      behaviour: async (c) => {
        await send(c.conn, SH12);
        await send(c.conn, hsRecord(0, new Uint8Array(0)));
        while (!c.stopped()) await sleep(100);
      },
      expect: { engine: "PEER_MALFORMED", runtimeExit: [...TLS, ...NET] },
    },
    {
      name: "refuses with a handshake_failure alert",
      behaviour: (c) => send(c.conn, record(T.alert, bytes(2, 40))).then(),
      // A refusal of every offer: the policy check's verdict is a failure.
      expect: { engine: "HANDSHAKE_FAILURE", runtimeExit: TLS, policyExit: 1 },
    },
    {
      name: "sends internal_error after its ServerHello",
      behaviour: (c) => send(c.conn, SH12).then(() => send(c.conn, record(T.alert, bytes(2, 80)))),
      expect: { engine: "ALERT", runtimeExit: TLS },
    },
    {
      name: "sends decode_error after its Certificate",
      behaviour: (c) =>
        send(c.conn, SH12).then(() => send(c.conn, cert)).then(() =>
          send(c.conn, record(T.alert, bytes(2, 50)))
        ),
      expect: { engine: "ALERT", runtimeExit: TLS },
    },
    {
      name: "puts an alert inside a fragmented handshake message",
      behaviour: (c) =>
        send(c.conn, SH12).then(() => send(c.conn, record(T.handshake, bytes(11, 0, 1))))
          .then(() => send(c.conn, record(T.alert, bytes(2, 80)))),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "sends an empty alert record",
      behaviour: (c) => send(c.conn, record(T.alert, new Uint8Array(0))).then(),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "sends endless warning alerts",
      behaviour: (c) => flood(c, record(T.alert, bytes(1, 112))),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "answers every ClientHello with a HelloRetryRequest",
      behaviour: async (c) => {
        const buf = new Uint8Array(65536);
        for (let i = 0; i < 50 && !c.stopped(); i++) {
          if (!await send(c.conn, hsRecord(2, helloRetryRequest(c.hello, 0x0017)))) return;
          if (await c.conn.read(buf) === null) return;
        }
      },
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "asks in a HelloRetryRequest for a group nobody offered",
      behaviour: (c) => send(c.conn, hsRecord(2, helloRetryRequest(c.hello, 0x1234))).then(),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "sends a malformed ChangeCipherSpec",
      behaviour: (c) => send(c.conn, SH12).then(() => send(c.conn, record(T.ccs, bytes(2)))),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "sends application data before the handshake",
      behaviour: (c) => flood(c, record(T.appData, new Uint8Array(100))),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
      timeoutMs: FLOOD_TIMEOUT_MS,
    },
    {
      name: "sends a heartbeat record",
      behaviour: (c) => send(c.conn, record(24, bytes(1, 0, 16))).then(),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "sends a ServerHello whose body is shorter than its length",
      behaviour: (c) =>
        send(c.conn, record(T.handshake, bytes(2, 0, 0, 10, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0))).then(),
      expect: { engine: "PEER_MALFORMED", runtimeExit: TLS },
    },
    {
      name: "answers with garbage",
      behaviour: (c) =>
        send(c.conn, Uint8Array.from({ length: 4096 }, (_, i) => (0xde + i * 37) & 0xff)).then(),
      expect: { engine: "NOT_TLS", runtimeExit: TLS },
    },
    {
      name: "answers with plain HTTP",
      behaviour: (c) =>
        send(c.conn, text("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")).then(),
      expect: { engine: "NOT_TLS", runtimeExit: TLS },
    },
    {
      name: "speaks SSH first",
      readFirst: false,
      behaviour: async (c) => {
        await send(c.conn, text("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"));
        while (!c.stopped()) await sleep(100);
      },
      expect: { engine: "NOT_TLS", runtimeExit: TLS },
    },
    {
      name: "answers with an SSLv2 ServerHello",
      behaviour: (c) => send(c.conn, bytes(0x80, 0x2e, 0x04, 0, 1, 0, 2)).then(),
      expect: { engine: "NOT_TLS", runtimeExit: TLS },
    },
    {
      name: "sends a record of content type 99",
      behaviour: (c) => send(c.conn, record(99, bytes(1, 2, 3))).then(),
      expect: { engine: "NOT_TLS", runtimeExit: TLS },
    },
    {
      name: "closes as soon as it accepts",
      readFirst: false,
      behaviour: () => Promise.resolve(),
      expect: { engine: ["CONNECTION_CLOSED", "CONNECTION_RESET"], runtimeExit: NET },
    },
    {
      name: "resets (closes with the ClientHello unread)",
      readFirst: false,
      behaviour: () => sleep(200),
      expect: { engine: ["CONNECTION_RESET", "CONNECTION_CLOSED"], runtimeExit: NET },
    },
    {
      name: "closes in the middle of its ServerHello",
      behaviour: (c) => send(c.conn, SH12.subarray(0, 20)).then(),
      expect: { engine: "CONNECTION_CLOSED", runtimeExit: NET },
    },
    {
      name: "closes after its ServerHello",
      behaviour: (c) => send(c.conn, SH12).then(),
      expect: { engine: "CONNECTION_CLOSED", runtimeExit: NET },
    },
  ];
}

type Verb = "probe" | "cert" | "connect" | "connect --policy" | "policy check";
const VERBS: Verb[] = (["probe", "cert", "connect", "connect --policy", "policy check"] as Verb[])
  .filter((v) =>
    !Deno.env.get("HOSTILE_VERBS") || Deno.env.get("HOSTILE_VERBS")!.split(",").includes(v)
  );

const env = defaultPolicyEnv();
const intermediate = resolvePolicy(builtinPolicy("mozilla-intermediate")!, env);

/** Runs one verb in-process; returns the code it ended with and the exit status the CLI gives. */
async function runVerb(
  verb: Verb,
  port: number,
  timeoutMs: number,
): Promise<{ code: string; exit: number; message?: string }> {
  const host = "127.0.0.1";
  const fail = (e: unknown) => {
    if (!(e instanceof TlsprobeError)) throw e;
    return { code: e.code, exit: EXIT_CODES[e.code], message: e.message };
  };
  try {
    switch (verb) {
      case "probe": {
        const r = await probe({
          host,
          port,
          versions: [0x0304, 0x0303, 0x0302, 0x0301],
          timeoutMs,
          now: new Date(),
        });
        return r.error ? fail(r.error) : { code: "ok", exit: 0 };
      }
      case "cert":
        await fetchCertificates({ host, port, timeoutMs });
        return { code: "ok", exit: 0 };
      case "connect": {
        const vc = await connectVerified({
          host,
          port,
          serverName: "localhost",
          timeoutMs,
        });
        vc.conn.close();
        return { code: "ok", exit: 0 };
      }
      case "connect --policy": {
        const pc = await connectUnderPolicy(
          { host, port, serverName: "localhost", timeoutMs },
          intermediate,
          {},
        );
        pc.vc.conn.close();
        pc.close();
        return { code: "ok", exit: 0 };
      }
      case "policy check": {
        const r = await checkServerPolicy(
          { host, port, timeoutMs, now: new Date() },
          intermediate,
        );
        return {
          code: `verdict ${r.evaluation.verdict}`,
          exit: r.evaluation.verdict === "fail" ? 1 : 0,
        };
      }
    }
  } catch (e) {
    return fail(e);
  }
}

function budget(verb: Verb, c: Case): number {
  return (c.timeoutMs ?? TIMEOUT_MS) + MARGIN_MS +
    (verb === "connect --policy" ? RELAY_WAIT_MS : 0);
}

async function leafDer(): Promise<{ der: Uint8Array; cleanup: () => Promise<void> }> {
  const pki = await makeTestPki();
  const pem = await Deno.readTextFile(pki.localhostCrt);
  return { der: parsePem(pem)[0], cleanup: () => removeTestPki(pki) };
}

Deno.test("hostile servers: every client verb ends in time with the right code, memory bounded", async () => {
  const leaf = await leafDer();
  const all = cases(leaf.der).filter((c) =>
    !Deno.env.get("HOSTILE_ONLY") || new RegExp(Deno.env.get("HOSTILE_ONLY")!).test(c.name)
  );
  if (!Deno.env.get("HOSTILE_ONLY")) assert.ok(all.length >= 30, `${all.length} hostile servers`);
  const servers = all.map((c) => startHostileServer(c.behaviour, { readFirst: c.readFirst }));
  const rss0 = Deno.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
  try {
    // Concurrently, a bounded number at a time: the servers share this
    // process's event loop with the clients, so unbounded concurrency would
    // measure the test's own starvation, not the client's deadlines.
    const jobs = all.flatMap((c, i) => VERBS.map((verb) => ({ c, verb, port: servers[i].port })));
    const results: Array<
      { c: Case; verb: Verb; code: string; exit: number; ms: number; message?: string }
    > = [];
    const worker = async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) {
        const t0 = performance.now();
        const r = await runVerb(job.verb, job.port, job.c.timeoutMs ?? TIMEOUT_MS);
        results.push({ c: job.c, verb: job.verb, ...r, ms: performance.now() - t0 });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const problems: string[] = [];
    for (const r of results) {
      const where = `${r.verb} vs a server that ${r.c.name}: ${r.code} (exit ${r.exit}) in ${
        Math.round(r.ms)
      } ms [${r.message ?? ""}]`;
      if (r.ms > budget(r.verb, r.c)) problems.push(`${where}: over ${budget(r.verb, r.c)} ms`);
      const engineVerb = r.verb === "probe" || r.verb === "cert" || r.verb === "policy check";
      const codes = [r.c.expect.engine].flat();
      if (r.verb === "policy check" && r.c.expect.policyExit !== undefined) {
        if (r.exit !== r.c.expect.policyExit) {
          problems.push(`${where}: expected exit ${r.c.expect.policyExit}`);
        }
      } else if (engineVerb) {
        if (!codes.includes(r.code)) problems.push(`${where}: expected ${codes.join(" or ")}`);
      } else if (!r.c.expect.runtimeExit.includes(r.exit)) {
        problems.push(`${where}: expected exit ${r.c.expect.runtimeExit.join(" or ")}`);
      }
    }
    assert.deepEqual(problems, [], problems.join("\n"));
  } finally {
    clearInterval(sampler);
    await Promise.all(servers.map((s) => s.stop()));
    await leaf.cleanup();
  }
  const growth = peak - rss0;
  console.log(
    `hostile servers: ${all.length} servers x ${VERBS.length} verbs; RSS growth ${
      (growth / 2 ** 20).toFixed(1)
    } MiB (limit ${RSS_GROWTH_LIMIT / 2 ** 20})`,
  );
  assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${growth} bytes`);
});

/** Runs the CLI, sampling the child's VmHWM until it exits. */
async function cliPeak(
  args: string[],
): Promise<{ code: number; ms: number; hwm: number; stdout: string }> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", `--env-file=${ROOT}cli/runtime.env`, "-A", ROOT + "cli/main.ts", ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let hwm = 0;
  let done = false;
  const sampling = (async () => {
    while (!done) {
      try {
        const s = await Deno.readTextFile(`/proc/${child.pid}/status`);
        const kb = Number(s.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0);
        hwm = Math.max(hwm, kb * 1024);
      } catch { /* exited */ }
      await sleep(25);
    }
  })();
  const out = await child.output();
  done = true;
  await sampling;
  return {
    code: out.code,
    ms: performance.now() - t0,
    hwm,
    stdout: new TextDecoder().decode(out.stdout),
  };
}

Deno.test("hostile servers against the CLI: the worst floods end in time with exit 3/4, peak memory bounded", async () => {
  const leaf = await leafDer();
  const worst = cases(leaf.der).filter((c) =>
    /one byte every|ChangeCipherSpec records|valid Certificate messages|256 KiB|16 MiB|warning alerts/
      .test(c.name)
  );
  const servers = worst.map((c) => startHostileServer(c.behaviour, { readFirst: c.readFirst }));
  // The CLI's start-up is part of each run: measure it against a port nobody
  // listens on (refused at once), and allow it on top of the deadline.
  try {
    const startup = await cliPeak(["cert", `127.0.0.1:${closedPort()}`, "--timeout", "1.5"]);
    assert.equal(startup.code, 3, "nobody listening: exit 3");
    const jobs = worst.flatMap((c, i) =>
      (["probe", "cert"] as const).map((verb) => ({ c, verb, port: servers[i].port }))
    );
    const results: { c: Case; verb: string; r: Awaited<ReturnType<typeof cliPeak>> }[] = [];
    const worker = async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) {
        const target = `127.0.0.1:${job.port}`;
        const args = job.verb === "probe" ? ["probe", target, "--json"] : ["cert", target];
        const r = await cliPeak([
          ...args,
          "--timeout",
          String((job.c.timeoutMs ?? TIMEOUT_MS) / 1000),
        ]);
        results.push({ c: job.c, verb: job.verb, r });
      }
    };
    await Promise.all(Array.from({ length: 3 }, worker));
    const allowed = (c: Case) => startup.ms * 2 + (c.timeoutMs ?? TIMEOUT_MS) + MARGIN_MS;
    console.log(
      `CLI start-up and refusal: ${Math.round(startup.ms)} ms; allowed per run: ${
        Math.round(allowed(worst[0]))
      } ms (more where a case has a longer deadline)`,
    );
    for (const { c, verb, r } of results) {
      const where = `${verb} vs a server that ${c.name}: exit ${r.code} in ${
        Math.round(r.ms)
      } ms, VmHWM ${(r.hwm / 2 ** 20).toFixed(1)} MiB`;
      console.log(where);
      const want = EXIT_CODES[[c.expect.engine].flat()[0] as keyof typeof EXIT_CODES];
      assert.equal(r.code, want, where);
      assert.ok(r.ms < allowed(c), where);
      assert.ok(r.hwm > 0 && r.hwm < CHILD_HWM_LIMIT, where);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await leaf.cleanup();
  }
});

Deno.test("a real server sending 200,000 session tickets: probe reads at most 16 and says so", async () => {
  const pki = await makeTestPki();
  const server = await startOpensslServer([
    "-cert",
    pki.localhostCrt,
    "-key",
    pki.localhostKey,
    "-tls1_3",
    "-num_tickets",
    "200000",
  ]);
  const rss0 = Deno.memoryUsage().rss;
  try {
    const t0 = performance.now();
    const r = await probe({
      host: "127.0.0.1",
      port: server.port,
      versions: [0x0304],
      timeoutMs: TIMEOUT_MS * 2,
      now: new Date(),
      noTrust: true,
    });
    const ms = performance.now() - t0;
    assert.equal(r.error, undefined, r.error?.message);
    const t = r.observation!.sessionTicket;
    assert.equal(t.count, 16);
    assert.equal(t.countAtLeast, true);
    assert.ok(ms < TIMEOUT_MS * 2 + MARGIN_MS, `${ms} ms`);
    const growth = Deno.memoryUsage().rss - rss0;
    assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${growth} bytes`);
  } finally {
    await server.stop();
    await removeTestPki(pki);
  }
});
