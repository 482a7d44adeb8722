/**
 * The scan report: the JSON body of `tlsprobe scan --json` (one object per
 * target, inside the common envelope; validated by `scan.schema.json`) and its
 * text rendering, grouped by version like sslscan's.
 *
 * @module
 */
import { cipherSuiteByCode, formatCode } from "../registry/cipher_suites.ts";
import { groupName } from "../registry/groups.ts";
import { signatureSchemeName } from "../registry/signature_schemes.ts";
import type { ScanResult } from "../scan/model.ts";
import type { Severity } from "./finding.ts";
import { PLAIN, type TextStyle } from "./style.ts";

/** A suite as the report shows it. */
export interface ScanSuite {
  /** `0xC02F`. */
  code: string;
  /** IANA name (or the code when unknown). */
  iana: string;
  /** OpenSSL name, when it has one. */
  openssl: string | null;
  /** Key exchange as `openssl ciphers -v` names it. */
  kx: string | null;
  /** Authentication. */
  au: string | null;
  /** Symmetric key bits. */
  bits: number | null;
  /** The registry's rating (`recommended`, `secure`, `weak`, `insecure`). */
  rating: string | null;
}

function suite(code: number): ScanSuite {
  const s = cipherSuiteByCode(code);
  return {
    code: formatCode(code),
    iana: s?.iana ?? formatCode(code),
    openssl: s?.openssl ?? null,
    kx: s?.kx ?? null,
    au: s?.au ?? null,
    bits: s?.bits ?? null,
    rating: s?.rating ?? null,
  };
}

/** One version as the JSON report shows it. */
export interface ScanVersionReport {
  /** `TLSv1.2`, … */
  version: string;
  /** Whether the server accepts it. */
  accepted: boolean;
  /** Whether the server's order decides (null: not determinable). */
  serverOrder: boolean | null;
  /** Suites accepted, in the server's order when it decides. */
  suites: ScanSuite[];
  /** Group names accepted. */
  groups: string[];
  /** Whether the server's group order decides. */
  serverGroupOrder: boolean | null;
  /** DHE prime sizes seen. */
  dhBits: number[];
  /** RFC 7919 groups (`ffdhe2048` …) whose primes the DHE key exchanges used; other primes only in `dhBits`. */
  dhGroups: string[];
  /** Signature scheme names accepted. */
  signatureSchemes: string[];
  /** What stopped the enumeration of this version, if anything. */
  error?: ScanResult["error"];
}

/** The JSON body of one target's scan (`scan.schema.json`), without the envelope. */
export type ScanReportBody =
  & Omit<ScanResult, "versions" | "elapsedMs" | "error" | "policy">
  & {
    /** Wall time in whole milliseconds. */
    elapsedMs: number;
    /** Each version tried, highest first. */
    versions: ScanVersionReport[];
    /** A user policy's verdict, when one was given. */
    policy?: ScanResult["policy"];
  };

/**
 * The ALPN protocols a scan found, with whose order decides: `h2, http/1.1
 * (server order)`; empty when none was accepted. The text report and the
 * extension's Scan view both say it so.
 *
 * @param alpn the scan's `alpn`
 * @returns one line
 */
export function alpnText(alpn: ScanResult["alpn"]): string {
  if (!alpn.protocols.length) return "";
  const order = alpn.serverOrder === true
    ? " (server order)"
    : alpn.serverOrder === false
    ? " (client order)"
    : "";
  return alpn.protocols.join(", ") + order;
}

/**
 * The JSON body for one target (without the envelope).
 *
 * @param r the scan result
 * @returns a JSON-ready object
 */
export function scanReportBody(r: ScanResult): ScanReportBody {
  return {
    target: r.target,
    interrupted: r.interrupted,
    handshakes: r.handshakes,
    elapsedMs: Math.round(r.elapsedMs),
    sslv2: r.sslv2,
    versions: r.versions.map((v) => ({
      version: v.version,
      accepted: v.accepted,
      serverOrder: v.serverOrder,
      suites: v.suites.map(suite),
      groups: v.groups.map(groupName),
      serverGroupOrder: v.serverGroupOrder,
      dhBits: v.dhBits,
      dhGroups: v.dhGroups.map(groupName),
      signatureSchemes: v.sigalgs.map(signatureSchemeName),
      ...(v.error ? { error: v.error } : {}),
    })),
    alpn: r.alpn,
    sni: r.sni,
    certificates: r.certificates,
    features: r.features,
    clientCertificate: r.clientCertificate,
    findings: r.findings,
    profiles: r.profiles,
    grade: r.grade,
    ...(r.policy ? { policy: r.policy } : {}),
  };
}

/** Styles for the text renderer: the report's one {@link TextStyle}. */
export type TextStyles = TextStyle;

const ICON: Record<Severity, string> = {
  error: "✖ error",
  warning: "▲ warning",
  info: "ℹ info",
};

/**
 * Renders one target's result as text.
 *
 * @param r the result
 * @param st colour styles
 * @returns the lines
 */
export function renderScanText(r: ScanResult, st: TextStyles = PLAIN): string[] {
  const L: string[] = [];
  const t = r.target;
  L.push(
    st.bold(`Scan of ${t.host}:${t.port}`) +
      (t.serverName ? ` (SNI ${t.serverName})` : " (no SNI)") +
      (t.starttls ? ` via STARTTLS ${t.starttls}` : "") +
      st.dim(
        ` — ${r.handshakes} handshakes in ${(r.elapsedMs / 1000).toFixed(2)} s${
          r.interrupted ? ", interrupted: partial results" : ""
        }`,
      ),
  );
  if (r.error && !r.versions.some((v) => v.accepted)) {
    L.push(`  ${st.red(r.error.code)}: ${r.error.message}`);
    return L;
  }
  if (r.interrupted && !r.versions.some((v) => v.accepted)) {
    L.push(`  ${st.yellow("interrupted")} before any version was known`);
    return L;
  }
  L.push("", st.bold("  Protocols"));
  L.push(`    SSLv2     ${r.sslv2 ? st.red("accepted") : st.green("not accepted")}`);
  for (const v of [...r.versions].reverse()) {
    const bad = v.code <= 0x0302;
    const word = v.accepted
      ? (bad ? st.red("accepted") : st.green("accepted"))
      : (bad ? st.green("not accepted") : st.dim("not accepted"));
    L.push(`    ${v.version.padEnd(9)} ${word}${v.error ? st.yellow(`  (${v.error.code})`) : ""}`);
  }
  L.push("", st.bold("  Cipher suites"));
  for (const v of r.versions.filter((x) => x.accepted)) {
    const order = v.serverOrder === true
      ? "server order"
      : v.serverOrder === false
      ? "client order"
      : "order n/a";
    L.push(`    ${st.bold(v.version)} (${v.suites.length}, ${order})`);
    v.suites.forEach((c, i) => {
      const s = cipherSuiteByCode(c);
      const name = (s?.openssl ?? s?.iana ?? formatCode(c)).padEnd(40);
      const color = s?.rating === "insecure"
        ? st.red
        : s?.rating === "weak"
        ? st.yellow
        : s?.rating === "recommended"
        ? st.green
        : (x: string) => x;
      const pref = i === 0 && v.serverOrder ? "  Preferred" : "";
      L.push(
        `      ${formatCode(c)}  ${String(s?.bits ?? "?").padStart(3)} bits  ${color(name)} ${
          st.dim(s?.iana ?? "")
        }${pref}`,
      );
    });
  }
  L.push("", st.bold("  Key exchange groups"));
  for (const v of r.versions.filter((x) => x.accepted)) {
    if (v.groups.length) {
      const order = v.serverGroupOrder === true
        ? " (server order)"
        : v.serverGroupOrder === false
        ? " (client order)"
        : "";
      L.push(`    ${v.version.padEnd(9)} ${v.groups.map(groupName).join(", ")}${order}`);
    }
    if (v.dhBits.length) {
      const named = v.dhGroups.length
        ? ` (${v.dhGroups.map(groupName).join(", ")}, RFC 7919)`
        : " (not an RFC 7919 group)";
      L.push(`    ${v.version.padEnd(9)} DHE prime: ${v.dhBits.join(", ")} bits${named}`);
    }
  }
  L.push("", st.bold("  Signature schemes"));
  for (const v of r.versions.filter((x) => x.accepted && x.sigalgs.length)) {
    L.push(`    ${v.version.padEnd(9)} ${v.sigalgs.map(signatureSchemeName).join(", ")}`);
  }
  L.push("", st.bold("  Certificates"));
  for (const c of r.certificates) {
    const key = `${c.key.type} ${c.key.bits ?? ""}${c.key.curve ? " " + c.key.curve : ""}`.trim();
    L.push(`    ${st.bold(c.asked.toUpperCase())}: ${c.subject}`);
    L.push(`      key ${key}, signed ${c.signatureAlgorithm}, issuer ${c.issuer}`);
    L.push(
      `      valid ${c.notBefore} to ${c.notAfter}; names ${c.sans.join(", ") || "(none)"}${
        c.nameMatches === false ? st.red(" — name mismatch") : ""
      }`,
    );
    L.push(st.dim(`      sha256 ${c.sha256}; chain of ${c.chain.length}`));
  }
  L.push(
    "",
    `  ${st.bold("ALPN")}      ${alpnText(r.alpn) || "none of the protocols tried"}`,
  );
  L.push(`  ${st.bold("No SNI")}    ${r.sni.withoutSni}`);
  L.push(`  ${st.bold("Wrong SNI")} ${r.sni.wrongSni}`);
  const cc = r.clientCertificate;
  L.push(
    `  ${st.bold("Client certificate")} ${
      cc.requested
        ? (cc.required === true
          ? "required"
          : cc.required === false
          ? "requested (optional)"
          : "requested") +
          (cc.caNames.length ? `; CA names: ${cc.caNames.join("; ")}` : "; no CA names")
        : "not requested"
    }`,
  );
  L.push("", st.bold("  Features"));
  for (const [k, f] of Object.entries(r.features)) {
    const v = f.value === true ? "yes" : f.value === false ? "no" : "n/a";
    L.push(`    ${k.padEnd(20)} ${v.padEnd(4)} ${st.dim(f.note)}`);
  }
  L.push("", st.bold("  Findings"));
  if (!r.findings.length) L.push(`    ${st.green("none")}`);
  for (const f of r.findings) {
    const c = f.severity === "error" ? st.red : f.severity === "warning" ? st.yellow : st.dim;
    const ref = f.reference ? ` ${st.dim(`[${f.reference}]`)}` : "";
    L.push(`    ${c(ICON[f.severity].padEnd(9))} ${f.message}${ref}`);
  }
  L.push("", st.bold("  Profiles"));
  for (const p of r.profiles) {
    L.push(
      `    ${p.name.padEnd(22)} ${
        p.compliant ? st.green("compliant") : st.yellow("not compliant")
      }`,
    );
    for (const why of p.reasons) L.push(st.dim(`      - ${why}`));
  }
  if (r.policy) {
    L.push(
      `    ${("policy " + r.policy.name).padEnd(22)} ${
        r.policy.verdict === "pass" ? st.green("pass") : st.red("fail")
      }`,
    );
    for (const why of r.policy.reasons) L.push(st.dim(`      - ${why}`));
  }
  const g = r.grade.grade;
  const gc = g.startsWith("A") ? st.green : g === "B" ? st.yellow : st.red;
  L.push("", `  ${st.bold("Grade")} ${gc(st.bold(g))}`);
  return L;
}
