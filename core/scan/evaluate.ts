/**
 * Verdicts on a scan: the chains decoded, weaknesses with severity and a
 * reference, each Mozilla profile (through `core/policy/`), an optional user
 * policy, and the overall grade. Pure.
 *
 * Grade rules (also in the README): F with any critical weakness, C with any
 * high one, B with any medium one, A with only low or informational ones, A+
 * when nothing above informational was found and TLS 1.3 is accepted.
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
import type { ScanChain, ScanResult, Weakness, WeaknessSeverity } from "./model.ts";
import type { PlannedScan } from "./plan.ts";

/** The Mozilla profiles every scan is judged against. */
export const MOZILLA_PROFILES = ["mozilla-modern", "mozilla-intermediate", "mozilla-old"];

const SEVERITY_ORDER: WeaknessSeverity[] = ["critical", "high", "medium", "low", "info"];

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
    weaknesses: [],
    profiles: [],
    grade: { grade: "-", reasons: [] },
  };
  if (planned.error && !planned.versions.some((v) => v.accepted)) {
    result.grade = { grade: "-", reasons: ["the server could not be scanned"] };
    return result;
  }
  result.weaknesses = weaknesses(result, facts);
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

function weaknesses(r: ScanResult, facts: EvaluateFacts): Weakness[] {
  const w: Weakness[] = [];
  const add = (id: string, severity: WeaknessSeverity, message: string, reference: string) =>
    w.push({ id, severity, message, reference });
  const acc = r.versions.filter((v) => v.accepted);
  const names = acc.map((v) => v.version);
  if (r.sslv2) add("sslv2", "critical", "SSLv2 is accepted", "RFC 6176");
  if (names.includes("SSLv3")) add("sslv3", "high", "SSLv3 is accepted (POODLE)", "RFC 7568");
  for (const v of ["TLSv1", "TLSv1.1"]) {
    if (names.includes(v)) add(`${v.toLowerCase()}`, "medium", `${v} is accepted`, "RFC 8996");
  }
  if (!acc.some((v) => v.code >= 0x0303)) {
    add("no-tls12", "medium", "Neither TLS 1.2 nor TLS 1.3 is accepted", "RFC 8996");
  }
  const suitesOf = (
    pred: (code: number) => boolean,
  ) => [...new Set(acc.flatMap((v) => v.suites.filter(pred)))];
  const label = (codes: number[]) =>
    codes.slice(0, 4).map((c) => cipherSuiteByCode(c)?.openssl ?? cipherSuiteByCode(c)?.iana ?? c)
      .join(", ") + (codes.length > 4 ? `, … (${codes.length} in all)` : "");
  const s = (code: number) => cipherSuiteByCode(code);
  const check = (
    id: string,
    severity: WeaknessSeverity,
    pred: (code: number) => boolean,
    what: string,
    ref: string,
  ) => {
    const codes = suitesOf(pred);
    if (codes.length) add(id, severity, `${what}: ${label(codes)}`, ref);
  };
  check(
    "export",
    "critical",
    (c) => !!s(c)?.export,
    "Export-grade suites (FREAK, Logjam)",
    "CVE-2015-0204, CVE-2015-4000",
  );
  check(
    "null-cipher",
    "critical",
    (c) => s(c)?.enc === "None" && c >> 8 !== 0x13,
    "Suites without encryption (NULL)",
    "RFC 5246 §A.5",
  );
  check(
    "anonymous",
    "high",
    (c) => s(c)?.au === "None" && c >> 8 !== 0x13,
    "Anonymous suites (no server authentication)",
    "RFC 5246 §F.1.1.1",
  );
  check("rc4", "high", (c) => !!s(c)?.enc.startsWith("RC4"), "RC4 suites", "RFC 7465");
  check(
    "sweet32",
    "medium",
    (c) => /3DES|DES|IDEA|RC2/.test(s(c)?.enc ?? ""),
    "64-bit block ciphers (SWEET32)",
    "CVE-2016-2183",
  );
  check(
    "rsa-kx",
    "low",
    (c) => s(c)?.kx === "RSA",
    "RSA key exchange (no forward secrecy)",
    "RFC 8446 §1.2; ROBOT (CVE-2017-13099)",
  );
  const tls10 = acc.find((v) => v.version === "TLSv1");
  if (tls10) {
    const cbc = tls10.suites.filter((c) =>
      !s(c)?.aead && /AES|CAMELLIA|DES|SEED|ARIA|IDEA/.test(s(c)?.enc ?? "")
    );
    if (cbc.length) {
      add("beast", "low", `CBC suites with TLS 1.0 (BEAST): ${label(cbc)}`, "CVE-2011-3389");
    }
  }
  const dh = acc.flatMap((v) => v.dhBits);
  if (dh.length) {
    const min = Math.min(...dh);
    if (min < 1024) add("dh-weak", "high", `DHE with a ${min}-bit prime`, "CVE-2015-4000 (Logjam)");
    else if (min < 2048) {
      add("dh-small", "medium", `DHE with a ${min}-bit prime`, "RFC 7919; Logjam");
    }
  }
  if (r.features.compression?.value) {
    add("compression", "high", "TLS compression is accepted (CRIME)", "CVE-2012-4929");
  }
  if (r.features.secureRenegotiation?.value === false) {
    add("insecure-renegotiation", "medium", "No secure renegotiation (RFC 5746)", "CVE-2009-3555");
  }
  if (r.features.fallbackScsv?.value === false) {
    add("no-fallback-scsv", "low", "TLS_FALLBACK_SCSV is not honoured", "RFC 7507");
  }
  if (r.features.versionTolerance?.value === false) {
    add(
      "version-intolerance",
      "low",
      "The server fails a ClientHello offering an unknown higher version",
      "RFC 8446 §4.2.1; RFC 8701",
    );
  }
  if (r.features.heartbeat?.value) {
    add(
      "heartbeat",
      "info",
      "The heartbeat extension is enabled (check for Heartbleed)",
      "RFC 6520; CVE-2014-0160",
    );
  }
  for (const c of r.certificates) {
    const who = `${c.asked.toUpperCase()} certificate ${c.subject}`;
    if (c.key.type === "RSA" && c.key.bits !== null && c.key.bits < 2048) {
      add("rsa-small", "high", `${who}: RSA key of ${c.key.bits} bits`, "NIST SP 800-131A");
    }
    for (const link of c.chain.slice(0, Math.max(1, c.chain.length - 1))) {
      if (/md5/i.test(link.signatureAlgorithm)) {
        add("md5-signature", "critical", `${link.subject} is signed with MD5`, "RFC 6151");
      } else if (/sha1|sha-1/i.test(link.signatureAlgorithm)) {
        add(
          "sha1-signature",
          "medium",
          `${link.subject} is signed with SHA-1`,
          "RFC 9155; SHAttered",
        );
      }
    }
    const now = facts.now.getTime();
    const end = Date.parse(c.notAfter), start = Date.parse(c.notBefore);
    if (end < now) {
      add("cert-expired", "high", `${who} expired on ${c.notAfter}`, "RFC 5280 §4.1.2.5");
    } else if (end - now < 30 * 86400_000) {
      add(
        "cert-expiring",
        "low",
        `${who} expires on ${c.notAfter} (within 30 days)`,
        "RFC 5280 §4.1.2.5",
      );
    }
    if (start > now) {
      add(
        "cert-not-yet-valid",
        "high",
        `${who} is not valid before ${c.notBefore}`,
        "RFC 5280 §4.1.2.5",
      );
    }
    if (c.nameMatches === false) {
      add(
        "name-mismatch",
        "high",
        `${who} does not match ${r.target.serverName ?? r.target.host}`,
        "RFC 9525",
      );
    }
  }
  if (facts.trust?.verified === false) {
    add("untrusted", "high", `The chain is not trusted: ${facts.trust.message}`, "RFC 5280 §6");
  }
  return w.sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
}

function grade(r: ScanResult): { grade: string; reasons: string[] } {
  const by = (s: WeaknessSeverity) => r.weaknesses.filter((w) => w.severity === s);
  for (const [sev, g] of [["critical", "F"], ["high", "C"], ["medium", "B"]] as const) {
    const hits = by(sev);
    if (hits.length) return { grade: g, reasons: hits.map((w) => `${sev}: ${w.message}`) };
  }
  const low = by("low");
  if (low.length) return { grade: "A", reasons: low.map((w) => `low: ${w.message}`) };
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
