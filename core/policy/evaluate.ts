/**
 * Evaluation: facts in, findings out. A policy is checked against what was
 * observed — a probe of a server, or a client's handshake seen by `serve` —
 * and every requirement that was broken (or could not be observed) becomes a
 * finding with the rule, what was expected, what was seen, a severity and a
 * sentence saying why it matters. Findings are data, never exceptions.
 *
 * @module
 */
import {
  EC_GROUP_BITS,
  FFDHE_GROUP_BITS,
  normalizeGroup,
  normalizeVersion,
  type Policy,
  VERSION_NAMES,
} from "./model.ts";
import { groupName, isGrease } from "../registry/groups.ts";
import { cipherSuiteByCode, formatCode } from "../registry/cipher_suites.ts";
import type { Finding, FindingValue, Severity } from "../report/finding.ts";
import { compressionName, type ProbeOutcome } from "../report/probe.ts";
import {
  isTls13Suite,
  type PolicyEnv,
  type ResolvedPolicy,
  resolvePolicy,
  suiteAllowed,
  type SuiteRef,
} from "./resolve.ts";

export type { Finding, FindingValue, Severity } from "../report/finding.ts";

/** The outcome of an evaluation. */
export interface Evaluation {
  /** The policy's name. */
  policy: string;
  /** `pass` when no finding is an error. */
  verdict: "pass" | "fail";
  /** Every finding, errors and notes alike. */
  findings: Finding[];
}

/** A certificate key as observed. */
export interface ObservedKey {
  /** `rsa`, `ecdsa` (or `ec`), `ed25519`, `ed448`, `dsa`. */
  type: string;
  /** Modulus or key size in bits. */
  bits?: number;
  /** Curve name, for EC keys. */
  curve?: string;
}

/** What a client offered in its ClientHello (the server-side view). */
export interface ObservedOffer {
  /** Versions the client supports (from supported_versions, else legacy_version and below). */
  versions: string[];
  /** Cipher suite codes, in the client's order (GREASE and SCSVs may be included). */
  suites: number[];
  /** Group names offered (supported_groups). */
  groups: string[];
  /** ALPN protocols offered. */
  alpn: string[];
  /** Compression methods offered (0 is null compression). */
  compressionMethods: number[];
}

/**
 * What was observed of a peer, in the shape the evaluator reads. Build one
 * with {@link policyFactsFromProbe} (from a probe's typed observation) or from
 * a served client's handshake (`core/policy/hello.ts`). Fields left out were
 * not observed.
 */
export interface PolicyFacts {
  /** Whose behaviour this is: a server we connected to, or a client we served. */
  peer: "server" | "client";
  /** Whether a session was agreed; `refused` when the peer sent an alert or hung up. */
  outcome: "ok" | "refused";
  /** The alert or error code when refused. */
  refusal?: { code: string; message: string; alert?: string };
  /** Negotiated version (any spelling `normalizeVersion` reads, or the wire code). */
  version?: string | number;
  /** Negotiated suite. */
  cipher?: { code?: number; iana?: string; openssl?: string };
  /** Negotiated key-exchange group. */
  group?: string;
  /** Size of a finite-field DH group that has no name (TLS 1.2 DHE), in bits. */
  dhBits?: number;
  /** Negotiated ALPN protocol, null when none. */
  alpn?: string | null;
  /** Compression in use, null or "none" when none. */
  compression?: string | null;
  /** The peer's end-entity key. */
  certificateKey?: ObservedKey;
  /** Whether the peer's chain verified. */
  verified?: boolean;
  /** Why it did not verify (an error code). */
  verifyCode?: string;
  /** Whether the peer's name matched its certificate. */
  hostnameMatched?: boolean;
  /** Whether the server asked for a client certificate. */
  clientCertificateRequested?: boolean;
  /** Whether the client presented a certificate. */
  clientCertificatePresented?: boolean;
  /** Whether the server's order decided the suite (from two probes in opposite orders). */
  serverCipherPreference?: boolean;
  /** What the client offered (server side). */
  offer?: ObservedOffer;
  /** What the server accepted when offered things outside the policy (enumeration). */
  accepted?: {
    versions?: string[];
    suites?: SuiteRef[];
    groups?: string[];
    /** The enumeration stopped at its cap: the server accepts at least these. */
    suitesCapped?: boolean;
    /** The enumeration stopped at its cap: the server accepts at least these. */
    groupsCapped?: boolean;
  };
}

function suiteName(s: { code?: number; iana?: string; openssl?: string }): string {
  return s.openssl ?? s.iana ??
    (s.code !== undefined ? formatCode(s.code) : "?");
}

function listed(names: string[], max = 6): string[] {
  return names.length > max ? [...names.slice(0, max), `… (${names.length - max} more)`] : names;
}

function keyType(t: string): string {
  const k = t.toLowerCase();
  return k === "ec" || k === "ecdsa" || k === "ecpublickey" ? "ecdsa" : k;
}

function curveBits(curve: string | undefined): number | undefined {
  if (!curve) return undefined;
  const g = normalizeGroup(curve);
  return EC_GROUP_BITS[g];
}

/** Whether a code is a GREASE value (RFC 8701) or a signalling suite (RFC 5746, RFC 7507). */
function isSignal(code: number): boolean {
  return isGrease(code) || code === 0x00ff || code === 0x5600;
}

/**
 * Evaluates a policy against what was observed.
 *
 * @param policy the policy, as written or already resolved
 * @param observed what was seen
 * @param env the registry and cipher-string engine (needed when `policy` is not resolved)
 * @returns the verdict and findings
 * @example
 * ```ts
 * import { evaluatePolicy } from "./evaluate.ts";
 * const env = { expandCipherString: () => [], findSuite: () => undefined };
 * const r = evaluatePolicy({ name: "p", role: "server", versions: ["TLSv1.3"] },
 *   { peer: "server", outcome: "ok", version: "TLSv1.2" }, env);
 * console.assert(r.verdict === "fail" && r.findings[0].rule === "version");
 * ```
 */
export function evaluatePolicy(
  policy: Policy | ResolvedPolicy,
  observed: PolicyFacts,
  env?: PolicyEnv,
): Evaluation {
  const rp: ResolvedPolicy = "policy" in policy ? policy : resolvePolicy(policy, mustEnv(env));
  const p = rp.policy;
  const f: Finding[] = [];
  const add = (
    rule: string,
    expected: FindingValue,
    observedValue: FindingValue,
    severity: Severity,
    message: string,
  ) => f.push({ rule, expected, observed: observedValue, severity, message });

  const allowedVersions = rp.versions ? VERSION_NAMES.filter((v) => rp.versions!.has(v)) : null;
  const allowedSuiteNames = rp.suites ? rp.suites.map(suiteName) : null;

  if (observed.outcome === "refused") {
    const r = observed.refusal;
    add(
      "handshake",
      "a session within the policy",
      r?.alert ?? r?.code ?? "refused",
      "error",
      observed.peer === "server"
        ? `The server refused every offer this policy allows (${
          r?.message ?? "no session"
        }), so no compliant client can connect.`
        : `The client's offer could not meet the policy (${r?.message ?? "no session"}).`,
    );
  }

  // The negotiated session.
  const version = normalizeVersion(observed.version);
  if (observed.version !== undefined && allowedVersions) {
    if (!version || !rp.versions!.has(version)) {
      add(
        "version",
        allowedVersions,
        version ?? String(observed.version),
        "error",
        `${version ?? observed.version} was negotiated; the policy allows only ${
          allowedVersions.join(", ")
        }.`,
      );
    }
  }
  if (observed.cipher?.code !== undefined) {
    const code = observed.cipher.code;
    if (!observed.cipher.openssl && !observed.cipher.iana) {
      const known = rp.env.findSuite(formatCode(code));
      if (known) observed = { ...observed, cipher: { ...known, code } };
    }
    if (!suiteAllowed(rp, code)) {
      const cipher = observed.cipher!;
      const list = isTls13Suite(code)
        ? (rp.tls13Suites ?? []).map(suiteName)
        : (allowedSuiteNames ?? []);
      add(
        "cipher",
        listed(list),
        suiteName(cipher),
        "error",
        list.length === 0
          ? `${suiteName(cipher)} was chosen, but the policy allows no ${
            isTls13Suite(code) ? "TLS 1.3" : "TLS 1.0-1.2"
          } suite at all.`
          : `${
            suiteName(cipher)
          } was chosen; it is not among the ${list.length} suites the policy allows.`,
      );
    }
  }
  if (observed.group !== undefined && rp.groups) {
    const g = normalizeGroup(observed.group);
    if (!rp.groups.has(g)) {
      add(
        "group",
        [...rp.groups],
        g,
        "error",
        `Key exchange used ${g}; the policy allows only ${[...rp.groups].join(", ")}.`,
      );
    }
  }
  const min = p.minKeySizes ?? {};
  if (observed.group !== undefined) {
    const g = normalizeGroup(observed.group);
    if (min.ec !== undefined && EC_GROUP_BITS[g] !== undefined && EC_GROUP_BITS[g] < min.ec) {
      add(
        "key-size.ec",
        min.ec,
        EC_GROUP_BITS[g],
        "error",
        `The ECDHE group ${g} has ${EC_GROUP_BITS[g]} bits; the policy needs ${min.ec}.`,
      );
    }
    if (min.dh !== undefined && FFDHE_GROUP_BITS[g] !== undefined && FFDHE_GROUP_BITS[g] < min.dh) {
      add(
        "key-size.dh",
        min.dh,
        FFDHE_GROUP_BITS[g],
        "error",
        `The DH group ${g} has ${FFDHE_GROUP_BITS[g]} bits; the policy needs ${min.dh}.`,
      );
    }
  }
  if (observed.dhBits !== undefined && min.dh !== undefined && observed.dhBits < min.dh) {
    add(
      "key-size.dh",
      min.dh,
      observed.dhBits,
      "error",
      `The server's DH group has ${observed.dhBits} bits; the policy needs ${min.dh} (Logjam).`,
    );
  }
  const key = observed.certificateKey;
  if (key) {
    const kt = keyType(key.type);
    if (kt === "rsa" && min.rsa !== undefined && key.bits !== undefined && key.bits < min.rsa) {
      add(
        "key-size.rsa",
        min.rsa,
        key.bits,
        "error",
        `The certificate's RSA key has ${key.bits} bits; the policy needs ${min.rsa}.`,
      );
    }
    const eb = kt === "ecdsa" ? (curveBits(key.curve) ?? key.bits) : undefined;
    if (eb !== undefined && min.ec !== undefined && eb < min.ec) {
      add(
        "key-size.ec",
        min.ec,
        eb,
        "error",
        `The certificate's EC key has ${eb} bits; the policy needs ${min.ec}.`,
      );
    }
    if (p.certificateKeyTypes && !p.certificateKeyTypes.includes(kt as "rsa")) {
      add(
        "certificate-type",
        p.certificateKeyTypes,
        kt,
        "warning",
        `The certificate has a ${kt} key; the policy recommends ${
          p.certificateKeyTypes.join(" or ")
        }.`,
      );
    }
  }
  if (observed.alpn !== undefined && p.alpn) {
    if (observed.alpn === null) {
      if (p.alpn.required) {
        add(
          "alpn",
          p.alpn.protocols,
          null,
          "error",
          `No ALPN protocol was agreed; the policy requires one of ${p.alpn.protocols.join(", ")}.`,
        );
      }
    } else if (!p.alpn.protocols.includes(observed.alpn)) {
      add(
        "alpn",
        p.alpn.protocols,
        observed.alpn,
        "error",
        `ALPN agreed on ${observed.alpn}; the policy allows ${p.alpn.protocols.join(", ")}.`,
      );
    }
  }
  if (
    p.compression === false && observed.compression !== undefined &&
    observed.compression !== null && observed.compression.toLowerCase() !== "none" &&
    observed.compression.toLowerCase() !== "null"
  ) {
    add(
      "compression",
      "none",
      observed.compression,
      "error",
      `TLS compression (${observed.compression}) is in use; it exposes secrets to CRIME.`,
    );
  }

  // Identity and trust: a client policy judging the server it reached.
  if (observed.peer === "server" && p.role === "client" && observed.outcome === "ok") {
    const mode = p.verification?.mode;
    if (mode !== undefined && mode !== "none" && observed.verified === false) {
      add(
        "verification",
        mode,
        observed.verifyCode ?? "not verified",
        mode === "required" ? "error" : "warning",
        `The server's certificate chain did not verify (${
          observed.verifyCode ?? "unknown reason"
        }); a ${mode} verification policy ${mode === "required" ? "refuses" : "warns about"} it.`,
      );
    }
    if (
      mode !== undefined && mode !== "none" && observed.verified === undefined &&
      observed.verifyCode
    ) {
      add(
        "verification",
        mode,
        observed.verifyCode,
        "info",
        `Trust could not be checked (${observed.verifyCode}), so the ${mode} verification ` +
          "was not observed.",
      );
    }
    if (p.checkHostname && observed.hostnameMatched === false) {
      add(
        "hostname",
        "name matches the certificate",
        "mismatch",
        "error",
        "The server's certificate does not name the host that was asked for (RFC 6125).",
      );
    }
  }

  // Client certificates.
  if (observed.peer === "server" && observed.outcome === "ok" && p.role === "server") {
    const rule = p.clientCertificate;
    if (rule === "required" || rule === "optional") {
      if (observed.clientCertificateRequested === false) {
        add(
          "client-certificate",
          rule,
          "not requested",
          "error",
          `The server does not ask for a client certificate; the policy wants it ${rule}.`,
        );
      }
    } else if (rule === "none" && observed.clientCertificateRequested === true) {
      add(
        "client-certificate",
        "none",
        "requested",
        "warning",
        "The server asks for a client certificate; the policy does not.",
      );
    }
  }
  if (observed.peer === "client" && p.clientCertificate === "required") {
    if (observed.clientCertificatePresented === undefined) {
      add(
        "client-certificate",
        "required",
        null,
        "info",
        "Whether the client can present a certificate was not observed: the TLS listener (Deno listenTls) cannot " +
          "request client certificates.",
      );
    } else if (!observed.clientCertificatePresented) {
      add(
        "client-certificate",
        "required",
        "none",
        "error",
        "The client presented no certificate; the policy requires one.",
      );
    }
  }

  if (p.serverCipherPreference === true && observed.peer === "server") {
    if (observed.serverCipherPreference === false) {
      add(
        "server-preference",
        true,
        false,
        "error",
        "The server follows the client's cipher order; the policy wants the server's order.",
      );
    } else if (observed.serverCipherPreference === undefined) {
      add(
        "server-preference",
        true,
        null,
        "info",
        "Server cipher preference was not observed (it needs two probes in opposite orders).",
      );
    }
  }

  // Enumeration: what the server accepts beyond the policy.
  const acc = observed.accepted;
  if (acc?.versions && allowedVersions) {
    for (const v of acc.versions) {
      const n = normalizeVersion(v);
      if (n && !rp.versions!.has(n)) {
        add(
          "accepted.version",
          allowedVersions,
          n,
          "error",
          `The server accepts ${n}, which the policy does not allow.`,
        );
      }
    }
  }
  if (acc?.suites) {
    const bad = acc.suites.filter((s) => !suiteAllowed(rp, s.code));
    if (bad.length) {
      add(
        "accepted.cipher",
        listed(allowedSuiteNames ?? []),
        listed(bad.map(suiteName)),
        "error",
        `The server accepts ${
          acc.suitesCapped ? "at least " : ""
        }${bad.length} suite(s) outside the policy: ${bad.slice(0, 4).map(suiteName).join(", ")}${
          bad.length > 4 ? ", …" : ""
        }.`,
      );
    }
  }
  if (acc?.groups && rp.groups) {
    // A server that also accepts groups the policy does not list is a
    // deviation, not a weakness, unless the group is below the key-size floor:
    // a client under the policy never offers them.
    const bad = acc.groups.map(normalizeGroup).filter((g) => !rp.groups!.has(g));
    const weak = bad.filter((g) =>
      (min.ec !== undefined && EC_GROUP_BITS[g] !== undefined && EC_GROUP_BITS[g] < min.ec) ||
      (min.dh !== undefined && FFDHE_GROUP_BITS[g] !== undefined && FFDHE_GROUP_BITS[g] < min.dh)
    );
    if (bad.length) {
      add(
        "accepted.group",
        [...rp.groups],
        bad,
        weak.length ? "error" : "warning",
        weak.length
          ? `The server accepts group(s) below the policy's key sizes: ${weak.join(", ")}.`
          : `The server also accepts ${
            acc.groupsCapped ? "at least these " : ""
          }group(s) the policy does not list: ${bad.join(", ")}.`,
      );
    }
  }

  // A client's offer (server side).
  if (observed.offer) f.push(...offerFindings(rp, observed.offer));

  return {
    policy: p.name,
    verdict: f.some((x) => x.severity === "error") ? "fail" : "pass",
    findings: f,
  };
}

/**
 * Findings about a client's offer: whether any version, suite and group in it
 * can meet the policy (the checks a server makes before its ServerHello).
 *
 * @param rp the resolved policy
 * @param offer what the client offered
 * @returns findings (errors when no offered item is allowed)
 */
export function offerFindings(rp: ResolvedPolicy, offer: ObservedOffer): Finding[] {
  const f: Finding[] = [];
  const versions = offer.versions.map((v) => normalizeVersion(v)).filter((v) => v !== undefined);
  const allowedVersions = rp.versions ? VERSION_NAMES.filter((v) => rp.versions!.has(v)) : null;
  const common = versions.filter((v) => rp.versions === null || rp.versions.has(v));
  if (allowedVersions && common.length === 0) {
    f.push({
      rule: "offer.version",
      expected: allowedVersions,
      observed: versions,
      severity: "error",
      message: `The client offers ${versions.join(", ") || "no known version"}; the policy needs ${
        allowedVersions.join(" or ")
      } (a server answers with a protocol_version alert).`,
    });
    return f;
  }
  const real = offer.suites.filter((c) => !isSignal(c));
  const usable = real.filter((c) => {
    if (!suiteAllowed(rp, c)) return false;
    // A suite is usable only with a version it belongs to (RFC 8446 §4.1.1).
    return isTls13Suite(c) ? common.includes("TLSv1.3") : common.some((v) => v !== "TLSv1.3");
  });
  if (usable.length === 0) {
    f.push({
      rule: "offer.cipher",
      expected: listed([
        ...(rp.suites ?? []).map(suiteName),
        ...(common.includes("TLSv1.3") ? (rp.tls13Suites ?? []).map(suiteName) : []),
      ]),
      observed: listed(real.map(formatCode)),
      severity: "error",
      message: `None of the client's ${real.length} suites is allowed for ${
        common.join("/")
      } by the policy (a server answers with a handshake_failure alert).`,
    });
  }
  if (rp.groups && offer.groups.length > 0) {
    const ok = offer.groups.map(normalizeGroup).filter((g) => rp.groups!.has(g));
    if (ok.length === 0) {
      f.push({
        rule: "offer.group",
        expected: [...rp.groups],
        observed: offer.groups,
        severity: "error",
        message: "None of the client's groups is allowed by the policy.",
      });
    }
  }
  if (rp.policy.alpn?.required && offer.alpn.length > 0) {
    const ok = offer.alpn.filter((a) => rp.policy.alpn!.protocols.includes(a));
    if (ok.length === 0) {
      f.push({
        rule: "offer.alpn",
        expected: rp.policy.alpn.protocols,
        observed: offer.alpn,
        severity: "error",
        message: "None of the client's ALPN protocols is allowed (no_application_protocol).",
      });
    }
  }
  return f;
}

function mustEnv(env: PolicyEnv | undefined): PolicyEnv {
  if (!env) throw new TypeError("evaluatePolicy(): an unresolved policy needs a PolicyEnv");
  return env;
}

/**
 * The facts a policy reads from one probe: the negotiated session from the
 * inspection handshake's typed observation, the leaf's key, the trust verdict
 * and the identity check from the report body. A probe that failed is a
 * refusal carrying the error's code and alert.
 *
 * @param probe the probe's outcome
 * @returns the facts about the server
 * @example
 * ```ts
 * import { policyFactsFromProbe } from "./evaluate.ts";
 * const body = { target: { host: "h", port: 1, address: null, serverName: null, starttls: null },
 *   handshake: null, certificates: [], identity: null, trust: null, findings: [] };
 * console.assert(policyFactsFromProbe({ body }).outcome === "refused");
 * ```
 */
export function policyFactsFromProbe(probe: ProbeOutcome): PolicyFacts {
  const obs = probe.error ? undefined : probe.observation;
  if (!obs) {
    const e = probe.error;
    return {
      peer: "server",
      outcome: "refused",
      refusal: {
        code: e?.code ?? "UNKNOWN",
        message: e?.message ?? "no handshake",
        alert: e?.detail.alert,
      },
    };
  }
  const suite = cipherSuiteByCode(obs.cipherSuite);
  const kx = obs.keyExchange;
  const o: PolicyFacts = {
    peer: "server",
    outcome: "ok",
    version: obs.version,
    cipher: {
      code: obs.cipherSuite,
      iana: suite?.iana ?? formatCode(obs.cipherSuite),
      openssl: suite?.openssl ?? undefined,
    },
    alpn: obs.alpn ?? null,
    compression: compressionName(obs.compression),
    clientCertificateRequested: obs.certificateRequest !== undefined,
  };
  // A named group has a code; an unnamed TLS 1.2 DHE prime only a size.
  if (kx.group !== undefined) o.group = groupName(kx.group);
  else if (kx.dhBits !== undefined) o.dhBits = kx.dhBits;
  const key = probe.body.certificates[0]?.key;
  if (key) {
    o.certificateKey = {
      type: key.type,
      bits: key.bits ?? undefined,
      curve: key.curve ?? undefined,
    };
  }
  const trust = probe.body.trust;
  if (trust && typeof trust.verified === "boolean") o.verified = trust.verified;
  if (trust?.code) o.verifyCode = trust.code;
  const matched = probe.body.identity?.matched;
  if (typeof matched === "boolean") o.hostnameMatched = matched;
  return o;
}
