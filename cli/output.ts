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

/** Writes a line to stdout, synchronously, so ordering with stderr holds. */
export function out(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}

/** Writes a line to stderr. */
export function err(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
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
