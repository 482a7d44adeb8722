/**
 * Output helpers for the CLI: text for people (colour unless `NO_COLOR`),
 * one JSON object for programs, errors as one line on stderr.
 *
 * @module
 */
import type { TlsprobeError } from "../core/errors.ts";
import { envelope } from "../core/report/envelope.ts";

const encoder = new TextEncoder();

/** Whether colour may be used on a stream (NO_COLOR honoured, TTY only). */
export function useColor(rid: "stdout" | "stderr" = "stdout"): boolean {
  if (Deno.env.get("NO_COLOR") !== undefined) return false;
  return (rid === "stdout" ? Deno.stdout : Deno.stderr).isTerminal();
}

/** Styles for text output; each is the identity when colour is off. */
export function styles(rid: "stdout" | "stderr" = "stdout") {
  const on = useColor(rid);
  const wrap = (open: number, close: number) => (s: string) =>
    on ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
  };
}

/**
 * Whether an error is a closed pipe on our output (the reader went away, as
 * `| head -1` does): the command then ends quietly.
 *
 * @param e what was thrown
 * @returns true for EPIPE
 */
export function isBrokenPipe(e: unknown): boolean {
  return e instanceof Deno.errors.BrokenPipe ||
    (e instanceof Error && /Broken pipe|os error 32\b|EPIPE/.test(e.message));
}

/** Writes a line to stdout, synchronously, so ordering with stderr holds. */
export function out(line: string): void {
  writeAllSync(Deno.stdout, encoder.encode(line + "\n"));
}

/** Writes all of `data` (a single writeSync may write less). */
export function writeAllSync(w: { writeSync(p: Uint8Array): number }, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += w.writeSync(data.subarray(off));
}

/** Writes a line to stderr. */
export function err(line: string): void {
  writeAllSync(Deno.stderr, encoder.encode(line + "\n"));
}

/** Prints one JSON object on stdout. */
export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/**
 * Prints an error: one line on stderr (with the raw runtime message when
 * verbose), or the JSON envelope on stdout when `json`.
 */
export function printError(
  e: TlsprobeError,
  opts: { json: boolean; verbose: boolean; command?: string; body?: object },
): void {
  if (opts.json) {
    printJson(envelope(opts.command ?? "tlsprobe", opts.body ?? {}, e.toJSON()));
    return;
  }
  const s = styles("stderr");
  err(`${s.red("tlsprobe: error")} ${s.bold(e.code)}: ${e.message}`);
  if (opts.verbose && e.detail.raw) err(`  runtime said: ${e.detail.raw}`);
}
