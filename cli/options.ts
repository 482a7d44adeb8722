/**
 * Option value parsers shared by the verbs: each turns a bad value into a
 * one-line usage error (exit status 2) before any connection is made.
 *
 * @module
 */
import { TlsprobeError } from "../core/errors.ts";
import { option, type OptionSpec, UsageError } from "./args.ts";
import type { StarttlsRequest } from "../core/net/starttls.ts";
import {
  parseStarttlsProtocol,
  parseStarttlsUrl,
  STARTTLS_PORTS,
  STARTTLS_PROTOCOLS,
} from "../core/starttls/mod.ts";
import { parseTarget } from "../core/address.ts";

/**
 * Parses a TCP port to connect to (1–65535).
 *
 * @param value the text given
 * @returns the port
 * @throws {UsageError} for anything else (`0`, `99999`, `http`, `0x10`)
 */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n < 1 || n > 65535) {
    throw new UsageError(`Port ${JSON.stringify(value)} is not a number from 1 to 65535.`);
  }
  return n;
}

/**
 * Parses a TCP port to listen on (0–65535; 0 picks a free one).
 *
 * @param value the text given
 * @returns the port
 * @throws {UsageError} for anything else
 */
export function parseListenPort(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535) {
    throw new UsageError(`Port ${JSON.stringify(value)} is not a number from 0 to 65535.`);
  }
  return n;
}

/**
 * Parses a timeout in decimal seconds (0.01 to 86400) into milliseconds.
 *
 * @param value the text given (`10`, `2.5`)
 * @returns milliseconds
 * @throws {UsageError} for `0`, `0.0001`, `0x10`, `1e3`, `-1`, `abc`
 */
export function parseTimeout(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n < 0.01 || n > 86400) {
    throw new UsageError(
      `Timeout ${JSON.stringify(value)} is not a number of seconds from 0.01 to 86400.`,
    );
  }
  return Math.round(n * 1000);
}

/**
 * Parses a comma-separated list (groups, …).
 *
 * @param value the text given
 * @returns the items
 * @throws {UsageError} for an empty list
 */
export function parseList(value: string): string[] {
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError("The list is empty.");
  return items;
}

/**
 * Parses a comma-separated ALPN list: each protocol 1–255 bytes (RFC 7301,
 * Section 3.1).
 *
 * @param value the text given (`h2,http/1.1`)
 * @returns the protocols
 * @throws {TlsprobeError} `BAD_INPUT` for an empty or over-long protocol name
 */
export function parseAlpn(value: string): string[] {
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new TlsprobeError("BAD_INPUT", "The ALPN list is empty");
  for (const p of items) {
    const n = new TextEncoder().encode(p).length;
    if (n > 255) {
      throw new TlsprobeError(
        "BAD_INPUT",
        `ALPN protocol ${JSON.stringify(p.slice(0, 20) + "…")} is ${n} bytes; at most 255 fit`,
        { field: "alpn", length: n },
      );
    }
  }
  return items;
}

/**
 * Parses a server name for SNI and name checks: 1–253 bytes of a DNS name or
 * an IP address (RFC 6066, Section 3; RFC 1035 limits).
 *
 * @param value the text given
 * @returns the name
 * @throws {TlsprobeError} `BAD_INPUT` for an empty or over-long name
 */
export function parseServerName(value: string): string {
  if (value.trim() === "") {
    throw new TlsprobeError("BAD_INPUT", "The server name is empty", { field: "servername" });
  }
  const n = new TextEncoder().encode(value).length;
  if (n > 253) {
    throw new TlsprobeError(
      "BAD_INPUT",
      `The server name is ${n} bytes; a DNS name has at most 253`,
      { field: "servername", length: n },
    );
  }
  return value;
}

/**
 * Reads `--starttls PROTO` and `--xmpp-host NAME` into a request.
 *
 * @param flags the parsed flags
 * @returns the request, or undefined without `--starttls`
 * @throws {TlsprobeError} `USAGE` for an unknown protocol, or `--xmpp-host` alone
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

/**
 * Reads a client verb's target: `HOST[:PORT]` (with an optional separate
 * PORT), or a URL of a STARTTLS protocol (`smtp://mail.example.com:587`,
 * `imap://host`, `ldap://[::1]`), which picks the protocol and, when the URL
 * names no port, the protocol's standard one. Without a URL, `--starttls`
 * decides as before; with one, `--starttls` may repeat the URL's protocol but
 * not contradict it.
 *
 * @param spec the target as given
 * @param port a separate PORT argument, if any
 * @param flags the verb's `--starttls` and `--xmpp-host`
 * @returns the host, the port and the STARTTLS request (if any)
 * @throws {UsageError} for a URL with a separate PORT or a contradicting `--starttls`
 */
export function clientTarget(
  spec: string,
  port: string | undefined,
  flags: { starttls?: string; xmppHost?: string },
): { host: string; port: number; starttls?: StarttlsRequest } {
  const url = parseStarttlsUrl(spec);
  if (!url) {
    const starttls = starttlsRequest(flags);
    const t = parseTarget(spec, port, starttls ? STARTTLS_PORTS[starttls.protocol] : 443);
    return { host: t.host, port: t.port, ...(starttls ? { starttls } : {}) };
  }
  if (port !== undefined) {
    throw new UsageError(
      `${spec} is a URL: give its port inside it (${spec}:${port} is not read).`,
    );
  }
  if (flags.starttls !== undefined && parseStarttlsProtocol(flags.starttls) !== url.protocol) {
    throw new UsageError(
      `${spec} names STARTTLS protocol ${url.protocol}, but --starttls says ${flags.starttls}: give one of them.`,
    );
  }
  if (flags.xmppHost !== undefined && url.protocol !== "xmpp") {
    throw new UsageError("--xmpp-host needs --starttls xmpp or xmpp-server");
  }
  const starttls: StarttlsRequest = {
    protocol: url.protocol,
    ...(flags.xmppHost !== undefined ? { xmppHost: flags.xmppHost } : {}),
  };
  return { host: url.host, port: url.port, starttls };
}

/**
 * The `-t/--starttls` and `--xmpp-host` options every client verb takes.
 *
 * @param what what the upgrade applies to, for the help line
 * @returns the two option specs
 */
export function starttlsOptions(what = "the connection"): OptionSpec[] {
  return [
    option(
      "-t, --starttls <proto>",
      `upgrade ${what} from plaintext first: ${
        STARTTLS_PROTOCOLS.join(", ")
      } (the protocol's standard port when none is given)`,
    ),
    option("--xmpp-host <name>", "with --starttls xmpp: the domain sent in the stream's to="),
  ];
}

/**
 * `--timeout <seconds>`, declared once: decimal seconds, 10 by default.
 *
 * @param what what it bounds (`bound on each probe`); the unit is added
 * @returns the option
 */
export function timeoutOption(what: string): OptionSpec {
  return option("--timeout <seconds>", `${what}, in seconds`, {
    parse: parseTimeout,
    default: "10",
  });
}

/**
 * `--json`, declared once.
 *
 * @param help what the object holds (default: one JSON object instead of text)
 * @returns the option
 */
export function jsonOption(help = "print one JSON object instead of text"): OptionSpec {
  return option("--json", help);
}
