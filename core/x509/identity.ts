/**
 * Service identity: does a certificate name the host a client asked for?
 * RFC 9525 (which obsoletes RFC 6125), with RFC 6125's common-name fallback
 * kept only for certificates without DNS names, and reported as such.
 *
 * @module
 */
import type { CertificateInfo } from "./decode.ts";

/** What {@link matchIdentity} found. */
export interface IdentityMatch {
  /** Whether the reference identifier matched a presented one. */
  matched: boolean;
  /**
   * The rule that matched or failed: `dns-san-exact`, `dns-san-wildcard`,
   * `dns-san`, `ip-san`, `cn-fallback`, `cn-fallback-wildcard`, `cn`,
   * `no-identifiers`, `invalid-reference`.
   */
  rule: string;
  /** One line saying why, for people. */
  reason: string;
  /** The presented identifiers the rule looked at. */
  presented: string[];
  /** The reference identifier as compared (A-labels, lower case, canonical IP). */
  reference: string;
}

/** The parts of a certificate identity matching reads. */
export type IdentitySource = Pick<CertificateInfo, "sans" | "commonNames">;

/**
 * Parses an IPv4 or IPv6 address to its bytes, or undefined when `s` is not
 * an IP literal. IPv6 may be bracketed; the URL parser canonicalises it.
 */
export function parseIp(s: string): Uint8Array | undefined {
  const t = s.trim();
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(t);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? Uint8Array.from(b) : undefined;
  }
  const inner = t.startsWith("[") && t.endsWith("]") ? t.slice(1, -1) : t;
  if (!inner.includes(":") || !/^[0-9a-fA-F:.]+$/.test(inner)) return undefined;
  let host: string;
  try {
    host = new URL(`http://[${inner}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [l, r] = host.split("::");
  const left = l ? l.split(":") : [];
  const right = r ? r.split(":") : [];
  const groups = r === undefined ? left : [
    ...left,
    ...Array(8 - left.length - right.length).fill("0"),
    ...right,
  ];
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

/** Canonical text of an IP address's bytes (dotted quad, or RFC 5952 IPv6). */
export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

/**
 * A DNS name in the form compared: A-labels (RFC 5890), lower case, no
 * trailing dot. Undefined when it is not a host name.
 */
export function toALabels(name: string): string | undefined {
  const t = name.trim().replace(/\.$/, "");
  if (t === "" || t.includes("*") || /[\s/\\?#@:\[\]%]/.test(t)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${t}/`).hostname;
  } catch {
    return undefined;
  }
  if (parseIp(host)) return undefined; // the URL parser reads "1.2.3" as an IPv4 address
  const labels = host.split(".");
  if (labels.some((l) => l === "" || l.length > 63) || host.length > 253) return undefined;
  return host;
}

/** A presented DNS identifier normalised, keeping a left-most `*`. */
function presentedForm(p: string): string {
  const t = p.trim().replace(/\.$/, "").toLowerCase();
  if (/^[\x21-\x7e]*$/.test(t)) return t;
  // A U-label in a certificate is malformed (RFC 5280 section 4.2.1.6 wants
  // A-labels), but compare it in A-label form rather than never.
  const star = t.startsWith("*.");
  const a = toALabels(star ? t.slice(2) : t);
  return a === undefined ? t : (star ? "*." + a : a);
}

type DnsMatch = "exact" | "wildcard" | { fail: string };

/**
 * One presented DNS identifier against a reference (RFC 9525 section 6.3):
 * case-insensitive A-label comparison; a wildcard only as the whole left-most
 * label, matching exactly one label, never under a single-label suffix.
 */
function matchDns(presented: string, reference: string): DnsMatch {
  const p = presentedForm(presented);
  if (p === reference) return "exact";
  if (!p.includes("*")) return { fail: "different name" };
  const pl = p.split(".");
  const rl = reference.split(".");
  if (pl[0] !== "*" || pl.slice(1).some((l) => l.includes("*"))) {
    return {
      fail: `${presented}: a wildcard must be the whole left-most label (RFC 9525 section 6.3)`,
    };
  }
  if (pl.length < 3) {
    return { fail: `${presented}: a wildcard over a single-label suffix matches nothing` };
  }
  if (pl.length !== rl.length) return { fail: "a wildcard matches exactly one label" };
  if (pl.slice(1).join(".") !== rl.slice(1).join(".")) return { fail: "different name" };
  return "wildcard";
}

/**
 * Checks a reference identifier (a host name or IP address) against a
 * certificate's identifiers.
 *
 * - IP addresses match only IP SANs, compared as bytes (so `::1` equals `0:0::1`).
 * - DNS names match DNS SANs (exactly or by a left-most whole-label wildcard),
 *   U-labels converted to A-labels first.
 * - The subject CN is consulted only when the certificate has no DNS SAN
 *   (RFC 6125 section 6.4.4; RFC 9525 drops even that, so the rule says `cn-fallback`).
 *
 * @param cert the decoded certificate (its `sans` and `commonNames`)
 * @param name the reference identifier
 * @returns whether it matched, by which rule, why, and what was presented
 * @example
 * ```ts
 * import { matchIdentity } from "./identity.ts";
 * const cert = { sans: { dns: ["*.example.com"], ip: [], email: [], uri: [], other: [] }, commonNames: [] };
 * const m = matchIdentity(cert, "www.example.com");
 * console.assert(m.matched && m.rule === "dns-san-wildcard");
 * ```
 */
export function matchIdentity(cert: IdentitySource, name: string): IdentityMatch {
  const ip = parseIp(name);
  if (ip) {
    const reference = formatIp(ip);
    const presented = cert.sans.ip;
    const hit = presented.find((p) => {
      const b = parseIp(p);
      return b !== undefined && b.length === ip.length && b.every((x, i) => x === ip[i]);
    });
    if (hit !== undefined) {
      return {
        matched: true,
        rule: "ip-san",
        reason: `IP SAN ${hit} matches ${reference}`,
        presented,
        reference,
      };
    }
    return {
      matched: false,
      rule: "ip-san",
      reason: presented.length
        ? `no IP SAN matches ${reference}; the certificate is for IP ${presented.join(", ")}`
        : `the certificate has no IP SAN, and an IP address is never matched against DNS names or the CN`,
      presented,
      reference,
    };
  }
  const reference = toALabels(name);
  if (reference === undefined) {
    return {
      matched: false,
      rule: "invalid-reference",
      reason: `"${name}" is neither a host name nor an IP address`,
      presented: [],
      reference: name,
    };
  }
  const dns = cert.sans.dns;
  if (dns.length) {
    const notes: string[] = [];
    for (const p of dns) {
      const m = matchDns(p, reference);
      if (m === "exact" || m === "wildcard") {
        return {
          matched: true,
          rule: `dns-san-${m}`,
          reason: m === "exact"
            ? `DNS SAN ${p} equals ${reference}`
            : `wildcard DNS SAN ${p} covers ${reference}`,
          presented: dns,
          reference,
        };
      }
      if (m.fail.startsWith(p)) notes.push(m.fail);
    }
    const cn = cert.commonNames.some((c) => presentedForm(c) === reference)
      ? ` (the CN says ${reference}, but a CN is ignored when DNS SANs exist)`
      : "";
    return {
      matched: false,
      rule: "dns-san",
      reason: `no DNS SAN matches ${reference}; the certificate is for ${dns.join(", ")}${cn}` +
        (notes.length ? `; ${notes.join("; ")}` : ""),
      presented: dns,
      reference,
    };
  }
  const cns = cert.commonNames;
  if (cns.length) {
    for (const c of cns) {
      const m = matchDns(c, reference);
      if (m === "exact" || m === "wildcard") {
        return {
          matched: true,
          rule: m === "exact" ? "cn-fallback" : "cn-fallback-wildcard",
          reason:
            `subject CN ${c} matches ${reference} (legacy: no DNS SAN; RFC 9525 clients refuse this)`,
          presented: cns,
          reference,
        };
      }
    }
    return {
      matched: false,
      rule: "cn",
      reason: `no DNS SAN, and the subject CN (${cns.join(", ")}) does not match ${reference}`,
      presented: cns,
      reference,
    };
  }
  return {
    matched: false,
    rule: "no-identifiers",
    reason: "the certificate has neither DNS SANs nor a subject CN",
    presented: [],
    reference,
  };
}
