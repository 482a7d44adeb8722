/**
 * Stopping a long-running command cleanly: SIGINT and SIGTERM abort it (exit
 * 130 and 143 once it has closed what it holds), and so does the death of a
 * launcher above it (`npx` stopped by the PID the shell gave leaves `deno
 * task` and its child behind: the child notices and stops).
 *
 * @module
 */

/** The conventional exit statuses (128 + signal number). */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** The exit status after `--exit-with-stdin` saw standard input end: a requested stop. */
export const STDIN_EOF_EXIT = 0;

/** Options of {@link stopSignals}. */
export interface StopOptions {
  /**
   * Also stop when standard input reaches end-of-file (`--exit-with-stdin`):
   * a parent that holds the write end of a pipe ends its child by dying,
   * even by SIGKILL. What arrives on standard input is read and dropped.
   */
  stdinEof?: boolean;
}

/** A stop request: the signal to abort with, and the status to exit with. */
export interface StopSignals {
  signal: AbortSignal;
  /** 130 or 143 once a stop was requested, else undefined. */
  exitCode(): number | undefined;
  /** Removes the listeners and the watch. */
  dispose(): void;
}

async function ps(args: string[]): Promise<string> {
  const r = await new Deno.Command("ps", { args, stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(r.stdout);
}

/**
 * The launchers above this process when it runs as `npx … deno task …`
 * (`deno task`, `sh -c`, `npm exec`), read with `ps` (reading /proc needs all
 * permissions in Deno; `ps` needs only --allow-run, which the task grants).
 * Empty when the parent is not `deno task` under npm: a plain `deno task`
 * forwards signals itself.
 */
async function launchers(): Promise<number[]> {
  const table = new Map<number, { ppid: number; args: string }>();
  for (const line of (await ps(["-e", "-o", "pid=,ppid=,args="])).split("\n")) {
    const m = line.match(/^\s*(\d+)\s+(\d+)\s+(.*)$/);
    if (m) table.set(Number(m[1]), { ppid: Number(m[2]), args: m[3].trim() });
  }
  const chain: number[] = [];
  let pid = Deno.ppid;
  const task = table.get(pid);
  if (!task || !/(^|\/)deno task /.test(task.args)) return [];
  for (let i = 0; i < 4 && pid > 1; i++) {
    const st = table.get(pid);
    if (!st) break;
    chain.push(pid);
    if (/^(npm exec|npx) /.test(st.args)) return chain;
    if (i > 0 && !/^(sh|bash|dash)( |$)/.test(st.args)) break;
    pid = st.ppid;
  }
  return [];
}

/** Whether each process still runs (a zombie counts as gone). */
async function allAlive(pids: number[]): Promise<boolean> {
  const out = await ps(["-o", "pid=,stat=", "-p", pids.join(",")]);
  const states = new Map<number, string>();
  for (const line of out.split("\n")) {
    const m = line.match(/^\s*(\d+)\s+(\S+)/);
    if (m) states.set(Number(m[1]), m[2]);
  }
  return pids.every((p) => states.has(p) && !states.get(p)!.startsWith("Z"));
}

/**
 * Listens for SIGINT/SIGTERM and watches the launchers above (and standard
 * input, with `stdinEof`).
 *
 * @param opts also stop at standard input's end-of-file
 * @returns the abort signal and the exit status to use
 */
export function stopSignals(opts: StopOptions = {}): StopSignals {
  const ac = new AbortController();
  let code: number | undefined;
  const stop = (c: number) => () => {
    code ??= c;
    ac.abort();
  };
  const onInt = stop(SIGNAL_EXIT.SIGINT), onTerm = stop(SIGNAL_EXIT.SIGTERM);
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  let watch: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const poll = (above: number[]) => {
    watch = setTimeout(async () => {
      if (disposed) return;
      if (!(await allAlive(above).catch(() => true))) onTerm();
      else poll(above);
    }, 300);
  };
  if (opts.stdinEof) {
    // A read error (standard input closed under us) ends the run the same way.
    const onEof = () => {
      if (!disposed) stop(STDIN_EOF_EXIT)();
    };
    watchStdin(() => disposed).then(onEof, onEof);
  }
  launchers().then((above) => {
    if (!disposed && above.length) poll(above);
  }).catch(() => {/* no ps, or not allowed: signals only */});
  return {
    signal: ac.signal,
    exitCode: () => code,
    dispose: () => {
      disposed = true;
      clearTimeout(watch);
      Deno.removeSignalListener("SIGINT", onInt);
      Deno.removeSignalListener("SIGTERM", onTerm);
    },
  };
}

/**
 * Reads standard input to its end, dropping what comes (a fixed 4 KiB buffer:
 * a parent that writes forever costs no memory), and resolves there.
 */
async function watchStdin(disposed: () => boolean): Promise<void> {
  const buf = new Uint8Array(4096);
  while (!disposed()) {
    if (await Deno.stdin.read(buf) === null) return;
  }
}
