/**
 * The lab engine's server side: a TLS 1.0–1.3 server state machine over a
 * {@link Transport}, pure (sockets live in `core/net/lab_server.ts`). It
 * reads the ClientHello with the codec, picks version, suite and group by a
 * configured policy (server or client preference), completes the handshake
 * and then carries application data both ways.
 *
 * TLS 1.0–1.2: ECDHE (X25519, X448, P-256/384/521), DHE (any prime, RFC 7919
 * groups or custom, weak ones included for tests), RSA key exchange and
 * anonymous (EC)DH; AES-GCM, ChaCha20-Poly1305, AES-CBC with HMAC, NULL;
 * extended master secret (RFC 7627); secure renegotiation indication
 * (RFC 5746) with every renegotiation refused (a warning no_renegotiation
 * alert); ALPN (RFC 7301). TLS 1.3: (EC)DHE key shares with a
 * HelloRetryRequest when the client sent no usable share, AES-GCM and
 * ChaCha20-Poly1305, KeyUpdate. Resumption when a {@link SessionStore} is
 * given: TLS 1.0–1.2 session IDs (the abbreviated handshake, RFC 5246 §7.3),
 * TLS 1.2 session tickets (RFC 5077: the state sealed under a key of this
 * server run, a NewSessionTicket before the server's Finished), TLS 1.3
 * tickets (one NewSessionTicket after each handshake; psk_dhe_ke only,
 * binder checked, each ticket used once; no early data). Client
 * certificates when {@link LabServerConfig.clientAuth} is set: a
 * CertificateRequest with the CAs' names, the chain and CertificateVerify
 * checked (`server_client_auth.ts`), required or optional.
 *
 * A client that misbehaves gets the alert a server sends (decode_error,
 * bad_record_mac, unexpected_message, handshake_failure, …) and the call
 * rejects with a {@link TlsprobeError} whose `detail.sentAlert` names it.
 *
 * Not constant-time: a test server.
 *
 * @module
 */
import { type ErrorCode, TlsprobeError } from "../errors.ts";
import { concat, Reader, Writer } from "../wire/codec.ts";
import {
  CONTENT,
  encodeHandshake,
  encodeRecord,
  HandshakeBuffer,
  type HandshakeMessage,
  HS,
  MAX_PLAINTEXT,
  parseAlert,
  RecordBuffer,
  type TlsRecord,
} from "../wire/record.ts";
import { type ClientHello, parseClientHello } from "../wire/client_hello.ts";
import { HRR_RANDOM } from "../wire/server_hello.ts";
import { encodeCertificate, encodeServerHello } from "../wire/encode.ts";
import { encodeAlpn, findExtension } from "../wire/extensions.ts";
import { fromHex } from "../wire/codec.ts";
import { EXT } from "../registry/extensions.ts";
import { alertByCode, alertName } from "../registry/alerts.ts";
import { TLS1_0, TLS1_2, TLS1_3 } from "../registry/versions.ts";
import type { Transport } from "./transport.ts";
import { ffdhePrime, fromBigInt, makeKeyShare, modPow, toBigInt } from "./key_exchange.ts";
import {
  applicationSecrets,
  digest,
  expandLabel,
  finishedData,
  handshakeSecrets,
  pskBinder,
  RecordProtection,
  ticketPsk,
  TLS13_SUITES,
  type Tls13Suite,
} from "./key_schedule.ts";
import { handshakeHash, prf } from "./prf.ts";
import { parsePskOffer, SessionStore } from "./server_resume.ts";
export {
  Bounded,
  SessionStore,
  type StoredSession12,
  type StoredTicket13,
} from "./server_resume.ts";
import { type CbcCipher, keyBlockLengths, LegacyProtection } from "./record_legacy.ts";
import { LEGACY_SUITES, type LegacySuite, suiteRunsIn } from "./server_suites.ts";
import { chooseScheme, rsaDecryptPremaster, type ServerKey, signWith } from "./server_keys.ts";
import {
  certificateRequestBody,
  checkClientCertificate,
  checkClientVerify,
  type LabClientAuth,
  type PeerCertificate,
} from "./server_client_auth.ts";
export type { LabClientAuth, PeerCertificate } from "./server_client_auth.ts";

/** A certificate chain (DER, leaf first) and its private key. */
export interface ServerIdentity {
  /** The chain, DER, leaf first. */
  chain: Uint8Array[];
  /** The leaf's private key. */
  key: ServerKey;
}

/** Finite-field DH parameters for DHE suites. */
export interface DhParams {
  /** The prime. */
  p: bigint;
  /** The generator. */
  g: bigint;
}

/** What the lab server accepts and prefers. */
export interface LabServerConfig {
  /** Certificates with keys (an RSA one for RSA suites, an ECDSA one for ECDSA suites). */
  identities: ServerIdentity[];
  /** Versions it speaks (0x0301–0x0304). */
  versions: number[];
  /** Suites in its preference order (TLS 1.3 and earlier mixed). */
  suites: number[];
  /** Groups for ECDHE and TLS 1.3 key shares, in preference order. */
  groups: number[];
  /** DHE parameters (default: RFC 7919 ffdhe2048). */
  dh?: DhParams;
  /** Choose by the server's order (true) or the client's (false). */
  serverPreference: boolean;
  /** ALPN protocols it accepts, preferred first; a client offering none of them is refused. */
  alpn?: string[];
  /** Resumption state (TLS 1.2 session IDs, TLS 1.3 tickets); none: every handshake is full. */
  sessions?: SessionStore;
  /** Ask clients for a certificate signed by one of these CAs (required or optional). */
  clientAuth?: LabClientAuth;
  /** The runtime's 3DES-CBC (none: 3DES suites are not chosen). */
  tripleDes?: CbcCipher;
}

/** What was negotiated. */
export interface LabSessionInfo {
  /** The negotiated version. */
  version: number;
  /** The negotiated suite. */
  suite: number;
  /** The ECDHE / TLS 1.3 group, when there was one. */
  group?: number;
  /** DHE: the prime's size in bits. */
  dhBits?: number;
  /** The ALPN protocol chosen. */
  alpn?: string;
  /** The SNI name the client sent. */
  serverName?: string;
  /** The signature scheme of ServerKeyExchange / CertificateVerify. */
  scheme?: number;
  /** TLS 1.3: a HelloRetryRequest was sent. */
  helloRetry?: boolean;
  /** TLS 1.2: extended master secret in use. */
  extendedMasterSecret?: boolean;
  /** The session was resumed (TLS 1.2 session ID or ticket, TLS 1.3 PSK), no certificate sent. */
  resumed?: boolean;
  /** TLS 1.2: how it was resumed (an RFC 5077 ticket, or the session ID). */
  resumedBy?: "ticket" | "session-id";
  /** TLS 1.2: an RFC 5077 ticket was issued. */
  ticketIssued?: boolean;
  /** A CertificateRequest was sent. */
  clientCertificateRequested?: boolean;
  /** The client's verified certificate (null: requested, none sent); on resumption, the original session's. */
  clientCertificate?: PeerCertificate | null;
  /** The client's offer, for reports. */
  hello?: ClientHello;
}

/** An established session. */
export interface LabSession {
  /** What was negotiated. */
  info: LabSessionInfo;
  /** The next application data, or null once the client has closed. */
  read(): Promise<Uint8Array | null>;
  /** Sends application data. */
  write(data: Uint8Array): Promise<void>;
  /** Sends close_notify. */
  close(): Promise<void>;
}

/** Bounds on what a client may make the handshake hold. */
export const LAB_SERVER_LIMITS = {
  /** Largest client handshake message. */
  message: 64 * 1024,
  /** Handshake bytes in total. */
  handshakeBytes: 256 * 1024,
  /** Records without progress (empty records, ChangeCipherSpec, warnings). */
  idleRecords: 64,
};

const EC_GROUPS = [0x001d, 0x001e, 0x0017, 0x0018, 0x0019];
const FF_GROUPS = [0x0100, 0x0101, 0x0102, 0x0103, 0x0104];

function fail(code: ErrorCode, alert: number, message: string, detail = {}): TlsprobeError {
  return new TlsprobeError(code, message, { ...detail, sendAlert: alert });
}

interface Opener {
  open(rec: TlsRecord): Promise<{ type: number; data: Uint8Array }>;
}
interface Sealer {
  seal(type: number, data: Uint8Array): Promise<Uint8Array>;
}

/** The record and handshake layers of one connection. */
class Channel {
  readonly #t: Transport;
  readonly #records = new RecordBuffer();
  readonly #hs = new HandshakeBuffer();
  recordVersion = TLS1_0;
  reader?: Opener;
  writer?: Sealer;
  tls13 = false;
  #handshakeBytes = 0;
  #idle = 0;

  constructor(t: Transport) {
    this.#t = t;
  }

  async record(): Promise<{ type: number; data: Uint8Array; offset: number }> {
    for (;;) {
      let rec: TlsRecord | undefined;
      try {
        rec = this.#records.next();
      } catch (e) {
        if (e instanceof TlsprobeError && e.code === "PEER_MALFORMED") {
          throw fail(
            e.code,
            22,
            e.message.replace(/^Record/, "The client sent a record"),
            e.detail,
          );
        }
        throw e;
      }
      if (rec) {
        if (this.reader && !(this.tls13 && rec.type === CONTENT.changeCipherSpec)) {
          if (this.tls13 && rec.type !== CONTENT.applicationData) {
            throw fail(
              "PEER_MALFORMED",
              10,
              `The client sent a plaintext record of type ${rec.type} after keys were set`,
            );
          }
          const { type, data } = await this.reader.open(rec);
          return { type, data, offset: rec.offset };
        }
        return { type: rec.type, data: rec.fragment, offset: rec.offset };
      }
      const chunk = await this.#t.read();
      if (chunk === null) {
        throw new TlsprobeError(
          "CONNECTION_CLOSED",
          "The client closed the connection" + (this.#handshakeBytes ? " mid-handshake" : ""),
        );
      }
      this.#records.push(chunk);
    }
  }

  /** The next handshake message, or "ccs" for a ChangeCipherSpec (TLS 1.0–1.2). */
  async message(during: string): Promise<HandshakeMessage | "ccs"> {
    for (;;) {
      const m = this.#hs.next(LAB_SERVER_LIMITS.message);
      if (m) {
        this.#idle = 0;
        return m;
      }
      const rec = await this.record();
      if (++this.#idle > LAB_SERVER_LIMITS.idleRecords) {
        throw fail(
          "PEER_MALFORMED",
          10,
          `The client sent ${LAB_SERVER_LIMITS.idleRecords} records without a handshake message during ${during}`,
        );
      }
      if (rec.type === CONTENT.handshake) {
        this.#handshakeBytes += rec.data.length;
        if (this.#handshakeBytes > LAB_SERVER_LIMITS.handshakeBytes) {
          throw fail(
            "PEER_MALFORMED",
            10,
            `The client sent more than ${LAB_SERVER_LIMITS.handshakeBytes} handshake bytes`,
          );
        }
        this.#hs.push(rec.data, rec.offset + 5);
        continue;
      }
      if (rec.type === CONTENT.changeCipherSpec) {
        if (rec.data.length !== 1 || rec.data[0] !== 1) {
          throw fail("PEER_MALFORMED", 10, "The client sent a malformed ChangeCipherSpec");
        }
        if (this.tls13) continue; // RFC 8446 §5: middlebox compatibility, ignored.
        if (this.#hs.pending) {
          throw fail("PEER_MALFORMED", 10, "ChangeCipherSpec inside a handshake message");
        }
        return "ccs";
      }
      if (rec.type === CONTENT.alert) throw clientAlert(rec.data, during);
      throw fail(
        "PEER_MALFORMED",
        10,
        `The client sent a record of type ${rec.type} during ${during} (unexpected_message)`,
      );
    }
  }

  async expect(type: number, during: string): Promise<HandshakeMessage> {
    const m = await this.message(during);
    if (m === "ccs" || m.type !== type) {
      throw fail(
        "PEER_MALFORMED",
        10,
        `Expected handshake message ${type} during ${during}, got ${
          m === "ccs" ? "ChangeCipherSpec" : `type ${m.type}`
        } (unexpected_message)`,
      );
    }
    return m;
  }

  async send(type: number, data: Uint8Array): Promise<void> {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < data.length || i === 0; i += MAX_PLAINTEXT) {
      const chunk = data.subarray(i, i + MAX_PLAINTEXT);
      parts.push(
        this.writer
          ? await this.writer.seal(type, chunk)
          : encodeRecord(type, this.recordVersion, chunk),
      );
    }
    await this.#t.write(concat(...parts));
  }

  async alert(level: number, description: number): Promise<void> {
    await this.send(CONTENT.alert, Uint8Array.of(level, description));
  }
}

function clientAlert(data: Uint8Array, during: string): TlsprobeError {
  let level = 2, description = 0;
  try {
    const a = parseAlert(data);
    level = a.level;
    description = a.description;
  } catch {
    return fail("PEER_MALFORMED", 50, "The client sent a malformed alert");
  }
  const code: ErrorCode = description === 0
    ? "CONNECTION_CLOSED"
    : alertByCode(description)?.error ?? "ALERT";
  return new TlsprobeError(
    code,
    `The client sent a ${level === 1 ? "warning" : "fatal"} alert ${
      alertName(description)
    } (${description}) during ${during}`,
    { alert: alertName(description), fromPeer: true },
  );
}

function legacyOpener(p: LegacyProtection): Opener {
  return { open: async (rec) => ({ type: rec.type, data: await p.open(rec.type, rec.fragment) }) };
}

function tls13Opener(p: RecordProtection): Opener {
  return {
    open: async (rec) => {
      try {
        return await p.open(rec.header, rec.fragment);
      } catch (e) {
        if (e instanceof TlsprobeError) {
          throw fail(
            "PEER_MALFORMED",
            20,
            "A record from the client failed authentication (bad_record_mac)",
            e.detail,
          );
        }
        throw e;
      }
    },
  };
}

/** Versions the client offers: supported_versions, else every one up to legacy_version. */
function clientVersions(ch: ClientHello): number[] {
  if (ch.supportedVersions) return ch.supportedVersions;
  const out: number[] = [];
  for (let v = TLS1_0; v <= Math.min(ch.legacyVersion, TLS1_2); v++) out.push(v);
  return out;
}

/** Orders a list by whoever's preference rules. */
function ordered(serverPref: boolean, ours: number[], theirs: number[]): number[] {
  return serverPref
    ? ours.filter((x) => theirs.includes(x))
    : theirs.filter((x) => ours.includes(x));
}

/**
 * Serves one TLS connection: runs the handshake, then returns the session.
 *
 * @param t the client's byte stream (its reads bounded by the caller's deadline)
 * @param cfg what the server accepts
 * @param onHello receives the client's offer as soon as its ClientHello is
 *   parsed, before anything is decided (so a handshake that then fails can
 *   still be reported with what the client offered)
 * @returns the established session
 * @throws TlsprobeError PROTOCOL_VERSION, NO_SHARED_CIPHER, HANDSHAKE_FAILURE,
 *   PEER_MALFORMED, NOT_TLS, ALERT, CONNECTION_CLOSED, TIMEOUT — after
 *   sending the client the matching alert (`detail.sentAlert`)
 */
export async function acceptTls(
  t: Transport,
  cfg: LabServerConfig,
  onHello?: (hello: ClientHello) => void,
): Promise<LabSession> {
  const ch = new Channel(t);
  try {
    return await handshake(ch, cfg, onHello);
  } catch (e) {
    const err = e instanceof TlsprobeError
      ? e
      : new TlsprobeError("INTERNAL", `Lab server failure: ${(e as Error).message}`, {
        raw: String(e),
      });
    const d = err.detail;
    let alert = d.sendAlert as number | undefined;
    if (alert === undefined && !d.fromPeer) {
      alert = err.code === "PEER_MALFORMED"
        ? 50
        : err.code === "INTERNAL"
        ? 80
        : err.code === "NOT_TLS" || err.code === "CONNECTION_CLOSED" || err.code === "TIMEOUT"
        ? undefined
        : 40;
    }
    if (alert !== undefined) {
      d.sentAlert = alertName(alert);
      await ch.alert(2, alert).catch(() => {});
    }
    delete d.sendAlert;
    throw err;
  }
}

async function handshake(
  ch: Channel,
  cfg: LabServerConfig,
  onHello?: (hello: ClientHello) => void,
): Promise<LabSession> {
  const first = await ch.expect(HS.clientHello, "the ClientHello");
  const hello = parseClientHello(first.body, first.offset);
  onHello?.(hello);
  if (!hello.compressionMethods.includes(0)) {
    throw fail("PEER_MALFORMED", 47, "The client does not offer null compression");
  }
  const theirs = clientVersions(hello);
  const usable = cfg.versions
    .filter((v) => cfg.suites.some((s) => suiteRunsIn(s, v)))
    .sort((a, b) => b - a);
  const version = usable.find((v) => theirs.includes(v));
  if (version === undefined) {
    throw fail(
      "PROTOCOL_VERSION",
      70,
      `The client offers ${
        theirs.map(versionLabel).join(", ") || "no version"
      }; this server speaks ${usable.map(versionLabel).join(", ")}`,
    );
  }
  if (hello.cipherSuites.includes(0x5600) && version < usable[0]) {
    throw fail(
      "PROTOCOL_VERSION",
      86,
      `The client sent TLS_FALLBACK_SCSV at ${versionLabel(version)} (inappropriate_fallback)`,
    );
  }
  ch.recordVersion = version >= TLS1_2 ? TLS1_2 : version;
  const transcript: Uint8Array[] = [first.raw];
  const s = version === TLS1_3
    ? await tls13(ch, cfg, hello, transcript)
    : await tls12(ch, cfg, hello, version, usable[0] === TLS1_3, transcript);
  s.info.hello = hello;
  return s;
}

function versionLabel(v: number): string {
  return v === 0x0300
    ? "SSLv3"
    : v >= TLS1_0 && v <= TLS1_3
    ? `TLSv1.${v - TLS1_0}`
    : `0x${v.toString(16).padStart(4, "0")}`;
}

function serverRandom(version: number, speaks13: boolean): Uint8Array {
  const r = crypto.getRandomValues(new Uint8Array(32));
  // RFC 8446 §4.1.3: a TLS 1.3 server negotiating less says so.
  if (speaks13 && version < TLS1_3) {
    r.set(fromHex(version === TLS1_2 ? "444f574e47524401" : "444f574e47524400"), 24);
  }
  return r;
}

function alpnChoice(cfg: LabServerConfig, hello: ClientHello): string | undefined {
  if (!cfg.alpn?.length || !hello.alpn) return undefined;
  const pick = cfg.alpn.find((p) => hello.alpn!.includes(p));
  if (!pick) {
    throw fail(
      "HANDSHAKE_FAILURE",
      120,
      `The client offers ALPN ${hello.alpn.join(", ")}; this server accepts ${
        cfg.alpn.join(", ")
      } (no_application_protocol)`,
    );
  }
  return pick;
}

function ext(type: number, data: Uint8Array = new Uint8Array(0)) {
  return { type, data };
}

interface Tls12Choice {
  suite: LegacySuite;
  identity?: ServerIdentity;
  scheme?: number;
  group?: number;
}

function chooseTls12(
  cfg: LabServerConfig,
  hello: ClientHello,
  version: number,
): Tls12Choice | undefined {
  const ecGroups = cfg.groups.filter((g) => EC_GROUPS.includes(g));
  const mutualEc = hello.groups ? ordered(cfg.serverPreference, ecGroups, hello.groups) : ecGroups;
  const candidates = ordered(cfg.serverPreference, cfg.suites, hello.cipherSuites);
  for (const code of candidates) {
    if (!suiteRunsIn(code, version)) continue;
    const suite = LEGACY_SUITES.get(code)!;
    if (suite.cipher === "3DES-CBC" && !cfg.tripleDes) continue;
    if (suite.kx === "ECDHE" && !mutualEc.length) continue;
    const group = suite.kx === "ECDHE" ? mutualEc[0] : undefined;
    if (suite.au === "anon") return { suite, group };
    // RFC 8422 §5.1: ECDSA suites also carry Ed25519 certificates.
    const fits = (t: ServerKey["type"]) => suite.au === "RSA" ? t === "rsa" : t !== "rsa";
    for (const identity of cfg.identities) {
      if (!fits(identity.key.type)) continue;
      if (suite.kx === "RSA") return { suite, identity };
      if (version < TLS1_2) return { suite, identity, group };
      const scheme = chooseScheme(identity.key, version, hello.signatureAlgorithms);
      if (scheme !== undefined) return { suite, identity, scheme, group };
    }
  }
  return undefined;
}

async function tls12(
  ch: Channel,
  cfg: LabServerConfig,
  hello: ClientHello,
  version: number,
  speaks13: boolean,
  transcript: Uint8Array[],
): Promise<LabSession> {
  const resumed = await resume12(ch, cfg, hello, version, speaks13, transcript);
  if (resumed) return resumed;
  const choice = chooseTls12(cfg, hello, version);
  if (!choice) {
    throw fail(
      "NO_SHARED_CIPHER",
      40,
      `No cipher suite in common at ${
        versionLabel(version)
      }: the client offers ${hello.cipherSuites.length} suites, none of which this server is configured for (with a usable certificate and group)`,
    );
  }
  const { suite, identity, scheme, group } = choice;
  const alpn = alpnChoice(cfg, hello);
  const ems = !!findExtension(hello.extensions, EXT.extendedMasterSecret);
  const exts = serverHelloExtensions12(hello, ems, alpn);
  // RFC 5077 §3.2: an empty session_ticket answer promises a NewSessionTicket.
  const issueTicket12 = !!cfg.sessions && !!findExtension(hello.extensions, EXT.sessionTicket);
  if (issueTicket12) exts.push(ext(EXT.sessionTicket));
  if (suite.kx === "ECDHE" && findExtension(hello.extensions, EXT.ecPointFormats)) {
    exts.push(ext(EXT.ecPointFormats, Uint8Array.of(1, 0)));
  }
  const random = serverRandom(version, speaks13);
  // A new session ID when sessions are kept (stored once the client's Finished checks).
  const sessionId = cfg.sessions ? crypto.getRandomValues(new Uint8Array(32)) : new Uint8Array(0);
  const flight: Uint8Array[] = [];
  const push = (m: Uint8Array) => {
    flight.push(m);
    transcript.push(m);
  };
  push(encodeHandshake(
    HS.serverHello,
    encodeServerHello(
      {
        legacyVersion: version,
        random,
        sessionId,
        cipherSuite: suite.code,
        compression: 0,
        extensions: exts,
      } as Parameters<typeof encodeServerHello>[0],
    ),
  ));
  if (identity) {
    push(encodeHandshake(
      HS.certificate,
      encodeCertificate({ entries: identity.chain.map((der) => ({ der, extensions: [] })) }, false),
    ));
  }
  // The server's key exchange value, and how to finish it.
  let finishKx: (cke: Reader) => Promise<Uint8Array>;
  const info: LabSessionInfo = { version, suite: suite.code, alpn, extendedMasterSecret: ems };
  if (hello.serverName) info.serverName = hello.serverName;
  if (suite.kx === "RSA") {
    finishKx = (r) => {
      const enc = r.vec16("client_key_exchange.encrypted_pre_master_secret");
      r.expectEmpty("client_key_exchange");
      return Promise.resolve(rsaDecryptPremaster(identity!.key, enc, hello.legacyVersion));
    };
  } else {
    let params: Uint8Array;
    if (suite.kx === "ECDHE") {
      const share = await makeKeyShare(group!);
      info.group = group;
      params = new Writer().u8(3).u16(group!).vec8(share.publicValue).finish();
      finishKx = async (r) => {
        const point = r.vec8("client_key_exchange.ecdh_Yc", 1);
        r.expectEmpty("client_key_exchange");
        try {
          return await share.derive(point);
        } catch (e) {
          throw fail("PEER_MALFORMED", 47, (e as Error).message.replace("server's", "client's"));
        }
      };
    } else {
      const { p, g } = cfg.dh ?? { p: ffdhePrime(0x0100), g: 2n };
      const len = Math.ceil(p.toString(16).length / 2);
      info.dhBits = p.toString(2).length;
      const xBits = Math.min(info.dhBits - 2, 384);
      const x = (toBigInt(crypto.getRandomValues(new Uint8Array(Math.ceil(xBits / 8)))) &
        ((1n << BigInt(xBits)) - 1n)) | 2n;
      params = new Writer()
        .vec16(fromBigInt(p, len))
        .vec16(fromBigInt(g, Math.max(1, Math.ceil(g.toString(16).length / 2))))
        .vec16(fromBigInt(modPow(g, x, p), len))
        .finish();
      finishKx = (r) => {
        const yc = toBigInt(r.vec16("client_key_exchange.dh_Yc", 1));
        r.expectEmpty("client_key_exchange");
        if (yc <= 1n || yc >= p - 1n) {
          throw fail("PEER_MALFORMED", 47, "The client's DH public value is out of range");
        }
        // RFC 5246 §8.1.2: leading zero bytes of Z are stripped.
        let z = fromBigInt(modPow(yc, x, p), len);
        let i = 0;
        while (i < z.length - 1 && z[i] === 0) i++;
        z = z.subarray(i);
        return Promise.resolve(z);
      };
    }
    const w = new Writer().bytes(params);
    if (identity) {
      const sig = await signWith(
        identity.key,
        scheme,
        concat(hello.random, random, params),
      );
      if (scheme !== undefined) w.u16(scheme);
      w.vec16(sig);
      info.scheme = scheme;
    }
    push(encodeHandshake(HS.serverKeyExchange, w.finish()));
  }
  // RFC 5246 §7.4.4: an anonymous server does not ask for a client certificate.
  const auth = identity ? cfg.clientAuth : undefined;
  if (auth) {
    push(encodeHandshake(HS.certificateRequest, await certificateRequestBody(auth, version)));
    info.clientCertificateRequested = true;
    info.clientCertificate = null;
  }
  push(encodeHandshake(HS.serverHelloDone, new Uint8Array(0)));
  await ch.send(CONTENT.handshake, concat(...flight));

  let client: { leaf: Uint8Array; peer: PeerCertificate } | undefined;
  if (auth) {
    const cm = await ch.expect(HS.certificate, "the client's Certificate");
    client = await checkClientCertificate(auth, version, cm.body, cm.offset);
    transcript.push(cm.raw);
  }
  const cke = await ch.expect(HS.clientKeyExchange, "the key exchange");
  const premaster = await finishKx(new Reader(cke.body, cke.offset));
  transcript.push(cke.raw);
  const h = suite.prfHash;
  const master = ems
    ? await prf(
      version,
      h,
      premaster,
      "extended master secret",
      await handshakeHash(version, h, concat(...transcript)),
      48,
    )
    : await prf(version, h, premaster, "master secret", concat(hello.random, random), 48);
  // The extended master secret's session hash ends at ClientKeyExchange (RFC 7627 §3).
  if (client) {
    const cv = await ch.expect(HS.certificateVerify, "the client's CertificateVerify");
    await checkClientVerify(version, client.leaf, cv.body, cv.offset, concat(...transcript));
    transcript.push(cv.raw);
    info.clientCertificate = client.peer;
  }
  const k = await keys12(suite, version, master, random, hello.random, cfg.tripleDes);
  await receiveFinished12(ch, k.client, suite, version, master, transcript, "the key exchange");
  if (cfg.sessions) {
    const state = {
      version,
      suite: suite.code,
      master,
      ems,
      ...(info.clientCertificateRequested ? { client: info.clientCertificate ?? null } : {}),
    };
    cfg.sessions.sessions.put(sessionId, state);
    if (issueTicket12) {
      // RFC 5077 §3.3: lifetime hint, ticket; before ChangeCipherSpec, in the Finished hash.
      const nst = encodeHandshake(
        HS.newSessionTicket,
        new Writer().u32(cfg.sessions.lifetimeS).vec16(await cfg.sessions.sealTicket(state))
          .finish(),
      );
      transcript.push(nst);
      await ch.send(CONTENT.handshake, nst);
      info.ticketIssued = true;
    }
  }
  await sendFinished12(ch, k.server, suite, version, master, transcript);
  return session(ch, info);
}

/** The ServerHello extensions every TLS 1.0–1.2 handshake answers with. */
function serverHelloExtensions12(hello: ClientHello, ems: boolean, alpn: string | undefined) {
  const reneg = findExtension(hello.extensions, EXT.renegotiationInfo);
  if (reneg && (reneg.data.length !== 1 || reneg.data[0] !== 0)) {
    throw fail(
      "HANDSHAKE_FAILURE",
      40,
      "The client's renegotiation_info is not empty on an initial handshake (RFC 5746 §3.6)",
    );
  }
  const exts = [];
  if (reneg || hello.cipherSuites.includes(0x00ff)) {
    exts.push(ext(EXT.renegotiationInfo, Uint8Array.of(0)));
  }
  if (ems) exts.push(ext(EXT.extendedMasterSecret));
  if (alpn) exts.push(ext(EXT.alpn, encodeAlpn([alpn])));
  return exts;
}

/** The record protections of both directions from a master secret (RFC 5246 §6.3). */
async function keys12(
  suite: LegacySuite,
  version: number,
  master: Uint8Array,
  serverRandom: Uint8Array,
  clientRandom: Uint8Array,
  tripleDes?: CbcCipher,
): Promise<{ client: LegacyProtection; server: LegacyProtection }> {
  const L = keyBlockLengths(suite);
  const block = await prf(
    version,
    suite.prfHash,
    master,
    "key expansion",
    concat(serverRandom, clientRandom),
    2 * (L.mac + L.key + L.iv),
  );
  let at = 0;
  const take = (n: number) => block.slice(at, at += n);
  const cMac = take(L.mac), sMac = take(L.mac), cKey = take(L.key), sKey = take(L.key);
  const cIv = take(L.iv), sIv = take(L.iv);
  return {
    client: new LegacyProtection(suite, version, { macKey: cMac, key: cKey, iv: cIv }, tripleDes),
    server: new LegacyProtection(suite, version, { macKey: sMac, key: sKey, iv: sIv }, tripleDes),
  };
}

/** Sends ChangeCipherSpec and the server's Finished (RFC 5246 §7.4.9), switching keys. */
async function sendFinished12(
  ch: Channel,
  sealer: LegacyProtection,
  suite: LegacySuite,
  version: number,
  master: Uint8Array,
  transcript: Uint8Array[],
): Promise<void> {
  await ch.send(CONTENT.changeCipherSpec, Uint8Array.of(1));
  ch.writer = sealer;
  const h = suite.prfHash;
  const fin = encodeHandshake(
    HS.finished,
    await prf(
      version,
      h,
      master,
      "server finished",
      await handshakeHash(version, h, concat(...transcript)),
      12,
    ),
  );
  transcript.push(fin);
  await ch.send(CONTENT.handshake, fin);
}

/** Reads the client's ChangeCipherSpec and Finished, switching keys, and checks the Finished. */
async function receiveFinished12(
  ch: Channel,
  opener: LegacyProtection,
  suite: LegacySuite,
  version: number,
  master: Uint8Array,
  transcript: Uint8Array[],
  during: string,
): Promise<void> {
  const ccs = await ch.message(during);
  if (ccs !== "ccs") {
    throw fail(
      "PEER_MALFORMED",
      10,
      `Expected ChangeCipherSpec, got handshake message type ${ccs.type} (unexpected_message)`,
    );
  }
  ch.reader = legacyOpener(opener);
  const fin = await ch.expect(HS.finished, "the client's Finished");
  const h = suite.prfHash;
  const expected = await prf(
    version,
    h,
    master,
    "client finished",
    await handshakeHash(version, h, concat(...transcript)),
    12,
  );
  if (fin.body.length !== 12 || fin.body.some((b, i) => b !== expected[i])) {
    throw fail(
      "HANDSHAKE_FAILURE",
      51,
      "The client's Finished does not match (decrypt_error): its keys or transcript differ",
    );
  }
  transcript.push(fin.raw);
}

/**
 * The abbreviated handshake (RFC 5246 §7.3) when the client names a stored
 * session this configuration still allows: same version, a suite both still
 * offer, the same extended-master-secret use (RFC 7627 §5.3). Otherwise
 * undefined: a full handshake follows.
 */
async function resume12(
  ch: Channel,
  cfg: LabServerConfig,
  hello: ClientHello,
  version: number,
  speaks13: boolean,
  transcript: Uint8Array[],
): Promise<LabSession | undefined> {
  if (!cfg.sessions) return undefined;
  // RFC 5077 §3.4: a ticket first; one that does not open means a full handshake, not an error.
  const offered = findExtension(hello.extensions, EXT.sessionTicket)?.data;
  const fromTicket = offered?.length ? await cfg.sessions.openTicket(offered) : undefined;
  const stored = fromTicket ??
    (hello.sessionId.length ? cfg.sessions.sessions.get(hello.sessionId, false) : undefined);
  const ems = !!findExtension(hello.extensions, EXT.extendedMasterSecret);
  if (
    !stored || stored.version !== version || stored.ems !== ems ||
    !hello.cipherSuites.includes(stored.suite) || !cfg.suites.includes(stored.suite) ||
    !suiteRunsIn(stored.suite, version)
  ) {
    return undefined;
  }
  const suite = LEGACY_SUITES.get(stored.suite)!;
  const alpn = alpnChoice(cfg, hello);
  const random = serverRandom(version, speaks13);
  const sh = encodeHandshake(
    HS.serverHello,
    encodeServerHello(
      {
        legacyVersion: version,
        random,
        sessionId: hello.sessionId,
        cipherSuite: suite.code,
        compression: 0,
        extensions: serverHelloExtensions12(hello, ems, alpn),
      } as Parameters<typeof encodeServerHello>[0],
    ),
  );
  transcript.push(sh);
  const info: LabSessionInfo = {
    version,
    suite: suite.code,
    alpn,
    extendedMasterSecret: ems,
    resumed: true,
    resumedBy: fromTicket ? "ticket" : "session-id",
    ...(stored.client !== undefined
      ? { clientCertificateRequested: true, clientCertificate: stored.client }
      : {}),
  };
  if (hello.serverName) info.serverName = hello.serverName;
  const k = await keys12(suite, version, stored.master, random, hello.random, cfg.tripleDes);
  await ch.send(CONTENT.handshake, sh);
  await sendFinished12(ch, k.server, suite, version, stored.master, transcript);
  await receiveFinished12(
    ch,
    k.client,
    suite,
    version,
    stored.master,
    transcript,
    "the resumed handshake",
  );
  return session(ch, info);
}

async function tls13(
  ch: Channel,
  cfg: LabServerConfig,
  hello: ClientHello,
  transcript: Uint8Array[],
): Promise<LabSession> {
  const suites = ordered(cfg.serverPreference, cfg.suites, hello.cipherSuites)
    .filter((c) => c in TLS13_SUITES);
  if (!suites.length) {
    throw fail(
      "NO_SHARED_CIPHER",
      40,
      "No TLS 1.3 cipher suite in common with the client",
    );
  }
  const s: Tls13Suite = TLS13_SUITES[suites[0]];
  let identity: ServerIdentity | undefined, scheme: number | undefined;
  for (const id of cfg.identities) {
    scheme = chooseScheme(id.key, TLS1_3, hello.signatureAlgorithms);
    if (scheme !== undefined) {
      identity = id;
      break;
    }
  }
  if (!identity) {
    throw fail(
      "HANDSHAKE_FAILURE",
      40,
      "The client accepts no signature scheme this server's certificate can make",
    );
  }
  const capable = cfg.groups.filter((g) => EC_GROUPS.includes(g) || FF_GROUPS.includes(g));
  const mutual = ordered(cfg.serverPreference, capable, hello.groups ?? []);
  if (!mutual.length) {
    throw fail("HANDSHAKE_FAILURE", 40, "No group in common with the client for TLS 1.3");
  }
  const alpn = alpnChoice(cfg, hello);
  const info: LabSessionInfo = { version: TLS1_3, suite: s.code, alpn, scheme };
  if (hello.serverName) info.serverName = hello.serverName;
  let ch2 = hello;
  // Server preference: its first mutual group, asked for when no share came;
  // client preference: the first share the client sent that the server accepts.
  let share = cfg.serverPreference
    ? hello.keyShares?.find((k) => k.group === mutual[0])
    : hello.keyShares?.find((k) => mutual.includes(k.group));
  if (!share) {
    // RFC 8446 §4.1.4: ask for the group, and restart the transcript with message_hash.
    const group = mutual[0];
    info.helloRetry = true;
    const ch1Hash = await digest(s.hash, concat(...transcript));
    transcript.length = 0;
    transcript.push(encodeHandshake(HS.messageHash, ch1Hash));
    const hrr = encodeHandshake(
      HS.serverHello,
      encodeServerHello(
        {
          legacyVersion: TLS1_2,
          random: fromHex(HRR_RANDOM),
          sessionId: hello.sessionId,
          cipherSuite: s.code,
          compression: 0,
          extensions: [
            ext(EXT.supportedVersions, Uint8Array.of(3, 4)),
            ext(EXT.keyShare, Uint8Array.of(group >> 8, group & 0xff)),
          ],
        } as Parameters<typeof encodeServerHello>[0],
      ),
    );
    transcript.push(hrr);
    await ch.send(CONTENT.handshake, hrr);
    if (hello.sessionId.length) await ch.send(CONTENT.changeCipherSpec, Uint8Array.of(1));
    ch.tls13 = true;
    const second = await ch.expect(HS.clientHello, "the second ClientHello");
    ch2 = parseClientHello(second.body, second.offset);
    transcript.push(second.raw);
    share = ch2.keyShares?.length === 1 && ch2.keyShares[0].group === group
      ? ch2.keyShares[0]
      : undefined;
    if (!share || !ch2.cipherSuites.includes(s.code)) {
      throw fail(
        "PEER_MALFORMED",
        47,
        "The second ClientHello does not carry the one key share asked for (illegal_parameter)",
      );
    }
  }
  info.group = share.group;
  ch.tls13 = true;
  // A ticket is taken only on a first ClientHello (its binder covers that hello alone).
  const psk = info.helloRetry ? undefined : await acceptPsk(cfg, hello, s, transcript[0]);
  if (psk) {
    info.resumed = true;
    delete info.scheme;
    if (psk.client !== undefined) {
      info.clientCertificateRequested = true;
      info.clientCertificate = psk.client;
    }
  }
  const mine = await makeKeyShare(share.group);
  let shared: Uint8Array;
  try {
    shared = await mine.derive(share.keyExchange);
  } catch (e) {
    throw fail("PEER_MALFORMED", 47, (e as Error).message.replace("server's", "client's"));
  }
  const sh = encodeHandshake(
    HS.serverHello,
    encodeServerHello(
      {
        legacyVersion: TLS1_2,
        random: crypto.getRandomValues(new Uint8Array(32)),
        sessionId: ch2.sessionId,
        cipherSuite: s.code,
        compression: 0,
        extensions: [
          ext(EXT.supportedVersions, Uint8Array.of(3, 4)),
          ext(
            EXT.keyShare,
            new Writer().u16(share.group).vec16(mine.publicValue).finish(),
          ),
          ...(psk ? [ext(EXT.preSharedKey, Uint8Array.of(0, psk.index))] : []),
        ],
      } as Parameters<typeof encodeServerHello>[0],
    ),
  );
  transcript.push(sh);
  await ch.send(CONTENT.handshake, sh);
  if (ch2.sessionId.length && !info.helloRetry) {
    await ch.send(CONTENT.changeCipherSpec, Uint8Array.of(1));
  }
  const hs = await handshakeSecrets(s, shared, concat(...transcript), psk?.psk);
  ch.writer = await RecordProtection.create(s, hs.server);
  ch.reader = tls13Opener(await RecordProtection.create(s, hs.client));

  const ee = new Writer();
  ee.lengthPrefixed(2, (w) => {
    if (alpn) w.u16(EXT.alpn).vec16(encodeAlpn([alpn]));
  });
  const flight = [encodeHandshake(HS.encryptedExtensions, ee.finish())];
  // RFC 8446 §4.3.2: no CertificateRequest when the PSK authenticates the session.
  const auth = psk ? undefined : cfg.clientAuth;
  if (auth) {
    flight.push(encodeHandshake(HS.certificateRequest, await certificateRequestBody(auth, TLS1_3)));
    info.clientCertificateRequested = true;
    info.clientCertificate = null;
  }
  // A resumed session is authenticated by the PSK: no Certificate, no CertificateVerify.
  if (!psk) {
    flight.push(encodeHandshake(
      HS.certificate,
      encodeCertificate(
        {
          context: new Uint8Array(0),
          entries: identity.chain.map((der) => ({ der, extensions: [] })),
        },
        true,
      ),
    ));
    transcript.push(...flight);
    const th = await digest(s.hash, concat(...transcript));
    const signed = concat(
      new Uint8Array(64).fill(0x20),
      new TextEncoder().encode("TLS 1.3, server CertificateVerify"),
      Uint8Array.of(0),
      th,
    );
    const cv = encodeHandshake(
      HS.certificateVerify,
      new Writer().u16(scheme!).vec16(await signWith(identity.key, scheme, signed)).finish(),
    );
    flight.push(cv);
    transcript.push(cv);
  } else transcript.push(...flight);
  const fin = encodeHandshake(
    HS.finished,
    await finishedData(s, hs.server, concat(...transcript)),
  );
  transcript.push(fin);
  await ch.send(CONTENT.handshake, concat(...flight, fin));
  const app = await applicationSecrets(s, hs.handshakeSecret, concat(...transcript));
  ch.writer = await RecordProtection.create(s, app.server);

  if (auth) {
    const cm = await ch.expect(HS.certificate, "the client's Certificate");
    const client = await checkClientCertificate(auth, TLS1_3, cm.body, cm.offset);
    transcript.push(cm.raw);
    if (client) {
      const cv = await ch.expect(HS.certificateVerify, "the client's CertificateVerify");
      const th = await digest(s.hash, concat(...transcript));
      await checkClientVerify(TLS1_3, client.leaf, cv.body, cv.offset, th);
      transcript.push(cv.raw);
      info.clientCertificate = client.peer;
    }
  }
  const cf = await ch.expect(HS.finished, "the client's Finished");
  const expected = await finishedData(s, hs.client, concat(...transcript));
  if (cf.body.length !== expected.length || cf.body.some((b, i) => b !== expected[i])) {
    throw fail(
      "HANDSHAKE_FAILURE",
      51,
      "The client's Finished does not match (decrypt_error): its keys or transcript differ",
    );
  }
  ch.reader = tls13Opener(await RecordProtection.create(s, app.client));
  transcript.push(cf.raw);
  await issueTicket(ch, cfg, ch2, s, hs.handshakeSecret, concat(...transcript), info);
  let readSecret = app.client, writeSecret = app.server;
  return session(ch, info, async (m) => {
    if (m.type !== HS.keyUpdate || m.body.length !== 1 || m.body[0] > 1) return false;
    // RFC 8446 §4.6.3: the next generation of the client's keys; answer a request.
    readSecret = await expandLabel(s, readSecret, "traffic upd", new Uint8Array(0), s.hashLen);
    ch.reader = tls13Opener(await RecordProtection.create(s, readSecret));
    if (m.body[0] === 1) {
      await ch.send(CONTENT.handshake, encodeHandshake(HS.keyUpdate, Uint8Array.of(0)));
      writeSecret = await expandLabel(s, writeSecret, "traffic upd", new Uint8Array(0), s.hashLen);
      ch.writer = await RecordProtection.create(s, writeSecret);
    }
    return true;
  });
}

/** Whether the client takes (EC)DHE with a PSK (psk_key_exchange_modes has psk_dhe_ke). */
function pskDheOffered(hello: ClientHello): boolean {
  const modes = findExtension(hello.extensions, EXT.pskKeyExchangeModes);
  return !!modes && modes.data.length > 1 && modes.data.subarray(1).includes(1);
}

/**
 * The stored ticket a TLS 1.3 ClientHello resumes, when it names one issued
 * under a suite of the same hash and its binder checks (RFC 8446 §4.2.11);
 * the ticket is used up. A wrong binder ends the handshake (decrypt_error).
 */
async function acceptPsk(
  cfg: LabServerConfig,
  hello: ClientHello,
  s: Tls13Suite,
  rawHello: Uint8Array,
): Promise<{ index: number; psk: Uint8Array; client?: PeerCertificate | null } | undefined> {
  const x = findExtension(hello.extensions, EXT.preSharedKey);
  if (!cfg.sessions || !x) return undefined;
  if (hello.extensions[hello.extensions.length - 1].type !== EXT.preSharedKey) {
    throw fail("PEER_MALFORMED", 47, "pre_shared_key is not the ClientHello's last extension");
  }
  if (!pskDheOffered(hello)) return undefined;
  const offer = parsePskOffer(x.data);
  if (offer.binders.length !== offer.identities.length) {
    throw fail("PEER_MALFORMED", 47, "pre_shared_key has not one binder per identity");
  }
  const index = offer.identities.findIndex((id) => {
    const t = cfg.sessions!.tickets.get(id.identity, false);
    return t !== undefined && TLS13_SUITES[t.suite]?.hash === s.hash;
  });
  if (index < 0 || index > 255) return undefined;
  const t = cfg.sessions.tickets.get(offer.identities[index].identity, true)!;
  const truncated = rawHello.subarray(0, rawHello.length - offer.bindersBytes);
  const want = await pskBinder(s, t.psk, truncated);
  const got = offer.binders[index];
  if (got.length !== want.length || got.some((b, i) => b !== want[i])) {
    throw fail(
      "HANDSHAKE_FAILURE",
      51,
      "The client's PSK binder does not match its ticket (decrypt_error)",
    );
  }
  return { index, psk: t.psk, client: t.client };
}

/**
 * Sends one NewSessionTicket (RFC 8446 §4.6.1) when sessions are kept and the
 * client takes psk_dhe_ke; the ticket is a random name of the stored PSK.
 */
async function issueTicket(
  ch: Channel,
  cfg: LabServerConfig,
  hello: ClientHello,
  s: Tls13Suite,
  handshakeSecret: Uint8Array,
  transcript: Uint8Array,
  info: LabSessionInfo,
): Promise<void> {
  if (!cfg.sessions || !pskDheOffered(hello)) return;
  const alpn = info.alpn;
  const nonce = Uint8Array.of(0);
  const psk = await ticketPsk(s, handshakeSecret, transcript, nonce);
  const ticket = crypto.getRandomValues(new Uint8Array(32));
  const ageAdd = crypto.getRandomValues(new Uint32Array(1))[0];
  cfg.sessions.tickets.put(ticket, {
    suite: s.code,
    psk,
    ...(alpn ? { alpn } : {}),
    ...(info.clientCertificateRequested ? { client: info.clientCertificate ?? null } : {}),
  });
  await ch.send(
    CONTENT.handshake,
    encodeHandshake(
      HS.newSessionTicket,
      new Writer().u32(cfg.sessions.lifetimeS).u32(ageAdd).vec8(nonce).vec16(ticket).u16(0)
        .finish(),
    ),
  );
}

function session(
  ch: Channel,
  info: LabSessionInfo,
  postHandshake?: (m: HandshakeMessage) => Promise<boolean>,
): LabSession {
  let closed = false;
  const hs = new HandshakeBuffer();
  const guard = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      const d = e instanceof TlsprobeError ? e.detail : undefined;
      if (d?.sendAlert !== undefined) {
        const a = d.sendAlert as number;
        d.sentAlert = alertName(a);
        delete d.sendAlert;
        await ch.alert(2, a).catch(() => {});
      }
      throw e;
    }
  };
  let idle = 0;
  return {
    info,
    read: () =>
      guard(async () => {
        while (!closed) {
          let rec;
          try {
            rec = await ch.record();
          } catch (e) {
            if (e instanceof TlsprobeError && e.code === "CONNECTION_CLOSED") return null;
            throw e;
          }
          if (rec.type === CONTENT.applicationData) {
            if (rec.data.length) {
              idle = 0;
              return rec.data;
            }
          } else if (rec.type === CONTENT.alert) {
            const a = clientAlert(rec.data, "the session");
            if (a.code === "CONNECTION_CLOSED") {
              closed = true;
              await ch.alert(1, 0).catch(() => {});
              return null;
            }
            if (rec.data[0] === 1) continue;
            throw a;
          } else if (rec.type === CONTENT.handshake) {
            hs.push(rec.data);
            for (
              let m = hs.next(LAB_SERVER_LIMITS.message);
              m;
              m = hs.next(LAB_SERVER_LIMITS.message)
            ) {
              if (postHandshake && await postHandshake(m)) continue;
              if (m.type === HS.clientHello && !ch.tls13) {
                // RFC 5746 §4.4 allows refusing: a warning no_renegotiation.
                await ch.alert(1, 100);
                continue;
              }
              throw fail(
                "PEER_MALFORMED",
                10,
                `The client sent handshake message type ${m.type} after the handshake`,
              );
            }
          } else {
            throw fail(
              "PEER_MALFORMED",
              10,
              `The client sent a record of type ${rec.type} after the handshake`,
            );
          }
          if (++idle > LAB_SERVER_LIMITS.idleRecords * 16) {
            throw fail("PEER_MALFORMED", 10, "The client sent too many records without data");
          }
        }
        return null;
      }),
    write: async (data) => {
      if (closed) return;
      await ch.send(CONTENT.applicationData, data);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await ch.alert(1, 0).catch(() => {});
    },
  };
}
