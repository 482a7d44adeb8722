/**
 * Runs the test tiers and ends with one line `N passed, N failed, N skipped`,
 * the summary CI reads (Deno's own `ok | N passed | N failed` is not).
 *
 * Usage: `deno task test [-- <extra deno test args>]` (every tier),
 * `deno task test:unit` (`--tier unit`: no network peer, no subprocess).
 *
 * Tiers (`tools/test_tiers.ts`): unit, fuzz, doc examples and integration
 * against real peers, each with its own narrowed permissions and `--parallel`;
 * then any suite listed by `tools/test_suites.json` whose `when` environment
 * variable is set (the VS Code workbench tests run in CI).
 */
import { tiers } from "./test_tiers.ts";

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

const SUMMARY =
  /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(?: \| (\d+) ignored)?/m;

/** Parallel test processes: the tiers wait on peers and sockets more than on the CPU. */
const JOBS = String(Math.max(4, 2 * navigator.hardwareConcurrency));

async function runDenoTests(
  permissions: string[],
  files: string[],
  extra: string[],
): Promise<Counts & { code: number }> {
  const args = ["test", ...permissions, "--parallel", ...extra, ...files];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1", DENO_JOBS: JOBS },
  }).spawn();
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
  }
  const { code } = await child.status;
  const m = SUMMARY.exec(tail.split("\n").filter((l) => l.includes(" passed")).pop() ?? "");
  if (!m) return { passed: 0, failed: code === 0 ? 0 : 1, skipped: 0, code: code || 1 };
  return {
    passed: Number(m[1]),
    failed: Number(m[2]),
    skipped: Number(m[3] ?? 0),
    code,
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
  const decoder = new TextDecoder();
  let tail = "";
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4096);
  }
  const { code } = await child.status;
  // Extra suites print their own `N passed, N failed` line.
  const m = [...tail.matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].pop();
  if (!m) return { passed: 0, failed: 1, skipped: 0, code: code || 1 };
  return { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0), code };
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

const args = [...Deno.args];
const at = args.indexOf("--tier");
const only = at >= 0 ? args.splice(at, 2)[1] : undefined;
const total: Counts = { passed: 0, failed: 0, skipped: 0 };
let status = 0;
for (const tier of tiers(await testFiles("tests"))) {
  if (only && tier.name !== only) continue;
  if (tier.files.length === 0) continue;
  console.log(`\n=== ${tier.name} tests ===`);
  const started = performance.now();
  const r = await runDenoTests(tier.permissions, tier.files, [...(tier.flags ?? []), ...args]);
  console.log(
    `(${tier.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped in ${
      ((performance.now() - started) / 1000).toFixed(1)
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
console.log(`\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
Deno.exit(status);
