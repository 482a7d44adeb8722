/**
 * Server-side handshake reports (the book's `test_tls.py -s`): what a client's
 * ClientHello offered and what was negotiated, in the dotted layout and as
 * JSON objects for `serve --report --json` (one per line).
 *
 * @module
 */
import { cipherSuiteByCode, cipherSuiteName } from "../registry/cipher_suites.ts";
import { groupName, isGrease } from "../registry/groups.ts";
import { signatureSchemeName } from "../registry/signature_schemes.ts";
import { versionName } from "../registry/versions.ts";
import type { ClientHello } from "../wire/client_hello.ts";
import type { Evaluation } from "../policy/evaluate.ts";
import type { HelloDecision } from "../policy/hello.ts";
import { offeredVersions } from "../policy/hello.ts";
import type { ServerFlight } from "../policy/stream.ts";
import { dotted, fill } from "./pyrepr.ts";

/** The JSON form of a client's offer. */
export interface OfferReport {
  /** legacy_version, by name. */
  legacyVersion: string;
  /** Versions offered (supported_versions, else legacy_version and below). */
  versions: string[];
  /** Suites offered (GREASE left out). */
  cipherSuites: Array<{ code: number; iana: string; openssl?: string }>;
  /** Groups offered (supported_groups). */
  groups: string[];
  /** Signature schemes offered (signature_algorithms). */
  signatureSchemes: string[];
  /** SNI, or null. */
  serverName: string | null;
  /** ALPN protocols offered. */
  alpn: string[];
  /** Compression methods offered. */
  compressionMethods: number[];
}

/** The JSON form of what was negotiated. */
export interface NegotiatedReport {
  /** Negotiated version (OpenSSL's name). */
  version: string;
  /** Chosen suite. */
  cipher: { code: number; iana: string; openssl?: string; bits?: number; definedIn?: string };
  /** Key-exchange group, when seen. */
  group: string | null;
  /** TLS 1.2 DHE: the prime's size. */
  dhBits?: number;
  /** Compression in use. */
  compression: string;
  /** Whether the server asked for another key share first. */
  helloRetryRequest: boolean;
  /** ALPN chosen (seen in TLS 1.2 only; TLS 1.3 encrypts it). */
  alpn: string | null;
}

const noGrease = (codes: number[] | undefined) => (codes ?? []).filter((c) => !isGrease(c));

/**
 * Describes a ClientHello.
 *
 * @param hello the parsed ClientHello
 * @returns the offer report
 */
export function offerReport(hello: ClientHello): OfferReport {
  return {
    legacyVersion: versionName(hello.legacyVersion),
    versions: offeredVersions(hello),
    cipherSuites: noGrease(hello.cipherSuites).map((code) => {
      const s = cipherSuiteByCode(code);
      return { code, iana: s?.iana ?? cipherSuiteName(code), openssl: s?.openssl };
    }),
    groups: noGrease(hello.groups).map(groupName),
    signatureSchemes: noGrease(hello.signatureAlgorithms).map(signatureSchemeName),
    serverName: hello.serverName ?? null,
    alpn: hello.alpn ?? [],
    compressionMethods: hello.compressionMethods,
  };
}

/**
 * Describes a server's first flight.
 *
 * @param flight what the server's first flight showed
 * @returns the negotiated report
 */
export function negotiatedReport(flight: ServerFlight): NegotiatedReport {
  const sh = flight.serverHello;
  return {
    version: versionName(sh.version),
    cipher: cipherReport(sh.cipherSuite),
    group: flight.group ?? null,
    ...(flight.dhBits !== undefined ? { dhBits: flight.dhBits } : {}),
    compression: sh.compression === 0 ? "none" : `method ${sh.compression}`,
    helloRetryRequest: sh.helloRetryRequest,
    alpn: sh.alpn ?? null,
  };
}

/** A suite as the negotiated report names it. */
function cipherReport(code: number): NegotiatedReport["cipher"] {
  const s = cipherSuiteByCode(code);
  return {
    code,
    iana: s?.iana ?? cipherSuiteName(code),
    openssl: s?.openssl,
    bits: s?.bits,
    definedIn: s?.definedIn,
  };
}

const say = (title: string, ...words: unknown[]) => fill(dotted(title, ...words));

/**
 * The dotted lines for a client's offer.
 *
 * @param o the offer report
 * @returns lines
 */
export function renderOffer(o: OfferReport): string[] {
  return [
    ...say("Versions offered", ...(o.versions.length ? o.versions : ["none"])),
    ...say(
      "Cipher suites offered",
      `(${o.cipherSuites.length})`,
      ...o.cipherSuites.map((s) => s.openssl ?? s.iana),
    ),
    ...say("Groups offered", ...(o.groups.length ? o.groups : ["none"])),
    ...say(
      "Signature schemes offered",
      ...(o.signatureSchemes.length ? o.signatureSchemes : ["none"]),
    ),
    ...say("Server name (SNI)", o.serverName ?? "none"),
    ...say("ALPN protocols offered", ...(o.alpn.length ? o.alpn : ["none"])),
  ];
}

/**
 * The dotted lines for what was negotiated (the names `test_tls.py` prints).
 *
 * @param n the negotiated report
 * @returns lines
 */
export function renderNegotiated(n: NegotiatedReport): string[] {
  return [
    ...say("Protocol version negotiated", n.version),
    ...say("Cipher chosen for this connection", n.cipher.openssl ?? n.cipher.iana),
    ...say("Cipher defined in TLS version", n.cipher.definedIn ?? "unknown"),
    ...say("Cipher key has this many bits", n.cipher.bits ?? "unknown"),
    ...say(
      "Key exchange group",
      n.group ?? (n.dhBits ? `DH ${n.dhBits} bits` : "none seen"),
    ),
    ...say("Compression algorithm in use", n.compression),
  ];
}

/**
 * The dotted lines for a policy decision on a ClientHello.
 *
 * @param policy the policy name
 * @param d the decision
 * @returns lines
 */
export function renderDecision(policy: string, d: HelloDecision): string[] {
  if (d.action === "accept") {
    return say("Policy on the client's offer", "acceptable", `(${policy})`);
  }
  return [
    ...say("Policy on the client's offer", "refused", `(${policy}),`, "alert", d.alert),
    ...d.findings.flatMap((f) => fill(`  ${f.rule}: ${f.message}`)),
  ];
}

/**
 * The dotted lines for a policy verdict on the negotiated session.
 *
 * @param e the evaluation
 * @returns lines
 */
export function renderSessionVerdict(e: Evaluation): string[] {
  return [
    ...say("Policy on the session", e.verdict, `(${e.policy})`),
    ...e.findings.filter((f) => f.severity !== "info").flatMap((f) =>
      fill(`  ${f.rule}: ${f.message}`)
    ),
  ];
}

/** A client certificate as the server saw it. */
export interface PeerCertificate {
  /** The subject (RFC 2253). */
  subject: string;
  /** The issuer (RFC 2253). */
  issuer: string;
  /** subjectAltName entries (`DNS:…`, `IP Address:…`, `email:…`). */
  names: string[];
  /** Start of validity (ISO 8601). */
  notBefore: string;
  /** End of validity (ISO 8601). */
  notAfter: string;
  /** SHA-256 fingerprint. */
  sha256: string;
  /** The chain as presented, leaf first (subjects). */
  chain: string[];
  /** Whether it verified against the client CA file. */
  verified: boolean;
  /** The runtime's verification error code (e.g. `UNABLE_TO_GET_ISSUER_CERT`). */
  error?: string;
}

/** What a server saw of its client's certificate, for the log and `--report`. */
export interface ClientCertificateReport {
  /** Whether the server asked for one. */
  requested: boolean;
  /** The certificate, or null when the client sent none. */
  certificate: PeerCertificate | null;
}

/**
 * Renders what the server saw of the client's certificate.
 *
 * @param r the report
 * @returns lines (none when no certificate was requested)
 */
export function renderClientCertificate(r: ClientCertificateReport): string[] {
  if (!r.requested) return [];
  const c = r.certificate;
  if (!c) return ["Client certificate ............ none (requested, not required)"];
  return [
    `Client certificate ............ ${c.subject}`,
    `  issuer ...................... ${c.issuer}`,
    ...(c.names.length ? [`  names ....................... ${c.names.join(", ")}`] : []),
    `  valid ....................... ${c.notBefore} to ${c.notAfter}`,
    ...(c.chain.length > 1 ? [`  chain ....................... ${c.chain.join(" <- ")}`] : []),
    `  verified .................... ${c.verified ? "yes" : `no (${c.error ?? "unknown"})`}`,
  ];
}

/**
 * What the lab engine negotiated, in the same form as the runtime path's
 * {@link negotiatedReport} (the lab engine knows it directly, no flight to read).
 *
 * @param s version, suite, group or DH size, HelloRetryRequest and ALPN
 * @returns the negotiated report
 */
export function labNegotiatedReport(s: {
  version: number;
  suite: number;
  group?: number;
  dhBits?: number;
  helloRetry?: boolean;
  alpn?: string;
}): NegotiatedReport {
  return {
    version: versionName(s.version),
    cipher: cipherReport(s.suite),
    group: s.group !== undefined ? groupName(s.group) : null,
    ...(s.dhBits !== undefined ? { dhBits: s.dhBits } : {}),
    compression: "none",
    helloRetryRequest: !!s.helloRetry,
    alpn: s.alpn ?? null,
  };
}
