import assert from "node:assert/strict";
import { ROOT, tlsprobe } from "../_helpers/process.ts";
import { VERSION } from "../../core/version.ts";
import { ERROR_CODES } from "../../core/errors.ts";
import { EXIT_CODES } from "../../cli/exit_codes.ts";

Deno.test("tlsprobe --help lists the subcommands and the exit statuses", async () => {
  const r = await tlsprobe(["--help"]);
  assert.equal(r.code, 0);
  for (const verb of ["connect", "serve", "ciphers"]) {
    assert.match(r.stdout, new RegExp(`^  ${verb}\\b`, "m"));
  }
  assert.match(r.stdout, /Exit status:\n\s+0\s+success/);
});

Deno.test("tlsprobe connect --help lists its options", async () => {
  const r = await tlsprobe(["connect", "--help"]);
  assert.equal(r.code, 0);
  for (
    const opt of [
      "-a, --cafile",
      "--platform-roots",
      "--servername",
      "-c, --cert",
      "--key",
      "--alpn",
      "--send",
      "--raw",
      "--timeout",
      "--json",
    ]
  ) {
    assert.ok(r.stdout.includes(opt), `connect --help mentions ${opt}`);
  }
});

Deno.test("tlsprobe --version prints the version of deno.json", async () => {
  const r = await tlsprobe(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), VERSION);
  const denoJson = JSON.parse(await Deno.readTextFile(ROOT + "deno.json"));
  assert.equal(denoJson.version, VERSION);
});

Deno.test("an unknown option is a usage error of one line, exit status 2", async () => {
  const r = await tlsprobe(["connect", "--bogus", "localhost", "1"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /unknown option '--bogus'/);
  assert.equal(r.stdout, "");
});

Deno.test("a bad port is a usage error, not a stack trace", async () => {
  const r = await tlsprobe(["connect", "localhost", "http"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Port "http" is not a number/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
});

Deno.test("a missing CA file is a usage error naming the file", async () => {
  const r = await tlsprobe(["connect", "-a", "/nonexistent/ca.crt", "localhost", "1"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /FILE_NOT_FOUND: Cannot read CA file \/nonexistent\/ca\.crt/);
});

Deno.test("a missing certificate for serve is a usage error", async () => {
  const r = await tlsprobe(["serve", "--cert", "/nonexistent.pem", "--port", "0"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /FILE_NOT_FOUND/);
  const r2 = await tlsprobe(["serve"]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /required option '--cert <file>'/);
});

Deno.test("--json errors are one JSON object on stdout with schemaVersion and the code", async () => {
  const r = await tlsprobe(["connect", "-a", "/nonexistent/ca.crt", "localhost", "1", "--json"]);
  assert.equal(r.code, 2);
  const o = JSON.parse(r.stdout);
  assert.equal(o.schemaVersion, 1);
  assert.equal(o.outcome, "error");
  assert.equal(o.error.code, "FILE_NOT_FOUND");
});

Deno.test("every error code has an exit status from the documented table", () => {
  for (const code of ERROR_CODES) assert.ok([1, 2, 3, 4, 70].includes(EXIT_CODES[code]), code);
});

/** The modules a file loads before it runs (static imports only; dynamic ones load on demand). */
async function staticGraph(file: string): Promise<string[]> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", ROOT + file],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  const g = JSON.parse(new TextDecoder().decode(r.stdout));
  const mods = new Map<string, { dependencies?: Array<Record<string, unknown>> }>(
    g.modules.map((m: { specifier: string }) => [m.specifier, m]),
  );
  const seen = new Set<string>();
  const stack: string[] = [g.roots[0]];
  while (stack.length) {
    const s = stack.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of mods.get(s)?.dependencies ?? []) {
      const code = d.code as { specifier?: string } | undefined;
      if (!d.isDynamic && code?.specifier) stack.push(code.specifier);
    }
  }
  return [...seen];
}

Deno.test("startup: main, ciphers and connect load no npm package before they run", async () => {
  for (const file of ["cli/main.ts", "cli/commands/ciphers.ts", "cli/commands/connect.ts"]) {
    const graph = await staticGraph(file);
    assert.deepEqual(graph.filter((s) => s.startsWith("npm:")), [], file);
    assert.ok(!graph.some((s) => s.endsWith("/core/x509/decode.ts")), `${file} loads no decoder`);
  }
});

/**
 * What `probe` loads on a run without `--policy`: its command module, then the
 * working modules it imports once the trust store is chosen (cli/commands/probe.ts,
 * loadProbeModules), then the report builder with the X.509 decoder, which
 * core/net/probe.ts loads while the handshake runs.
 */
const PROBE_RUN = [
  "cli/commands/probe.ts",
  "core/report/envelope.ts",
  "core/net/probe.ts",
  "core/net/pem.ts",
  "core/handshake/offer.ts",
  "core/report/probe_text.ts",
  "core/report/probe.ts",
];

Deno.test("startup: probe and cert load no npm package, no node: built-in and (probe) no policy machinery before they run", async () => {
  for (const files of [PROBE_RUN, ["cli/commands/cert.ts"]]) {
    const graph = [...new Set((await Promise.all(files.map(staticGraph))).flat())];
    const file = files[0];
    // @peculiar/* cost ~250 ms of every start (CommonJS builds), node:tls hundreds more.
    assert.deepEqual(graph.filter((s) => s.startsWith("npm:") || s.startsWith("node:")), [], file);
    assert.ok(
      graph.some((s) => s.endsWith("/core/x509/decode.ts")),
      `${file} decodes certificates`,
    );
  }
  const probe = (await Promise.all(PROBE_RUN.map(staticGraph))).flat();
  assert.deepEqual(probe.filter((s) => s.includes("/core/policy/")), [], "probe without --policy");
  // The working modules load after the trust store is chosen, not with the command's spec.
  const spec = await staticGraph("cli/commands/probe.ts");
  assert.ok(!spec.some((s) => s.endsWith("/core/net/probe.ts")), "probe's spec alone");
  // The decoder loads during the handshake, not before the connection is made.
  const working = (await Promise.all(PROBE_RUN.slice(0, -1).map(staticGraph))).flat();
  assert.ok(!working.some((s) => s.endsWith("/core/x509/decode.ts")), "probe before connecting");
});
