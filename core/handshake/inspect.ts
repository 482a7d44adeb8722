/**
 * The inspection client: a TLS handshake written to observe, not to carry
 * data. TLS 1.0–1.2 up to ServerHelloDone (everything is in clear); TLS 1.3
 * with the key schedule, decrypting the server's first flight
 * (EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify,
 * Finished), checking the signature against the leaf's key and the Finished
 * MAC, answering with the client Finished to see session tickets, and
 * following a HelloRetryRequest. All I/O goes through a {@link Transport}.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { concat, malformed, Writer } from "../wire/codec.ts";
import {
  alertError,
  CONTENT,
  encodeHandshake,
  encodeHandshakeRecords,
  encodeRecord,
  type HandshakeMessage,
  HS,
  parseAlert,
} from "../wire/record.ts";
import { FlightReader } from "../wire/flight.ts";
import { buildClientHello, type ClientHelloOptions } from "../wire/client_hello.ts";
import { parseServerHello, type ServerHello } from "../wire/server_hello.ts";
import {
  type CertificateRequest,
  type EncryptedExtensions,
  type KeyExchangeKind,
  type NewSessionTicket,
  parseCertificate,
  parseCertificateRequest,
  parseCertificateStatus,
  parseCertificateVerify,
  parseEncryptedExtensions,
  parseFinished,
  parseNewSessionTicket,
  parseServerHelloDone,
  parseServerKeyExchange,
  type ServerKeyExchange,
} from "../wire/messages.ts";
import { canShare, type ClientKeyShare, makeKeyShare } from "./key_exchange.ts";
import {
  applicationSecrets,
  digest,
  finishedData,
  handshakeSecrets,
  RecordProtection,
  ticketPsk,
  TLS13_SUITES,
  type Tls13Suite,
} from "./key_schedule.ts";
import { type HandshakeSignature, verifyHandshakeSignature } from "./signature.ts";
import type { Transport } from "./transport.ts";
import { cipherSuiteByCode } from "../registry/cipher_suites.ts";
import { groupName } from "../registry/groups.ts";
import { SSL3, TLS1_2, TLS1_3, versionName } from "../registry/versions.ts";
import { bytesEqual } from "../wire/codec.ts";

/** What to offer. */
export interface InspectOptions {
  /** Versions to offer (any order). */
  versions: number[];
  /** Cipher suites to offer, in preference order (TLS 1.3 and older mixed). */
  cipherSuites: number[];
  /** Groups for supported_groups, in preference order. */
  groups: number[];
  /** Groups to send key shares for (default: the first group this engine can share). */
  keyShareGroups?: number[];
  /** Signature schemes to offer. */
  signatureAlgorithms: number[];
  /** SNI; none when undefined. */
  serverName?: string;
  /** ALPN protocols. */
  alpn?: string[];
  /** Ask for OCSP stapling (default true). */
  statusRequest?: boolean;
  /** Offer session tickets (default true). */
  sessionTicket?: boolean;
  /** GREASE (default false). */
  grease?: boolean;
  /**
   * The most to wait for TLS 1.3 session tickets after our Finished (default
   * 1000 ms); 0 stops after the server's Finished without answering. With a
   * `clock`, the wait is scaled to the server's measured turn instead (see
   * {@link ticketWaits}), so a server that sends no ticket costs milliseconds,
   * not this bound.
   */
  ticketWaitMs?: number;
  /** Stop reading tickets after this many (default {@link MAX_TICKETS}); a scan needs one. */
  maxTickets?: number;
  /**
   * Keep what resuming the first TLS 1.3 ticket takes ({@link ResumptionTicket}:
   * its PSK, a secret) in the observation. Off by default: reports never carry it.
   */
  keepTicket?: boolean;
  /** A monotonic clock in milliseconds (`performance.now`); without one, no timings are kept. */
  clock?: () => number;
  /**
   * Called once the server has chosen (the ServerHello, after any
   * HelloRetryRequest, is read and checked), before the rest of the
   * handshake: the probe starts its verified runtime connection here, so it
   * overlaps the rest of this handshake, while the server's turn (which sets
   * the ticket wait) is measured with nothing else on the thread.
   */
  onServerHello?: (version: number, cipherSuite: number) => void;
}

/** What the inspection client offered (the first ClientHello's choices). */
export interface OfferedHello {
  /** Versions offered, newest first. */
  versions: number[];
  /** Cipher suites offered, in preference order. */
  cipherSuites: number[];
  /** Groups offered (supported_groups), in preference order. */
  groups: number[];
  /** Groups a key share was sent for (TLS 1.3). */
  keyShareGroups: number[];
  /** Signature schemes offered. */
  signatureAlgorithms: number[];
  /** The SNI sent, if any. */
  serverName?: string;
  /** ALPN protocols offered, if any. */
  alpn?: string[];
}

/** How long the handshake took, in milliseconds from sending the ClientHello. */
export interface HandshakeTimings {
  /** Until the ServerHello (or the HelloRetryRequest) arrived. */
  serverHelloMs?: number;
  /** Until the observation was complete. */
  doneMs?: number;
}

/**
 * What one inspection handshake saw: what was offered, what the server chose
 * and sent, the timings, and the raw bytes the reports and fixtures need. The
 * probe report, the policy evaluator and the scanner all read this type.
 */
export interface Observation {
  /** What was offered. */
  offered: OfferedHello;
  /** How long it took (empty without a clock). */
  timings: HandshakeTimings;
  /** The first ClientHello sent (handshake message). */
  clientHello: Uint8Array;
  /** The ServerHello (after any HelloRetryRequest). */
  serverHello: ServerHello;
  /** Negotiated version. */
  version: number;
  /** Negotiated suite. */
  cipherSuite: number;
  /** Compression method (0 = none). */
  compression: number;
  /** A HelloRetryRequest, when the server sent one. */
  helloRetryRequest?: { selectedGroup?: number; cookie: boolean; cipherSuite: number };
  /** Key exchange: the group (ECDHE, TLS 1.3) or the DH prime size. */
  keyExchange: {
    kind: KeyExchangeKind | "RSA" | "other";
    group?: number;
    dhBits?: number;
  };
  /** ALPN protocol chosen. */
  alpn?: string;
  /** The chain as sent (DER), leaf first. */
  certificates: Uint8Array[];
  /** Stapled OCSP response (DER). */
  ocspResponse?: Uint8Array;
  /** The server's CertificateRequest. */
  certificateRequest?: CertificateRequest;
  /** TLS 1.3 EncryptedExtensions. */
  encryptedExtensions?: EncryptedExtensions;
  /** TLS 1.2 ServerKeyExchange. */
  serverKeyExchange?: ServerKeyExchange;
  /** The server's handshake signature and whether it verified. */
  signature?: HandshakeSignature & { message: "CertificateVerify" | "ServerKeyExchange" };
  /** TLS 1.3: whether the server Finished MAC verified. */
  finishedVerified?: boolean;
  /** Session tickets: offered (TLS 1.2 extension or TLS 1.3 NewSessionTicket), or unknown. */
  sessionTicket: {
    offered: boolean | null;
    count?: number;
    lifetime?: number;
    /** The count reached the reading cap ({@link MAX_TICKETS}): the server sent at least that many. */
    countAtLeast?: boolean;
  };
  /** An alert the server sent after our Finished (e.g. certificate_required). */
  postHandshakeAlert?: string;
  /** The first TLS 1.3 ticket, to resume with (only with `keepTicket`). */
  resumptionTicket?: ResumptionTicket;
  /** Handshake message types received, in order. */
  messages: number[];
  /** Every handshake message received, decrypted, with its header (for fixtures). */
  rawMessages: Uint8Array[];
  /** Why the TLS 1.3 encrypted flight could not be read (a suite WebCrypto cannot run). */
  undecrypted?: string;
}

/** What resuming a TLS 1.3 session takes (RFC 8446 §4.6.1, §4.2.11). */
export interface ResumptionTicket {
  /** The suite of the session (a resumption must use a suite with its hash). */
  suite: number;
  /** The ticket, sent back as the PSK identity. */
  ticket: Uint8Array;
  /** The resumption PSK (secret). */
  psk: Uint8Array;
  /** ticket_age_add, for the obfuscated age. */
  ageAdd: number;
  /** Lifetime hint, seconds. */
  lifetime: number;
  /** When it arrived, on the `clock` (ms), when there is one. */
  receivedMs?: number;
}

const DEFAULT_TICKET_WAIT = 1000;

/**
 * How long to wait for the first session ticket and for each further one,
 * from the server's turn: the time from our (last) ClientHello to its
 * ServerHello, which covers a round trip and the server's key exchange. A
 * server answers our Finished with its tickets within about one such turn
 * (RFC 8446 section 4.6.1: they follow the client's Finished), and sends
 * them back to back; OpenSSL, rustls, Go and GnuTLS all do. The floors keep a
 * busy machine's scheduling jitter from hiding tickets; `cap` bounds both.
 *
 * @param turnMs the measured turn, or undefined without a clock
 * @param cap the most to wait (`ticketWaitMs`)
 * @returns the waits in milliseconds
 */
export function ticketWaits(
  turnMs: number | undefined,
  cap: number,
): { firstMs: number; nextMs: number } {
  if (turnMs === undefined) return { firstMs: cap, nextMs: Math.min(cap, 25) };
  return {
    firstMs: Math.min(cap, Math.max(30, 4 * turnMs)),
    nextMs: Math.min(cap, 25, Math.max(5, 2 * turnMs)),
  };
}

/** Reads handshake messages through the bounded flight reader, decrypting once keys are installed. */
class MessageReader {
  readonly #t: Transport;
  readonly #flight = new FlightReader();
  #protection?: RecordProtection;
  readonly types: number[] = [];
  readonly raws: Uint8Array[] = [];

  constructor(t: Transport) {
    this.#t = t;
  }

  /** Installs the server's record protection (TLS 1.3). */
  protect(p: RecordProtection, at: string): void {
    // RFC 8446 §5.1: handshake messages must not span a key change.
    if (this.#flight.partialMessage) throw malformed("Handshake message spans a key change", 0, at);
    this.#protection = p;
  }

  async message(during: string, timeoutMs?: number): Promise<HandshakeMessage> {
    for (;;) {
      const item = this.#flight.next();
      if (!item) {
        const chunk = await this.#t.read(timeoutMs);
        if (chunk === null) {
          throw new TlsprobeError(
            "CONNECTION_CLOSED",
            `The server closed the connection in the middle of the handshake (waiting for ${during})`,
            { pendingBytes: this.#flight.buffered },
          );
        }
        this.#flight.push(chunk);
        continue;
      }
      switch (item.kind) {
        case "message":
          this.types.push(item.message.type);
          this.raws.push(item.message.raw);
          return item.message;
        case "alert":
          throw alertError(item.alert, during);
        case "changeCipherSpec":
          continue; // TLS 1.3 compatibility CCS (at most one: the flight reader counts)
        case "protected": {
          const rec = item.record;
          if (!this.#protection || rec.type !== CONTENT.applicationData) {
            throw unexpectedRecord(rec.type, rec.offset, during);
          }
          const inner = await this.#protection.open(rec.header, rec.fragment);
          if (inner.type === CONTENT.alert) throw alertError(parseAlert(inner.data), during);
          if (inner.type !== CONTENT.handshake) {
            throw unexpectedRecord(inner.type, rec.offset, during);
          }
          this.#flight.pushHandshake(inner.data, rec.offset + 5);
        }
      }
    }
  }
}

function unexpectedRecord(type: number, offset: number, during: string): TlsprobeError {
  return malformed(`Unexpected record of type ${type} (expected ${during})`, offset, "record.type");
}

function unexpected(m: HandshakeMessage, during: string): TlsprobeError {
  return malformed(`Unexpected handshake message type ${m.type}`, m.offset - 4, during);
}

/**
 * The key-exchange family of a TLS 1.2 suite, from the registry's Kx column
 * (`ECDH` is ephemeral ECDHE, `DH` is DHE, as `openssl ciphers -v` names them).
 */
function kxFamily(suite: number): KeyExchangeKind | "RSA" | "other" | undefined {
  const s = cipherSuiteByCode(suite);
  if (!s) return undefined;
  if (s.kx === "ECDH") return "ECDHE";
  if (s.kx === "DH") return "DHE";
  if (s.kx === "RSA") return "RSA";
  return "other";
}

/**
 * Runs the inspection handshake over a connected transport.
 *
 * @param t the transport (closed by the caller)
 * @param o what to offer
 * @returns what the server showed
 * @throws TlsprobeError: alerts by their code (HANDSHAKE_FAILURE,
 *   PROTOCOL_VERSION, …), PEER_MALFORMED, NOT_TLS, CONNECTION_CLOSED, TIMEOUT,
 *   UNSUPPORTED (the server chose something this engine cannot decrypt)
 */
export async function inspect(t: Transport, o: InspectOptions): Promise<Observation> {
  const max = Math.max(...o.versions);
  const min = Math.min(...o.versions);
  const random = crypto.getRandomValues(new Uint8Array(32));
  const tls13 = max >= TLS1_3;
  const shareGroups = o.keyShareGroups ?? o.groups.filter(canShare).slice(0, 1);
  const shares: ClientKeyShare[] = tls13 ? await Promise.all(shareGroups.map(makeKeyShare)) : [];
  const chOptions: ClientHelloOptions = {
    versions: [...o.versions].sort((a, b) => b - a),
    random,
    // RFC 8446 §D.4: a non-empty session id for middlebox compatibility.
    sessionId: tls13 ? crypto.getRandomValues(new Uint8Array(32)) : undefined,
    cipherSuites: o.cipherSuites,
    groups: o.groups,
    keyShares: shares.map((s) => ({ group: s.group, keyExchange: s.publicValue })),
    signatureAlgorithms: max >= TLS1_2 ? o.signatureAlgorithms : undefined,
    serverName: o.serverName,
    alpn: o.alpn,
    statusRequest: o.statusRequest ?? true,
    sessionTicket: o.sessionTicket ?? true,
    renegotiationInfo: max > SSL3,
    renegotiationScsv: max === SSL3,
    extendedMasterSecret: max > SSL3,
    ecPointFormats: max > SSL3,
    grease: o.grease,
  };
  if (max === SSL3) {
    // SSLv3 servers predate extensions (RFC 6101).
    Object.assign(chOptions, {
      groups: undefined,
      signatureAlgorithms: undefined,
      serverName: undefined,
      alpn: undefined,
      statusRequest: false,
      sessionTicket: false,
      renegotiationInfo: false,
      extendedMasterSecret: false,
      ecPointFormats: false,
    });
  }
  const clientHello = buildClientHello(chOptions);
  const offered: OfferedHello = {
    versions: chOptions.versions,
    cipherSuites: chOptions.cipherSuites,
    groups: chOptions.groups ?? [],
    keyShareGroups: shares.map((s) => s.group),
    signatureAlgorithms: chOptions.signatureAlgorithms ?? [],
    ...(chOptions.serverName !== undefined ? { serverName: chOptions.serverName } : {}),
    ...(chOptions.alpn !== undefined ? { alpn: chOptions.alpn } : {}),
  };
  // RFC 8446 §5.1: 0x0301 in the first ClientHello's record for compatibility.
  const recordVersion = min <= SSL3 ? SSL3 : 0x0301;
  const started = o.clock?.();
  await t.write(encodeHandshakeRecords(clientHello, recordVersion));
  const since = () => started === undefined ? undefined : o.clock!() - started;

  const reader = new MessageReader(t);
  let m = await reader.message("ServerHello");
  const timings: HandshakeTimings = started === undefined ? {} : { serverHelloMs: since() };
  // The server's turn (a round trip and its key exchange), for the ticket wait.
  let turnMs = timings.serverHelloMs;
  let turnStarted: number | undefined;
  if (m.type !== HS.serverHello) throw unexpected(m, "ServerHello");
  let sh = parseServerHello(m.body, m.offset);
  checkServerHello(sh, o, max);
  let transcript: Uint8Array[] = [clientHello, m.raw];
  let helloRetryRequest: Observation["helloRetryRequest"];

  if (sh.helloRetryRequest) {
    const suite = TLS13_SUITES[sh.cipherSuite];
    if (!suite) throw cannotRun13(sh.cipherSuite);
    helloRetryRequest = {
      selectedGroup: sh.selectedGroup,
      cookie: !!sh.cookie,
      cipherSuite: sh.cipherSuite,
    };
    const g = sh.selectedGroup;
    if (g !== undefined) {
      // RFC 8446 §4.1.4: the group must be offered, and not already shared.
      if (!o.groups.includes(g) || shares.some((s) => s.group === g)) {
        throw malformed(
          `HelloRetryRequest asks for ${groupName(g)}, which was not offered or already shared`,
          sh.offset,
          "hello_retry_request.key_share",
        );
      }
      shares.splice(0, shares.length, await makeKeyShare(g));
    }
    const ch2 = buildClientHello({
      ...chOptions,
      keyShares: shares.map((s) => ({ group: s.group, keyExchange: s.publicValue })),
      cookie: sh.cookie,
    });
    // RFC 8446 §4.4.1: ClientHello1 is replaced by message_hash.
    const ch1Hash = await digest(suite.hash, clientHello);
    transcript = [encodeHandshake(HS.messageHash, ch1Hash), m.raw, ch2];
    turnStarted = o.clock?.();
    await t.write(encodeHandshakeRecords(ch2, TLS1_2));
    m = await reader.message("ServerHello after HelloRetryRequest");
    if (turnStarted !== undefined) turnMs = o.clock!() - turnStarted;
    if (m.type !== HS.serverHello) throw unexpected(m, "ServerHello");
    sh = parseServerHello(m.body, m.offset);
    checkServerHello(sh, o, max);
    if (sh.helloRetryRequest) {
      throw malformed("A second HelloRetryRequest", sh.offset, "server_hello");
    }
    if (sh.cipherSuite !== helloRetryRequest.cipherSuite) {
      throw malformed(
        "ServerHello suite differs from the HelloRetryRequest's",
        sh.offset,
        "server_hello.cipher_suite",
      );
    }
    transcript.push(m.raw);
  }

  o.onServerHello?.(sh.version, sh.cipherSuite);
  const base = {
    offered,
    timings,
    clientHello,
    serverHello: sh,
    version: sh.version,
    cipherSuite: sh.cipherSuite,
    compression: sh.compression,
    helloRetryRequest,
  };
  const obs = sh.version === TLS1_3
    ? await finish13(t, reader, o, sh, shares, transcript, base, turnMs)
    : await finish12(reader, sh, random, base);
  if (started !== undefined) timings.doneMs = since();
  return obs;
}

function cannotRun13(suite: number): TlsprobeError {
  return new TlsprobeError(
    "UNSUPPORTED",
    `The server chose ${
      cipherSuiteByCode(suite)?.iana ?? suite
    }, which this engine cannot decrypt (WebCrypto has no AES-CCM), so its certificates were not seen`,
    { cipherSuite: suite, advice: "other-suites" },
  );
}

function checkServerHello(sh: ServerHello, o: InspectOptions, max: number): void {
  if (!o.versions.includes(sh.version)) {
    throw new TlsprobeError(
      "PEER_MALFORMED",
      `The server chose ${versionName(sh.version)}, which was not offered`,
      { field: "server_hello.version", version: sh.version },
    );
  }
  if (!o.cipherSuites.includes(sh.cipherSuite)) {
    throw new TlsprobeError(
      "PEER_MALFORMED",
      `The server chose cipher suite 0x${sh.cipherSuite.toString(16)}, which was not offered`,
      { field: "server_hello.cipher_suite", cipherSuite: sh.cipherSuite },
    );
  }
  if (sh.version < max && max >= TLS1_3 && sh.downgradeSentinel) {
    // RFC 8446 §4.1.3: a TLS 1.3 server negotiating lower must not be attacked.
    // Observed, not fatal: the report shows it.
  }
}

type Base = Pick<
  Observation,
  | "offered"
  | "timings"
  | "clientHello"
  | "serverHello"
  | "version"
  | "cipherSuite"
  | "compression"
  | "helloRetryRequest"
>;

async function finish12(
  reader: MessageReader,
  sh: ServerHello,
  clientRandom: Uint8Array,
  base: Base,
): Promise<Observation> {
  const obs: Observation = {
    ...base,
    keyExchange: { kind: kxFamily(sh.cipherSuite) ?? "other" },
    alpn: sh.alpn,
    certificates: [],
    sessionTicket: { offered: sh.sessionTicket },
    messages: reader.types,
    rawMessages: reader.raws,
  };
  const tls12 = sh.version >= TLS1_2;
  let last = 0;
  for (;;) {
    const m = await reader.message("the server's first flight");
    // RFC 5246 §7.3: each message at most once, in this order.
    const rank = FLIGHT12_ORDER.indexOf(m.type) + 1;
    if (rank === 0 || rank <= last) throw unexpected(m, "the server's first flight");
    last = rank;
    switch (m.type) {
      case HS.certificate:
        obs.certificates = parseCertificate(m.body, false, m.offset).entries.map((e) => e.der);
        break;
      case HS.certificateStatus:
        obs.ocspResponse = parseCertificateStatus(m.body, m.offset);
        break;
      case HS.serverKeyExchange: {
        const ske = parseSke(m, sh.cipherSuite, tls12);
        if (!ske) break;
        obs.serverKeyExchange = ske;
        obs.keyExchange = {
          kind: ske.kind,
          ...(ske.namedGroup !== undefined ? { group: ske.namedGroup } : {}),
          ...(ske.dhBits !== undefined ? { dhBits: ske.dhBits } : {}),
        };
        if (obs.certificates.length && ske.signature.length) {
          if (ske.signatureScheme === undefined) {
            obs.signature = {
              message: "ServerKeyExchange",
              scheme: "md5_sha1",
              valid: null,
              reason: "TLS 1.0/1.1 signatures use MD5+SHA-1, which WebCrypto lacks",
            };
          } else {
            const signed = concat(clientRandom, sh.random, ske.params);
            obs.signature = {
              message: "ServerKeyExchange",
              ...(await verifyHandshakeSignature(
                obs.certificates[0],
                ske.signatureScheme,
                ske.signature,
                signed,
              )),
            };
          }
        }
        break;
      }
      case HS.certificateRequest:
        obs.certificateRequest = parseCertificateRequest(m.body, sh.version, m.offset);
        break;
      case HS.serverHelloDone:
        parseServerHelloDone(m.body, m.offset);
        return obs;
      default:
        throw unexpected(m, "the server's first flight");
    }
  }
}

/** The TLS 1.0–1.2 server flight after ServerHello, in its only order. */
const FLIGHT12_ORDER: readonly number[] = [
  HS.certificate,
  HS.certificateStatus,
  HS.serverKeyExchange,
  HS.certificateRequest,
  HS.serverHelloDone,
];

/** The TLS 1.3 server flight after EncryptedExtensions, in its only order. */
const FLIGHT13_ORDER: readonly number[] = [
  HS.certificateRequest,
  HS.certificate,
  HS.certificateVerify,
  HS.finished,
];

function parseSke(
  m: HandshakeMessage,
  suite: number,
  tls12: boolean,
): ServerKeyExchange | undefined {
  const kind = kxFamily(suite);
  if (kind === "ECDHE" || kind === "DHE") {
    // Anonymous suites (ADH, AECDH) sign nothing (RFC 5246 §7.4.3, RFC 8422 §5.4).
    const anonymous = cipherSuiteByCode(suite)?.au === "None";
    return parseServerKeyExchange(m.body, { kind, tls12, anonymous }, m.offset);
  }
  if (kind === undefined) {
    // A suite unknown to the registry: the structure tells ECDHE from DHE.
    try {
      return parseServerKeyExchange(m.body, { kind: "ECDHE", tls12 }, m.offset);
    } catch {
      return parseServerKeyExchange(m.body, { kind: "DHE", tls12 }, m.offset);
    }
  }
  return undefined; // PSK, SRP, GOST: kept as a message type only
}

async function finish13(
  t: Transport,
  reader: MessageReader,
  o: InspectOptions,
  sh: ServerHello,
  shares: ClientKeyShare[],
  transcript: Uint8Array[],
  base: Base,
  turnMs: number | undefined,
): Promise<Observation> {
  const suite: Tls13Suite | undefined = TLS13_SUITES[sh.cipherSuite];
  const ks = sh.keyShare!;
  const share = shares.find((s) => s.group === ks.group);
  if (!share) {
    throw malformed(
      `ServerHello key share for ${groupName(ks.group)}, which was not offered`,
      sh.offset,
      "server_hello.key_share",
    );
  }
  if (!suite) {
    // Observed, not refused: version, suite and group are known from the
    // ServerHello; the encrypted flight stays unread.
    return {
      ...base,
      keyExchange: { kind: ks.group >> 8 === 1 ? "DHE" : "ECDHE", group: ks.group },
      certificates: [],
      sessionTicket: { offered: null },
      messages: reader.types,
      rawMessages: reader.raws,
      undecrypted: cannotRun13(sh.cipherSuite).message,
    };
  }
  const shared = await share.derive(ks.keyExchange);
  const secrets = await handshakeSecrets(suite, shared, concat(...transcript));
  reader.protect(await RecordProtection.create(suite, secrets.server), "ServerHello");

  const obs: Observation = {
    ...base,
    keyExchange: { kind: ks.group >> 8 === 1 ? "DHE" : "ECDHE", group: ks.group },
    certificates: [],
    sessionTicket: { offered: null },
    messages: reader.types,
    rawMessages: reader.raws,
  };
  let m = await reader.message("EncryptedExtensions");
  if (m.type !== HS.encryptedExtensions) throw unexpected(m, "EncryptedExtensions");
  obs.encryptedExtensions = parseEncryptedExtensions(m.body, m.offset);
  obs.alpn = obs.encryptedExtensions.alpn;
  transcript.push(m.raw);
  let certificateRequested = false;
  let last = 0;
  for (;;) {
    m = await reader.message("the server's encrypted flight");
    // RFC 8446 §4.4: CertificateRequest, Certificate, CertificateVerify, Finished; each once.
    const rank = FLIGHT13_ORDER.indexOf(m.type) + 1;
    if (rank === 0 || rank <= last) throw unexpected(m, "the server's encrypted flight");
    last = rank;
    if (m.type === HS.certificateRequest) {
      obs.certificateRequest = parseCertificateRequest(m.body, TLS1_3, m.offset);
      certificateRequested = true;
    } else if (m.type === HS.certificate) {
      const cert = parseCertificate(m.body, true, m.offset);
      obs.certificates = cert.entries.map((e) => e.der);
      obs.ocspResponse = cert.entries[0]?.ocspResponse;
    } else if (m.type === HS.certificateVerify) {
      const cv = parseCertificateVerify(m.body, m.offset);
      if (!obs.certificates.length) {
        throw malformed("CertificateVerify without a certificate", m.offset, "certificate_verify");
      }
      // RFC 8446 §4.4.3: 64 spaces, the context string, a zero byte, the transcript hash.
      const signed = concat(
        new Uint8Array(64).fill(0x20),
        new TextEncoder().encode("TLS 1.3, server CertificateVerify"),
        Uint8Array.of(0),
        await digest(suite.hash, concat(...transcript)),
      );
      obs.signature = {
        message: "CertificateVerify",
        ...(await verifyHandshakeSignature(obs.certificates[0], cv.scheme, cv.signature, signed)),
      };
    } else if (m.type === HS.finished) {
      const expected = await finishedData(suite, secrets.server, concat(...transcript));
      obs.finishedVerified = bytesEqual(expected, parseFinished(m.body, suite.hashLen, m.offset));
      transcript.push(m.raw);
      break;
    } else {
      throw unexpected(m, "the server's encrypted flight");
    }
    transcript.push(m.raw);
  }
  if (!obs.finishedVerified) return obs;
  if ((o.ticketWaitMs ?? DEFAULT_TICKET_WAIT) <= 0) return obs;

  // Answer with our Finished, so the server sends its session tickets.
  const app = await applicationSecrets(suite, secrets.handshakeSecret, concat(...transcript));
  const client = await RecordProtection.create(suite, secrets.client);
  const out: Uint8Array[] = [encodeRecord(CONTENT.changeCipherSpec, TLS1_2, Uint8Array.of(1))];
  if (certificateRequested) {
    // RFC 8446 §4.4.2: an empty Certificate echoing the request context.
    const empty = encodeHandshake(
      HS.certificate,
      new Writer().vec8(obs.certificateRequest!.context ?? new Uint8Array(0)).u24(0).finish(),
    );
    out.push(await client.seal(CONTENT.handshake, empty));
    transcript.push(empty);
  }
  const fin = encodeHandshake(
    HS.finished,
    await finishedData(suite, secrets.client, concat(...transcript)),
  );
  out.push(await client.seal(CONTENT.handshake, fin));
  await t.write(concat(...out));
  transcript.push(fin);
  const waits = ticketWaits(turnMs, o.ticketWaitMs ?? DEFAULT_TICKET_WAIT);
  const first = await readTickets(
    reader,
    suite,
    app.server,
    waits,
    Math.min(o.maxTickets ?? MAX_TICKETS, MAX_TICKETS),
    obs,
  );
  if (first && o.keepTicket) {
    obs.resumptionTicket = {
      suite: suite.code,
      ticket: first.ticket,
      psk: await ticketPsk(suite, secrets.handshakeSecret, concat(...transcript), first.nonce!),
      ageAdd: first.ageAdd!,
      lifetime: first.lifetime,
      ...(o.clock ? { receivedMs: o.clock() } : {}),
    };
  }
  return obs;
}

/** Session tickets read after our Finished; more are not waited for. */
export const MAX_TICKETS = 16;

async function readTickets(
  reader: MessageReader,
  suite: Tls13Suite,
  serverAppSecret: Uint8Array,
  waits: { firstMs: number; nextMs: number },
  maxTickets: number,
  obs: Observation,
): Promise<NewSessionTicket | undefined> {
  const p = await RecordProtection.create(suite, serverAppSecret);
  let first: NewSessionTicket | undefined;
  reader.protect(p, "server Finished");
  let count = 0;
  let wait = waits.firstMs;
  while (count < maxTickets) {
    let m: HandshakeMessage;
    try {
      m = await reader.message("session tickets", wait);
    } catch (e) {
      if (e instanceof TlsprobeError && e.detail.alert) {
        obs.postHandshakeAlert = String(e.detail.alert);
      }
      break;
    }
    if (m.type !== HS.newSessionTicket) break; // KeyUpdate, a request: not ours to answer
    const nst = parseNewSessionTicket(m.body, true, m.offset);
    first ??= nst;
    count++;
    obs.sessionTicket = {
      offered: true,
      count,
      lifetime: nst.lifetime,
      ...(count >= maxTickets ? { countAtLeast: true } : {}),
    };
    // Further tickets come in the same flight (OpenSSL sends two back to
    // back): wait only briefly for them.
    wait = waits.nextMs;
  }
  if (count === 0 && !obs.postHandshakeAlert) obs.sessionTicket = { offered: false };
  return first;
}
