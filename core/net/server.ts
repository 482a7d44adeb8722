/**
 * A small TLS server for testing clients (the book's `safe_tls.py -s`,
 * Twisted's echo and client-authentication servers).
 *
 * One accept loop takes plain TCP (so that accept errors, connection caps and
 * deadlines are ours), reads each client's ClientHello under a byte, record
 * and time bound, refuses an offer this server cannot meet (or its policy
 * forbids) with the alert a real server sends, and otherwise hands the byte
 * stream to the TLS engine (`node:tls` on loopback, see `tls_engine.ts`),
 * relaying with idle and write deadlines and watching the ServerHello on its
 * way back. Every client runs in its own task; none can hold up another.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import type { ClientHello } from "../wire/client_hello.ts";
import { CONTENT, parseAlert } from "../wire/record.ts";
import type { Evaluation } from "../policy/evaluate.ts";
import {
  checkServerHello,
  decideClientHello,
  engineRefusal,
  type HelloDecision,
} from "../policy/hello.ts";
import type { ResolvedPolicy } from "../policy/resolve.ts";
import { ClientHelloReader, type ServerFlight } from "../policy/stream.ts";
import { registryGroupName } from "../policy/env.ts";
import { classifyClientFailure, classifyNetError } from "./classify.ts";
import { runtimeSuites } from "./features.ts";
import type { CertifiedKey } from "./pem.ts";
import {
  type ServedStarttls,
  serveStarttls,
  type ServeStarttlsProtocol,
} from "../starttls/serve.ts";
import { tcpTransport } from "./transport.ts";
import { closeQuietly, RELAY_ALERTS, relayWatching, sendAlert } from "./relay.ts";
import {
  type ClientAuth,
  type EngineFailure,
  type EngineSession,
  type EngineVersion,
  startTlsEngine,
  type TlsEngine,
} from "./tls_engine.ts";

export type { ClientAuth, EngineSession, EngineVersion, PeerCertificate } from "./tls_engine.ts";

/** What the server does with each client. */
export type ServeMode =
  | { kind: "greeting"; text: string }
  | { kind: "echo" };

/** Bounds on what one client may make the server hold. */
export const SERVER_LIMITS = {
  /** Bytes read before the ClientHello is complete (a ClientHello is at most 64 KiB). */
  helloBytes: 72 * 1024,
  /** Records before the ClientHello is complete. */
  helloRecords: 512,
  /** Concurrent connections, by default; more are closed at once and logged. */
  maxConnections: 512,
  /** Longest pause after an accept error (EMFILE …), ms. */
  maxBackoffMs: 1000,
};

/** Server options. */
export interface ServeOptions {
  /** Interface to listen on; `""` means every interface. */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Certificate chain and key. */
  certified: CertifiedKey;
  /** ALPN protocols to accept, in preference order. */
  alpn?: string[];
  /** Greeting or echo. */
  mode: ServeMode;
  /** Serve one client, then stop. */
  once?: boolean;
  /** Bound on each client's handshake, on each idle period and on each write (ms). */
  timeoutMs: number;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
  /** The versions to speak (default TLS 1.2 to 1.3). */
  versions?: { min: EngineVersion; max: EngineVersion };
  /** Ask clients for certificates signed by these CAs. */
  clientAuth?: ClientAuth & { caFile?: string };
  /** A policy to keep: its versions pin the engine; suites and groups are gated. */
  policy?: ResolvedPolicy;
  /** Cap on concurrent connections (default `SERVER_LIMITS.maxConnections`). */
  maxConnections?: number;
  /** Speak this protocol in clear first and upgrade on the client's STARTTLS. */
  starttls?: ServeStarttlsProtocol;
  /** The name the STARTTLS greeting gives (default `localhost`). */
  serverName?: string;
}

/** A client as seen by the server. */
export interface ClientInfo {
  /** A sequence number, from 1. */
  id: number;
  /** The client's address. */
  host: string;
  /** The client's port. */
  port: number;
}

/** Events the server reports, in order, for a caller to render. */
export interface ServeEvents {
  /** The server listens (the address it bound). */
  listening(addr: { host: string; port: number }): void;
  /** A client connected. */
  connection(client: ClientInfo): void;
  /**
   * The plaintext dialogue is done (`starttls`); `discarded` holds what the
   * client sent after its STARTTLS command and before TLS — thrown away.
   */
  starttls?(client: ClientInfo, info: ServedStarttls): void;
  /** The client's ClientHello, and the policy's decision on it when there is a policy. */
  hello?(client: ClientInfo, info: { hello: ClientHello; decision?: HelloDecision }): void;
  /** The server's first flight as it passed back, and the policy's verdict on it. */
  negotiated?(client: ClientInfo, info: { flight: ServerFlight; evaluation?: Evaluation }): void;
  /** The TLS handshake completed, with what it negotiated. */
  handshake(client: ClientInfo, info: EngineSession): void;
  /** Bytes were sent to the client. */
  sent(client: ClientInfo, bytes: number): void;
  /** Bytes came from the client. */
  received(client: ClientInfo, bytes: number): void;
  /** The client was turned away with an alert, and why. */
  refused?(
    client: ClientInfo,
    info: {
      alert: string;
      alertCode: number;
      stage: "client_hello" | "server_hello";
      by: "policy" | "server";
    },
  ): void;
  /** A client failed, with the coded reason. */
  clientError(client: ClientInfo, error: TlsprobeError): void;
  /** A client's connection ended, with its byte counts and duration. */
  closed(client: ClientInfo, stats: { received: number; sent: number; ms: number }): void;
  /** Accepting failed (e.g. too many open files); the server waits `retryMs` and goes on. */
  acceptError?(error: TlsprobeError, retryMs: number): void;
}

/** Per-client outcome counts. */
export interface ServeResult {
  /** Clients served to the end. */
  served: number;
  /** Clients that failed. */
  failed: number;
  /** The last client's error, when it failed (for `--once`). */
  lastError?: TlsprobeError;
}

/** The listening address a host string means (`""` is every interface). */
function bindAddress(host: string): string {
  return host === "" ? "0.0.0.0" : host;
}

/** The versions the engine speaks: the option, else the policy's (within TLS 1.2–1.3). */
function engineVersions(opts: ServeOptions): { min: EngineVersion; max: EngineVersion } {
  if (opts.versions) return opts.versions;
  const allowed = opts.policy?.policy.versions;
  if (!allowed) return { min: "TLSv1.2", max: "TLSv1.3" };
  const usable = (["TLSv1.2", "TLSv1.3"] as const).filter((v) =>
    (allowed as readonly string[]).includes(v)
  );
  if (usable.length === 0) {
    throw new TlsprobeError(
      "UNSUPPORTED",
      `Policy ${opts.policy!.policy.name} allows only ${
        allowed.join(", ")
      }; this server (the runtime's TLS) speaks TLS 1.2 and 1.3 only`,
    );
  }
  return { min: usable[0], max: usable[usable.length - 1] };
}

function listenError(e: unknown, opts: ServeOptions): TlsprobeError {
  const err = e as Error;
  if (err.name === "AddrInUse") {
    return new TlsprobeError(
      "USAGE",
      `Port ${opts.port} is already in use on ${
        opts.host || "every interface"
      }: choose another with --port`,
      { raw: err.message },
    );
  }
  if (err.name === "PermissionDenied" || err.name === "NotCapable") {
    return new TlsprobeError(
      "PERMISSION",
      `Not allowed to listen on port ${opts.port} (ports below 1024 need privileges)`,
      { raw: err.message },
    );
  }
  return new TlsprobeError("USAGE", `Cannot listen on port ${opts.port}: ${err.message}`, {
    raw: err.message,
  });
}

/**
 * Checks that the certificate and key can serve TLS (the runtime's TLS
 * listener parses both), before anything listens.
 */
function checkCertifiedKey(c: CertifiedKey): void {
  try {
    Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert: c.cert, key: c.key }).close();
  } catch (e) {
    const err = e as Error;
    throw new TlsprobeError(
      "BAD_INPUT",
      `Cannot use the certificate and key: ${err.message} (do they match, and is the key PKCS#8, PKCS#1 or SEC1 PEM?)`,
      { raw: err.message },
    );
  }
}

/** A ClientHello read under the server's bounds, with the bytes it came in. */
export interface ReadHello {
  /** The decoded ClientHello. */
  hello: ClientHello;
  /** The records it came in, as read (to hand on to the TLS engine). */
  bytes: Uint8Array[];
}

/**
 * Reads a client's first bytes until its ClientHello is complete, within
 * the server's byte and record bounds. The caller's deadline closes `conn`.
 *
 * @param conn the client
 * @param who the client's address, for messages
 * @param prefix bytes already read from the stream (after a STARTTLS dialogue)
 * @throws {TlsprobeError} CONNECTION_CLOSED, NOT_TLS, ALERT, PEER_MALFORMED,
 *   PROTOCOL_VERSION (an SSL 2.0 hello)
 */
export async function readClientHello(
  conn: Deno.Conn,
  who: string,
  prefix?: Uint8Array,
): Promise<ReadHello> {
  const reader = new ClientHelloReader();
  const bytes: Uint8Array[] = [];
  const buf = new Uint8Array(16 * 1024);
  let total = 0;
  const records = new RecordCounter();
  const push = (chunk: Uint8Array): ClientHello | undefined => {
    bytes.push(chunk);
    total += chunk.length;
    const all = total <= 16 ? concat(bytes) : bytes[0];
    if (all[0] & 0x80 && all.length >= 3 && all[2] === 1) {
      throw new TlsprobeError(
        "PROTOCOL_VERSION",
        `The client at ${who} sent an SSL 2.0-style hello; this server speaks TLS 1.2 and 1.3`,
      );
    }
    if (all[0] === CONTENT.alert && all.length >= 7) {
      const a = parseAlert(all.subarray(5, 7));
      throw new TlsprobeError(
        "ALERT",
        `The client at ${who} sent a ${
          a.level === 2 ? "fatal" : "warning"
        } ${a.name} alert instead of a ClientHello`,
        { alert: a.name },
      );
    }
    records.push(chunk);
    if (total > SERVER_LIMITS.helloBytes || records.count > SERVER_LIMITS.helloRecords) {
      throw new TlsprobeError(
        "PEER_MALFORMED",
        `The client at ${who} sent ${total} bytes in ${records.count} records without completing a ClientHello (limits: ${SERVER_LIMITS.helloBytes} bytes, ${SERVER_LIMITS.helloRecords} records)`,
        { bytes: total, records: records.count },
      );
    }
    try {
      return reader.push(chunk);
    } catch (e) {
      if (e instanceof TlsprobeError && e.code === "NOT_TLS") {
        const text = new TextDecoder("latin1").decode(concat(bytes).subarray(0, 64));
        const plain = /^[\x20-\x7e\r\n]{3,}/.test(text);
        throw new TlsprobeError(
          "NOT_TLS",
          `The client at ${who} did not speak TLS: ${
            plain
              ? `it sent plain text ${JSON.stringify(text.replace(/[\r\n].*$/s, ""))}`
              : "its first bytes are not a TLS record"
          }`,
          e.detail,
        );
      }
      if (e instanceof TlsprobeError && e.code === "PEER_MALFORMED") {
        throw new TlsprobeError(
          "PEER_MALFORMED",
          `The client at ${who} sent malformed TLS: ${e.message}`,
          e.detail,
        );
      }
      throw e;
    }
  };
  let hello = prefix && prefix.length ? push(prefix) : undefined;
  while (!hello) {
    const n = await conn.read(buf);
    if (n === null) {
      throw new TlsprobeError(
        "CONNECTION_CLOSED",
        total === 0
          ? `The client at ${who} closed the connection without sending anything (a port scan or health check?)`
          : `The client at ${who} closed the connection after ${total} bytes, before its ClientHello was complete`,
        { bytes: total },
      );
    }
    hello = push(buf.slice(0, n));
  }
  return { hello, bytes };
}

/** Counts TLS record headers in a stream, across chunk boundaries, in linear time. */
class RecordCounter {
  count = 0;
  #skip = 0;
  #header: number[] = [];

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#skip > 0) {
        const k = Math.min(this.#skip, chunk.length - i);
        i += k;
        this.#skip -= k;
        continue;
      }
      this.#header.push(chunk[i++]);
      if (this.#header.length === 5) {
        this.count++;
        this.#skip = (this.#header[3] << 8) | this.#header[4];
        this.#header = [];
      }
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Serves TLS until the signal aborts (or one client has been served, with
 * `once`).
 *
 * @param opts the server's options
 * @param events callbacks for each event
 * @returns per-client outcome counts
 * @throws {TlsprobeError} when the server cannot start (port in use, bad key,
 *   a policy whose versions the runtime cannot speak)
 */
export async function serveTls(opts: ServeOptions, events: ServeEvents): Promise<ServeResult> {
  const versions = engineVersions(opts);
  // What the runtime's TLS speaks, read from its own ClientHello (not a hand
  // list); observed while the server starts, awaited at the first ClientHello.
  const runtime = runtimeSuites();
  checkCertifiedKey(opts.certified);
  const who = (c: ClientInfo) =>
    c.host.includes(":") ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}`;

  // Sessions in the engine, by the loopback port the front connected from.
  interface Session {
    client: ClientInfo;
    secure?: EngineSession;
    failure?: EngineFailure;
    received: number;
    sent: number;
    settled: () => void;
    done: Promise<void>;
  }
  const sessions = new Map<number, Session>();
  let engine: TlsEngine;
  try {
    engine = await startTlsEngine({
      certified: opts.certified,
      alpn: opts.alpn,
      minVersion: versions.min,
      maxVersion: versions.max,
      clientAuth: opts.clientAuth,
      mode: opts.mode,
    }, {
      secure: (port, s) => {
        const x = sessions.get(port);
        if (!x) return;
        x.secure = s;
        events.handshake(x.client, s);
      },
      failed: (port, f) => {
        const x = sessions.get(port);
        if (x && !x.failure) x.failure = f;
        x?.settled();
      },
      received: (port, n) => {
        const x = sessions.get(port);
        if (!x) return;
        x.received += n;
        events.received(x.client, n);
      },
      sent: (port, n) => {
        const x = sessions.get(port);
        if (!x) return;
        x.sent += n;
        events.sent(x.client, n);
      },
      closed: (port) => sessions.get(port)?.settled(),
    });
  } catch (e) {
    throw new TlsprobeError(
      "BAD_INPUT",
      `Cannot start the TLS server: ${(e as Error).message}`,
      { raw: (e as Error).message },
    );
  }

  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname: bindAddress(opts.host), port: opts.port });
  } catch (e) {
    await engine.close();
    throw listenError(e, opts);
  }
  const addr = listener.addr as Deno.NetAddr;
  events.listening({ host: opts.host, port: addr.port });
  const stop = () => closeQuietly(listener);
  opts.signal?.addEventListener("abort", stop, { once: true });

  const result: ServeResult = { served: 0, failed: 0 };
  const limits = {
    idleMs: opts.timeoutMs,
    writeMs: opts.timeoutMs,
    mapDown: tls12CertificateRequired,
  };

  const handle = async (conn: Deno.Conn, client: ClientInfo, prefix?: Uint8Array) => {
    const t0 = performance.now();
    const ctx = { host: client.host, port: client.port, role: "server" as const };
    let backend: Deno.Conn | undefined;
    let session: Session | undefined;
    let handshakeTimedOut = false;
    // One deadline for the whole handshake: ClientHello, gate, TLS.
    const deadline = setTimeout(() => {
      handshakeTimedOut = true;
      closeQuietly(conn);
      closeQuietly(backend);
    }, opts.timeoutMs);
    try {
      if (opts.starttls) {
        // The plaintext dialogue, inside the same handshake deadline. Bytes
        // that came after the STARTTLS command are dropped, never replayed.
        let served: ServedStarttls;
        try {
          served = await serveStarttls(
            tcpTransport(conn as Deno.TcpConn, { ...client, timeoutMs: opts.timeoutMs }),
            {
              protocol: opts.starttls,
              hostname: opts.serverName ?? "localhost",
              timeoutMs: opts.timeoutMs,
              now: () => performance.now(),
              target: who(client),
            },
          );
        } catch (e) {
          if (handshakeTimedOut) throw timeoutError(client, opts.timeoutMs, "hello");
          throw e;
        }
        events.starttls?.(client, served);
      }
      let read: ReadHello;
      try {
        read = await readClientHello(conn, who(client), prefix);
      } catch (e) {
        if (handshakeTimedOut) throw timeoutError(client, opts.timeoutMs, "hello");
        throw e;
      }
      const { hello } = read;

      // The gate: what this server can speak, then the policy.
      const decision = opts.policy
        ? decideClientHello(opts.policy, hello, registryGroupName)
        : undefined;
      events.hello?.(client, { hello, decision });
      if (decision?.action === "reject") {
        await sendAlert(conn, decision.alertCode!).catch(() => 0);
        events.refused?.(client, {
          alert: decision.alert!,
          alertCode: decision.alertCode!,
          stage: "client_hello",
          by: "policy",
        });
        throw new TlsprobeError(
          decision.alert === "protocol_version" ? "PROTOCOL_VERSION" : "HANDSHAKE_FAILURE",
          `Refused the client at ${who(client)} by policy ${opts.policy!.policy.name}: ${
            decision.findings[0].message
          }`,
          { alert: decision.alert, findings: decision.findings },
        );
      }
      const cannot = engineRefusal(hello, versions, (await runtime)?.cipherSuites);
      if (cannot) {
        await sendAlert(conn, cannot.alertCode).catch(() => 0);
        events.refused?.(client, {
          alert: cannot.alert,
          alertCode: cannot.alertCode,
          stage: "client_hello",
          by: "server",
        });
        throw new TlsprobeError(
          cannot.code,
          cannot.message.replace(
            /^The client/,
            `The client at ${who(client)}`,
          ),
          { alert: cannot.alert },
        );
      }

      // The hand-off: the bytes go to the TLS engine; its answers come back.
      backend = await Deno.connect({ hostname: "127.0.0.1", port: engine.port });
      const backendPort = (backend.localAddr as Deno.NetAddr).port;
      let settled!: () => void;
      const done = new Promise<void>((r) => settled = r);
      session = { client, received: 0, sent: 0, settled, done };
      sessions.set(backendPort, session);
      for (const c of read.bytes) await backend.write(c);

      const s = session;
      let verdict: Evaluation | undefined;
      const relay = relayWatching(conn, backend, (flight) => {
        const evaluation = opts.policy
          ? checkServerHello(opts.policy, {
            version: flight.serverHello.version,
            cipherSuite: flight.serverHello.cipherSuite,
            compressionMethod: flight.serverHello.compression,
            group: flight.group,
          })
          : undefined;
        verdict = evaluation;
        events.negotiated?.(client, { flight, evaluation });
        if (evaluation?.verdict !== "fail") return undefined;
        return evaluation.findings.some((f) => f.rule === "version")
          ? "protocol_version"
          : "handshake_failure";
      }, limits);
      // The handshake deadline ends once the engine says the session is up.
      const up = (async () => {
        while (!s.secure && !s.failure) {
          await Promise.race([done, new Promise((r) => setTimeout(r, 20))]);
          if (handshakeTimedOut) return;
        }
        clearTimeout(deadline);
      })();
      const outcome = await relay;
      await up;
      clearTimeout(deadline);
      closeQuietly(conn);
      closeQuietly(backend);
      // The engine's own word on the session's end, briefly awaited.
      let t: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise((r) => t = setTimeout(r, 500))]);
      clearTimeout(t);

      if (outcome.refusedWith) {
        events.refused?.(client, {
          alert: outcome.refusedWith,
          alertCode: RELAY_ALERTS[outcome.refusedWith],
          stage: "server_hello",
          by: "policy",
        });
        throw new TlsprobeError(
          outcome.refusedWith === "protocol_version" ? "PROTOCOL_VERSION" : "HANDSHAKE_FAILURE",
          `Refused the client at ${who(client)} by policy ${opts.policy!.policy.name}: ${
            verdict?.findings.find((f) => f.severity === "error")?.message ??
              "the TLS engine chose a session the policy forbids"
          } (the runtime's TLS cannot be told a policy's suites)`,
          { alert: outcome.refusedWith, findings: verdict?.findings },
        );
      }
      if (!s.secure) {
        if (handshakeTimedOut) throw timeoutError(client, opts.timeoutMs, "handshake");
        if (s.failure) throw classifyClientFailure(s.failure, who(client), outcome.serverAlert);
        throw new TlsprobeError(
          "CONNECTION_CLOSED",
          `The client at ${who(client)} closed the connection during the handshake`,
        );
      }
      if (outcome.timedOut) {
        throw new TlsprobeError(
          "TIMEOUT",
          outcome.timedOut === "idle"
            ? `The client at ${who(client)} sent nothing for ${opts.timeoutMs / 1000} s: closed`
            : `The client at ${who(client)} did not read what was sent within ${
              opts.timeoutMs / 1000
            } s: closed`,
          { phase: "data", timedOut: outcome.timedOut },
        );
      }
      if (s.failure && !/ECONNRESET|EPIPE/.test(s.failure.code ?? "")) {
        throw classifyClientFailure(s.failure, who(client));
      }
      result.served++;
    } catch (e) {
      result.failed++;
      result.lastError = classifyNetError(e, { ...ctx, phase: "handshake" });
      events.clientError(client, result.lastError);
    } finally {
      clearTimeout(deadline);
      closeQuietly(conn);
      closeQuietly(backend);
      if (backend) {
        for (const [p, x] of sessions) if (x === session) sessions.delete(p);
      }
      events.closed(client, {
        received: session?.received ?? 0,
        sent: session?.sent ?? 0,
        ms: performance.now() - t0,
      });
    }
  };

  try {
    await acceptClients(listener, { ...opts, port: addr.port }, events, handle, stop);
  } finally {
    await engine.close();
  }
  return result;
}

/**
 * The runtime's TLS refuses a TLS 1.2 client without a certificate with
 * `certificate_required` (116), an alert TLS 1.2 does not have (RFC 8446
 * §6.2 added it); OpenSSL and every TLS 1.2 peer send `handshake_failure`
 * (RFC 5246 §7.4.6). The alert is still plaintext there, so it is rewritten.
 */
function tls12CertificateRequired(chunk: Uint8Array, flight?: ServerFlight): Uint8Array {
  if (
    flight?.serverHello.version === 0x0303 && chunk.length >= 7 && chunk[0] === CONTENT.alert &&
    chunk[1] === 3 && chunk[2] === 3 && chunk[3] === 0 && chunk[4] === 2 && chunk[6] === 116
  ) {
    const out = chunk.slice();
    out[6] = 40;
    return out;
  }
  return chunk;
}

function timeoutError(c: ClientInfo, ms: number, what: "hello" | "handshake"): TlsprobeError {
  const at = c.host.includes(":") ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}`;
  return new TlsprobeError(
    "TIMEOUT",
    what === "hello"
      ? `${at} did not complete the TLS handshake within ${
        ms / 1000
      } s (no complete ClientHello): closed`
      : `${at} did not complete the TLS handshake within ${ms / 1000} s: closed`,
    { phase: "handshake", timedOut: true },
  );
}

/**
 * Accepts clients until the listener closes (or one, with `once`), each
 * handled in its own task so that none can hold up another; then waits for
 * the tasks still running. An accept error (too many open files, a
 * connection reset before it was accepted) is reported and retried after a
 * growing pause, never fatal; beyond `maxConnections` concurrent clients a
 * new one is closed at once. A listener closed by `signal` is a normal stop.
 *
 * @param listener the TCP listener
 * @param opts where it listens, `once`, the stop signal and the cap
 * @param events `connection`, `clientError`, `closed` and `acceptError`
 * @param handle serves one client; must not throw
 * @param stop closes the listener
 */
export async function acceptClients(
  listener: Deno.Listener,
  opts: {
    host: string;
    port: number;
    once?: boolean;
    signal?: AbortSignal;
    maxConnections?: number;
  },
  events: Pick<ServeEvents, "connection" | "clientError" | "closed" | "acceptError">,
  handle: (conn: Deno.Conn, client: ClientInfo) => Promise<void>,
  stop: () => void,
): Promise<void> {
  let ids = 0;
  let backoff = 0;
  const cap = opts.maxConnections ?? SERVER_LIMITS.maxConnections;
  const active = new Set<Promise<void>>();
  try {
    while (!opts.signal?.aborted) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (opts.signal?.aborted || e instanceof Deno.errors.BadResource) break;
        backoff = Math.min(backoff ? backoff * 2 : 10, SERVER_LIMITS.maxBackoffMs);
        const raw = (e as Error).message;
        events.acceptError?.(
          new TlsprobeError(
            "NETWORK",
            /Too many open files|os error 24/i.test(raw)
              ? `Cannot accept a connection: too many open files (raise the descriptor limit, or lower --max-connections); retrying in ${backoff} ms`
              : `Cannot accept a connection: ${raw}; retrying in ${backoff} ms`,
            { raw, errorName: (e as Error).name },
          ),
          backoff,
        );
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      backoff = 0;
      const remote = conn.remoteAddr as Deno.NetAddr;
      const client = { id: ++ids, host: remote.hostname, port: remote.port };
      events.connection(client);
      if (active.size >= cap) {
        closeQuietly(conn);
        events.clientError(
          client,
          new TlsprobeError(
            "NETWORK",
            `Turned away the client at ${client.host}:${client.port}: ${cap} connections are open (--max-connections)`,
          ),
        );
        events.closed(client, { received: 0, sent: 0, ms: 0 });
        continue;
      }
      const task = handle(conn, client);
      active.add(task);
      task.finally(() => active.delete(task));
      if (opts.once) {
        await task;
        break;
      }
    }
  } finally {
    stop();
    opts.signal?.removeEventListener("abort", stop);
  }
  await Promise.allSettled([...active]);
}
