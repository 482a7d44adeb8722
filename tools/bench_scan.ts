/**
 * `deno task bench:scan`: tlsprobe scan against sslscan and nmap's
 * ssl-enum-ciphers, in one run, on the same local servers (several
 * `openssl s_server` configurations and a `gnutls-serv`). For each tool and
 * server: wall time (median of RUNS runs), TCP connections (counted by a relay
 * in front of the server) and whether its suite lists per version equal the
 * ground truth (`openssl s_client` offering each suite alone, version pinned).
 * tlsprobe runs three ways: the command from source (the `tlsprobe` task's
 * own flags), the command as the portable archive and the extension run it
 * (the `deno bundle`d CLI with `lib/launch.json`'s arguments, built here by
 * `tools/dist.ts`), and the library call alone (`scanTarget` in this
 * process, warm, no process start-up): the scan's own time.
 *
 * Needs openssl, sslscan, nmap and gnutls-serv on PATH (Debian packages).
 *
 * @module
 */
import { cipherSuiteByCode, cipherSuiteByName } from "../core/registry/cipher_suites.ts";
import { type Peer, ROOT, run, startOpensslServer, taskWords } from "../tests/_helpers/process.ts";
import { stageBundle } from "./dist.ts";
import {
  groundTruth,
  offerable,
  scanLocalhost,
  startGnutlsServer,
} from "../tests/_helpers/scan_truth.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 3);
const CERTS = ROOT + "certs/";
const RSA = ["-cert", CERTS + "localhost.crt", "-key", CERTS + "localhost.key"];
const VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

type Sets = Map<string, Set<string>>;

/** A TCP relay that counts connections. */
function relay(
  target: number,
): { port: number; count: () => number; reset: () => void; close: () => void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let n = 0;
  (async () => {
    for await (const c of l) {
      n++;
      (async () => {
        let up: Deno.TcpConn | undefined;
        try {
          up = await Deno.connect({ hostname: "127.0.0.1", port: target });
          await Promise.all([
            c.readable.pipeTo(up.writable).catch(() => {}),
            up.readable.pipeTo(c.writable).catch(() => {}),
          ]);
        } catch { /* either side went away */ }
        try {
          c.close();
        } catch { /* closed */ }
        try {
          up?.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return {
    port: (l.addr as Deno.NetAddr).port,
    count: () => n,
    reset: () => n = 0,
    close: () => l.close(),
  };
}

function opensslName(iana: string): string {
  const s = cipherSuiteByName(iana);
  return iana.startsWith("TLS_") && s?.definedIn !== "TLSv1.3" ? s?.openssl ?? iana : iana;
}

// The bundle, laid out as the archive unpacks it (lib/tlsprobe/main.js beside the env file).
const { here, words: bundleWords } = await stageBundle("tlsprobe-bench-scan-");
const sourceWords = await taskWords();

/** `tlsprobe scan --json` as a command: from source (task flags) or the bundle. */
async function tlsprobeScan(words: string[], cwd: string, port: number): Promise<Sets> {
  const r = await run(Deno.execPath(), [
    ...words,
    "scan",
    "--json",
    "--quiet",
    "--servername",
    "localhost",
    `127.0.0.1:${port}`,
  ], { env: { NO_COLOR: "1" }, cwd });
  const j = JSON.parse(r.stdout);
  const out: Sets = new Map();
  for (const v of j.versions ?? []) {
    out.set(
      v.version,
      new Set(
        v.suites.map((s: { iana: string; openssl: string | null }) =>
          v.version === "TLSv1.3" ? s.iana : s.openssl ?? s.iana
        ),
      ),
    );
  }
  return out;
}

/** The scan as a library call in this process (no start-up, modules warm): its wall time. */
async function libraryScan(port: number): Promise<{ ms: number; handshakes: number }> {
  const t0 = performance.now();
  const r = await scanLocalhost(port);
  return { ms: performance.now() - t0, handshakes: r.handshakes };
}

async function sslscan(port: number): Promise<Sets> {
  const r = await run("sslscan", [
    "--no-colour",
    "--xml=-",
    "--sni-name=localhost",
    `127.0.0.1:${port}`,
  ]);
  const out: Sets = new Map();
  for (
    const m of r.stdout.matchAll(
      /<cipher status="(\w+)" sslversion="([^"]+)"[^>]*cipher="([^"]+)"/g,
    )
  ) {
    const v = m[2] === "TLSv1.0" ? "TLSv1" : m[2];
    if (!out.has(v)) out.set(v, new Set());
    out.get(v)!.add(m[3]);
  }
  return out;
}

async function nmap(port: number): Promise<Sets> {
  const r = await run("nmap", [
    "-Pn",
    "-n",
    "-p",
    String(port),
    "--script",
    "ssl-enum-ciphers",
    "-oX",
    "-",
    "127.0.0.1",
  ]);
  const out: Sets = new Map();
  for (const block of r.stdout.split(/<table key="(?=TLSv|SSLv)/).slice(1)) {
    const v0 = block.slice(0, block.indexOf('"'));
    const v = v0 === "TLSv1.0" ? "TLSv1" : v0;
    const set = new Set<string>();
    for (const m of block.matchAll(/<elem key="name">([^<]+)<\/elem>/g)) set.add(opensslName(m[1]));
    out.set(v, set);
  }
  return out;
}

async function equalsTruth(got: Sets, truth: Sets): Promise<boolean> {
  for (const [v, want] of truth) {
    const universe = new Set(await offerable(v));
    const g = [...(got.get(v) ?? [])].filter((n) => universe.has(n)).sort();
    const w = [...want].sort();
    if (g.join(":") !== w.join(":")) return false;
  }
  return true;
}

async function time(f: () => Promise<Sets>): Promise<{ ms: number; sets: Sets }> {
  const t0 = performance.now();
  const sets = await f();
  return { ms: performance.now() - t0, sets };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const SERVERS: { name: string; start: () => Promise<Peer> }[] = [
  { name: "s_server default", start: () => startOpensslServer([...RSA]) },
  {
    name: "s_server TLS 1.2, 4 suites",
    start: () =>
      startOpensslServer([
        ...RSA,
        "-tls1_2",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA:DHE-RSA-AES128-SHA",
      ]),
  },
  { name: "s_server TLS 1.3 only", start: () => startOpensslServer([...RSA, "-tls1_3"]) },
  {
    name: "s_server legacy ALL:@SECLEVEL=0",
    start: () =>
      startOpensslServer([
        ...RSA,
        "-provider",
        "legacy",
        "-provider",
        "default",
        "-cipher",
        "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
      ]),
  },
  { name: "gnutls-serv default", start: () => startGnutlsServer() },
];

const TOOLS: { name: string; scan: (port: number) => Promise<Sets> }[] = [
  { name: "tlsprobe scan", scan: (port) => tlsprobeScan(sourceWords, ROOT, port) },
  { name: "tlsprobe scan (bundle)", scan: (port) => tlsprobeScan(bundleWords, here, port) },
  { name: "sslscan", scan: sslscan },
  { name: "nmap ssl-enum-ciphers", scan: nmap },
];

const rows: string[][] = [];
for (const s of SERVERS) {
  const server = await s.start();
  try {
    const truth = await groundTruth({
      port: server.port,
      servername: "localhost",
      versions: VERSIONS,
    });
    const r = relay(server.port);
    const per: Record<string, { ms: number; conns: number; equal: boolean }> = {};
    for (const t of TOOLS) {
      const times: number[] = [];
      let conns = 0;
      let equal = true;
      for (let i = 0; i < RUNS; i++) {
        r.reset();
        const { ms, sets } = await time(() => t.scan(r.port));
        times.push(ms);
        conns = r.count();
        equal &&= await equalsTruth(sets, truth);
      }
      per[t.name] = { ms: median(times), conns, equal };
    }
    // The library call: once to warm up, then RUNS times.
    await libraryScan(server.port);
    const lib: number[] = [];
    let libHandshakes = 0;
    for (let i = 0; i < RUNS; i++) {
      const x = await libraryScan(server.port);
      lib.push(x.ms);
      libHandshakes = x.handshakes;
    }
    r.close();
    const base = per["tlsprobe scan"];
    const bundle = per["tlsprobe scan (bundle)"];
    const libMs = median(lib);
    const ratio = (ms: number, to: number) => `${(ms / to).toFixed(1)}×`;
    for (const t of TOOLS) {
      const p = per[t.name];
      const mine = t.name.startsWith("tlsprobe");
      rows.push([
        s.name,
        t.name,
        `${Math.round(p.ms)} ms`,
        String(p.conns),
        p.equal ? "yes" : "no",
        t.name === "tlsprobe scan" ? "" : ratio(p.ms, base.ms),
        mine ? "" : ratio(p.ms, bundle.ms),
        ratio(p.ms, libMs),
      ]);
    }
    rows.push([
      s.name,
      "tlsprobe scan (library call)",
      `${Math.round(libMs)} ms`,
      String(libHandshakes),
      "",
      "",
      "",
      "",
    ]);
    console.error(`${s.name}: done`);
  } finally {
    await server.stop();
  }
}

const head = [
  "server",
  "tool",
  "wall (median)",
  "connections",
  "suites = truth",
  "time / source command",
  "time / bundle command",
  "time / library call",
];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) =>
  "| " + cells.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
console.log(line(head));
console.log("| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |");
for (const r of rows) console.log(line(r));
// The process floor in the same run: `deno run` of an empty script.
const empty = await Deno.makeTempFile({ suffix: ".ts" });
const floor: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  await run(Deno.execPath(), ["run", "--no-config", empty]);
  floor.push(performance.now() - t0);
}
await Deno.remove(empty);
await Deno.remove(here, { recursive: true });
console.log(`\ndeno run of an empty script (the start-up floor): ${Math.round(median(floor))} ms`);
const load = await Deno.readTextFile("/proc/loadavg").catch(() => "?");
console.log(
  `\n${RUNS} runs each, median; load average ${load.split(" ").slice(0, 3).join(" ")}; ${
    (await run("openssl", ["version"])).stdout.trim()
  }; ${
    (await run("sslscan", ["--version"])).stdout.split("\n")[0].replace(
      new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g"),
      "",
    )
      .trim()
  }; ${(await run("nmap", ["--version"])).stdout.split("\n")[0]}; ${
    cipherSuiteByCode(0x1301) ? "tlsprobe registry loaded" : ""
  }`,
);
