/**
 * The scanner's I/O: a {@link Prober} over TCP (one connection per
 * handshake, cut as soon as the answer is read, each bounded by one overall
 * deadline and a byte cap, run under the target's and the global concurrency
 * limits), and `scanTarget`, which plans, probes and evaluates one target.
 *
 * The scanner reaches the handshake engine only here (`inspect` for full
 * handshakes; the ClientHello/ServerHello codec through `core/scan/hello.ts`).
 *
 * @module
 */
import { isTlsprobeError, TlsprobeError } from "../errors.ts";
import { inspect, type Observation, type ResumptionTicket } from "../handshake/inspect.ts";
import { TLS13_SUITES } from "../handshake/key_schedule.ts";
import { EXT } from "../registry/extensions.ts";
import { cipherSuiteByCode } from "../registry/cipher_suites.ts";
import { DEFAULT_GROUPS, DEFAULT_SIGNATURE_ALGORITHMS } from "../handshake/defaults.ts";
import {
  canShare,
  fromBigInt,
  makeKeyShare,
  modPow,
  rsaEncryptPkcs1,
  toBigInt,
} from "../handshake/key_exchange.ts";
import {
  bindPsk,
  CERTIFICATE_ALERTS,
  encodeHello,
  encodeHelloMessage,
  encodeNoCertificate,
  encodeSslv2Hello,
  HelloReader,
  isSslv2ServerHello,
} from "../scan/hello.ts";
import { canFinish12, isDhe } from "../scan/candidates.ts";
import { FlightReader } from "../wire/flight.ts";
import { bytesEqual, concat, Writer } from "../wire/codec.ts";
import {
  CONTENT,
  encodeHandshake,
  encodeHandshakeRecords,
  encodeRecord,
  HS,
} from "../wire/record.ts";
import { parseServerHello, type ServerHello } from "../wire/server_hello.ts";
import {
  parseCertificate,
  parseNewSessionTicket,
  parseServerKeyExchange,
  type ServerKeyExchange,
} from "../wire/messages.ts";
import { handshakeHash, prf } from "../handshake/prf.ts";
import { keyBlockLengths, LegacyProtection } from "../handshake/record_legacy.ts";
import { CLIENT_SUITES } from "../handshake/server_suites.ts";
import { TLS1_2, TLS1_3, versionName } from "../registry/versions.ts";
import { Limiter, runLimited } from "../scan/limit.ts";
import type {
  HandshakeFailure,
  HelloAnswer,
  HelloOffer,
  InspectAnswer,
  InspectOffer,
  Prober,
  ScanResult,
} from "../scan/model.ts";
import { planScan } from "../scan/plan.ts";
import { ProgressPlan, type ScanProgress } from "../scan/progress.ts";
import type { ResolvedPolicy } from "../policy/resolve.ts";
import type { TcpTransport } from "./transport.ts";
import { openStream, type StarttlsRequest } from "./starttls.ts";
import type { TrustVerdict } from "./tls_client.ts";

/** Bytes read for one ClientHello's answer, at most (a ServerHello flight is far smaller). */
const MAX_HELLO_BYTES = 1 << 20;

/** Where and how to connect. */
export interface ScanTarget {
  /** The server's host. */
  host: string;
  /** The server's port. */
  port: number;
  /** SNI: undefined sends the host unless it is an IP address; null sends none. */
  serverName?: string | null;
  /** Run this STARTTLS dialogue before every handshake (`--starttls`). */
  starttls?: StarttlsRequest;
}

/** Options of {@link scanTarget}. */
export interface ScanOptions extends ScanTarget {
  /** Overall deadline of each handshake, in milliseconds. */
  timeoutMs: number;
  /** Handshakes in flight for this target (default 8). */
  concurrency?: number;
  /** A limit shared with other targets. */
  globalLimiter?: Limiter;
  /** Versions to try (wire codes). */
  versions?: number[];
  /** CA file for the trust check. */
  caFile?: string;
  /** Client certificate and key for the trust check. */
  certFile?: string;
  /** The client certificate's key. */
  keyFile?: string;
  /** A policy to judge the server by (`--policy`). */
  policy?: ResolvedPolicy;
  /** Stops the scan (what was found is kept). */
  signal?: AbortSignal;
  /** Called after each handshake: done, the total planned (revised as it goes), the phase. */
  onProgress?: (p: ScanProgress) => void;
  /** The time, for validity. */
  now: Date;
}

/** The default number of handshakes in flight per target. */
export const DEFAULT_CONCURRENCY = 8;

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

/**
 * The SNI a scan sends for a target.
 *
 * @param t the target
 * @returns the name, or null for none
 */
export function scanServerName(t: ScanTarget): string | null {
  if (t.serverName === null) return null;
  return t.serverName ?? (isIpLiteral(t.host) ? null : t.host);
}

function failure(e: unknown): HandshakeFailure {
  if (isTlsprobeError(e)) return { code: e.code, message: e.message, detail: e.detail };
  return {
    code: "INTERNAL",
    message: `Internal error during the scan: ${e instanceof Error ? e.message : String(e)}`,
    detail: { raw: e instanceof Error ? e.stack : String(e) },
  };
}

/**
 * Runs `work` with an overall deadline: when it passes (or the signal
 * fires), the transport is closed and the result is a TIMEOUT failure.
 */
async function bounded<T>(
  o: {
    host: string;
    port: number;
    timeoutMs: number;
    signal?: AbortSignal;
    starttls?: StarttlsRequest;
  },
  work: (t: TcpTransport) => Promise<T>,
  onFailure: (f: HandshakeFailure) => T,
): Promise<T> {
  let t: TcpTransport | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<T>((resolve) => {
    const fire = (why: "timeout" | "abort") => {
      t?.close();
      resolve(onFailure({
        code: "TIMEOUT",
        message: why === "timeout"
          ? `${o.host}:${o.port} did not answer within ${o.timeoutMs / 1000} s`
          : "Stopped",
        detail: why === "abort" ? { interrupted: true } : { advice: "timeout" },
      }));
    };
    timer = setTimeout(() => fire("timeout"), o.timeoutMs);
    onAbort = () => fire("abort");
    // A signal that fired while this handshake waited for its turn never fires again.
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener("abort", onAbort, { once: true });
  });
  const go = (async () => {
    try {
      t = (await openStream(o)).transport;
      return await work(t);
    } catch (e) {
      return onFailure(failure(e));
    } finally {
      t?.close();
    }
  })();
  try {
    return await Promise.race([go, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) o.signal?.removeEventListener("abort", onAbort);
  }
}

/** What a finished TLS 1.0–1.2 handshake leaves to resume with. */
interface Session12 {
  /** The session ID the server assigned (empty: none). */
  sessionId: Uint8Array;
  /** The RFC 5077 ticket it issued, if any. */
  ticket?: Uint8Array;
  /** The server asked for a client certificate (and took an empty Certificate). */
  certificateRequested: boolean;
}

/** Why a full TLS 1.0–1.2 handshake did not finish. */
interface Unfinished12 {
  error: string;
  /** The server asked for a client certificate, got none, and sent this alert. */
  refusedWithout?: string;
}

/**
 * A full TLS 1.0–1.2 handshake with an (EC)DHE suite up to the server's
 * Finished, for a session to resume: RFC 5246 §7.4.7 (ClientKeyExchange,
 * §8.1.2 for DHE), §8.1 (master secret, or RFC 7627's extended one), §6.3
 * (key block), §7.4.9 (Finished); the NewSessionTicket before the server's
 * ChangeCipherSpec (RFC 5077 §3.3) is kept. It carries no data; nothing
 * from it is trusted.
 */
async function fullHandshake12(
  t: TcpTransport,
  offer: HelloOffer,
  sni: string | undefined,
): Promise<Session12 | Unfinished12> {
  const random = crypto.getRandomValues(new Uint8Array(32));
  const ch = encodeHelloMessage(offer, new Map(), sni, random);
  await t.write(encodeHandshakeRecords(ch, 0x0301));
  const flight = new FlightReader();
  const transcript: Uint8Array[] = [ch];
  let sh: ServerHello | undefined;
  let ske12: ServerKeyExchange | undefined;
  let certificateRequested = false;
  let leaf: Uint8Array | undefined;
  let total = 0;
  const next = async () => {
    for (;;) {
      const item = flight.next();
      if (item) return item;
      const chunk = await t.read();
      if (chunk === null) return null;
      total += chunk.length;
      if (total > MAX_HELLO_BYTES) return null;
      flight.push(chunk);
    }
  };
  for (;;) {
    const item = await next();
    if (!item) return { error: "the connection closed during the handshake" };
    if (item.kind === "alert") return { error: `${item.alert.name} alert` };
    if (item.kind !== "message") return { error: "an unexpected record before ServerHelloDone" };
    const m = item.message;
    transcript.push(m.raw);
    if (m.type === HS.serverHello) sh = parseServerHello(m.body, m.offset);
    else if (m.type === HS.certificateRequest) certificateRequested = true;
    else if (m.type === HS.certificate) {
      leaf = parseCertificate(m.body, false, m.offset).entries[0]?.der;
    } else if (m.type === HS.serverKeyExchange && sh) {
      const kind = CLIENT_SUITES.get(sh.cipherSuite)?.kx;
      if (kind !== "ECDHE" && kind !== "DHE") return { error: "a key exchange this client skips" };
      const anonymous = CLIENT_SUITES.get(sh.cipherSuite)?.au === "anon";
      ske12 = parseServerKeyExchange(m.body, { kind, tls12: sh.version >= TLS1_2, anonymous });
    } else if (m.type === HS.serverHelloDone) break;
  }
  const suite = sh ? CLIENT_SUITES.get(sh.cipherSuite) : undefined;
  if (
    !sh || !suite || !canFinish12(sh.cipherSuite) || sh.version > TLS1_2 ||
    (suite.kx === "RSA" ? !leaf : !ske12)
  ) {
    return { error: "the server chose no suite this client can finish" };
  }
  const version = sh.version;
  let pms: Uint8Array;
  let cke: Uint8Array;
  if (suite.kx === "RSA") {
    // RFC 5246 §7.4.7.1: the offered version and 46 random bytes, encrypted to the leaf's key.
    const offered = Math.min(Math.max(...offer.versions), TLS1_2);
    pms = concat(
      Uint8Array.of(offered >> 8, offered & 0xff),
      crypto.getRandomValues(new Uint8Array(46)),
    );
    // The X.509 decoder loads only for an RSA key exchange.
    const { decodeCertificate } = await import("../x509/decode.ts");
    const { rsaPublicKeyOfSpki } = await import("../x509/extensions.ts");
    const info = await decodeCertificate(leaf!);
    if (info.key.type !== "RSA") return { error: "an RSA key exchange with a non-RSA certificate" };
    const key = rsaPublicKeyOfSpki(info.key.spki);
    cke = new Writer().vec16(rsaEncryptPkcs1(key.modulus, key.exponent, pms)).finish();
  } else if (suite.kx === "ECDHE") {
    const ske = ske12!;
    const group = ske.namedGroup;
    if (group === undefined || !canShare(group)) {
      return { error: `no key share for group ${group}` };
    }
    const share = await makeKeyShare(group);
    pms = await share.derive(ske.publicKey);
    cke = new Writer().vec8(share.publicValue).finish();
  } else {
    const ske = ske12!;
    // RFC 5246 §8.1.2: Z = Ys^x mod p, leading zero bytes stripped.
    const p = toBigInt(ske.dhP!);
    const x = toBigInt(crypto.getRandomValues(new Uint8Array(32))) | 1n;
    const yc = modPow(toBigInt(ske.dhG!), x, p);
    const z = fromBigInt(modPow(toBigInt(ske.publicKey), x, p), ske.dhP!.length);
    let lead = 0;
    while (lead < z.length - 1 && z[lead] === 0) lead++;
    pms = z.subarray(lead);
    cke = new Writer().vec16(fromBigInt(yc, ske.dhP!.length)).finish();
  }
  // A server that asks for a client certificate gets none (RFC 5246 §7.4.6:
  // an empty list); one that requires it ends here with an alert.
  const noCertificate = certificateRequested
    ? [encodeHandshake(HS.certificate, new Writer().u24(0).finish())]
    : [];
  const ckeMessage = encodeHandshake(HS.clientKeyExchange, cke);
  transcript.push(...noCertificate, ckeMessage);
  const hash = suite.prfHash;
  const master = sh.extendedMasterSecret
    ? await prf(
      version,
      hash,
      pms,
      "extended master secret",
      await handshakeHash(version, hash, concat(...transcript)),
      48,
    )
    : await prf(version, hash, pms, "master secret", concat(random, sh.random), 48);
  const len = keyBlockLengths(suite);
  const block = await prf(
    version,
    hash,
    master,
    "key expansion",
    concat(sh.random, random),
    2 * (len.mac + len.key + len.iv),
  );
  const macKey = block.subarray(0, len.mac);
  const key = block.subarray(2 * len.mac, 2 * len.mac + len.key);
  const iv = block.subarray(2 * (len.mac + len.key), 2 * (len.mac + len.key) + len.iv);
  // 3DES is the runtime's cipher (WebCrypto has no DES), loaded only for a 3DES suite.
  const tripleDes = suite.cipher === "3DES-CBC"
    ? await (await import("./triple_des.ts")).tripleDesCipher()
    : undefined;
  const client = new LegacyProtection(suite, version, { macKey, key, iv }, tripleDes);
  const verify = await prf(
    version,
    hash,
    master,
    "client finished",
    await handshakeHash(version, hash, concat(...transcript)),
    12,
  );
  const fin = encodeHandshake(HS.finished, verify);
  await t.write(concat(
    encodeHandshakeRecords(concat(...noCertificate, ckeMessage), version),
    encodeRecord(CONTENT.changeCipherSpec, version, Uint8Array.of(1)),
    await client.seal(CONTENT.handshake, fin),
  ));
  // The server's ChangeCipherSpec: the session is complete (and cached).
  let ticket: Uint8Array | undefined;
  for (;;) {
    const item = await next();
    if (!item) return { error: "the connection closed after our Finished" };
    if (item.kind === "alert") {
      return certificateRequested
        ? {
          error:
            `the server asked for a client certificate and refused none (${item.alert.name} alert after our Finished)`,
          refusedWithout: item.alert.name,
        }
        : { error: `${item.alert.name} alert after our Finished` };
    }
    if (item.kind === "message" && item.message.type === HS.newSessionTicket) {
      ticket = parseNewSessionTicket(item.message.body, false, item.message.offset).ticket;
    }
    // The server checks our Finished before its ChangeCipherSpec (RFC 5246 §7.4.9).
    if (item.kind === "changeCipherSpec") {
      // Close cleanly (close_notify, then wait briefly for the server's): a
      // server such as OpenSSL drops a session whose connection ended without
      // a proper shutdown from its cache.
      await t.write(await client.seal(CONTENT.alert, Uint8Array.of(1, 0)));
      try {
        for (let n = 0; n < 64; n++) if (await t.read(CLOSE_WAIT_MS) === null) break;
      } catch { /* no close in time, or reset: the session is complete either way */ }
      return {
        sessionId: sh.sessionId,
        ...(ticket?.length ? { ticket } : {}),
        certificateRequested,
      };
    }
  }
}

/** Alerts that say our key exchange or Finished failed, not that a certificate is missing. */
const CRYPTO_ALERTS: readonly string[] = ["bad_record_mac", "decrypt_error", "illegal_parameter"];

/** How long a clean close waits for the server's close_notify or FIN. */
const CLOSE_WAIT_MS = 500;

/** Reads one ClientHello's answer (the reader says when it is complete), within MAX_HELLO_BYTES. */
async function readAnswer(t: TcpTransport, reader: HelloReader): Promise<HelloAnswer> {
  let total = 0;
  for (;;) {
    let chunk: Uint8Array | null;
    try {
      chunk = await t.read();
    } catch (e) {
      const f = failure(e);
      if (reader.partial && (f.code === "CONNECTION_RESET")) return reader.partial;
      return asAnswer(f);
    }
    if (chunk === null) {
      return reader.partial ?? { kind: "dropped", code: "CONNECTION_CLOSED" };
    }
    total += chunk.length;
    if (total > MAX_HELLO_BYTES) {
      return asAnswer({
        code: "PEER_MALFORMED",
        message: `The server sent more than ${MAX_HELLO_BYTES} bytes without a ServerHello`,
      });
    }
    reader.push(chunk);
    if (reader.answer) return reader.answer;
  }
}

function asAnswer(f: HandshakeFailure): HelloAnswer & InspectAnswer {
  if (f.code === "CONNECTION_CLOSED" || f.code === "CONNECTION_RESET") {
    return { kind: "dropped", code: f.code };
  }
  if (typeof f.detail?.alert === "string") {
    return { kind: "alert", alert: f.detail.alert, code: f.code };
  }
  return { kind: "error", error: f };
}

/**
 * A prober over TCP for one target.
 *
 * @param o target, deadline, limits
 * @returns the prober
 */
export function tcpProber(
  o: ScanTarget & {
    timeoutMs: number;
    concurrency?: number;
    globalLimiter?: Limiter;
    signal?: AbortSignal;
  },
): Prober {
  const limiters = [new Limiter(o.concurrency ?? DEFAULT_CONCURRENCY)];
  if (o.globalLimiter) limiters.push(o.globalLimiter);
  const sni = scanServerName(o) ?? undefined;
  const shares = new Map<number, Promise<Uint8Array>>();
  const share = (g: number) => {
    let s = shares.get(g);
    if (!s) {
      s = makeKeyShare(g).then((k) => k.publicValue);
      shares.set(g, s);
    }
    return s;
  };
  const conn = {
    host: o.host,
    port: o.port,
    timeoutMs: o.timeoutMs,
    signal: o.signal,
    starttls: o.starttls,
  };
  /**
   * TLS 1.0–1.2 when no handshake can be finished: an empty Certificate and
   * an invalid key exchange; a certificate alert means one is required.
   */
  const emptyCertificateOnly = (
    offer: HelloOffer,
  ): Promise<{ required: boolean | null; note: string }> => {
    const unknown = (why: string) => ({ required: null, note: why });
    return runLimited(limiters, () =>
      bounded(conn, async (t) => {
        await t.write(encodeHello(offer, new Map(), sni));
        const a = await readAnswer(t, new HelloReader({ ...offer, untilDone: true }));
        if (a.kind !== "hello" || !a.certificateRequest) {
          return unknown("no CertificateRequest in a TLS 1.0–1.2 handshake to answer");
        }
        const sh = a.serverHello;
        await t.write(encodeNoCertificate(sh.version, isDhe(sh.cipherSuite)));
        const flight = new FlightReader();
        for (let total = 0; total < MAX_HELLO_BYTES;) {
          const chunk = await t.read();
          if (chunk === null) {
            return unknown(
              "the server closed the connection after an empty Certificate, without an alert",
            );
          }
          total += chunk.length;
          flight.push(chunk);
          for (let item = flight.next(); item; item = flight.next()) {
            if (item.kind !== "alert") continue;
            const name = item.alert.name;
            return CERTIFICATE_ALERTS.includes(name)
              ? { required: true, note: `an empty Certificate is refused (${name} alert)` }
              : {
                required: false,
                note:
                  `an empty Certificate is taken (the next alert, ${name}, is about the key exchange)`,
              };
          }
        }
        return unknown("no alert after an empty Certificate");
      }, (f) => unknown(`no answer after an empty Certificate (${f.code})`)));
  };
  return {
    hello(offer: HelloOffer): Promise<HelloAnswer> {
      return runLimited(limiters, async () => {
        const wanted = (offer.keyShares ?? []).filter(canShare);
        const values = new Map<number, Uint8Array>();
        for (const g of wanted) values.set(g, await share(g));
        const bytes = encodeHello(offer, values, sni);
        return bounded<HelloAnswer>(conn, async (t) => {
          await t.write(bytes);
          return await readAnswer(t, new HelloReader(offer));
        }, asAnswer);
      });
    },
    clientCertificate(offer: HelloOffer): Promise<{ required: boolean | null; note: string }> {
      // A complete handshake with an empty Certificate, where the suites allow
      // it: the server finishes it or refuses for want of a certificate,
      // whichever alert it uses (gnutls-serv sends decode_error).
      const finishable = offer.suites.filter(canFinish12);
      const complete = finishable.length
        ? runLimited(limiters, () =>
          bounded<Session12 | Unfinished12>(
            conn,
            (t) => fullHandshake12(t, { ...offer, suites: finishable, sessionTicket: false }, sni),
            (f) => ({ error: f.code }),
          ))
        : Promise.resolve(undefined);
      return complete.then((c) => {
        if (c && "sessionId" in c && c.certificateRequested) {
          return { required: false, note: "a handshake with an empty Certificate completes" };
        }
        if (c && "error" in c && c.refusedWithout && !CRYPTO_ALERTS.includes(c.refusedWithout)) {
          return {
            required: true,
            note:
              `an empty Certificate with a valid key exchange and Finished is refused (${c.refusedWithout} alert)`,
          };
        }
        return emptyCertificateOnly(offer);
      });
    },
    resumption(offer: HelloOffer): Promise<{ resumed: boolean | null; note: string }> {
      return runLimited(
        limiters,
        () =>
          offer.versions.includes(TLS1_3) ? resume13(conn, offer, sni) : resume12(conn, offer, sni),
      );
    },

    inspect(offer: InspectOffer): Promise<InspectAnswer> {
      return runLimited(limiters, () =>
        bounded<InspectAnswer>(conn, async (t) => {
          const name = offer.serverName === undefined ? sni : offer.serverName ?? undefined;
          const obs = await inspect(t, {
            versions: offer.versions,
            cipherSuites: offer.suites,
            groups: [...DEFAULT_GROUPS],
            signatureAlgorithms: offer.sigalgs ?? [...DEFAULT_SIGNATURE_ALGORITHMS],
            serverName: name,
            alpn: offer.alpn,
            ticketWaitMs: offer.ticketWaitMs ?? 0,
            // Whether tickets come is all a scan asks: the first one answers it,
            // and the wait for it scales with the server's measured turn.
            maxTickets: 1,
            clock: offer.fixedTicketWait ? undefined : () => performance.now(),
          });
          return fromObservation(obs);
        }, asAnswer));
    },
    sslv2(): Promise<{ accepted: boolean; error?: HandshakeFailure }> {
      return runLimited(limiters, () =>
        bounded(conn, async (t) => {
          await t.write(encodeSslv2Hello());
          try {
            const b = await t.read();
            return { accepted: b !== null && isSslv2ServerHello(b) };
          } catch (e) {
            return { accepted: false, error: failure(e) };
          }
        }, (error) => ({ accepted: false, error })));
    },
  };
}

type Conn = Parameters<typeof bounded>[0];

const unknownResumption = (why: string) => ({ resumed: null, note: why });

/**
 * TLS 1.0–1.2: a full handshake, then its session ID (`sessionTicket:
 * false`) or its RFC 5077 ticket offered. A server resumes by echoing the
 * session ID (for a ticket: the random one we sent, RFC 5077 §3.4).
 */
async function resume12(
  conn: Conn,
  offer: HelloOffer,
  sni: string | undefined,
): Promise<{ resumed: boolean | null; note: string }> {
  const byTicket = offer.sessionTicket === true;
  const first = await bounded(
    conn,
    (t) => fullHandshake12(t, offer, sni),
    (f) => ({ error: `the full handshake failed (${f.code}: ${f.message})` }),
  );
  if ("error" in first) return unknownResumption(first.error);
  if (byTicket && !first.ticket) {
    return { resumed: false, note: "no session ticket issued after a full handshake (RFC 5077)" };
  }
  if (!byTicket && !first.sessionId.length) {
    return { resumed: false, note: "the server assigns no session ID" };
  }
  const sessionId = byTicket ? crypto.getRandomValues(new Uint8Array(32)) : first.sessionId;
  const again = await bounded<HelloAnswer>(conn, async (t) => {
    const o2 = { ...offer, sessionId, ...(byTicket ? { ticket: first.ticket } : {}) };
    await t.write(encodeHello(o2, new Map(), sni));
    return await readAnswer(t, new HelloReader(offer));
  }, asAnswer);
  if (again.kind !== "hello") {
    return unknownResumption(
      `the second ClientHello got ${again.kind === "alert" ? again.alert : again.kind}`,
    );
  }
  const what = byTicket ? "a session ticket" : "a session ID";
  const suite = `${cipherSuiteByCode(again.serverHello.cipherSuite)?.iana ?? "its suite"}, ${
    versionName(again.serverHello.version)
  }`;
  return bytesEqual(again.serverHello.sessionId, sessionId)
    ? { resumed: true, note: `${what} from a completed handshake is resumed (${suite})` }
    : { resumed: false, note: `${what} from a completed handshake is not resumed (${suite})` };
}

/**
 * TLS 1.3: a full handshake answered with our Finished, then its first
 * ticket offered as a PSK with (EC)DHE (psk_dhe_ke, RFC 8446 §4.2.9). The
 * server resumes by selecting the identity in its ServerHello's
 * pre_shared_key (§4.2.11).
 */
async function resume13(
  conn: Conn,
  offer: HelloOffer,
  sni: string | undefined,
): Promise<{ resumed: boolean | null; note: string }> {
  const suites = offer.suites.filter((c) => TLS13_SUITES[c]);
  if (!suites.length) return unknownResumption("no TLS 1.3 suite this client can finish");
  const first = await bounded<InspectAnswer & { ticket?: ResumptionTicket }>(
    conn,
    async (t) => {
      const obs = await inspect(t, {
        versions: [TLS1_3],
        cipherSuites: suites,
        groups: [...DEFAULT_GROUPS],
        signatureAlgorithms: [...DEFAULT_SIGNATURE_ALGORITHMS],
        serverName: sni,
        ticketWaitMs: TICKET_WAIT_MS,
        maxTickets: 1,
        keepTicket: true,
        clock: () => performance.now(),
      });
      return { ...fromObservation(obs), ticket: obs.resumptionTicket };
    },
    asAnswer,
  );
  if (first.kind !== "ok") {
    return unknownResumption(
      `the full handshake failed (${first.kind === "error" ? first.error.code : first.kind})`,
    );
  }
  if (!first.ticket) {
    return first.postHandshakeAlert
      ? unknownResumption(`no ticket: ${first.postHandshakeAlert} alert after our Finished`)
      : { resumed: false, note: "no TLS 1.3 session ticket after a full handshake" };
  }
  const ticket = first.ticket;
  const suite = TLS13_SUITES[ticket.suite];
  const ageMs = Math.max(0, Math.round(performance.now() - (ticket.receivedMs ?? 0)));
  // RFC 8446 §4.2.11.1: a PSK goes with suites of its hash; the session's own first.
  const sameHash = [ticket.suite, ...suites.filter((c) => c !== ticket.suite)]
    .filter((c) => TLS13_SUITES[c]?.hash === suite.hash);
  const o2: HelloOffer = {
    versions: [TLS1_3],
    suites: sameHash,
    keyShares: [0x001d],
    psk: {
      identity: ticket.ticket,
      obfuscatedAge: (ageMs + ticket.ageAdd) >>> 0,
      binderLength: suite.hashLen,
    },
  };
  const again = await bounded<HelloAnswer>(conn, async (t) => {
    const message = await bindPsk(
      encodeHelloMessage(o2, new Map([[0x001d, await x25519Share()]]), sni),
      suite,
      ticket.psk,
    );
    await t.write(encodeHandshakeRecords(message, 0x0301));
    return await readAnswer(t, new HelloReader(o2));
  }, asAnswer);
  if (again.kind !== "hello") {
    return unknownResumption(
      `the ClientHello with the ticket got ${again.kind === "alert" ? again.alert : again.kind}`,
    );
  }
  const psk = again.serverHello.extensions.find((e) => e.type === EXT.preSharedKey);
  const selected = psk && psk.data.length === 2 ? (psk.data[0] << 8) | psk.data[1] : undefined;
  return selected === 0
    ? { resumed: true, note: "a TLS 1.3 ticket is resumed (pre_shared_key selected, psk_dhe_ke)" }
    : { resumed: false, note: "a TLS 1.3 ticket from a completed handshake is not resumed" };
}

/** How long the TLS 1.3 resumption waits for a ticket after our Finished, at most. */
const TICKET_WAIT_MS = 1000;

async function x25519Share(): Promise<Uint8Array> {
  return (await makeKeyShare(0x001d)).publicValue;
}

function fromObservation(obs: Observation): InspectAnswer {
  return {
    kind: "ok",
    version: obs.version,
    cipherSuite: obs.cipherSuite,
    certificates: obs.certificates,
    ocspStapled: !!obs.ocspResponse,
    certificateRequest: obs.certificateRequest
      ? { caNames: obs.certificateRequest.certificateAuthorities }
      : undefined,
    postHandshakeAlert: obs.postHandshakeAlert,
    sessionTicket: obs.sessionTicket.offered,
    alpn: obs.alpn,
    signatureScheme: obs.signature?.scheme,
  };
}

/** Resolves with `value` when the signal fires first (the work goes on, unobserved). */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, value: T): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve(value);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => resolve(value);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Whether rustls (through the runtime) trusts the server's chain and name.
 * The runtime TLS client loads here, while the first handshakes wait on the
 * network, not at start-up.
 */
async function checkTrust(o: ScanOptions, serverName: string | null): Promise<TrustVerdict> {
  const { trustVerdict } = await import("./tls_client.ts");
  return await trustVerdict({
    host: o.host,
    port: o.port,
    serverName: serverName ?? o.host,
    caFile: o.caFile,
    certFile: o.certFile,
    keyFile: o.keyFile,
    timeoutMs: o.timeoutMs,
  });
}

/**
 * Scans one target: plans and runs the handshakes, decodes the chains,
 * checks trust through the runtime and gives the verdicts.
 *
 * @param o target and options
 * @returns the result (with `error` when the target could not be scanned)
 * @example
 * ```ts ignore
 * const r = await scanTarget({ host: "127.0.0.1", port: 4433, timeoutMs: 5000, now: new Date() });
 * console.log(r.versions.filter((v) => v.accepted).map((v) => v.version));
 * ```
 */
export async function scanTarget(o: ScanOptions): Promise<ScanResult> {
  const serverName = scanServerName(o);
  // The verdicts need the X.509 decoder and the policies, which take long to
  // load: load them, and check trust, while the handshakes run.
  const evaluation = import("../scan/evaluate.ts");
  // One deadline for the trust check too (the runtime's connect and handshake
  // each have their own), and none of it once the scan is stopped.
  const trustStop = AbortSignal.any([
    AbortSignal.timeout(o.timeoutMs),
    ...(o.signal ? [o.signal] : []),
  ]);
  // The trust check is one more connection, counted in the progress.
  const progress = new ProgressPlan(o.onProgress);
  const trustPart = progress.part("trust", 1);
  trustPart.start();
  const checked = checkTrust(o, serverName).finally(() => {
    trustPart.done();
    trustPart.finish();
  });
  const trusting = abortable(checked, trustStop, {
    verified: null,
    code: "TIMEOUT",
    message: "Trust was not checked within the timeout, or the scan was stopped",
  });
  const prober = tcpProber(o);
  const planned = await planScan(prober, {
    host: o.host,
    port: o.port,
    serverName,
    versions: o.versions,
    signal: o.signal,
    progress,
  });
  const canTrust = !planned.error && !planned.interrupted &&
    planned.versions.some((v) => v.accepted && v.code >= 0x0303);
  const trust = canTrust ? await trusting : null;
  planned.handshakes++;
  const { evaluateScan } = await evaluation;
  const result = await evaluateScan(planned, { now: o.now, trust, policy: o.policy });
  progress.end(result.handshakes);
  if (o.starttls) result.target.starttls = o.starttls.protocol;
  return result;
}

/** Re-exported for callers that build one global limit across targets. */
export { Limiter };

/** For errors thrown outside a handshake (bad options). */
export function scanError(code: "BAD_INPUT" | "USAGE", message: string): TlsprobeError {
  return new TlsprobeError(code, message);
}
