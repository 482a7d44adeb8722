/**
 * Option parsers shared by the subcommands: each turns a bad value into a
 * one-line usage error (exit status 2).
 *
 * @module
 */
import { InvalidArgumentError } from "commander";

/** Parses a TCP port (0–65535). */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new InvalidArgumentError(
      `Port ${JSON.stringify(value)} is not a number from 0 to 65535.`,
    );
  }
  return n;
}

/** Parses a timeout in seconds (may be fractional) into milliseconds. */
export function parseTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86400) {
    throw new InvalidArgumentError(
      `Timeout ${JSON.stringify(value)} is not a number of seconds above 0.`,
    );
  }
  return Math.round(n * 1000);
}

/** Parses a comma-separated list (ALPN protocols, groups, …). */
export function parseList(value: string): string[] {
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError("The list is empty.");
  return items;
}
