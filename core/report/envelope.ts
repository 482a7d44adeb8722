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
  /** The stable code (README's error table). */
  code: ErrorCode;
  /** One line for a person. */
  message: string;
  /** Structured detail: offset, field, alert, the runtime's own message. */
  detail: ErrorDetail;
}

/** The common head of every JSON output. */
export interface Envelope {
  /** The version of the JSON contract ({@link SCHEMA_VERSION}). */
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
    schemaVersion: SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: VERSION },
    command,
    outcome: error ? "error" : "ok",
    ...(error ? { error } : {}),
    ...body,
  };
}
