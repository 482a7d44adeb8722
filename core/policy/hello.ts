/**
 * The server side of a policy: what a server under the policy does with a
 * client's ClientHello before its ServerHello (accept, or refuse with the
 * alert a real server would send), and how the ServerHello that comes back
 * from the TLS listener is checked.
 *
 * The input shapes are structural subsets of `core/wire`'s parsed
 * ClientHello and ServerHello, so this module stays free of the codec.
 *
 * @module
 */
import { VERSION_CODES, VERSION_NAMES, type VersionName } from "./model.ts";
import {
  evaluatePolicy,
  type Evaluation,
  type Finding,
  type ObservedOffer,
  offerFindings,
} from "./evaluate.ts";
import type { ResolvedPolicy } from "./resolve.ts";
import { isGrease } from "../registry/groups.ts";
import { ALERT_DESCRIPTIONS } from "../registry/alerts.ts";
import { formatCode, isTls13Suite } from "../registry/cipher_suites.ts";
import { versionByName } from "../registry/versions.ts";

/** The ClientHello fields a policy reads (a subset of `core/wire`'s ClientHello). */
export interface HelloFacts {
  /** legacy_version (RFC 8446 §4.1.2). */
  legacyVersion: number;
  /** Offered suite codes, in the client's order. */
  cipherSuites: number[];
  /** Offered compression methods (0 is null). */
  compressionMethods: number[];
  /** supported_versions, when present (RFC 8446 §4.2.1). */
  supportedVersions?: number[];
  /** Group code points (supported_groups). */
  groups?: number[];
  /** ALPN protocols offered. */
  alpn?: string[];
  /** SNI host name. */
  serverName?: string;
  /** signature_algorithms code points. */
  signatureAlgorithms?: number[];
}

/** What a server under the policy does with a ClientHello. */
export interface HelloDecision {
  /** `accept`: pass the bytes on to the TLS listener; `reject`: send `alert` and close. */
  action: "accept" | "reject";
  /** The alert description a real server sends (RFC 8446 §6.2), when rejecting. */
  alert?: "protocol_version" | "handshake_failure" | "no_application_protocol";
  /** The alert's code. */
  alertCode?: number;
  /** The client's offer as the policy reads it. */
  offer: ObservedOffer;
  /** Why (empty when accepting). */
  findings: Finding[];
}

/** An alert's code by its name, from the registry (RFC 8446 §6). */
function alertCode(name: string): number {
  return ALERT_DESCRIPTIONS.find((a) => a.name === name)!.code;
}

/**
 * The versions a ClientHello offers: its supported_versions list (RFC 8446
 * §4.2.1), or without one every version up to legacy_version (a TLS 1.2
 * server negotiates the client's version or a lower one, RFC 5246 §E.1).
 *
 * @param hello the ClientHello facts
 * @returns version names, in the client's order or newest first
 */
export function offeredVersions(hello: HelloFacts): VersionName[] {
  if (hello.supportedVersions && hello.supportedVersions.length > 0) {
    return hello.supportedVersions
      .filter((c) => !isGrease(c))
      .map((c) => VERSION_NAMES.find((n) => VERSION_CODES[n] === c))
      .filter((v): v is VersionName => v !== undefined);
  }
  return [...VERSION_NAMES].reverse().filter((n) => VERSION_CODES[n] <= hello.legacyVersion);
}

/**
 * Reads a ClientHello into the offer the evaluator checks.
 *
 * @param hello the ClientHello facts
 * @param groupName names a group code point (the registry's `groupName`)
 * @returns the offer
 */
export function offerFromHello(
  hello: HelloFacts,
  groupName: (code: number) => string,
): ObservedOffer {
  return {
    versions: offeredVersions(hello),
    suites: hello.cipherSuites,
    groups: (hello.groups ?? []).filter((g) => !isGrease(g)).map(groupName),
    alpn: hello.alpn ?? [],
    compressionMethods: hello.compressionMethods,
  };
}

/**
 * Decides what a server under the policy does with a ClientHello: refuse a
 * client that offers no allowed version (`protocol_version`), no allowed suite
 * for the version it would get (`handshake_failure`) or no allowed ALPN
 * protocol when one is required (`no_application_protocol`), as OpenSSL does.
 *
 * @param rp the resolved policy
 * @param hello the ClientHello facts
 * @param groupName names a group code point
 * @returns the decision
 */
export function decideClientHello(
  rp: ResolvedPolicy,
  hello: HelloFacts,
  groupName: (code: number) => string,
): HelloDecision {
  const offer = offerFromHello(hello, groupName);
  const findings = offerFindings(rp, offer).filter((f) => f.severity === "error");
  if (findings.length === 0) return { action: "accept", offer, findings };
  const first = findings[0].rule;
  const alert = first === "offer.version"
    ? "protocol_version"
    : first === "offer.alpn"
    ? "no_application_protocol"
    : "handshake_failure";
  return { action: "reject", alert, alertCode: alertCode(alert), offer, findings };
}

/** The ServerHello fields a policy reads. */
export interface ServerHelloFacts {
  /** The negotiated version (supported_versions when present, else legacy_version). */
  version: number;
  /** The chosen suite. */
  cipherSuite: number;
  /** The chosen compression method (0 is null). */
  compressionMethod: number;
  /** The key-share group (TLS 1.3), by name. */
  group?: string;
  /** ALPN chosen, when the ServerHello carries it (TLS 1.2). */
  alpn?: string | null;
}

/**
 * Checks the ServerHello the TLS listener chose against the policy (the
 * listener cannot be told the policy, so it may choose outside it).
 *
 * @param rp the resolved policy
 * @param sh the ServerHello facts
 * @returns the evaluation; `fail` means the session must be refused
 */
export function checkServerHello(rp: ResolvedPolicy, sh: ServerHelloFacts): Evaluation {
  return evaluatePolicy(rp, {
    peer: "client",
    outcome: "ok",
    version: sh.version,
    cipher: { code: sh.cipherSuite },
    group: sh.group,
    alpn: sh.alpn,
    compression: sh.compressionMethod === 0 ? null : `method ${sh.compressionMethod}`,
  });
}

/** Why the runtime's own server cannot serve a ClientHello. */
export interface EngineRefusal {
  /** The alert a server sends. */
  alert: "protocol_version" | "handshake_failure";
  /** The alert's code (RFC 8446 §6). */
  alertCode: number;
  /** The stable error code. */
  code: "PROTOCOL_VERSION" | "NO_SHARED_CIPHER";
  /** Written from the server's side: what the client offered and what this server speaks. */
  message: string;
}

function versionLabel(v: VersionName): string {
  return versionByName(v)?.ietf ?? v;
}

/**
 * Checks a ClientHello against what the runtime's server speaks (TLS 1.2 and
 * 1.3 within `range`; ECDHE with AES-GCM or ChaCha20 in TLS 1.2), so a
 * client that cannot be served is refused with the alert a server sends and a
 * message naming what it offered.
 *
 * @param hello the ClientHello facts
 * @param range the versions this server is configured for
 * @param suites the suites the runtime speaks, as observed (`core/net/features.ts`
 *   `runtimeSuites`); undefined leaves the suite check to the runtime
 * @returns the refusal, or undefined when the runtime can serve it
 */
export function engineRefusal(
  hello: HelloFacts,
  range: { min: "TLSv1.2" | "TLSv1.3"; max: "TLSv1.2" | "TLSv1.3" },
  suites?: readonly number[],
): EngineRefusal | undefined {
  const offered = offeredVersions(hello);
  const lo = VERSION_CODES[range.min], hi = VERSION_CODES[range.max];
  const usable = offered.filter((v) => VERSION_CODES[v] >= lo && VERSION_CODES[v] <= hi);
  const speaks = range.min === range.max
    ? versionLabel(range.min)
    : `${versionLabel(range.min)} to ${versionLabel(range.max)}`;
  if (usable.length === 0) {
    const highest = offered.length
      ? versionLabel(
        offered.reduce((a, b) => (VERSION_CODES[a] >= VERSION_CODES[b] ? a : b)),
      )
      : `version ${formatCode(hello.legacyVersion)}`;
    return {
      alert: "protocol_version",
      alertCode: alertCode("protocol_version"),
      code: "PROTOCOL_VERSION",
      message: `The client offered at most ${highest} (${
        offered.map(versionLabel).join(", ") || "nothing this server knows"
      }); this server speaks ${speaks}`,
    };
  }
  if (suites === undefined) return undefined;
  const shared = hello.cipherSuites.filter((s) =>
    suites.includes(s) &&
    (isTls13Suite(s) ? usable.includes("TLSv1.3") : usable.includes("TLSv1.2"))
  );
  if (shared.length === 0) {
    // Signalling values (renegotiation_info, fallback) and GREASE are not suites.
    const real = hello.cipherSuites.filter((c) => c !== 0x00ff && c !== 0x5600 && !isGrease(c));
    return {
      alert: "handshake_failure",
      alertCode: alertCode("handshake_failure"),
      code: "NO_SHARED_CIPHER",
      message: `The client offered ${real.length} cipher suite${real.length === 1 ? "" : "s"} for ${
        usable.map(versionLabel).join("/")
      }, none that this server speaks (TLS 1.3: AES-GCM, ChaCha20-Poly1305; TLS 1.2: ECDHE with AES-GCM or ChaCha20-Poly1305)`,
    };
  }
  return undefined;
}
