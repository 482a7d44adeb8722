/**
 * The envelope every `--json` output carries: one object on stdout with
 * `schemaVersion`, the tool, the command, and an outcome.
 *
 * Adding a field keeps a command's version; renaming or removing one bumps
 * it, for that command only ({@link schemaVersionOf}).
 *
 * @module
 */
import type { ErrorCode, ErrorDetail } from "../errors.ts";
import { TOOL_NAME, VERSION } from "../version.ts";

/** The version of the JSON contract of every command but `scan`. */
export const SCHEMA_VERSION = 1;

/**
 * The version of `scan --json`: 2 since its `weaknesses` (severities
 * critical … info) became `findings` on the one scale (error, warning, info).
 */
export const SCAN_SCHEMA_VERSION = 2;

/**
 * The JSON contract's version for a command's output.
 *
 * @param command the subcommand (`probe`, `scan`, …)
 * @returns {@link SCAN_SCHEMA_VERSION} for `scan`, {@link SCHEMA_VERSION} otherwise
 * @example
 * ```ts
 * import { schemaVersionOf } from "./envelope.ts";
 * console.assert(schemaVersionOf("scan") === 2 && schemaVersionOf("probe") === 1);
 * ```
 */
export function schemaVersionOf(command: string): number {
  return command === "scan" ? SCAN_SCHEMA_VERSION : SCHEMA_VERSION;
}

/** The error part of a JSON output. */
export interface JsonError {
  /** The stable code (README's error table). */
  code: ErrorCode;
  /** One line for a person. */
  message: string;
  /** Structured detail: offset, field, alert, the runtime's own message. */
  detail: ErrorDetail;
}

/** The common head of every JSON output. */
export interface Envelope {
  /** The version of the command's JSON contract ({@link schemaVersionOf}). */
  schemaVersion: number;
  /** The tool that wrote it. */
  tool: { name: string; version: string };
  /** The subcommand (`probe`, `policy`, …). */
  command: string;
  /** `error` when the command failed; `error` then says why. */
  outcome: "ok" | "error";
  /** The failure, when the outcome is an error. */
  error?: JsonError;
}

/**
 * Wraps a command's result in the envelope.
 *
 * @param command the subcommand name (`connect`, `probe`, …)
 * @param body the command's own fields
 * @param error the failure, when the outcome is an error
 * @returns the object to serialise
 * @example
 * ```ts
 * import { envelope } from "./envelope.ts";
 * const out = envelope("connect", { received: [] });
 * console.assert(out.schemaVersion === 1 && out.outcome === "ok");
 * ```
 */
export function envelope<T extends object>(
  command: string,
  body: T,
  error?: JsonError,
): Envelope & T {
  return {
    schemaVersion: schemaVersionOf(command),
    tool: { name: TOOL_NAME, version: VERSION },
    command,
    outcome: error ? "error" : "ok",
    ...(error ? { error } : {}),
    ...body,
  };
}
