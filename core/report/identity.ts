/**
 * Host name matching against a certificate's names (RFC 6125 §6.4): DNS SANs
 * first, the CN only when there are no DNS SANs (legacy, §6.4.4), a wildcard
 * only as the whole left-most label and never across dots, IP addresses only
 * against IP SANs.
 *
 * Kept small for the probe's identity line; `core/x509` is the home of the
 * full matcher once it lands there.
 *
 * @module
 */

/** The outcome of matching a name. */
export interface IdentityMatch {
  /** Whether a name matched. */
  matched: boolean;
  /** Which rule decided: `dns-san`, `dns-san-wildcard`, `ip-san`, `cn-fallback`, or why not. */
  rule: string;
  /** The certificate name that matched. */
  name?: string;
}

const lower = (s: string) => s.toLowerCase().replace(/\.$/, "");

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

function normIp(ip: string): string {
  return ip.replace(/^\[|\]$/g, "").toLowerCase();
}

/**
 * Whether a DNS name from a certificate matches a host name.
 *
 * @param pattern the certificate's name (may start with `*.`)
 * @param host the host name asked for
 * @returns true on a match
 */
export function dnsNameMatches(pattern: string, host: string): boolean {
  const p = lower(pattern), h = lower(host);
  if (!p.startsWith("*.")) return p === h;
  const rest = p.slice(2);
  const dot = h.indexOf(".");
  // RFC 6125 §6.4.3: the wildcard covers exactly one left-most label.
  return dot > 0 && h.slice(dot + 1) === rest && rest.includes(".");
}

/**
 * Matches a host name against a certificate's names.
 *
 * @param names the certificate's DNS and IP SANs and common names
 * @param host the name to check
 * @returns whether it matched, and by which rule
 * @example
 * ```ts
 * import { matchHostname } from "./identity.ts";
 * const m = matchHostname({ dns: ["*.example.com"], ip: [], commonNames: [] }, "www.example.com");
 * console.assert(m.matched && m.rule === "dns-san-wildcard");
 * ```
 */
export function matchHostname(
  names: { dns: string[]; ip: string[]; commonNames: string[] },
  host: string,
): IdentityMatch {
  if (isIp(host)) {
    const want = normIp(host);
    const hit = names.ip.find((ip) => normIp(ip) === want);
    return hit
      ? { matched: true, rule: "ip-san", name: hit }
      : { matched: false, rule: `no IP SAN equals ${host}` };
  }
  for (const d of names.dns) {
    if (dnsNameMatches(d, host)) {
      return { matched: true, rule: d.startsWith("*.") ? "dns-san-wildcard" : "dns-san", name: d };
    }
  }
  if (names.dns.length) return { matched: false, rule: `no DNS SAN matches ${host}` };
  const cn = names.commonNames.find((c) => dnsNameMatches(c, host));
  return cn
    ? { matched: true, rule: "cn-fallback", name: cn }
    : { matched: false, rule: `no SAN, and no common name matches ${host}` };
}
