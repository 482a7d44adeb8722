/**
 * The scanner's vocabulary: what one handshake offers ({@link HelloOffer},
 * {@link InspectOffer}), what came back ({@link HelloAnswer},
 * {@link InspectAnswer}), the {@link Prober} that runs handshakes (over TCP in
 * `core/net/scan.ts`, over a server model in tests), and the result of a scan
 * ({@link ScanResult}).
 *
 * @module
 */
import type { CertFinding } from "../x509/findings.ts";
import type { Finding, Severity } from "../report/finding.ts";
import type { ErrorCode, ErrorDetail } from "../errors.ts";
import type { ServerHello } from "../wire/server_hello.ts";

/** One ClientHello to send; the handshake is cut once the answer is read. */
export interface HelloOffer {
  /** Versions offered (one pins it; TLS 1.3 goes in supported_versions). */
  versions: number[];
  /** Suites, in preference order. */
  suites: number[];
  /** supported_groups; undefined sends the prober's default list. */
  groups?: number[];
  /** Groups to send TLS 1.3 key shares for; [] sends an empty key_share. */
  keyShares?: number[];
  /** signature_algorithms; undefined sends the default list. */
  sigalgs?: number[];
  /** ALPN protocols. */
  alpn?: string[];
  /** Append TLS_FALLBACK_SCSV (RFC 7507). */
  fallbackScsv?: boolean;
  /** Compression methods (default [0]). */
  compression?: number[];
  /** Offer encrypt_then_mac (RFC 7366). */
  encryptThenMac?: boolean;
  /** Offer the heartbeat extension (RFC 6520). */
  heartbeat?: boolean;
  /** Add GREASE (RFC 8701). */
  grease?: boolean;
  /** Read on to the ServerKeyExchange (TLS 1.0–1.2) instead of stopping at the ServerHello. */
  untilKeyExchange?: boolean;
  /** Read on to the ServerHelloDone (TLS 1.0–1.2), keeping a CertificateRequest. */
  untilDone?: boolean;
  /** legacy_session_id to offer (TLS 1.0–1.2 resumption). */
  sessionId?: Uint8Array;
  /** false: no session_ticket extension (so a server resumes by session ID only). */
  sessionTicket?: boolean;
  /** A TLS 1.2 ticket to resume with, in session_ticket (RFC 5077 §3.2). */
  ticket?: Uint8Array;
  /**
   * A TLS 1.3 ticket offered as a PSK (RFC 8446 §4.2.11): pre_shared_key goes
   * last with a zero binder of `binderLength` bytes, for the prober to fill in
   * (`bindPsk` in `hello.ts`).
   */
  psk?: { identity: Uint8Array; obfuscatedAge: number; binderLength: number };
}

/** The failure of one handshake, as data. */
export interface HandshakeFailure {
  /** The stable code. */
  code: ErrorCode;
  /** One line for a person. */
  message: string;
  /** Structured detail (offset, alert, the runtime's message). */
  detail?: ErrorDetail;
}

/** What one ClientHello got. */
export type HelloAnswer =
  | {
    kind: "hello";
    serverHello: ServerHello;
    /** From the ServerKeyExchange, when read (`dhGroup`: the RFC 7919 group whose prime it is). */
    keyExchange?: { group?: number; dhBits?: number; dhGroup?: number; scheme?: number };
    /** The CertificateRequest (with `untilDone`): its CA names (DER). */
    certificateRequest?: { caNames: Uint8Array[] };
  }
  /** The server refused with an alert. */
  | { kind: "alert"; alert: string; code: ErrorCode }
  /** The server closed (or reset) the connection without an answer. */
  | { kind: "dropped"; code: ErrorCode }
  /** Anything else: timeout, refused connection, garbage. */
  | { kind: "error"; error: HandshakeFailure };

/** A full inspection handshake (certificates, the TLS 1.3 encrypted flight). */
export interface InspectOffer {
  /** Version codes to offer. */
  versions: number[];
  /** Suite codes to offer, in order. */
  suites: number[];
  /** Signature schemes to offer. */
  sigalgs?: number[];
  /** ALPN protocols to offer. */
  alpn?: string[];
  /** SNI: undefined sends the target's name; null sends none. */
  serverName?: string | null;
  /** How long to wait for TLS 1.3 tickets after our Finished; 0 stops at the server's Finished. */
  ticketWaitMs?: number;
  /** Wait `ticketWaitMs` in full, not scaled to the server's measured turn. */
  fixedTicketWait?: boolean;
}

/** What a full inspection handshake saw. */
export type InspectAnswer =
  | {
    kind: "ok";
    version: number;
    cipherSuite: number;
    /** The chain as sent, leaf first (DER). */
    certificates: Uint8Array[];
    ocspStapled: boolean;
    /** Present when the server asked for a client certificate: the CA names (DER DistinguishedNames). */
    certificateRequest?: { caNames: Uint8Array[] };
    /** TLS 1.3: an alert after our Finished (`certificate_required` when a certificate is required). */
    postHandshakeAlert?: string;
    /** Session tickets issued (null: not known). */
    sessionTicket: boolean | null;
    alpn?: string;
    /** The handshake signature's scheme name, when seen. */
    signatureScheme?: string;
  }
  | { kind: "alert"; alert: string; code: ErrorCode }
  | { kind: "dropped"; code: ErrorCode }
  | { kind: "error"; error: HandshakeFailure };

/** Runs handshakes against one target. */
export interface Prober {
  /** One ClientHello, cut after the ServerHello (or the ServerKeyExchange). */
  hello(offer: HelloOffer): Promise<HelloAnswer>;
  /** A full inspection handshake. */
  inspect(offer: InspectOffer): Promise<InspectAnswer>;
  /** An SSLv2 CLIENT-HELLO: whether an SSLv2 SERVER-HELLO came back. */
  sslv2(): Promise<{ accepted: boolean; error?: HandshakeFailure }>;
  /**
   * TLS 1.0–1.2: after a CertificateRequest, an empty Certificate (and an
   * invalid key exchange); whether the server then refuses for want of a
   * certificate (null: it could not be told).
   */
  clientCertificate?(offer: HelloOffer): Promise<{ required: boolean | null; note: string }>;
  /**
   * One full handshake, then a ClientHello resuming it: whether the server
   * resumes (null: it could not be told). By the offer: TLS 1.3 (a ticket
   * from the first handshake offered as a PSK); TLS 1.0–1.2 with
   * `sessionTicket: false` (its session ID) or `sessionTicket: true` (its
   * RFC 5077 ticket). TLS 1.0–1.2 handshakes are finished for (EC)DHE suites
   * with the bulk ciphers the engine runs (`canFinish12`).
   */
  resumption?(offer: HelloOffer): Promise<{ resumed: boolean | null; note: string }>;
}

/** A certificate chain as the scan reports it. */
export interface ScanChain {
  /** The key type the chain was asked for (`rsa`, `ecdsa`, `ed25519`). */
  asked: string;
  /** Leaf key, e.g. `RSA 2048` or `EC P-256`. */
  key: { type: string; bits: number | null; curve: string | null };
  /** The leaf's subject, RFC 2253. */
  subject: string;
  /** The leaf's issuer, RFC 2253. */
  issuer: string;
  /** DNS and IP subject alternative names. */
  sans: string[];
  /** Start of validity (ISO 8601). */
  notBefore: string;
  /** End of validity (ISO 8601). */
  notAfter: string;
  /** The leaf's signature algorithm. */
  signatureAlgorithm: string;
  /** SHA-256 fingerprint of the leaf. */
  sha256: string;
  /** Whether the requested host name matches the leaf. */
  nameMatches: boolean | null;
  /** Every certificate as sent (subject, issuer, signature algorithm, PEM). */
  chain: {
    subject: string;
    issuer: string;
    signatureAlgorithm: string;
    pem: string;
    /** Violations the display decoder found (absent when none): the certificate is malformed. */
    findings?: CertFinding[];
  }[];
}

/**
 * The grade a finding holds a scan to at best (`F` worst). The grade is its
 * own axis, derived from the findings: an `error` finding caps at F or C, a
 * `warning` at B or A, an `info` not at all ({@link GRADE_CAP_SEVERITY}).
 */
export type GradeCap = "F" | "C" | "B" | "A";

/** The severity of a finding with a given grade cap: the one mapping between the two axes. */
export const GRADE_CAP_SEVERITY: Readonly<Record<GradeCap, Severity>> = {
  F: "error",
  C: "error",
  B: "warning",
  A: "warning",
};

/** A feature's value and a one-line note (a fact, not a judgement: findings judge). */
export interface FeatureResult {
  /** true / false, or null when not determinable (with the reason in `note`). */
  value: boolean | null;
  /** Why, in one line. */
  note: string;
}

/** One version's result. */
export interface VersionResult {
  /** Name, e.g. `TLSv1.2`. */
  version: string;
  /** Wire code. */
  code: number;
  /** Whether the server accepts the version at all. */
  accepted: boolean;
  /** Suites accepted, in the order found (the server's order when it chooses). */
  suites: number[];
  /** Whether the server's order decides (null with fewer than two suites). */
  serverOrder: boolean | null;
  /** Groups accepted (TLS 1.3, and TLS 1.2 ECDHE), in the server's order when it chooses. */
  groups: number[];
  /** Whether the server's group preference decides. */
  serverGroupOrder: boolean | null;
  /** DHE prime sizes seen (TLS 1.0–1.2). */
  dhBits: number[];
  /** The RFC 7919 groups whose primes the DHE ServerKeyExchanges carried (codes; other primes are only in `dhBits`). */
  dhGroups: number[];
  /** Signature schemes accepted. */
  sigalgs: number[];
  /** What went wrong while enumerating this version, if anything. */
  error?: HandshakeFailure;
}

/** The result of scanning one target. */
export interface ScanResult {
  /** What was scanned. */
  target: {
    host: string;
    port: number;
    serverName: string | null;
    /** The STARTTLS protocol every handshake was preceded by, if any. */
    starttls?: string;
  };
  /** The error that stopped the scan (the server could not be reached or spoke no TLS). */
  error?: HandshakeFailure;
  /** The scan was stopped (Ctrl-C) before the end: what is here is what was found. */
  interrupted: boolean;
  /** Whether the server answers an SSLv2 hello. */
  sslv2: boolean;
  /** Each version's result, newest first. */
  versions: VersionResult[];
  /** ALPN protocols accepted and whether the server's order decides. */
  alpn: { protocols: string[]; serverOrder: boolean | null };
  /** What the server does without SNI and with a wrong one. */
  sni: { withoutSni: string; wrongSni: string };
  /** The chains the server sends, one per key type asked for. */
  certificates: ScanChain[];
  /** Features (renegotiation, tickets, OCSP, …), each a value and a note. */
  features: Record<string, FeatureResult>;
  /** Whether the server asks for (or requires) a client certificate, and the CA names. */
  clientCertificate: { requested: boolean; required: boolean | null; caNames: string[] };
  /**
   * What is wrong or weak, on the one finding scale (`error`, `warning`,
   * `info`), each with its `reference` (RFC, CVE); the grade caps first.
   */
  findings: Finding[];
  /** Each built-in Mozilla profile: compliant, or why not. */
  profiles: { name: string; compliant: boolean; reasons: string[] }[];
  /** The overall grade (rules in the README) and what capped it. */
  grade: { grade: string; reasons: string[] };
  /** A user policy's verdict (`--policy`). */
  policy?: { name: string; verdict: "pass" | "fail"; reasons: string[] };
  /** Handshakes made (TCP connections). */
  handshakes: number;
  /** Wall time of the scan, in milliseconds. */
  elapsedMs: number;
}
