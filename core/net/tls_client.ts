/**
 * The verified client connection: TCP with a deadline, then TLS through the
 * runtime (rustls decides trust and names), every phase bounded by a timer
 * that closes the connection.
 *
 * @module
 */
import { isTlsprobeError, TlsprobeError } from "../errors.ts";
import type { NodeNegotiated } from "./node_tls_client.ts";
import { classifyNetError, classifyNodeTlsError, type FailureContext } from "./classify.ts";
import { loadCertifiedKey } from "./pem.ts";
import { configureTrust, type TrustInfo } from "./trust.ts";
import { opTimer } from "./transport.ts";

export type { NodeNegotiated, TrustInfo };
import { type StarttlsRequest, upgradeSocket } from "./starttls.ts";
import type { ClientRelay } from "./relay.ts";
import type { StarttlsResult } from "../starttls/mod.ts";

/** What to connect to and how to verify it. */
export interface ClientOptions {
  /** Host to connect to (name or IP literal). */
  host: string;
  /** TCP port. */
  port: number;
  /** Name to verify the certificate against (and send as SNI); default: `host`. */
  serverName?: string;
  /** Trust only this CA file (the book's `-a`). */
  caFile?: string;
  /** Trust the platform roots too (default: only when no CA file is given). */
  platformRoots?: boolean;
  /** Client certificate (PEM, optionally with its key). */
  certFile?: string;
  /** Client key, when not in `certFile`. */
  keyFile?: string;
  /** ALPN protocols to offer. */
  alpn?: string[];
  /** Bound on connect and handshake together, and on each later read, in milliseconds. */
  timeoutMs: number;
  /** Called once the TCP connection is up, before the handshake. */
  onTcpConnected?: (remote: Deno.NetAddr, local: Deno.NetAddr) => void;
  /** Run this STARTTLS dialogue before the handshake (`--starttls`). */
  starttls?: StarttlsRequest;
  /** Closes the connection and ends the attempt (the probe's engine failed: the verdict is moot). */
  signal?: AbortSignal;
}

/** A verified TLS connection and what is known of it. */
export interface VerifiedConnection {
  /** The connection (the caller closes it). */
  conn: Deno.TlsConn;
  /** The negotiated version and suite, when the runtime reports them (node:tls path). */
  negotiated?: NodeNegotiated;
  /** The negotiated ALPN protocol, or null. */
  alpn: string | null;
  /** The peer's address. */
  remote: Deno.NetAddr;
  /** Our address. */
  local: Deno.NetAddr;
  /** What was trusted. */
  trust: TrustInfo;
  /** The name the certificate was verified against. */
  serverName: string;
  /** Whether a client certificate was presented. */
  clientCert: boolean;
  /** Milliseconds spent in TCP connect and in the handshake. */
  timings: { connectMs: number; handshakeMs: number };
  /** The failure context, for classifying later read/write errors. */
  context: FailureContext;
  /** The STARTTLS dialogue, when one ran. */
  starttls?: StarttlsResult;
}

/**
 * Runs `fn` against a connection, closing the connection if it takes longer
 * than `ms` (Deno's signals do not bound TLS handshakes or reads).
 *
 * @param conn the connection to close on timeout
 * @param ms the bound
 * @param fn the operation
 * @returns fn's result, or throws `{ timedOut: true }`-marked errors
 */
export async function withDeadline<T>(
  conn: { close(): void },
  ms: number,
  fn: () => Promise<T>,
): Promise<{ value?: T; timedOut: boolean; error?: unknown }> {
  let timedOut = false;
  const timer = opTimer(ms, () => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* already closed */ }
  });
  try {
    return { value: await fn(), timedOut: false };
  } catch (error) {
    return { timedOut, error };
  } finally {
    timer.clear();
  }
}

/**
 * Opens a verified TLS connection.
 *
 * @param opts where to connect and how to verify
 * @returns the connection, its ALPN result and the trust used
 * @throws TlsprobeError with a stable code for every failure
 */
export async function connectVerified(opts: ClientOptions): Promise<VerifiedConnection> {
  const serverName = opts.serverName ?? opts.host;
  const trust = await configureTrust({ caFile: opts.caFile, platformRoots: opts.platformRoots });
  const client = opts.certFile ? await loadCertifiedKey(opts.certFile, opts.keyFile) : undefined;
  const ctx: FailureContext = {
    host: opts.host,
    port: opts.port,
    serverName,
    caFile: opts.caFile,
    clientCert: !!client,
    phase: "connect",
    timeoutMs: opts.timeoutMs,
  };
  if (client && (serverName !== opts.host || opts.starttls)) {
    // Deno.startTls (needed to verify a name other than the host dialled, and
    // to go on after a STARTTLS dialogue) takes no client certificate, and
    // Deno.connectTls dials the name it verifies: node:tls does both. After
    // STARTTLS it reaches the upgraded socket through a loopback relay.
    // node:tls costs hundreds of milliseconds to load: only this path pays it.
    const { connectNodeTls } = await import("./node_tls_client.ts");
    const t0 = performance.now();
    const deadline = Date.now() + opts.timeoutMs;
    let relay: ClientRelay | undefined;
    let starttls: StarttlsResult | undefined;
    let tcpAddrs: { remote: Deno.NetAddr; local: Deno.NetAddr } | undefined;
    if (opts.starttls) {
      try {
        const tcp = await dialTcp(opts);
        tcpAddrs = { remote: tcp.remoteAddr, local: tcp.localAddr };
        starttls = await upgradeSocket(tcp, opts, opts.starttls);
        // The relay (and the policy stream reader it uses) loads only on this path.
        const { relayInFront } = await import("./relay.ts");
        relay = relayInFront(tcp, Math.max(1, deadline - Date.now()));
      } catch (e) {
        throw classifyNetError(e, ctx);
      }
    }
    try {
      const n = await connectNodeTls({
        host: relay ? "127.0.0.1" : opts.host,
        port: relay ? relay.port : opts.port,
        serverName,
        caCerts: trust.caCerts,
        cert: client.cert,
        key: client.key,
        alpn: opts.alpn,
        timeoutMs: Math.max(1, deadline - Date.now()),
        onClose: relay?.close,
      });
      const remote = tcpAddrs?.remote ?? { transport: "tcp" as const, ...n.remote };
      const local = tcpAddrs?.local ?? { transport: "tcp" as const, ...n.local };
      opts.onTcpConnected?.(remote, local);
      const ms = performance.now() - t0;
      return {
        conn: n.conn as unknown as Deno.TlsConn,
        alpn: n.alpn,
        remote,
        local,
        trust: trust.info,
        serverName,
        clientCert: true,
        timings: { connectMs: ms, handshakeMs: 0 },
        context: { ...ctx, phase: "data" },
        negotiated: n.negotiated,
        ...(starttls ? { starttls } : {}),
      };
    } catch (e) {
      relay?.close();
      const error = classifyNodeTlsError(e, { ...ctx, phase: "handshake" });
      // The runtime connected to the loopback relay: name the real target.
      if (!relay) throw error;
      throw new TlsprobeError(
        error.code,
        error.message.replaceAll(`127.0.0.1:${relay.port}`, `${opts.host}:${opts.port}`),
        error.detail,
      );
    }
  }
  const t0 = performance.now();
  // One deadline for connect and handshake together.
  const deadline = Date.now() + opts.timeoutMs;
  let conn: Deno.TlsConn;
  let tcpLocal: Deno.NetAddr, tcpRemote: Deno.NetAddr;
  let starttls: StarttlsResult | undefined;
  // An abort closes whatever is open; the pending step then fails and is classified.
  const open: { close(): void }[] = [];
  const abort = () => {
    for (const c of open) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  };
  opts.signal?.addEventListener("abort", abort, { once: true });
  try {
    return await connectRuntime();
  } finally {
    opts.signal?.removeEventListener("abort", abort);
  }

  async function connectRuntime(): Promise<VerifiedConnection> {
    try {
      if (opts.signal?.aborted) throw new Deno.errors.Interrupted("aborted");
      if (client) {
        // connectTls resolves once TCP is up (the handshake is lazy); bound it by a race.
        const pending = Deno.connectTls({
          hostname: opts.host,
          port: opts.port,
          caCerts: trust.caCerts,
          alpnProtocols: opts.alpn,
          cert: client!.cert,
          key: client!.key,
        });
        open.push({ close: () => pending.then((c) => c.close(), () => {}) });
        let timer: { clear(): void } | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = opTimer(opts.timeoutMs, () => {
            pending.then((c) => c.close(), () => {});
            reject(Object.assign(new Error("connect timed out"), { name: "TimedOut" }));
          });
        });
        try {
          conn = await Promise.race([pending, timeout]);
        } finally {
          timer?.clear();
        }
        tcpLocal = conn.localAddr;
        tcpRemote = conn.remoteAddr;
      } else {
        const tcp = await dialTcp(opts);
        open.push(tcp);
        tcpLocal = tcp.localAddr;
        tcpRemote = tcp.remoteAddr;
        if (opts.starttls) {
          starttls = await upgradeSocket(tcp, opts, opts.starttls);
        }
        conn = await Deno.startTls(tcp, {
          hostname: serverName,
          caCerts: trust.caCerts,
          alpnProtocols: opts.alpn,
        });
        open.push(conn);
      }
      if (opts.signal?.aborted) abort();
    } catch (e) {
      throw classifyNetError(e, ctx);
    }
    const connectMs = performance.now() - t0;
    opts.onTcpConnected?.(tcpRemote, tcpLocal);

    ctx.phase = "handshake";
    const t1 = performance.now();
    const hs = await withDeadline(
      conn,
      Math.max(1, Math.min(opts.timeoutMs, deadline - Date.now())),
      () => conn.handshake(),
    );
    if (hs.error !== undefined || hs.timedOut) {
      try {
        conn.close();
      } catch { /* closed */ }
      throw classifyNetError(hs.error, { ...ctx, timedOut: hs.timedOut });
    }
    ctx.phase = "data";
    return {
      conn,
      alpn: hs.value!.alpnProtocol,
      remote: tcpRemote,
      local: tcpLocal,
      trust: trust.info,
      serverName,
      clientCert: !!client,
      // Rounded to 0.1 ms: finer digits are noise, not information.
      timings: { connectMs: round1(connectMs), handshakeMs: round1(performance.now() - t1) },
      context: ctx,
      ...(starttls ? { starttls } : {}),
    };
  }
}

/**
 * Opens the TCP connection a client speaks over, bounded by `timeoutMs` (and
 * `signal`, when given), with Nagle's algorithm off: rustls writes a TLS 1.2
 * client flight in more than one segment, and with Nagle the second waits for
 * the server's delayed ACK (40 ms on Linux), on every connection.
 *
 * @param o where to connect, the bound and an optional stop
 * @returns the connection
 * @throws the runtime's connect error (classify it with `classifyNetError`)
 */
export async function dialTcp(
  o: { host: string; port: number; timeoutMs: number; signal?: AbortSignal },
): Promise<Deno.TcpConn> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const tcp = await Deno.connect({
    hostname: o.host,
    port: o.port,
    signal: o.signal ? AbortSignal.any([timeout, o.signal]) : timeout,
  });
  tcp.setNoDelay(true);
  return tcp;
}

/**
 * Reads one chunk with a deadline.
 *
 * @param vc the connection
 * @param buf where to read
 * @param ms the bound; on timeout the connection is closed
 * @returns bytes read, or null at end of stream
 * @throws TlsprobeError TIMEOUT and the codes of classifyNetError
 */
export async function readWithDeadline(
  vc: VerifiedConnection,
  buf: Uint8Array,
  ms: number,
): Promise<number | null> {
  const r = await withDeadline(vc.conn, ms, () => vc.conn.read(buf));
  if (r.error !== undefined || r.timedOut) {
    throw classifyNetError(r.error, { ...vc.context, timedOut: r.timedOut });
  }
  return r.value ?? null;
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** rustls's verdict on a server: trusted, refused (a `CERT_*` code), or not checkable. */
export interface TrustVerdict {
  /** true verified, false refused, null not checkable. */
  verified: boolean | null;
  /** The refusal's or the failure's code. */
  code: string | null;
  /** Why, for people. */
  message: string | null;
}

/**
 * Makes a verified connection and closes it at once: whether the runtime
 * (rustls) trusts the server's chain and name.
 *
 * @param opts as for {@link connectVerified}
 * @returns the verdict; a failure that is not about the certificate gives `verified: null`
 */
export async function trustVerdict(opts: ClientOptions): Promise<TrustVerdict> {
  try {
    const vc = await connectVerified(opts);
    try {
      vc.conn.close();
    } catch { /* closed */ }
    return { verified: true, code: null, message: null };
  } catch (e) {
    const err = isTlsprobeError(e)
      ? e
      : new TlsprobeError("INTERNAL", String(e), { raw: String(e) });
    const refused = err.code.startsWith("CERT_");
    return {
      verified: refused ? false : null,
      code: err.code,
      message: refused ? err.message : `Trust could not be checked: ${err.message}`,
    };
  }
}
