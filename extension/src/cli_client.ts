/**
 * The one module that knows tlsprobe's command line: it finds the binary,
 * spawns it with `--json`, bounds it with a timeout and a cancel signal,
 * checks the envelope's `schemaVersion` and the CLI's version, and returns
 * typed results. No `vscode` import (settings come in as arguments), so Deno
 * tests run it against the real CLI.
 *
 * @module
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import {
  type CliEnvelope,
  type CliError,
  formatTarget,
  parseCliJson,
  parseTarget,
  type ProbeReport,
  ReportFormatError,
} from "./pure/report.ts";
import { STARTTLS_PROTOCOLS } from "../../core/starttls/mod.ts";
import type { ProbeRequest } from "./pure/panel_model.ts";
import { parseProgressLine, type ScanProgressLine, type ScanReport } from "./pure/scan_view.ts";
import { type LabIndex, labPortRange, type LabStart, parseLabJson } from "./pure/lab_view.ts";

/** The oldest CLI whose `--json` output this extension reads. */
export const MIN_CLI_VERSION = "0.1.0";

/** How to start the CLI. */
export interface CliCommand {
  /** The executable. */
  command: string;
  /** Arguments placed before the subcommand (`run … cli/main.ts` for Deno). */
  prefix: string[];
  /** Working directory, when it matters (the repository for `deno run`). */
  cwd?: string;
  /** Extra environment (the bundled runtime's launch settings). */
  env?: Record<string, string>;
  /** How it was found, for messages: `setting`, `PATH`, `bundled` or `repository`. */
  source: "setting" | "PATH" | "bundled" | "repository";
}

/** Codes of failures that happen before or around the CLI, not inside it. */
export type ClientErrorCode =
  | "CLI_NOT_FOUND"
  | "CLI_OUTPUT"
  | "CANCELLED"
  | "TIMEOUT"
  | "SPAWN"
  | "BAD_INPUT";

/** A failure of the extension's side of the boundary. */
export class CliClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly stderr = "",
  ) {
    super(message);
    this.name = "CliClientError";
  }

  /** The `{code, message}` form the panel renders. */
  toCliError(): CliError {
    return { code: this.code, message: this.message };
  }
}

/** A failure the CLI itself reported (its `{code, message}`), e.g. `USAGE` for a port in use. */
export class CliReportedError extends Error {
  constructor(readonly error: CliError, readonly stderr = "") {
    super(error.message);
    this.name = "CliReportedError";
  }

  /** The `{code, message}` form the panel renders. */
  toCliError(): CliError {
    return this.error;
  }
}

/** Where to look for the CLI. */
export interface ResolveOptions {
  /** The `tlsprobe.path` setting. */
  configuredPath?: string;
  /** The `PATH` to search (defaults to the process's). */
  envPath?: string;
  /** Folders that may be inside the tlsprobe repository (extension, workspace). */
  searchRoots?: string[];
  /**
   * The `runtime/` folder of a platform-specific package (Deno runtime, the
   * CLI bundle and `lib/launch.json`), used when neither the setting nor
   * `PATH` gives a CLI.
   */
  bundledDir?: string;
}

/** What `deno task dist` writes to `runtime/lib/launch.json`. */
interface LaunchSpec {
  version: string;
  deno: string;
  args: string[];
  env?: Record<string, string>;
}

/**
 * The bundled CLI of a platform-specific package, if this package has one.
 *
 * @param dir the package's `runtime/` folder
 * @returns how to start it, or undefined when absent or unreadable
 */
export function bundledCli(dir: string): CliCommand | undefined {
  let spec: LaunchSpec;
  try {
    spec = JSON.parse(
      fs.readFileSync(path.join(dir, "lib", "launch.json"), "utf8"),
    );
  } catch {
    return undefined;
  }
  if (typeof spec.deno !== "string" || !Array.isArray(spec.args)) {
    return undefined;
  }
  const deno = path.join(dir, spec.deno);
  if (!fs.existsSync(deno)) return undefined;
  if (process.platform !== "win32" && !isExecutable(deno)) {
    // A .vsix may lose the executable bit on the way.
    try {
      fs.chmodSync(deno, 0o755);
    } catch {
      return undefined;
    }
  }
  return {
    command: deno,
    prefix: spec.args.map((a) => String(a).replaceAll("${here}", dir)),
    env: spec.env,
    source: "bundled",
  };
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds an executable on a `PATH` string.
 *
 * @param name the executable's name
 * @param envPath the `PATH` value
 * @returns its absolute path, or undefined
 */
export function which(
  name: string,
  envPath: string | undefined,
): string | undefined {
  for (const dir of (envPath ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

/**
 * The tlsprobe repository containing `start`, if any: a folder with
 * `deno.json` and `cli/main.ts`.
 *
 * @param start any folder
 * @returns the repository root, or undefined
 */
export function findRepository(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    if (
      fs.existsSync(path.join(dir, "deno.json")) &&
      fs.existsSync(path.join(dir, "cli", "main.ts"))
    ) {
      return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Finds the CLI: the `tlsprobe.path` setting, else `tlsprobe` on `PATH`,
 * else the package's bundled runtime and CLI, else `deno run cli/main.ts`
 * when a search root is inside the repository (the caller passes only roots
 * it trusts: never an untrusted workspace's folders).
 *
 * @param opts the setting, `PATH` and search roots
 * @returns how to start it
 * @throws CliClientError `CLI_NOT_FOUND` with what to do next
 */
export function resolveCli(opts: ResolveOptions): CliCommand {
  const envPath = opts.envPath ?? process.env.PATH;
  const configured = opts.configuredPath?.trim();
  if (configured) {
    if (!isExecutable(configured)) {
      throw new CliClientError(
        "CLI_NOT_FOUND",
        `The setting tlsprobe.path is ${configured}, which is not an executable file. ` +
          "Fix the setting or clear it to use tlsprobe from PATH.",
      );
    }
    return { command: configured, prefix: [], source: "setting" };
  }
  const onPath = which("tlsprobe", envPath);
  if (onPath) return { command: onPath, prefix: [], source: "PATH" };
  const bundled = opts.bundledDir ? bundledCli(opts.bundledDir) : undefined;
  if (bundled) return bundled;
  for (const root of opts.searchRoots ?? []) {
    const repo = findRepository(root);
    if (!repo) continue;
    const deno = which("deno", envPath);
    if (!deno) {
      throw new CliClientError(
        "CLI_NOT_FOUND",
        `This is the tlsprobe repository (${repo}) but deno is not on PATH. ` +
          "Install Deno 2.9 or set tlsprobe.path to a tlsprobe binary.",
      );
    }
    // The CLI's runtime settings (e.g. DENO_TLS_CA_STORE), as `deno task` passes them.
    const envFile = path.join(repo, "cli", "runtime.env");
    return {
      command: deno,
      prefix: [
        "run",
        "--quiet",
        ...(fs.existsSync(envFile) ? [`--env-file=${envFile}`] : []),
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        "--allow-sys",
        "--config",
        path.join(repo, "deno.json"),
        path.join(repo, "cli", "main.ts"),
      ],
      cwd: repo,
      source: "repository",
    };
  }
  throw new CliClientError(
    "CLI_NOT_FOUND",
    "tlsprobe was not found: this package carries no CLI and none is on PATH. " +
      "Install the platform-specific package (tlsprobe-<version>-<platform>.vsix) or the " +
      "portable archive, or set tlsprobe.path to a tlsprobe executable.",
  );
}

/**
 * Compares dotted versions (`0.10.0` > `0.9.1`); a pre-release suffix is ignored.
 *
 * @param a a version
 * @param b another
 * @returns negative, zero or positive
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[-+]/)[0].split(".").map((x) => Number(x) || 0);
  const pb = b.split(/[-+]/)[0].split(".").map((x) => Number(x) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Bounds on one run. */
export interface RunOptions {
  /** Milliseconds before the child is killed. */
  timeoutMs: number;
  /** Cancels the run (kills the child). */
  signal?: AbortSignal;
  /** Receives each line the CLI writes on stderr, as it comes (lines over 4 KiB are cut). */
  onStderrLine?: (line: string) => void;
}

/** The longest stderr line handed to `onStderrLine` (a longer one is cut there). */
const MAX_STDERR_LINE = 4096;

/** Receives one line per CLI run (the extension's "tlsprobe" output channel). */
export type CliLogger = (level: "info" | "warn", line: string) => void;
let cliLogger: CliLogger | undefined;

/**
 * Sets where each run's command line, exit status and duration are written.
 *
 * @param logger the sink, or undefined for none
 */
export function setCliLogger(logger: CliLogger | undefined): void {
  cliLogger = logger;
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
}

/** What one run produced. */
export interface CliRun<T extends CliEnvelope = CliEnvelope> {
  result: T;
  exitCode: number | null;
  stderr: string;
  durationMs: number;
}

function killTree(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    // The child leads its own process group (detached), so a wrapper script
    // and the deno process under it both get the signal.
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** `CLI_OUTPUT` for output that is not the JSON expected, with the last lines of stderr. */
function outputError(e: unknown, stderr: string): CliClientError {
  const msg = e instanceof ReportFormatError ? e.message : String(e);
  const tail = stderr.trim().split("\n").slice(-3).join(" ");
  return new CliClientError("CLI_OUTPUT", tail ? `${msg} (${tail})` : msg, stderr);
}

/**
 * Runs `tlsprobe <args> --json` and returns its parsed envelope, whatever
 * the exit status (the CLI reports its own failures as `outcome: "error"`).
 *
 * @param cli how to start the CLI (from {@link resolveCli})
 * @param args subcommand and its arguments, without `--json`
 * @param opts timeout and cancel signal
 * @returns the envelope, exit status and stderr
 * @throws CliClientError `TIMEOUT`, `CANCELLED`, `SPAWN` or `CLI_OUTPUT`
 */
export function runCli(
  cli: CliCommand,
  args: string[],
  opts: RunOptions,
): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new CliClientError("CANCELLED", "Cancelled."));
      return;
    }
    const child = spawn(cli.command, [...cli.prefix, ...args, "--json"], {
      cwd: cli.cwd,
      env: { ...process.env, ...cli.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let ended: ClientErrorCode | undefined;
    child.stdout.on("data", (b: Buffer) => out.push(b));
    let partial = "";
    child.stderr.on("data", (b: Buffer) => {
      err.push(b);
      if (!opts.onStderrLine) return;
      const lines = (partial + b.toString("utf8")).split("\n");
      partial = lines.pop()!.slice(0, MAX_STDERR_LINE);
      for (const l of lines) {
        try {
          opts.onStderrLine(l.slice(0, MAX_STDERR_LINE));
        } catch {
          // a listener's failure is not the run's
        }
      }
    });
    const stop = (why: ClientErrorCode) => {
      if (ended) return;
      ended = why;
      killTree(child.pid, "SIGTERM");
      setTimeout(() => killTree(child.pid, "SIGKILL"), 2000).unref();
    };
    const timer = setTimeout(() => stop("TIMEOUT"), opts.timeoutMs);
    const onAbort = () => stop("CANCELLED");
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (e) => {
      cliLogger?.("warn", `${cli.command} could not be started: ${e.message}`);
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      reject(
        new CliClientError(
          "SPAWN",
          `Cannot start ${cli.command}: ${e.message}`,
        ),
      );
    });
    const argv = [cli.command, ...cli.prefix, ...args, "--json"].map(quoteArg).join(" ");
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      cliLogger?.(
        exitCode === 0 ? "info" : "warn",
        `${argv} → ${ended ?? `exit ${exitCode}`} in ${Date.now() - started} ms (${cli.source})`,
      );
      const stderr = Buffer.concat(err).toString("utf8");
      if (ended === "TIMEOUT") {
        reject(
          new CliClientError(
            "TIMEOUT",
            `tlsprobe did not finish within ${opts.timeoutMs} ms and was stopped. ` +
              "Raise tlsprobe.timeout if the server is slow.",
            stderr,
          ),
        );
        return;
      }
      if (ended === "CANCELLED") {
        reject(new CliClientError("CANCELLED", "Cancelled.", stderr));
        return;
      }
      let result: CliEnvelope;
      try {
        result = parseCliJson(Buffer.concat(out).toString("utf8"));
      } catch (e) {
        reject(outputError(e, stderr));
        return;
      }
      const version = result.tool?.version;
      if (version && compareVersions(version, MIN_CLI_VERSION) < 0) {
        reject(
          new CliClientError(
            "CLI_OUTPUT",
            `tlsprobe ${version} is older than ${MIN_CLI_VERSION}, the oldest this extension supports. Update it.`,
            stderr,
          ),
        );
        return;
      }
      resolve({ result, exitCode, stderr, durationMs: Date.now() - started });
    });
  });
}

/**
 * The command line of a probe (`probe HOST:PORT` and its options).
 *
 * @param req the form's fields
 * @param timeoutMs the CLI's own network timeout, in milliseconds
 * @returns the arguments, without `--json`
 * @throws CliClientError `BAD_INPUT` when the target is not host:port
 */
export function probeArgs(req: ProbeRequest, timeoutMs: number): string[] {
  // The CLI's --timeout is in seconds (like `connect`'s).
  const seconds = Math.max(1, Math.floor(timeoutMs / 1000));
  // Only a well-formed host:port reaches the command line: a target from
  // the webview starting with "-" must not be read as an option.
  const target = parseTarget(req.target);
  if (!target) {
    throw new CliClientError(
      "BAD_INPUT",
      `Not a target: ${
        JSON.stringify(req.target)
      }. Enter host:port, [ipv6]:port or an https:// URL.`,
    );
  }
  const args = ["probe", formatTarget(target), "--timeout", String(seconds)];
  if (req.caFile) args.push("--cafile", req.caFile);
  if (req.certFile) args.push("--cert", req.certFile);
  if (req.keyFile) args.push("--key", req.keyFile);
  if (req.alpn) args.push("--alpn", req.alpn);
  if (req.serverName) args.push("--servername", req.serverName);
  // Only a protocol tlsprobe knows reaches the command line (never an option).
  const starttls = req.starttls ?? target.starttls;
  if (starttls) {
    if (!(STARTTLS_PROTOCOLS as readonly string[]).includes(starttls)) {
      throw new CliClientError("BAD_INPUT", `Not a STARTTLS protocol: ${JSON.stringify(starttls)}`);
    }
    args.push("--starttls", starttls);
  }
  return args;
}

/**
 * The command line a person would type for a probe or scan from the panel
 * (`tlsprobe probe HOST:PORT --cafile …`), shell-quoted: "copy as command line".
 *
 * @param req the form's fields
 * @returns one line, without `--json` and the extension's `--timeout`
 * @throws CliClientError `BAD_INPUT` when the target is not host:port
 */
export function commandLine(req: ProbeRequest): string {
  const args = req.kind === "scan" ? scanArgs(req, 1000) : probeArgs(req, 1000);
  const t = args.indexOf("--timeout");
  if (t >= 0) args.splice(t, 2);
  const q = args.indexOf("--quiet");
  if (q >= 0) args.splice(q, 1);
  const p = args.indexOf("--progress");
  if (p >= 0) args.splice(p, 2);
  return ["tlsprobe", ...args].map(quoteArg).join(" ");
}

/**
 * Probes an endpoint with the CLI.
 *
 * @param cli how to start the CLI
 * @param req the form's fields
 * @param opts timeout and cancel signal; the CLI gets a slightly shorter
 *   network timeout so it can report `TIMEOUT` itself
 * @returns the report (its `outcome` may be `error`)
 */
export async function probe(
  cli: CliCommand,
  req: ProbeRequest,
  opts: RunOptions,
): Promise<CliRun<ProbeReport>> {
  const inner = Math.max(500, opts.timeoutMs - 2000);
  return await runCli(cli, probeArgs(req, inner), opts) as CliRun<ProbeReport>;
}

/**
 * The command line of a scan (`scan HOST:PORT` and its options).
 *
 * @param req the form's fields
 * @param timeoutMs the CLI's per-handshake timeout, in milliseconds
 * @returns the arguments, without `--json`
 * @throws CliClientError `BAD_INPUT` when the target is not host:port
 */
export function scanArgs(req: ProbeRequest, timeoutMs: number): string[] {
  const probeLine = probeArgs(req, timeoutMs);
  // Progress as JSON lines on stderr, read while the scan runs; no terminal bar.
  const args = ["scan", ...probeLine.slice(1), "--quiet", "--progress", "json"];
  const i = args.indexOf("--alpn"); // scan tries its own ALPN list
  if (i >= 0) args.splice(i, 2);
  return args;
}

/**
 * Scans an endpoint with the CLI (`tlsprobe scan --json`).
 *
 * @param cli how to start the CLI
 * @param req the form's fields
 * @param opts overall timeout and cancel signal (cancel kills the CLI), and
 *   `onProgress` for each handshake's `{done, total, phase}`
 * @returns the scan report (its `outcome` may be `error`)
 */
export async function scan(
  cli: CliCommand,
  req: ProbeRequest,
  opts: RunOptions & { onProgress?: (p: ScanProgressLine) => void },
): Promise<CliRun<ScanReport>> {
  const perHandshake = Math.min(5000, Math.max(1000, opts.timeoutMs / 4));
  const onProgress = opts.onProgress;
  const onStderrLine = onProgress
    ? (line: string) => {
      const p = parseProgressLine(line);
      if (p) onProgress(p);
    }
    : undefined;
  const args = scanArgs(req, perHandshake);
  return await runCli(cli, args, { ...opts, onStderrLine }) as CliRun<ScanReport>;
}

/**
 * Decodes a certificate file with `tlsprobe cert FILE --json`.
 *
 * @param cli how to start the CLI
 * @param file a PEM or DER file
 * @param opts timeout and cancel signal
 * @returns the envelope (certificate fields as the CLI reports them)
 */
export async function certificate(
  cli: CliCommand,
  file: string,
  opts: RunOptions,
): Promise<CliRun> {
  return await runCli(cli, ["cert", file], opts);
}

/**
 * A base port with `span` free consecutive TCP ports on `host` above it (the
 * lab's index and endpoints), found by listening on each for a moment. Another
 * program may take one before the lab does: the caller retries.
 *
 * @param span how many consecutive ports
 * @param host the address to check
 * @returns the base port
 * @throws CliClientError `SPAWN` when none was found in 20 tries
 */
export async function freeBasePort(
  span: number,
  host = "127.0.0.1",
): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once("error", () => resolve(false));
      s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 20; attempt++) {
    // Below Linux's ephemeral range (32768–60999), so outgoing connections rarely collide.
    const base = 20000 + Math.floor(Math.random() * (32000 - 20000 - span));
    let ok = true;
    for (let p = base; p < base + span && ok; p++) ok = await free(p);
    if (ok) return base;
  }
  throw new CliClientError(
    "SPAWN",
    `No ${span} free consecutive ports found on ${host}.`,
  );
}

/** A running `tlsprobe serve --lab`. */
export interface LabProcess {
  /** Its index: host, ports, CA, endpoints. */
  index: LabIndex;
  /** The child's process id (it leads its own process group). */
  pid: number;
  /** Settles with the exit status when the child ends, for whatever reason. */
  exited: Promise<number | null>;
  /** Stops the lab (SIGTERM to its process group, SIGKILL after 3 s) and waits for the end. */
  stop(): Promise<void>;
}

/**
 * Starts `tlsprobe serve --lab --json --port BASE` and waits for its index.
 * The child keeps running (it is the lab) until {@link LabProcess.stop}, or
 * until this process ends: it holds the pipe to the child's standard input
 * (`--exit-with-stdin`).
 *
 * @param cli how to start the CLI
 * @param basePort the index page's port (endpoints above it); 0: any free ports
 * @param opts how long start-up may take (the lab makes its PKI first) and a cancel signal
 * @returns the running lab
 * @throws CliReportedError with the CLI's own code (`USAGE` for a port in use);
 *   CliClientError `TIMEOUT`, `CANCELLED`, `SPAWN` or `CLI_OUTPUT`
 */
export function startLab(
  cli: CliCommand,
  basePort: number,
  opts: RunOptions,
): Promise<LabProcess> {
  const started = Date.now();
  // --exit-with-stdin: the lab ends when the pipe to its standard input
  // closes, so it cannot outlive this process, even one killed by SIGKILL.
  const args = ["serve", "--lab", "--port", String(basePort), "--json", "--exit-with-stdin"];
  const argv = [cli.command, ...cli.prefix, ...args].map(quoteArg).join(" ");
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new CliClientError("CANCELLED", "Cancelled."));
      return;
    }
    const child = spawn(cli.command, [...cli.prefix, ...args], {
      cwd: cli.cwd,
      env: { ...process.env, ...cli.env, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    // Nothing is written: the pipe is held open until this process ends.
    child.stdin.on("error", () => {/* the lab ended first */});
    let stdout = "";
    let stderr = "";
    let settled = false;
    const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killTree(child.pid, "SIGTERM");
      const hard = setTimeout(() => killTree(child.pid, "SIGKILL"), 3000);
      await exited;
      clearTimeout(hard);
    };
    const fail = (e: CliClientError | CliReportedError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      cliLogger?.(
        "warn",
        `${argv} → ${e.toCliError().code} in ${Date.now() - started} ms (${cli.source})`,
      );
      void stop();
      reject(e);
    };
    const timer = setTimeout(
      () =>
        fail(
          new CliClientError(
            "TIMEOUT",
            `The test lab did not start within ${opts.timeoutMs} ms and was stopped.`,
            stderr,
          ),
        ),
      opts.timeoutMs,
    );
    const onAbort = () => fail(new CliClientError("CANCELLED", "Cancelled.", stderr));
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    // Reads what was printed so far; true once it settled the promise.
    const tryIndex = (final: boolean): void => {
      if (settled || stdout.trim() === "") return;
      let got: LabStart;
      try {
        got = parseLabJson(stdout);
      } catch (e) {
        if (!final) return; // not all of it yet
        fail(outputError(e, stderr));
        return;
      }
      if ("error" in got) {
        fail(new CliReportedError(got.error, stderr));
        return;
      }
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      const [lo, hi] = labPortRange(got.index);
      cliLogger?.(
        "info",
        `${argv} → lab running on ports ${lo}–${hi} after ${
          Date.now() - started
        } ms (${cli.source})`,
      );
      void exited.then((code) =>
        cliLogger?.(
          "info",
          `${argv} → lab ended (exit ${code ?? child.signalCode})`,
        )
      );
      resolve({ index: got.index, pid: child.pid!, exited, stop });
    };
    child.stdout.on("data", (b: Buffer) => {
      // One object, then nothing: cap what is kept from a CLI that floods.
      if (stdout.length < 1 << 20) stdout += b.toString("utf8");
      tryIndex(false);
    });
    child.stderr.on("data", (b: Buffer) => {
      if (stderr.length < 1 << 16) stderr += b.toString("utf8");
    });
    child.on(
      "error",
      (e) =>
        fail(
          new CliClientError(
            "SPAWN",
            `Cannot start ${cli.command}: ${e.message}`,
          ),
        ),
    );
    child.on("close", (code) => {
      tryIndex(true);
      const tail = stderr.trim().split("\n").slice(-3).join(" ");
      fail(
        new CliClientError(
          "CLI_OUTPUT",
          `tlsprobe serve --lab ended (exit ${code}) before printing its index` +
            (tail ? `: ${tail}` : "."),
          stderr,
        ),
      );
    });
  });
}
