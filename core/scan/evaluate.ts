/**
 * Verdicts on a scan: the chains decoded, findings with severity and a
 * reference, each Mozilla profile (through `core/policy/`), an optional user
 * policy, and the overall grade. Pure.
 *
 * Findings are the one {@link Finding} type on the one severity scale
 * (error, warning, info). The grade is a second axis derived from them: each
 * rule ({@link SCAN_RULES}) caps the grade at F, C, B or A (errors at F or C,
 * warnings at B or A, infos not at all); the grade is the worst cap, and A+
 * when nothing caps it and TLS 1.3 is accepted (also in the README).
 *
 * @module
 */
import { cipherSuiteByCode } from "../registry/cipher_suites.ts";
import { groupName } from "../registry/groups.ts";
import { TLS1_3, versionName } from "../registry/versions.ts";
import { decodeCertificateSync, decodeForDisplay } from "../x509/decode.ts";
import { caNameText } from "../report/probe.ts";
import { matchIdentity } from "../x509/identity.ts";
import { builtinPolicy } from "../policy/builtins.ts";
import { defaultPolicyEnv } from "../policy/env.ts";
import { evaluatePolicy, type PolicyFacts } from "../policy/evaluate.ts";
import { type ResolvedPolicy, resolvePolicy } from "../policy/resolve.ts";
import type { Finding } from "../report/finding.ts";
import { GRADE_CAP_SEVERITY, type GradeCap, type ScanChain, type ScanResult } from "./model.ts";
import type { PlannedScan } from "./plan.ts";

/** The Mozilla profiles every scan is judged against. */
export const MOZILLA_PROFILES = ["mozilla-modern", "mozilla-intermediate", "mozilla-old"];

/** What evaluation needs besides the plan's result. */
export interface EvaluateFacts {
  /** The time, for validity. */
  now: Date;
  /** rustls's verdict on the chain and name (null: not checked). */
  trust: { verified: boolean | null; code: string | null; message: string | null } | null;
  /** A user policy (`--policy`). */
  policy?: ResolvedPolicy;
}

/**
 * Decodes the chains and gives the verdicts.
 *
 * @param planned the plan's result
 * @param facts the time, the trust verdict, a user policy
 * @returns the scan result
 */
export async function evaluateScan(
  planned: PlannedScan,
  facts: EvaluateFacts,
): Promise<ScanResult> {
  const { chains, caNamesDer, ...rest } = planned;
  const certificates: ScanChain[] = [];
  const decoded = [];
  for (const c of chains) {
    try {
      // Shown by the tolerant decoder (a malformed certificate keeps its
      // fields, with findings); the name is matched on the strict one only.
      const infos = await Promise.all(c.der.map((d) => decodeForDisplay(d)));
      decoded.push(infos);
      const leaf = infos[0];
      const name = planned.target.serverName ?? planned.target.host;
      certificates.push({
        asked: c.asked,
        key: {
          type: leaf.key.type,
          bits: leaf.key.bits ?? null,
          curve: leaf.key.curve ?? null,
        },
        subject: leaf.subject.rfc2253,
        issuer: leaf.issuer.rfc2253,
        sans: [...leaf.sans.dns, ...leaf.sans.ip],
        notBefore: leaf.notBefore,
        notAfter: leaf.notAfter,
        signatureAlgorithm: leaf.signatureAlgorithm,
        sha256: leaf.sha256,
        nameMatches: strictMatch(c.der[0], name),
        chain: infos.map((i) => ({
          subject: i.subject.rfc2253,
          issuer: i.issuer.rfc2253,
          signatureAlgorithm: i.signatureAlgorithm,
          pem: i.pem,
          ...(i.findings.length ? { findings: i.findings } : {}),
        })),
      });
    } catch {
      // A certificate the decoder refuses: keep the scan, note it.
      certificates.push({
        asked: c.asked,
        key: { type: "unknown", bits: null, curve: null },
        subject: "(undecodable)",
        issuer: "",
        sans: [],
        notBefore: "",
        notAfter: "",
        signatureAlgorithm: "",
        sha256: "",
        nameMatches: null,
        chain: [],
      });
    }
  }
  if (caNamesDer?.length) {
    rest.clientCertificate = { ...rest.clientCertificate, caNames: caNamesDer.map(caNameText) };
  }
  const result: ScanResult = {
    ...rest,
    certificates,
    findings: [],
    profiles: [],
    grade: { grade: "-", reasons: [] },
  };
  if (planned.error && !planned.versions.some((v) => v.accepted)) {
    result.grade = { grade: "-", reasons: ["the server could not be scanned"] };
    return result;
  }
  result.findings = findings(result, facts);
  const env = defaultPolicyEnv();
  const obs = policyObservation(result, facts);
  result.profiles = MOZILLA_PROFILES.map((name) => {
    const ev = evaluatePolicy(resolvePolicy(builtinPolicy(name)!, env), obs);
    return {
      name,
      compliant: ev.verdict === "pass",
      reasons: ev.findings.filter((f) => f.severity === "error").map((f) => f.message),
    };
  });
  if (facts.policy) {
    const ev = evaluatePolicy(facts.policy, obs);
    result.policy = {
      name: facts.policy.policy.name,
      verdict: ev.verdict,
      reasons: ev.findings.filter((f) => f.severity === "error").map((f) => f.message),
    };
  }
  result.grade = grade(result);
  return result;
}

function policyObservation(r: ScanResult, facts: EvaluateFacts): PolicyFacts {
  const acc = r.versions.filter((v) => v.accepted);
  const top = acc[0];
  const leaf = r.certificates[0];
  const keyType = leaf?.key.type === "EC" ? "ecdsa" : leaf?.key.type.toLowerCase();
  const groups = [...new Set(acc.flatMap((v) => v.groups))].map(groupName);
  const dh = acc.flatMap((v) => v.dhBits);
  return {
    peer: "server",
    outcome: "ok",
    version: top ? top.version : undefined,
    cipher: top?.suites[0] !== undefined ? { code: top.suites[0] } : undefined,
    group: top?.groups[0] !== undefined ? groupName(top.groups[0]) : undefined,
    dhBits: dh.length ? Math.min(...dh) : undefined,
    compression: r.features.compression?.value ? "deflate" : null,
    certificateKey: leaf && keyType
      ? { type: keyType, bits: leaf.key.bits ?? undefined, curve: leaf.key.curve ?? undefined }
      : undefined,
    verified: facts.trust?.verified ?? undefined,
    hostnameMatched: leaf?.nameMatches ?? undefined,
    serverCipherPreference: acc.find((v) => v.serverOrder !== null)?.serverOrder ?? undefined,
    accepted: {
      versions: acc.map((v) => v.version),
      suites: [...new Set(acc.flatMap((v) => v.suites))].map((code) => {
        const s = cipherSuiteByCode(code);
        return { code, iana: s?.iana, openssl: s?.openssl };
      }),
      groups,
    },
  };
}

/**
 * Every rule a scan judges by: the grade a finding of the rule caps the scan
 * at (null: informational, no cap) and where the problem is described. The
 * finding's severity follows from the cap ({@link GRADE_CAP_SEVERITY}); the
 * README's grade table lists the same rules.
 */
export const SCAN_RULES = {
  sslv2: { cap: "F", reference: "RFC 6176" },
  export: { cap: "F", reference: "CVE-2015-0204, CVE-2015-4000" },
  "null-cipher": { cap: "F", reference: "RFC 5246 §A.5" },
  "md5-signature": { cap: "F", reference: "RFC 6151" },
  sslv3: { cap: "C", reference: "RFC 7568" },
  anonymous: { cap: "C", reference: "RFC 5246 §F.1.1.1" },
  rc4: { cap: "C", reference: "RFC 7465" },
  "dh-weak": { cap: "C", reference: "CVE-2015-4000 (Logjam)" },
  compression: { cap: "C", reference: "CVE-2012-4929" },
  "rsa-small": { cap: "C", reference: "NIST SP 800-131A" },
  "cert-expired": { cap: "C", reference: "RFC 5280 §4.1.2.5" },
  "cert-not-yet-valid": { cap: "C", reference: "RFC 5280 §4.1.2.5" },
  "name-mismatch": { cap: "C", reference: "RFC 9525" },
  untrusted: { cap: "C", reference: "RFC 5280 §6" },
  tlsv1: { cap: "B", reference: "RFC 8996" },
  "tlsv1.1": { cap: "B", reference: "RFC 8996" },
  "no-tls12": { cap: "B", reference: "RFC 8996" },
  sweet32: { cap: "B", reference: "CVE-2016-2183" },
  "dh-small": { cap: "B", reference: "RFC 7919; Logjam" },
  "insecure-renegotiation": { cap: "B", reference: "CVE-2009-3555" },
  "sha1-signature": { cap: "B", reference: "RFC 9155; SHAttered" },
  "rsa-kx": { cap: "A", reference: "RFC 8446 §1.2; ROBOT (CVE-2017-13099)" },
  beast: { cap: "A", reference: "CVE-2011-3389" },
  "no-fallback-scsv": { cap: "A", reference: "RFC 7507" },
  "version-intolerance": { cap: "A", reference: "RFC 8446 §4.2.1; RFC 8701" },
  "cert-expiring": { cap: "A", reference: "RFC 5280 §4.1.2.5" },
  heartbeat: { cap: null, reference: "RFC 6520; CVE-2014-0160" },
} as const satisfies Record<string, { cap: GradeCap | null; reference: string }>;

/** A scan rule's name (a finding's `rule`). */
export type ScanRule = keyof typeof SCAN_RULES;

/** The grade cap of a finding's rule (null: none, or not a scan rule). */
function capOf(rule: string): GradeCap | null {
  return Object.hasOwn(SCAN_RULES, rule) ? SCAN_RULES[rule as ScanRule].cap : null;
}

/** Grade caps, worst first. */
const CAPS: readonly GradeCap[] = ["F", "C", "B", "A"];

/** Where a rule's cap sorts (uncapped rules last). */
function capRank(rule: string): number {
  const cap = capOf(rule);
  return cap ? CAPS.indexOf(cap) : CAPS.length;
}

function findings(r: ScanResult, facts: EvaluateFacts): Finding[] {
  const w: Finding[] = [];
  const add = (rule: ScanRule, message: string) => {
    const { cap, reference } = SCAN_RULES[rule];
    w.push({ rule, severity: cap ? GRADE_CAP_SEVERITY[cap] : "info", message, reference });
  };
  const acc = r.versions.filter((v) => v.accepted);
  const names = acc.map((v) => v.version);
  if (r.sslv2) add("sslv2", "SSLv2 is accepted");
  if (names.includes("SSLv3")) add("sslv3", "SSLv3 is accepted (POODLE)");
  for (const v of ["TLSv1", "TLSv1.1"]) {
    if (names.includes(v)) add(v.toLowerCase() as ScanRule, `${v} is accepted`);
  }
  if (!acc.some((v) => v.code >= 0x0303)) {
    add("no-tls12", "Neither TLS 1.2 nor TLS 1.3 is accepted");
  }
  const suitesOf = (
    pred: (code: number) => boolean,
  ) => [...new Set(acc.flatMap((v) => v.suites.filter(pred)))];
  const label = (codes: number[]) =>
    codes.slice(0, 4).map((c) => cipherSuiteByCode(c)?.openssl ?? cipherSuiteByCode(c)?.iana ?? c)
      .join(", ") + (codes.length > 4 ? `, … (${codes.length} in all)` : "");
  const s = (code: number) => cipherSuiteByCode(code);
  const check = (rule: ScanRule, pred: (code: number) => boolean, what: string) => {
    const codes = suitesOf(pred);
    if (codes.length) add(rule, `${what}: ${label(codes)}`);
  };
  check("export", (c) => !!s(c)?.export, "Export-grade suites (FREAK, Logjam)");
  check(
    "null-cipher",
    (c) => s(c)?.enc === "None" && c >> 8 !== 0x13,
    "Suites without encryption (NULL)",
  );
  check(
    "anonymous",
    (c) => s(c)?.au === "None" && c >> 8 !== 0x13,
    "Anonymous suites (no server authentication)",
  );
  check("rc4", (c) => !!s(c)?.enc.startsWith("RC4"), "RC4 suites");
  check(
    "sweet32",
    (c) => /3DES|DES|IDEA|RC2/.test(s(c)?.enc ?? ""),
    "64-bit block ciphers (SWEET32)",
  );
  check("rsa-kx", (c) => s(c)?.kx === "RSA", "RSA key exchange (no forward secrecy)");
  const tls10 = acc.find((v) => v.version === "TLSv1");
  if (tls10) {
    const cbc = tls10.suites.filter((c) =>
      !s(c)?.aead && /AES|CAMELLIA|DES|SEED|ARIA|IDEA/.test(s(c)?.enc ?? "")
    );
    if (cbc.length) add("beast", `CBC suites with TLS 1.0 (BEAST): ${label(cbc)}`);
  }
  const dh = acc.flatMap((v) => v.dhBits);
  if (dh.length) {
    const min = Math.min(...dh);
    if (min < 1024) add("dh-weak", `DHE with a ${min}-bit prime`);
    else if (min < 2048) add("dh-small", `DHE with a ${min}-bit prime`);
  }
  if (r.features.compression?.value) add("compression", "TLS compression is accepted (CRIME)");
  if (r.features.secureRenegotiation?.value === false) {
    add("insecure-renegotiation", "No secure renegotiation (RFC 5746)");
  }
  if (r.features.fallbackScsv?.value === false) {
    add("no-fallback-scsv", "TLS_FALLBACK_SCSV is not honoured");
  }
  if (r.features.versionTolerance?.value === false) {
    add(
      "version-intolerance",
      "The server fails a ClientHello offering an unknown higher version",
    );
  }
  if (r.features.heartbeat?.value) {
    add("heartbeat", "The heartbeat extension is enabled (check for Heartbleed)");
  }
  for (const c of r.certificates) {
    const who = `${c.asked.toUpperCase()} certificate ${c.subject}`;
    if (c.key.type === "RSA" && c.key.bits !== null && c.key.bits < 2048) {
      add("rsa-small", `${who}: RSA key of ${c.key.bits} bits`);
    }
    for (const link of c.chain.slice(0, Math.max(1, c.chain.length - 1))) {
      if (/md5/i.test(link.signatureAlgorithm)) {
        add("md5-signature", `${link.subject} is signed with MD5`);
      } else if (/sha1|sha-1/i.test(link.signatureAlgorithm)) {
        add("sha1-signature", `${link.subject} is signed with SHA-1`);
      }
    }
    const now = facts.now.getTime();
    const end = Date.parse(c.notAfter), start = Date.parse(c.notBefore);
    if (end < now) add("cert-expired", `${who} expired on ${c.notAfter}`);
    else if (end - now < 30 * 86400_000) {
      add("cert-expiring", `${who} expires on ${c.notAfter} (within 30 days)`);
    }
    if (start > now) add("cert-not-yet-valid", `${who} is not valid before ${c.notBefore}`);
    if (c.nameMatches === false) {
      add("name-mismatch", `${who} does not match ${r.target.serverName ?? r.target.host}`);
    }
  }
  if (facts.trust?.verified === false) {
    add("untrusted", `The chain is not trusted: ${facts.trust.message}`);
  }
  return w.sort((a, b) => capRank(a.rule) - capRank(b.rule));
}

/**
 * The grade: the worst cap among the findings (F, C, B, A); A+ when no
 * finding caps the grade and TLS 1.3 is accepted.
 */
function grade(r: ScanResult): { grade: string; reasons: string[] } {
  for (const cap of CAPS) {
    const hits = r.findings.filter((f) => capOf(f.rule) === cap);
    if (hits.length) {
      return { grade: cap, reasons: hits.map((f) => `${f.severity}: ${f.message}`) };
    }
  }
  const has13 = r.versions.some((v) => v.accepted && v.code === TLS1_3);
  return has13
    ? { grade: "A+", reasons: [] }
    : { grade: "A", reasons: [`TLS 1.3 is not accepted (${versionName(TLS1_3)} needed for A+)`] };
}

/** The leaf matched against the name by the strict decoder; null when it refuses the leaf. */
function strictMatch(der: Uint8Array, name: string): boolean | null {
  try {
    return matchIdentity(decodeCertificateSync(der), name).matched;
  } catch {
    return null;
  }
}
