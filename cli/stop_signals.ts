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

/** A stop request: the signal to abort with, and the status to exit with. */
export interface StopSignals {
  signal: AbortSignal;
  /** 130 or 143 once a stop was requested, else undefined. */
  exitCode(): number | undefined;
  /** Removes the listeners and the watch. */
  dispose(): void;
}

/** The launchers whose death should stop us (the chain `npx → npm exec → sh → deno task`). */
const LAUNCHERS = /^(deno|node|npm|npx|sh|bash|dash)( |$)/;

function stat(pid: number): { ppid: number; comm: string; start: string } | undefined {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const close = s.lastIndexOf(")");
    const comm = s.slice(s.indexOf("(") + 1, close);
    const f = s.slice(close + 2).split(" ");
    return { ppid: Number(f[1]), comm, start: f[19] };
  } catch {
    return undefined;
  }
}

/** Launcher processes above this one (Linux /proc only; empty elsewhere). */
function launchers(): Array<{ pid: number; start: string }> {
  const out: Array<{ pid: number; start: string }> = [];
  let pid = Deno.ppid;
  for (let i = 0; i < 6 && pid > 1; i++) {
    const st = stat(pid);
    if (!st || !LAUNCHERS.test(st.comm)) break;
    out.push({ pid, start: st.start });
    pid = st.ppid;
  }
  return out;
}

/**
 * Listens for SIGINT/SIGTERM and watches the launchers above.
 *
 * @returns the abort signal and the exit status to use
 */
export function stopSignals(): StopSignals {
  const ac = new AbortController();
  let code: number | undefined;
  const stop = (c: number) => () => {
    code ??= c;
    ac.abort();
  };
  const onInt = stop(SIGNAL_EXIT.SIGINT), onTerm = stop(SIGNAL_EXIT.SIGTERM);
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  let above: Array<{ pid: number; start: string }> = [];
  try {
    above = launchers();
  } catch { /* no /proc access: signals only */ }
  const watch = above.length
    ? setInterval(() => {
      if (above.some((p) => stat(p.pid)?.start !== p.start)) onTerm();
    }, 200)
    : undefined;
  return {
    signal: ac.signal,
    exitCode: () => code,
    dispose: () => {
      clearInterval(watch);
      Deno.removeSignalListener("SIGINT", onInt);
      Deno.removeSignalListener("SIGTERM", onTerm);
    },
  };
}
