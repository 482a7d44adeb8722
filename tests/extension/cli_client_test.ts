import assert from "node:assert/strict";
import * as path from "node:path";
import {
  bundledCli,
  CliClientError,
  CliReportedError,
  commandLine,
  compareVersions,
  freeBasePort,
  probeArgs,
  resolveCli,
  runCli,
  setCliLogger,
  startLab,
} from "../../extension/src/cli_client.ts";
import type { ProbeReport } from "../../extension/src/pure/report.ts";
import { accepts, alive, ROOT, startTlsprobe } from "../_helpers/process.ts";

const DENO_DIR = path.dirname(Deno.execPath());

async function fakeCli(dir: string, name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await Deno.writeTextFile(file, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(file, 0o755);
  return file;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<CliClientError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof CliClientError, String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  throw new Error(`expected ${code}`);
}

Deno.test("resolveCli() takes the setting, then PATH, then the repository", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const onPath = await fakeCli(dir, "tlsprobe", "exit 0");
    const other = await fakeCli(dir, "other-tlsprobe", "exit 0");
    assert.deepEqual(resolveCli({ configuredPath: other, envPath: dir }), {
      command: other,
      prefix: [],
      source: "setting",
    });
    assert.equal(resolveCli({ envPath: dir, searchRoots: [ROOT] }).command, onPath);
    const repo = resolveCli({ envPath: DENO_DIR, searchRoots: [path.join(ROOT, "extension")] });
    assert.equal(repo.source, "repository");
    assert.equal(repo.cwd, path.resolve(ROOT));
    assert.equal(repo.prefix.at(-1), path.join(path.resolve(ROOT), "cli", "main.ts"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveCli() falls back to the bundled runtime, before the repository, and runs it", async () => {
  // A runtime/ folder as `deno task dist` lays it out, over this Deno and the CLI's source.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(path.join(dir, "bin"));
    await Deno.mkdir(path.join(dir, "lib"));
    await Deno.copyFile(Deno.execPath(), path.join(dir, "bin", "deno"));
    await Deno.chmod(path.join(dir, "bin", "deno"), 0o644); // as a .vsix may leave it
    await Deno.writeTextFile(
      path.join(dir, "lib", "launch.json"),
      JSON.stringify({
        version: "0.1.0",
        deno: "bin/deno",
        args: ["run", "--quiet", "--env-file=${here}/runtime.env", "-A", `${ROOT}cli/main.ts`],
      }),
    );
    await Deno.copyFile(`${ROOT}cli/runtime.env`, path.join(dir, "runtime.env"));
    const cli = resolveCli({ envPath: "/nonexistent", bundledDir: dir, searchRoots: [ROOT] });
    assert.equal(cli.source, "bundled");
    assert.equal(cli.command, path.join(dir, "bin", "deno"));
    assert.equal(cli.prefix[2], `--env-file=${dir}/runtime.env`);
    const run = await runCli(cli, ["cert", `${ROOT}certs/ca.crt`], { timeoutMs: 60_000 });
    assert.equal(run.exitCode, 0, run.stderr);
    assert.equal(run.result.tool?.name, "tlsprobe");
    // PATH still wins over the bundled runtime; a package without runtime/ has none.
    const onPath = await fakeCli(dir, "tlsprobe", "exit 0");
    assert.equal(resolveCli({ envPath: dir, bundledDir: dir }).command, onPath);
    assert.equal(bundledCli(path.join(dir, "absent")), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("setCliLogger() receives each run's command line, exit status and duration", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  setCliLogger((level, line) => lines.push(`${level} ${line}`));
  try {
    const ok = await fakeCli(
      dir,
      "tlsprobe",
      `echo '{"schemaVersion":1,"tool":{"name":"tlsprobe","version":"0.1.0"},"command":"probe","outcome":"ok"}'`,
    );
    await runCli({ command: ok, prefix: [], source: "setting" }, ["probe", "a b:1"], {
      timeoutMs: 10_000,
    });
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      /^info \S+\/tlsprobe probe 'a b:1' --json → exit 0 in \d+ ms \(setting\)$/,
    );
  } finally {
    setCliLogger(undefined);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveCli() never runs a repository it was not given (an untrusted workspace)", () => {
  // commands.ts passes workspace folders only when the workspace is trusted.
  assert.throws(
    () => resolveCli({ envPath: DENO_DIR, searchRoots: [] }),
    (e) => e instanceof CliClientError && e.code === "CLI_NOT_FOUND",
  );
});

Deno.test("resolveCli() says what to do when nothing is found or the setting is wrong", () => {
  const none = (() => {
    try {
      resolveCli({ envPath: "/nonexistent", searchRoots: ["/"] });
    } catch (e) {
      return e;
    }
  })();
  assert.ok(none instanceof CliClientError);
  assert.equal(none.code, "CLI_NOT_FOUND");
  assert.match(none.message, /tlsprobe\.path/);
  assert.throws(
    () => resolveCli({ configuredPath: "/nonexistent/tlsprobe" }),
    /tlsprobe\.path is \/nonexistent\/tlsprobe, which is not an executable/,
  );
});

Deno.test("runCli() probes a local tlsprobe serve through the real CLI", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", `${ROOT}certs/localhost.pem`, "--port", "0"],
    /Listening at interface '[^']*' and port (\d+)/,
  );
  try {
    const cli = resolveCli({ envPath: DENO_DIR, searchRoots: [ROOT] });
    const req = { target: `localhost:${server.port}`, caFile: `${ROOT}certs/ca.crt` };
    const run = await runCli(cli, probeArgs(req, 10_000), { timeoutMs: 60_000 });
    const r = run.result as ProbeReport;
    assert.equal(r.outcome, "ok", JSON.stringify(r.error));
    assert.equal(r.handshake?.version, "TLSv1.3");
    assert.match(String(r.handshake?.cipher?.iana), /^TLS_/);
    assert.equal(r.trust?.verified, true);
  } finally {
    await server.stop();
  }
});

Deno.test("runCli() kills the CLI and its children on timeout and on cancel", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pids = path.join(dir, "pids");
    const slow = await fakeCli(
      dir,
      "slow",
      `echo $$ >> ${pids}; sleep 30 & echo $! >> ${pids}; wait`,
    );
    const cli = { command: slow, prefix: [], source: "setting" as const };
    const pidsSoFar = async () => {
      try {
        return (await Deno.readTextFile(pids)).trim().split("\n").filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    /** Polls `ok` every 50 ms until it holds, or 10 s (a bound for a busy CPU, not a wait). */
    const until = async (ok: () => Promise<boolean>) => {
      for (const end = Date.now() + 10_000; !(await ok()) && Date.now() < end;) {
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const t0 = Date.now();
    await rejectsWith(runCli(cli, ["probe", "x"], { timeoutMs: 500 }), "TIMEOUT");
    assert.ok(Date.now() - t0 < 10_000);
    // On a busy CPU the script may not have started its child within 500 ms:
    // whatever it did start must be gone.
    const before = (await pidsSoFar()).length;
    const abort = new AbortController();
    const p = runCli(cli, ["probe", "x"], { timeoutMs: 60_000, signal: abort.signal });
    // Cancel once the script and its child both run (not after a fixed time).
    await until(async () => (await pidsSoFar()).length >= before + 2);
    abort.abort();
    await rejectsWith(p, "CANCELLED");
    const started = await pidsSoFar();
    assert.equal(started.length, before + 2, `pids: ${started}`);
    // Killed processes leave once reaped: wait for that, then every one must be gone.
    await until(() => Promise.resolve(started.every((pid) => !alive(pid))));
    for (const pid of started) assert.equal(alive(pid), false, `process ${pid} survived`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runCli() refuses other schema versions, old CLIs and non-JSON output", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: Array<[string, RegExp]> = [
      [`echo '{"schemaVersion":2,"outcome":"ok"}'`, /schema version 2/],
      [
        `echo '{"schemaVersion":1,"tool":{"name":"tlsprobe","version":"0.0.9"},"outcome":"ok"}'`,
        /0\.0\.9 is older than/,
      ],
      [`echo 'tlsprobe: error: unknown command' >&2; exit 2`, /printed nothing.*unknown command/],
    ];
    for (const [i, [body, re]] of cases.entries()) {
      const cli = {
        command: await fakeCli(dir, `c${i}`, body),
        prefix: [],
        source: "setting" as const,
      };
      const e = await rejectsWith(runCli(cli, ["probe", "x"], { timeoutMs: 10_000 }), "CLI_OUTPUT");
      assert.match(e.message, re);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("probeArgs() maps the form to the CLI's flags, timeout in seconds", () => {
  assert.deepEqual(
    probeArgs({
      target: " example.com:443 ",
      caFile: "/ca.pem",
      certFile: "/c.pem",
      keyFile: "/k.pem",
      alpn: "h2",
      serverName: "www.example.com",
    }, 12_500),
    [
      "probe",
      "example.com:443",
      "--timeout",
      "12",
      "--cafile",
      "/ca.pem",
      "--cert",
      "/c.pem",
      "--key",
      "/k.pem",
      "--alpn",
      "h2",
      "--servername",
      "www.example.com",
    ],
  );
});

Deno.test("probeArgs() refuses a target that is not host:port (e.g. an option)", () => {
  for (const target of ["--help", "-a", "a b:1", "host:99999", ""]) {
    assert.throws(
      () => probeArgs({ target }, 5000),
      (e) => e instanceof CliClientError && e.code === "BAD_INPUT",
      target,
    );
  }
  assert.equal(probeArgs({ target: "https://example.com/x" }, 5000)[1], "example.com:443");
});

Deno.test("compareVersions() orders dotted versions numerically", () => {
  assert.ok(compareVersions("0.10.0", "0.9.1") > 0);
  assert.equal(compareVersions("1.0", "1.0.0"), 0);
  assert.ok(compareVersions("0.1.0-dev", "0.1.1") < 0);
});

Deno.test("probeArgs() passes the STARTTLS protocol of an smtp:// target, and only a known one", () => {
  assert.deepEqual(probeArgs({ target: "smtp://mail.example.com" }, 5000), [
    "probe",
    "mail.example.com:25",
    "--timeout",
    "5",
    "--starttls",
    "smtp",
  ]);
  assert.throws(
    () => probeArgs({ target: "mail.example.com", starttls: "--exec" }, 5000),
    (e: Error & { code?: string }) => e.code === "BAD_INPUT",
  );
});

Deno.test("commandLine() gives the line a person would type, shell-quoted, without the extension's flags", () => {
  assert.equal(
    commandLine({ target: "localhost:8443", caFile: "/tmp/my ca.pem", alpn: "h2" }),
    "tlsprobe probe localhost:8443 --cafile '/tmp/my ca.pem' --alpn h2",
  );
  assert.equal(
    commandLine({ kind: "scan", target: "[::1]:443", serverName: "it's" }),
    `tlsprobe scan '[::1]:443' --servername 'it'\\''s'`,
  );
  assert.throws(() => commandLine({ target: "--cafile" }), CliClientError);
});

Deno.test("startLab() runs the real lab on a free range; stop() closes every port", async () => {
  const cli = resolveCli({ envPath: DENO_DIR, searchRoots: [ROOT] });
  const base = await freeBasePort(40);
  const lab = await startLab(cli, base, { timeoutMs: 120_000 });
  let stopped = false;
  try {
    const served = lab.index.endpoints.filter((e) => e.served);
    assert.ok(served.length >= 21, `${served.length} endpoints served`);
    assert.equal(lab.index.port, base);
    const ports = [lab.index.port, ...served.map((e) => e.port!)];
    assert.deepEqual(
      ports,
      ports.map((_, i) => base + i),
      "consecutive from the base port",
    );
    for (const p of [base, served[1].port!, ports.at(-1)!]) {
      assert.ok(await accepts(p), `nothing listens on ${p}`);
    }
    // A second lab on the same base port: the CLI's own coded error, and no child left.
    await assert.rejects(startLab(cli, base, { timeoutMs: 120_000 }), (e) => {
      assert.ok(e instanceof CliReportedError, String(e));
      assert.equal(e.error.code, "USAGE");
      assert.match(e.error.message, /in use/);
      return true;
    });
    await lab.stop();
    stopped = true;
    assert.ok(!alive(lab.pid), "the lab's process still runs");
    for (const p of ports) {
      assert.equal(await accepts(p), false, `port ${p} still open`);
    }
  } finally {
    if (!stopped) await lab.stop();
  }
});

Deno.test("startLab() reports a CLI that exits without an index, and a missing one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const broken = await fakeCli(
      dir,
      "tlsprobe",
      "echo 'segfault' >&2; exit 3",
    );
    await assert.rejects(
      startLab({ command: broken, prefix: [], source: "setting" }, 0, {
        timeoutMs: 10_000,
      }),
      (e) => {
        assert.ok(e instanceof CliClientError);
        assert.equal(e.code, "CLI_OUTPUT");
        assert.match(e.message, /exit 3.*segfault/);
        return true;
      },
    );
    const stall = await fakeCli(
      dir,
      "stall",
      "echo '{\"schemaVersion\":1,'; exec sleep 30",
    );
    await rejectsWith(
      startLab({ command: stall, prefix: [], source: "setting" }, 0, {
        timeoutMs: 1500,
      }),
      "TIMEOUT",
    );
    await rejectsWith(
      startLab(
        { command: path.join(dir, "absent"), prefix: [], source: "setting" },
        0,
        {
          timeoutMs: 10_000,
        },
      ),
      "SPAWN",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
