/**
 * Option parsers shared by the subcommands: each turns a bad value into a
 * one-line usage error (exit status 2).
 *
 * @module
 */
import { InvalidArgumentError } from "commander";
import { TlsprobeError } from "../core/errors.ts";
import type { StarttlsRequest } from "../core/net/starttls.ts";
import { parseStarttlsProtocol, STARTTLS_PROTOCOLS } from "../core/starttls/mod.ts";

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

/**
 * Reads `--starttls PROTO` and `--xmpp-host NAME` into a request (USAGE for an unknown protocol).
 *
 * @param flags the parsed flags
 * @returns the request, or undefined without `--starttls`
 */
export function starttlsRequest(
  flags: { starttls?: string; xmppHost?: string },
): StarttlsRequest | undefined {
  if (flags.starttls === undefined) {
    if (flags.xmppHost !== undefined) {
      throw new TlsprobeError("USAGE", "--xmpp-host needs --starttls xmpp or xmpp-server");
    }
    return undefined;
  }
  const protocol = parseStarttlsProtocol(flags.starttls);
  return { protocol, ...(flags.xmppHost !== undefined ? { xmppHost: flags.xmppHost } : {}) };
}

/** The help line of `-t/--starttls`. */
export const STARTTLS_HELP = `upgrade a plaintext connection first: ${
  STARTTLS_PROTOCOLS.join(", ")
} (the protocol's standard port when none is given)`;
