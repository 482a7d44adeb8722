/**
 * Targets and addresses: the one parser of `HOST[:PORT]` / `[IPv6]:PORT` /
 * `HOST PORT` command-line targets and the one formatter of addresses for
 * display (`[::1]:443`, `127.0.0.1:443`, `::1`). Pure.
 *
 * @module
 */
import { TlsprobeError } from "./errors.ts";

/** A host and a TCP port. */
export interface Target {
  /** The host name or IP address (IPv6 without brackets). */
  host: string;
  /** The TCP port. */
  port: number;
}

/**
 * Reads a target: `host`, `host:port`, `[v6]`, `[v6]:port`, a bare IPv6
 * address, with an optional separate port (the book's `test_tls.py HOST PORT`).
 *
 * @param target the first argument
 * @param port the optional second argument
 * @param defaultPort the port when none is given
 * @returns host (IPv6 without brackets) and port
 * @throws {TlsprobeError} `USAGE` for an empty host, a port outside 1–65535,
 *   or a port given twice; `BAD_INPUT` for a host with spaces or slashes
 * @example
 * ```ts
 * import { parseTarget } from "./address.ts";
 * const t = parseTarget("[::1]:8443");
 * if (t.host !== "::1" || t.port !== 8443) throw new Error();
 * ```
 */
export function parseTarget(target: string, port?: string, defaultPort = 443): Target {
  let host = target.trim();
  let p: string | undefined;
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(host);
  if (v6) {
    host = v6[1];
    p = v6[2];
  } else if ((host.match(/:/g) ?? []).length === 1) {
    const i = host.lastIndexOf(":");
    p = host.slice(i + 1);
    host = host.slice(0, i);
  }
  if (p !== undefined && port !== undefined) {
    throw new TlsprobeError(
      "USAGE",
      `The port is given twice (${JSON.stringify(target)} and ${JSON.stringify(port)})`,
    );
  }
  p ??= port;
  if (!host) throw new TlsprobeError("USAGE", `No host in ${JSON.stringify(target)}`);
  if (/[\s/\\]/.test(host)) {
    throw new TlsprobeError("BAD_INPUT", `${JSON.stringify(host)} is not a host name or address`);
  }
  const n = p === undefined ? defaultPort : Number(p);
  if (p !== undefined && (!/^\d{1,5}$/.test(p) || n > 65535 || n === 0)) {
    throw new TlsprobeError("USAGE", `Port ${JSON.stringify(p)} is not a number from 1 to 65535`);
  }
  return { host, port: n };
}

/**
 * Formats an address for people: IPv6 in brackets when a port follows, in
 * its compressed form (`::1`, never `0::1` or `0:0:0:0:0:0:0:1`).
 *
 * @param host a host name, an IPv4 or an IPv6 address (brackets optional)
 * @param port the port, if one follows
 * @returns `host:port`, `[v6]:port`, or the host alone
 * @example
 * ```ts
 * import { formatAddress } from "./address.ts";
 * if (formatAddress("0:0:0:0:0:0:0:1", 443) !== "[::1]:443") throw new Error();
 * ```
 */
export function formatAddress(host: string, port?: number): string {
  const h = normalizeHost(host);
  if (port === undefined) return h;
  return h.includes(":") ? `[${h}]:${port}` : `${h}:${port}`;
}

/**
 * A host as shown: IPv6 compressed (RFC 5952), brackets removed; anything
 * else unchanged.
 *
 * @param host a host name or address
 * @returns the display form
 */
export function normalizeHost(host: string): string {
  const h = host.replace(/^\[(.*)\]$/, "$1");
  // IPv4-mapped and other dotted forms are kept as written (RFC 5952, Section 5).
  if (!h.includes(":")) return h;
  if (h.includes(".")) return h.toLowerCase();
  const groups = expandV6(h);
  if (!groups) return h.toLowerCase();
  // The longest run of two or more zero groups becomes "::" (RFC 5952, Section 4.2).
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

function expandV6(h: string): number[] | undefined {
  const parts = h.toLowerCase().split("::");
  if (parts.length > 2) return undefined;
  const read = (x: string) => x === "" ? [] : x.split(":");
  const head = read(parts[0]);
  const rest = parts.length === 2 ? read(parts[1]) : [];
  if ([...head, ...rest].some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return undefined;
  const fill = 8 - head.length - rest.length;
  if (parts.length === 1 ? fill !== 0 : fill < 1) return undefined;
  return [
    ...head.map((g) => parseInt(g, 16)),
    ...Array(parts.length === 2 ? fill : 0).fill(0),
    ...rest.map((g) => parseInt(g, 16)),
  ];
}
