/**
 * The envelope every `--json` output carries: one object on stdout with
 * `schemaVersion`, the tool, the command, and an outcome.
 *
 * Adding a field keeps {@link SCHEMA_VERSION}; renaming or removing one bumps it.
 *
 * @module
 */
import type { ErrorCode, ErrorDetail } from "../errors.ts";
import { TOOL_NAME, VERSION } from "../version.ts";

/** The version of the JSON contract. */
export const SCHEMA_VERSION = 1;

/** The error part of a JSON output. */
export interface JsonError {
  code: ErrorCode;
  message: string;
  detail: ErrorDetail;
}

/** The common head of every JSON output. */
export interface Envelope {
  schemaVersion: number;
  tool: { name: string; version: string };
  command: string;
  outcome: "ok" | "error";
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
    schemaVersion: SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: VERSION },
    command,
    outcome: error ? "error" : "ok",
    ...(error ? { error } : {}),
    ...body,
  };
}
