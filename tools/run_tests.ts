/**
 * Runs the test tiers and ends with one line `N passed, N failed, N skipped`,
 * the summary CI reads (Deno's own `ok | N passed | N failed` is not).
 *
 * Usage: `deno task test [-- <extra deno test args>]` (every tier),
 * `deno task test:unit` (`--tier unit`: no network peer, no subprocess).
 *
 * Tiers (`tools/test_tiers.ts`): unit, fuzz, doc examples and integration
 * against real peers, each with its own narrowed permissions and `--parallel`
 * (integration beside the other three, which run in turn);
 * then any suite listed by `tools/test_suites.json` whose `when` environment
 * variable is set (the VS Code workbench tests run in CI).
 */
import {
  DEADLINE_SUITES,
  SHARED_ISOLATE_FILES,
  SLOW_FIRST,
  type Tier,
  tiers,
} from "./test_tiers.ts";
import { writeDocTests } from "./doc_examples.ts";
import { generateTestPki, TEST_PKI_ENV } from "../tests/_helpers/pki.ts";
import { TEST_CLI_ENV } from "../tests/_helpers/process.ts";
import { stageBundle } from "./dist.ts";

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const SUMMARY =
  /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored(?: \((\d+) steps?\))?)?/m;

/**
 * Test workers of the integration tier: one per core. More starve the CLI
 * subprocesses and peers the integration tests time (measured on a loaded
 * 2-core machine: 4 jobs, and every tier at once at full priority, made
 * deadline tests fail); the quick tiers beside it get one worker.
 */
const JOBS = String(Math.max(2, navigator.hardwareConcurrency));

const encoder = new TextEncoder();

/**
 * Every failing test's report line, from every tier and suite, repeated just
 * above the final summary: CI keeps only the head and the tail of a long log,
 * and a failure in the middle of it must still be named there.
 */
const failures: string[] = [];
/** Integration tests that failed once and passed when run again (see {@link retryFailed}). */
const flaky: string[] = [];
/** `module => name ... FAILED (1s)` (deno test) and `FAIL name` (the workbench suites). */
const FAILURE_LINE = /(?:\.\.\. FAILED\b|^FAIL )/;

/** What {@link relay} keeps of a stream: its last 4 KiB and its failure lines (unprefixed). */
interface Relayed {
  tail: string;
  failed: string[];
}

/** Copies a stream line by line with a `[tier] ` prefix, keeping its tail and failure lines. */
async function relay(
  stream: ReadableStream<Uint8Array>,
  prefix: string,
  to: { write(b: Uint8Array): Promise<number> },
): Promise<Relayed> {
  const decoder = new TextDecoder();
  let pending = "";
  let tail = "";
  const failed: string[] = [];
  const write = async (lines: string[]) => {
    for (const l of lines) if (FAILURE_LINE.test(l)) failed.push(l);
    await to.write(encoder.encode(lines.map((l) => prefix + l + "\n").join("")));
  };
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true });
    tail = (tail + text).slice(-4096);
    pending += text;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    if (lines.length) await write(lines);
  }
  if (pending) await write([pending]);
  return { tail, failed };
}

/**
 * `deno test` type-checks nothing here: `deno task check` type-checks every
 * test, tool and doc example once (`deno check --doc … tests/ tools/`), where
 * each tier would check its own graph again. `--check` in the extra arguments
 * brings the check back.
 */
function checkFlags(extra: string[]): string[] {
  return extra.some((a) => a === "--check" || a.startsWith("--check=")) ? [] : ["--no-check"];
}

/**
 * `TLSPROBE_TEST_JUNIT=DIR`: each `deno test` process also writes a JUnit
 * report (every test's time) to `DIR/<tier>[-N].xml`; `tools/test_times.ts`
 * sums them per file.
 */
const JUNIT_DIR = Deno.env.get("TLSPROBE_TEST_JUNIT");
const junitRuns = new Map<string, number>();
function junitPath(name: string): string | undefined {
  if (!JUNIT_DIR) return undefined;
  const n = junitRuns.get(name) ?? 0;
  junitRuns.set(name, n + 1);
  return `${JUNIT_DIR}/${name}${n ? `-${n}` : ""}.xml`;
}

/** How one `deno test` process runs: its environment and its test workers. */
interface RunOptions {
  env?: Record<string, string>;
  /** `DENO_JOBS`. */
  jobs: string;
}

async function runDenoTests(
  name: string,
  permissions: string[],
  files: string[],
  extra: string[],
  opts: RunOptions,
): Promise<Counts & { code: number; failedLines: string[] }> {
  const junit = junitPath(name);
  const args = [
    "test",
    ...permissions,
    ...checkFlags(extra),
    "--parallel",
    ...(junit ? [`--junit-path=${junit}`] : []),
    ...extra,
    ...files,
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_JOBS: opts.jobs, ...opts.env },
  }).spawn();
  const prefix = `[${name}] `;
  const [out, err] = await Promise.all([
    relay(child.stdout, prefix, Deno.stdout),
    relay(child.stderr, prefix, Deno.stderr),
  ]);
  const { code } = await child.status;
  const failedLines = [...out.failed, ...err.failed].map((l) => prefix + l);
  const m = SUMMARY.exec(out.tail.split("\n").filter((l) => l.includes(" passed")).pop() ?? "");
  if (!m) {
    return { passed: 0, failed: code === 0 ? 0 : 1, skipped: 0, code: code || 1, failedLines };
  }
  return {
    passed: Number(m[1]),
    failed: Number(m[2]),
    // Ignored steps count too: a test whose daemon is absent skips its steps.
    skipped: Number(m[3] ?? 0) + Number(m[4] ?? 0),
    code,
    failedLines,
  };
}

/** `<module> => <test name> ... FAILED (1s)`: a top-level test's failure line from `deno test`. */
const FAILED_TEST = /^\[[^\]]+\] (\S+) => (\S.*?) \.\.\. FAILED\b/;

/** At most this many failed tests of one run are run again; more is a breakage, not a flake. */
const RETRY_LIMIT = 3;

/**
 * The integration tier's second chance: tests against real peers on a loaded
 * 2-core machine can lose a race with the scheduler (a deadline, a readiness
 * line). When at most {@link RETRY_LIMIT} tests failed and every failure names
 * its test, those tests run once more, alone (`--filter` on their exact
 * names, in their own modules). One that passes then is counted as passed and
 * listed as flaky above the summary; one that fails again is a failure. A run
 * that failed otherwise (a module that did not load, an uncaught error) is not
 * run again. `TLSPROBE_TEST_RETRY=0` turns this off.
 */
async function retryFailed(
  name: string,
  permissions: string[],
  extra: string[],
  opts: RunOptions,
  first: Counts & { code: number; failedLines: string[] },
): Promise<Counts & { code: number; failedLines: string[] }> {
  const named = first.failedLines.map((l) => FAILED_TEST.exec(l));
  if (
    Deno.env.get("TLSPROBE_TEST_RETRY") === "0" || first.failed === 0 ||
    first.failed > RETRY_LIMIT || named.length !== first.failed || named.some((m) => !m)
  ) return first;
  const modules = [...new Set(named.map((m) => new URL(m![1], `file://${Deno.cwd()}/`).pathname))];
  const names = [...new Set(named.map((m) => m![2]))];
  const exact = `/^(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})$/`;
  console.log(`\n[${name}] running again alone: ${names.join("; ")}`);
  const again = await runDenoTests(`${name}-again`, permissions, modules, [
    ...extra,
    `--filter=${exact}`,
  ], opts);
  if (again.passed + again.failed !== names.length) return first;
  const passedAgain = names.filter((n) =>
    !again.failedLines.some((l) => l.includes(`=> ${n} ...`))
  );
  flaky.push(
    ...first.failedLines.filter((l) => passedAgain.some((n) => l.includes(`=> ${n} ...`))),
  );
  return {
    passed: first.passed + again.passed,
    failed: again.failed,
    skipped: first.skipped,
    code: again.failed === 0 ? 0 : first.code || again.code,
    failedLines: again.failedLines,
  };
}

interface ExtraSuite {
  name: string;
  when: string;
  cmd: string[];
}

async function runExtraSuite(suite: ExtraSuite): Promise<Counts & { code: number }> {
  console.log(`\n=== ${suite.name} ===`);
  const [cmd, ...args] = suite.cmd;
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "inherit" }).spawn();
  const { tail, failed } = await relay(child.stdout, "", Deno.stdout);
  failures.push(...failed);
  const { code } = await child.status;
  // Extra suites print their own `N passed, N failed` line.
  const m = [...tail.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].pop();
  if (!m) return { passed: 0, failed: 1, skipped: 0, code: code || 1 };
  return { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0), code };
}

const ROOT = new URL("..", import.meta.url).pathname;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir.replace(/\/$/, "")}/${e.name}`;
    if (e.isDirectory) out.push(...await sourceFiles(path));
    else if (e.isFile && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(path);
  }
  return out.sort();
}

/**
 * The modules `deno test` is given for a tier's files (Tier.modules): the
 * files themselves, or one module generated in `scratch` that imports them
 * (then `deno.json` is named, since that module lies outside the tree).
 */
let generated = 0;
async function testModules(
  tier: Tier,
  files: string[],
  scratch: string,
): Promise<{ flags: string[]; modules: string[] }> {
  const config = [`--config=${ROOT}deno.json`];
  const importing = async (name: string, group: string[]) => {
    // Named after its first file, for the reporter's `module => test` lines.
    const first = group[0].split("/").pop()!.replace(/_test\.ts$/, "");
    const more = group.length > 1 ? `_and_${group.length - 1}_more` : "";
    const entry = `${scratch}/${name}_${++generated}_${first}${more}_test.ts`;
    await Deno.writeTextFile(
      entry,
      group.map((f) => `import ${JSON.stringify(`file://${ROOT}${f}`)};\n`).join(""),
    );
    return entry;
  };
  if (tier.modules === "one-isolate") {
    return { flags: config, modules: [await importing(tier.name, files)] };
  }
  if (tier.modules === "shared-isolates") {
    const alone = (f: string) => SLOW_FIRST.includes(f) || DEADLINE_SUITES.includes(f);
    const modules = files.filter(alone);
    const rest = files.filter((f) => !alone(f));
    for (let i = 0; i < rest.length; i += SHARED_ISOLATE_FILES) {
      const group = rest.slice(i, i + SHARED_ISOLATE_FILES);
      modules.push(
        group.length === 1 ? group[0] : await importing(tier.name, group),
      );
    }
    return { flags: config, modules };
  }
  if (tier.modules === "doc-examples") {
    const dir = `${scratch}/${tier.name}`;
    await Deno.mkdir(dir);
    const sources = (await Promise.all(files.map(sourceFiles))).flat();
    const { entry } = await writeDocTests(ROOT, sources, dir);
    return { flags: config, modules: [entry] };
  }
  return { flags: [], modules: files };
}

async function testFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory && e.name !== "fixtures") out.push(...await testFiles(path));
    else if (e.isFile && e.name.endsWith("_test.ts")) out.push(path);
  }
  return out.sort();
}

// `deno task test -- --filter x` hands the `--` on: it only separates the task's words (given
// to `deno test`, it would make the files after it the tests' own arguments).
const args = Deno.args.filter((a, i) => a !== "--" || Deno.args.indexOf("--") !== i);
const at = args.indexOf("--tier");
const only = at >= 0 ? args.splice(at, 2)[1] : undefined;
const total: Counts = { passed: 0, failed: 0, skipped: 0 };
let status = 0;
const chosen = tiers(await testFiles("tests")).filter((t) =>
  (!only || t.name === only) && t.files.length > 0
);
// One test PKI for the run (fresh keys, made while the first tiers run):
// each test's makeTestPki() copies it instead of generating its own.
let pkiDir: string | undefined;
const pki = Deno.env.get(TEST_PKI_ENV) === "fresh"
  ? Promise.resolve("fresh")
  : chosen.some((t) => t.name === "integration")
  ? (async () => {
    pkiDir = await Deno.makeTempDir({ prefix: "tlsprobe-run-pki-" });
    await generateTestPki(pkiDir);
    return pkiDir;
  })()
  : undefined;
// The CLI bundled once for the run (made beside the PKI, 1–2 s): the tests'
// CLI children run it instead of the sources, a fifth less CPU each
// (TEST_CLI_ENV). TLSPROBE_TEST_CLI=source keeps the sources; a failed build
// says so and falls back to them.
let cliDir: string | undefined;
const cli = Deno.env.get(TEST_CLI_ENV) === "source"
  ? Promise.resolve(undefined)
  : chosen.some((t) => t.name === "integration")
  ? stageBundle("tlsprobe-run-cli-").then(
    ({ here }) => cliDir = here,
    (e) => {
      console.error(
        `(the CLI bundle was not built, the tests run the sources: ${e?.message ?? e})`,
      );
      return undefined;
    },
  )
  : undefined;
// Generated test modules (Tier.modules) live here for the run.
const scratch = Deno.makeTempDir({ prefix: "tlsprobe-run-" });
const finished = new Map<string, { r: Counts & { code: number }; seconds: number }>();
async function runFiles(
  tier: Tier,
  files: string[],
  jobs: string,
): Promise<Counts & { code: number }> {
  const env: Record<string, string> = {};
  if (tier.name === "integration" && pki) env[TEST_PKI_ENV] = await pki;
  if (tier.name === "integration") {
    const dir = await cli;
    if (dir) env[TEST_CLI_ENV] = dir;
  }
  const { flags, modules } = await testModules(tier, files, await scratch);
  const permissions = [...tier.permissions, ...flags];
  const extra = [...(tier.flags ?? []), ...args];
  let r = await runDenoTests(tier.name, permissions, modules, extra, { env, jobs });
  if (tier.name === "integration") {
    r = await retryFailed(tier.name, permissions, extra, { env, jobs }, r);
  }
  failures.push(...r.failedLines);
  return r;
}
async function runTier(tier: Tier, jobs: string): Promise<void> {
  const started = performance.now();
  const r = await runFiles(tier, tier.files, jobs);
  finished.set(tier.name, { r, seconds: (performance.now() - started) / 1000 });
}
// The integration tier (most of the wall time, much of it waiting on peers
// and CLI children) starts at once with one test worker per core; beside it
// the quick tiers run one after the other with one worker (not niced: the
// fuzz tests bound their own wall time, and a niced tier would get about a
// tenth of a busy CPU). The suites that need the CPU to meet their deadlines
// (DEADLINE_SUITES) run once the others are done, with every worker.
// TLSPROBE_TEST_SERIAL=1 runs every tier alone, in turn.
const integration = chosen.find((t) => t.name === "integration");
const quick = chosen.filter((t) => t !== integration);
const serial = !!Deno.env.get("TLSPROBE_TEST_SERIAL");
try {
  if (serial || !integration) {
    for (const tier of chosen) await runTier(tier, JOBS);
  } else {
    const started = performance.now();
    const late = integration.files.filter((f) => DEADLINE_SUITES.includes(f));
    const early = integration.files.filter((f) => !late.includes(f));
    const [first] = await Promise.all([
      early.length ? runFiles(integration, early, JOBS) : undefined,
      (async () => {
        for (const tier of quick) await runTier(tier, "1");
      })(),
    ]);
    const second = late.length ? await runFiles(integration, late, JOBS) : undefined;
    const parts = [first, second].filter((r) => r !== undefined);
    finished.set(integration.name, {
      r: {
        passed: parts.reduce((n, r) => n + r.passed, 0),
        failed: parts.reduce((n, r) => n + r.failed, 0),
        skipped: parts.reduce((n, r) => n + r.skipped, 0),
        code: parts.find((r) => r.code !== 0)?.code ?? 0,
      },
      seconds: (performance.now() - started) / 1000,
    });
  }
} finally {
  await pki?.catch(() => {});
  if (pkiDir) await Deno.remove(pkiDir, { recursive: true }).catch(() => {});
  await cli?.catch(() => {});
  if (cliDir) await Deno.remove(cliDir, { recursive: true }).catch(() => {});
  await Deno.remove(await scratch, { recursive: true }).catch(() => {});
}
const results = chosen.map((tier) => ({ tier, ...finished.get(tier.name)! }));
console.log("");
for (const { tier, r, seconds } of results) {
  console.log(
    `(${tier.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped in ${
      seconds.toFixed(1)
    } s)`,
  );
  total.passed += r.passed;
  total.failed += r.failed;
  total.skipped += r.skipped;
  if (r.code !== 0) status = 1;
}

let suites: ExtraSuite[] = [];
try {
  suites = JSON.parse(await Deno.readTextFile(new URL("./test_suites.json", import.meta.url)));
} catch (e) {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}
for (const suite of only ? [] : suites) {
  if (!Deno.env.get(suite.when)) {
    console.log(`\n(skipping ${suite.name}: set ${suite.when}=1 to run it)`);
    continue;
  }
  const r = await runExtraSuite(suite);
  total.passed += r.passed;
  total.failed += r.failed;
  total.skipped += r.skipped;
  if (r.code !== 0) status = 1;
}
if (total.failed > 0) status = 1;
if (flaky.length) {
  console.log(`\nFlaky (failed, then passed when run again alone: ${flaky.length}):`);
  for (const line of flaky) console.log(`  ${line}`);
}
if (failures.length) {
  console.log(`\nFailed (${failures.length}):`);
  for (const line of failures) console.log(`  ${line}`);
}
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
Deno.exit(status);
