/**
 * Test helpers for real peers: start a process, wait until it says it is
 * ready, and stop it in `finally`.
 *
 * @module
 */
import * as nodeNet from "node:net";
import { launchArgs } from "../../tools/dist.ts";

/** A running peer process. */
export interface Peer {
  /** The port the peer listens on (when it printed one). */
  port: number;
  /** The process id (to read /proc/PID/fd, or to signal it). */
  pid: number;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Waits until the output matches, or throws after `ms` (default {@link PEER_WAIT_MS}). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Writes to the process's stdin. */
  write(text: string): Promise<void>;
  /** Stops the process (SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}) and waits for it. Safe to call twice. */
  stop(): Promise<void>;
  /** Resolves with the exit code when the process ends. */
  status: Promise<Deno.CommandStatus>;
}

/**
 * `openssl s_client`'s arguments without the system's trust store, unless
 * they name trust themselves (`-CAfile`, `-CApath`, `-CAstore`, `-verify…`,
 * or a `-no-CA…` switch). Otherwise s_client reads the system bundle at
 * start: 52 ms of CPU per run here against 18 ms without it (perf stat, 20
 * runs), for nothing, since no test peer's chain leads to a system root
 * (they are signed by the test CAs): the verify result it prints is the same
 * (20, unable to get the local issuer, or 18, self-signed). Other commands
 * are returned as they are.
 *
 * @param cmd the program
 * @param args its arguments
 * @returns the arguments to run it with
 */
export function withoutSystemTrust(cmd: string, args: string[]): string[] {
  if (cmd !== "openssl" || args[0] !== "s_client") return args;
  if (args.some((a) => /^-(no-)?CA(file|path|store)$|^-verify/.test(a))) return args;
  return [args[0], "-no-CAfile", "-no-CApath", "-no-CAstore", ...args.slice(1)];
}

/**
 * How long a peer may take to print its readiness line, or a line a test
 * waits for: a bound for a failure, not a wait (the line ends it at once).
 * Generous, since a CPU shared by the whole suite (load averages of 20 seen)
 * makes a `deno run` of the CLI take several seconds to start.
 */
export const PEER_WAIT_MS = 30_000;

/**
 * How long a peer has to exit after SIGTERM before it gets SIGKILL: a bound,
 * not a wait (the peers here exit at once on SIGTERM, the CLI after removing
 * what it made).
 */
export const STOP_GRACE_MS = 10_000;

/**
 * Starts a command and waits for a line matching `ready` (whose first capture
 * group, if any, is the port).
 *
 * @param cmd the program
 * @param args its arguments
 * @param opts `ready`: the readiness pattern; `timeoutMs`: how long to wait
 * @returns the running peer
 */
export async function startPeer(
  cmd: string,
  args: string[],
  opts: { ready: RegExp; timeoutMs?: number; env?: Record<string, string>; cwd?: string },
): Promise<Peer> {
  const child = new Deno.Command(cmd, {
    args: withoutSystemTrust(cmd, args),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
    cwd: opts.cwd,
  }).spawn();
  let text = "";
  const waiters: Array<() => void> = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      for (const w of waiters.splice(0)) w();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumps;
    for (const w of waiters.splice(0)) w();
    return s;
  });
  const writer = child.stdin.getWriter();
  let stopped = false;

  const waitFor = async (re: RegExp, ms = PEER_WAIT_MS): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + ms;
    while (true) {
      const m = text.match(re);
      if (m) return m;
      if (exited) {
        throw new Error(`${cmd} exited before printing ${re}:\n${text}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${cmd} did not print ${re} within ${ms} ms:\n${text}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await writer.close();
    } catch { /* already closed */ }
    // SIGTERM first, so a peer that cleans up on it (tlsprobe serve removes
    // its temporary lab files) can; SIGKILL if it is still there after
    // STOP_GRACE_MS (2 s was too short on a busy CPU: `serve --lab` was
    // killed mid-cleanup and left its /tmp/tlsprobe-lab-* directory).
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      let grace: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((r) => grace = setTimeout(r, STOP_GRACE_MS));
      await Promise.race([status, late]);
      clearTimeout(grace);
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }
    }
    await status;
  };

  let port = 0;
  try {
    const m = await waitFor(opts.ready, opts.timeoutMs ?? PEER_WAIT_MS);
    port = m[1] ? Number(m[1]) : 0;
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    port,
    pid: child.pid,
    output: () => text,
    waitFor,
    write: (s: string) => writer.write(new TextEncoder().encode(s)),
    stop,
    status,
  };
}

/**
 * Starts `openssl s_server` on 127.0.0.1 with an ephemeral port.
 *
 * @param args extra s_server arguments (certificate, versions, ciphers, …)
 * @returns the running peer with its port
 */
export function startOpensslServer(args: string[]): Promise<Peer> {
  return startPeer("openssl", ["s_server", "-accept", "127.0.0.1:0", ...args], {
    ready: /ACCEPT 127\.0\.0\.1:(\d+)/,
  });
}

/**
 * Maps `items` through `f` with at most `n` calls in flight (a worker pool:
 * a slow item holds up one slot, not a whole batch), keeping the order.
 *
 * @param items the inputs
 * @param n how many calls at once (subprocesses: keep it near the core count)
 * @param f the call
 * @returns the results, in the order of `items`
 */
export async function pool<T, R>(items: T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  }));
  return out;
}

/** Runs a command to completion and returns its output. */
export async function run(
  cmd: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(cmd, {
    args: withoutSystemTrust(cmd, args),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
    cwd: opts.cwd,
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const r = await child.output();
  const d = new TextDecoder();
  return { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
}

/** The repository root, as a path. */
export const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * The `tlsprobe` task's `--unstable-…` switches (deno.json): the CLI from
 * source loads as the task loads it (`--unstable-lazy-dynamic-imports`: a
 * verb's modules only when it runs, about 20% less CPU per run).
 */
const TASK_UNSTABLE: string[] = String(
  JSON.parse(Deno.readTextFileSync(ROOT + "deno.json")).tasks.tlsprobe,
).split(/\s+/).filter((w) => w.startsWith("--unstable-"));

/**
 * `TLSPROBE_TEST_CLI=DIR`: the CLI bundled once for the run (`deno task test`
 * builds it with `tools/dist.ts`'s `stageBundle`, laid out as the portable
 * archive unpacks it), which the tests' CLI children run instead of the
 * sources: the same code, about a fifth less CPU per child (no module graph
 * to resolve, no TypeScript to load). Unset: the CLI from source.
 */
export const TEST_CLI_ENV = "TLSPROBE_TEST_CLI";

/**
 * The `deno` arguments that run the CLI with every permission: the run's
 * bundle ({@link TEST_CLI_ENV}, with the launcher's arguments) or the
 * sources (`run … cli/main.ts`, with the task's `--unstable-…` switches and
 * env file). The CLI's arguments follow.
 *
 * @returns the words after `deno`
 */
export function cliArgs(): string[] {
  const bundle = Deno.env.get(TEST_CLI_ENV);
  if (bundle) {
    return launchArgs("cli/runtime.env", ["-A"], TASK_UNSTABLE).map((a) =>
      a.replaceAll("${here}", bundle)
    );
  }
  return ["run", ...TASK_UNSTABLE, `--env-file=${ROOT}cli/runtime.env`, "-A", ROOT + "cli/main.ts"];
}

/**
 * Runs the tlsprobe CLI (`deno run … cli/main.ts`, or the run's bundle: {@link cliArgs}).
 *
 * @param args the CLI arguments
 * @param opts stdin text and environment
 * @returns exit code and output
 */
export function tlsprobe(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(Deno.execPath(), [...cliArgs(), ...args], {
    ...opts,
    env: { NO_COLOR: "1", ...opts.env },
  });
}

/**
 * Starts the tlsprobe CLI ({@link cliArgs}) as a long-running peer (e.g. `serve`).
 *
 * @param args the CLI arguments
 * @param ready the readiness pattern (first group: the port)
 */
export function startTlsprobe(args: string[], ready: RegExp): Promise<Peer> {
  return startPeer(Deno.execPath(), [...cliArgs(), ...args], {
    ready,
    env: { NO_COLOR: "1" },
  });
}

/**
 * The `tlsprobe` task's command line from deno.json (`run --env-file=… --allow-net … cli/main.ts`),
 * without the leading `deno`, so tests run the CLI with exactly the task's permissions (not -A).
 *
 * @returns the words after `deno`, to run from {@link ROOT}
 */
export async function taskWords(): Promise<string[]> {
  const deno = JSON.parse(await Deno.readTextFile(ROOT + "deno.json"));
  const words = String(deno.tasks.tlsprobe).trim().split(/\s+/);
  if (words[0] !== "deno") throw new Error(`Unexpected tlsprobe task: ${deno.tasks.tlsprobe}`);
  return words.slice(1);
}

/**
 * Runs the CLI exactly as `deno task tlsprobe` does (same permission flags, from the repository
 * root), with optional stdin text.
 *
 * @param args the CLI arguments
 * @param opts stdin text and environment
 * @returns exit code and output
 */
export async function tlsprobeAsTask(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(Deno.execPath(), [...await taskWords(), ...args], {
    ...opts,
    cwd: ROOT,
    env: { NO_COLOR: "1", ...opts.env },
  });
}

/**
 * Whether a peer program is installed; when it is not, says so once on stderr
 * so a skipped test is never silent. Use as `ignore: !(await havePeer("gnutls-serv"))`.
 *
 * @param cmd the program
 * @returns true when it can be run
 */
export async function havePeer(cmd: string): Promise<boolean> {
  let found = false;
  try {
    found = (await run("sh", ["-c", `command -v ${cmd}`])).code === 0;
  } catch {
    found = false;
  }
  if (!found) {
    console.error(
      `skipping the tests that need ${cmd}: it is not installed (apt-get install ${
        cmd === "gnutls-serv" ? "gnutls-bin" : cmd
      })`,
    );
  }
  return found;
}

/**
 * A loopback port where nothing listens: a client that got as far as
 * connecting there would fail with CONNECTION_REFUSED. It lies above the
 * kernel's ephemeral range (Linux's `ip_local_port_range`), which the kernel
 * never hands out for port 0: a free ephemeral port released for the test
 * could be given to another test's listener before the client connected
 * (and the client would reach it), but this one stays free, as nothing in
 * the suite binds a fixed port. Checked free by binding it once.
 *
 * @returns the port, as text for a command line
 */
export function closedPort(): string {
  let above = 0;
  try {
    above = Number(
      Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim().split(/\s+/)[1],
    );
  } catch { /* not Linux: an ephemeral port, released */ }
  for (let i = 0; above > 0 && above < 65535 && i < 20; i++) {
    const port = above + 1 + Math.floor(Math.random() * (65535 - above));
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return String(port);
    } catch { /* something listens there: another */ }
  }
  return String(freePort());
}

/**
 * A TCP port free right now on 127.0.0.1 (bound to port 0, then released),
 * for a server that cannot listen on port 0 and say where: another process
 * may take it before the server binds it, so start such servers with
 * {@link startOnFreePort}, which tries again on another port.
 *
 * @returns the port
 */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Starts a server that must be told its port (it cannot listen on port 0 and
 * print the one it got) on a free port; when another process took that port
 * between {@link freePort} and the server's bind, stops it and starts it
 * again on another (a taken port then neither fails the test nor, worse,
 * points it at that other process).
 *
 * @param cmd the program
 * @param args its arguments for a port
 * @param opts `ready`: the line it prints once it listens, or once it has
 *   failed to; `busy`: what it prints when the port is taken
 * @returns the running peer, its `port` set
 */
export async function startOnFreePort(
  cmd: string,
  args: (port: number) => string[],
  opts: { ready: RegExp; busy: RegExp; env?: Record<string, string>; cwd?: string },
): Promise<Peer> {
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    let peer: Peer;
    try {
      peer = await startPeer(cmd, args(port), {
        ready: new RegExp(`(?:${opts.ready.source})|(?:${opts.busy.source})`),
        env: opts.env,
        cwd: opts.cwd,
      });
    } catch (e) {
      if (attempt < 5 && opts.busy.test(String(e))) continue;
      throw e;
    }
    if (!opts.busy.test(peer.output())) return { ...peer, port };
    await peer.stop();
    if (attempt >= 5) {
      throw new Error(`${cmd} found ${attempt} free ports taken:\n${peer.output()}`);
    }
  }
}

/**
 * Starts `gnutls-serv --http` with a certificate and a priority string on a
 * free loopback port, ready when it says it listens.
 *
 * @param cert the certificate file
 * @param key its key file
 * @param priority the GnuTLS priority string (`NORMAL:-VERS-TLS1.3`, …)
 * @returns the running peer (its `port` set)
 */
export function startGnutlsServer(
  cert: string,
  key: string,
  priority: string,
): Promise<Peer> {
  return startOnFreePort("gnutls-serv", (port) => [
    "--http",
    "--x509certfile",
    cert,
    "--x509keyfile",
    key,
    "--priority",
    priority,
    "-p",
    String(port),
  ], GNUTLS_LISTENS);
}

/**
 * gnutls-serv's lines once it has tried the port on IPv4 (`…done`, or
 * `…bind() failed: Address already in use`, after which it goes on serving
 * IPv6 alone): the tests reach it on 127.0.0.1.
 */
export const GNUTLS_LISTENS: { ready: RegExp; busy: RegExp } = {
  ready: /listening on IPv4 [^\n]*\.\.\.done/,
  busy: /listening on IPv4 [^\n]*\.\.\.[^\n]*failed/,
};

/**
 * Whether something accepts TCP connections on 127.0.0.1:`port`.
 *
 * @param port the port
 * @returns true when a connection was accepted
 */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = nodeNet.connect(port, "127.0.0.1", () => {
      c.destroy();
      resolve(true);
    }).on("error", () => resolve(false));
  });
}

/**
 * Whether a process still runs (a zombie waiting for its reaper does not).
 *
 * @param pid the process id
 * @returns true while it runs
 */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
