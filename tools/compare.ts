/**
 * Speed against the anchors, measured in one run (`deno task compare`):
 *
 * - `tlsprobe ciphers -v STRING` against `openssl ciphers -v STRING`, as
 *   commands (process start included), and the engine alone in-process;
 * - `tlsprobe probe` against `openssl s_client -brief` (a TLS 1.3 and a TLS
 *   1.2 handshake reported, and a TLS 1.3 server that sends no session
 *   ticket), both against one local `openssl s_server`, as commands and
 *   (tlsprobe) as a library call.
 *
 * Goals (issue 15): `ciphers` cold start ≤ 60 ms; `probe` ≤ 2× `openssl
 * s_client`. Each command runs twice: from source with the `tlsprobe` task's
 * own flags, and as the portable archive's launcher and the extension's
 * bundled runtime run it (the `deno bundle`d CLI, `lib/launch.json`'s
 * arguments, built here by `tools/dist.ts`).
 *
 * It prints medians and ratios; timings never go into tests.
 */
import { expandCipherString, formatCiphers } from "../core/openssl/mod.ts";
import { probe } from "../core/net/probe.ts";
import { makeTestPki, removeTestPki } from "../tests/_helpers/pki.ts";
import { ROOT, run, startOpensslServer, taskWords } from "../tests/_helpers/process.ts";
import { stageBundle } from "./dist.ts";

const ROUNDS = Number(Deno.env.get("ROUNDS") ?? 15);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn: () => Promise<unknown>, rounds = ROUNDS): Promise<number> {
  await fn(); // warm up (caches, JIT)
  const xs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return median(xs);
}

/**
 * CPU time (user + system) of one command, from `/usr/bin/time`, when it is
 * installed: on a machine shared with other work, wall time grows with the
 * load but CPU time hardly does.
 */
const TIME = "/usr/bin/time";
const hasTime = await Deno.stat(TIME).then(() => true, () => false);
const cpuRows: Array<[string, number, number, string]> = [];
async function cpuOf(
  cmd: string,
  args: string[],
  opts: { stdin?: string; cwd?: string } = {},
): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = await run(TIME, ["-f", "CPU %U %S", cmd, ...args], opts);
    const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
    if (m) xs.push((Number(m[1]) + Number(m[2])) * 1000);
  }
  return median(xs);
}
async function cpuRow(
  what: string,
  ours: [string, string[], { stdin?: string; cwd?: string }?],
  anchor: [string, string[], { stdin?: string; cwd?: string }?],
  anchorName: string,
) {
  if (!hasTime) return;
  cpuRows.push([what, await cpuOf(...ours), await cpuOf(...anchor), anchorName]);
}

const rows: Array<[string, number, number, string]> = [];
function row(what: string, ours: number, anchor: number, anchorName: string) {
  rows.push([what, ours, anchor, anchorName]);
}

// The CLI exactly as `deno task tlsprobe` runs it (the task's flags, from the root).
const words = await taskWords();
const cli = (args: string[]) => run(Deno.execPath(), [...words, ...args], { cwd: ROOT });

// The bundled CLI exactly as the portable launcher runs it (lib/launch.json's arguments).
const { here, words: bundleWords } = await stageBundle("tlsprobe-compare-");
const bundled = (args: string[]) => run(Deno.execPath(), [...bundleWords, ...args], { cwd: here });
const ways = [
  ["source", words, cli, ROOT],
  ["bundle", bundleWords, bundled, here],
] as const;

// 0. What any Deno program pays to start, for reference.
const empty = await Deno.makeTempFile({ suffix: ".ts" });
await Deno.writeTextFile(empty, "");
{
  const anchor = await time(() => run("openssl", ["version"]));
  // From the repository (its deno.json found, as the task runs), and as the launcher runs.
  for (
    const [way, argv] of [["source", ["run"]], ["bundle", ["run", "--no-config", "--no-lock"]]]
  ) {
    const what = `deno run of an empty script (floor, ${way})`;
    const ours = await time(() => run(Deno.execPath(), [...argv, empty], { cwd: ROOT }));
    row(what, ours, anchor, "openssl version");
    await cpuRow(
      what,
      [Deno.execPath(), [...argv, empty], { cwd: ROOT }],
      ["openssl", ["version"]],
      "openssl version",
    );
  }
}
await Deno.remove(empty);

// 1. Cipher strings.
for (const str of ["ECDH+AES128", "HIGH:!aNULL:!MD5", "ALL:COMPLEMENTOFALL:@STRENGTH"]) {
  const anchor = await time(() => run("openssl", ["ciphers", "-v", str]));
  for (const [way, argv, runIt, cwd] of ways) {
    const ours = await time(() => runIt(["ciphers", "-v", str]));
    row(`ciphers -v '${str}' (command, ${way})`, ours, anchor, "openssl ciphers -v");
    await cpuRow(
      `ciphers -v '${str}' (command, ${way})`,
      [Deno.execPath(), [...argv, "ciphers", "-v", str], { cwd }],
      ["openssl", ["ciphers", "-v", str]],
      "openssl ciphers -v",
    );
  }
  const lib = await time(
    () => Promise.resolve(formatCiphers(expandCipherString(str).ciphers, { v: true })),
    200,
  );
  row(`ciphers -v '${str}' (engine in-process)`, lib, anchor, "openssl ciphers -v");
}

// 2. Probes of a local server.
const pki = await makeTestPki();
for (
  const [label, args] of [
    ["TLS 1.3", ["-tls1_3"]],
    ["TLS 1.3 (no ticket)", ["-tls1_3", "-num_tickets", "0"]],
    ["TLS 1.2", ["-tls1_2"]],
  ] as const
) {
  const server = await startOpensslServer(["-cert", pki.localhostPem, ...args]);
  try {
    const target = `localhost:${server.port}`;
    const anchor = await time(() =>
      run("openssl", ["s_client", "-brief", "-connect", target, "-CAfile", pki.caCrt], {
        stdin: "",
      })
    );
    for (const [way, argv, runIt, cwd] of ways) {
      const ours = await time(() => runIt(["probe", "-a", pki.caCrt, target]));
      row(`probe ${label} server (command, ${way})`, ours, anchor, "openssl s_client -brief");
      await cpuRow(
        `probe ${label} server (command, ${way})`,
        [Deno.execPath(), [...argv, "probe", "-a", pki.caCrt, target], { cwd }],
        [
          "openssl",
          ["s_client", "-brief", "-connect", target, "-CAfile", pki.caCrt],
          { stdin: "" },
        ],
        "openssl s_client -brief",
      );
    }
    const lib = await time(() =>
      probe({
        host: "localhost",
        port: server.port,
        timeoutMs: 5000,
        caFile: pki.caCrt,
        versions: [0x0304, 0x0303, 0x0302, 0x0301],
        now: new Date(),
      })
    );
    row(`probe ${label} server (library call)`, lib, anchor, "openssl s_client -brief");
  } finally {
    await server.stop();
  }
}
await removeTestPki(pki);
await Deno.remove(here, { recursive: true });

const { stdout: ov } = await run("openssl", ["version"]);
console.log(`Deno ${Deno.version.deno}, ${ov.trim()}, median of ${ROUNDS} runs after a warm-up\n`);
// A command's cost above what any Deno program pays to start (the empty
// script run the same way): the part tlsprobe's own code can change.
const floorOf = (rows_: typeof rows, what: string) => {
  const way = /\((?:command, )?(source|bundle)\)$/.exec(what)?.[1];
  return way
    ? rows_.find(([w]) => w === `deno run of an empty script (floor, ${way})`)?.[1]
    : undefined;
};
const load = await Deno.readTextFile("/proc/loadavg").then((t) => t.split(" ")[0], () => "?");
console.log(`Load average at the end: ${load}\n`);
console.log(
  "| what | tlsprobe | above the floor | anchor | anchor ms | ratio (anchor / tlsprobe) |",
);
console.log("|---|---:|---:|---|---:|---:|");
for (const [what, ours, anchor, name] of rows) {
  const floor = what.includes("(command,") ? floorOf(rows, what) : undefined;
  console.log(
    `| ${what} | ${ours.toFixed(ours < 1 ? 3 : 1)} ms | ${
      floor === undefined ? "" : `${(ours - floor).toFixed(1)} ms`
    } | ${name} | ${anchor.toFixed(1)} | ${(anchor / ours).toFixed(2)}× |`,
  );
}

if (cpuRows.length) {
  const load = await Deno.readTextFile("/proc/loadavg").then((t) => t.split(" ")[0], () => "?");
  console.log(
    `\nCPU time (user + system, /usr/bin/time), median of ${ROUNDS}; load average ${load}\n`,
  );
  console.log("| what | tlsprobe CPU | anchor | anchor CPU | ratio (anchor / tlsprobe) |");
  console.log("|---|---:|---|---:|---:|");
  for (const [what, ours, anchor, name] of cpuRows) {
    console.log(
      `| ${what} | ${ours.toFixed(0)} ms | ${name} | ${anchor.toFixed(0)} ms | ${
        (anchor / ours).toFixed(2)
      }× |`,
    );
  }
}
