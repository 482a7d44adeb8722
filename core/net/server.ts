/**
 * A small TLS server for testing clients (the book's `safe_tls.py -s`,
 * Twisted's echo server): `Deno.listenTls`, each client in its own task,
 * a deadline on every handshake and read, failures reported as events and
 * never disturbing other clients.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { classifyNetError } from "./classify.ts";
import type { CertifiedKey } from "./pem.ts";
import { withDeadline } from "./tls_client.ts";

/** What the server does with each client. */
export type ServeMode =
  | { kind: "greeting"; text: string }
  | { kind: "echo" };

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
  /** Bound on each client's handshake and on each idle read (ms). */
  timeoutMs: number;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
}

/** A client as seen by the server. */
export interface ClientInfo {
  /** A sequence number, from 1. */
  id: number;
  host: string;
  port: number;
}

/** Events the server reports, in order, for a caller to render. */
export interface ServeEvents {
  listening(addr: { host: string; port: number }): void;
  connection(client: ClientInfo): void;
  handshake(client: ClientInfo, info: { alpn: string | null }): void;
  sent(client: ClientInfo, bytes: number): void;
  received(client: ClientInfo, bytes: number): void;
  clientError(client: ClientInfo, error: TlsprobeError): void;
  closed(client: ClientInfo, stats: { received: number; sent: number; ms: number }): void;
}

/** The listening address a host string means (`""` is every interface). */
function bindAddress(host: string): string {
  return host === "" ? "0.0.0.0" : host;
}

/**
 * Serves TLS until the signal aborts (or one client has been served, with
 * `once`). Resolves with whether every client succeeded.
 *
 * @param opts the server's options
 * @param events callbacks for each event
 * @returns per-client outcome counts
 * @throws TlsprobeError when the listener cannot start (port in use, bad key)
 */
export async function serveTls(
  opts: ServeOptions,
  events: ServeEvents,
): Promise<{ served: number; failed: number; lastError?: TlsprobeError }> {
  let listener: Deno.TlsListener;
  try {
    listener = Deno.listenTls({
      hostname: bindAddress(opts.host),
      port: opts.port,
      cert: opts.certified.cert,
      key: opts.certified.key,
      alpnProtocols: opts.alpn,
    });
  } catch (e) {
    const err = e as Error;
    if (err.name === "AddrInUse") {
      throw new TlsprobeError(
        "USAGE",
        `Port ${opts.port} is already in use on ${
          opts.host || "every interface"
        }: choose another with --port`,
        { raw: err.message },
      );
    }
    if (err.name === "PermissionDenied") {
      throw new TlsprobeError(
        "PERMISSION",
        `Not allowed to listen on port ${opts.port} (ports below 1024 need privileges)`,
        { raw: err.message },
      );
    }
    throw new TlsprobeError(
      "BAD_INPUT",
      `Cannot use the certificate and key: ${err.message} (do they match, and is the key PKCS#8, PKCS#1 or SEC1 PEM?)`,
      { raw: err.message },
    );
  }
  const addr = listener.addr as Deno.NetAddr;
  events.listening({ host: opts.host, port: addr.port });

  const stop = () => {
    try {
      listener.close();
    } catch { /* closed */ }
  };
  opts.signal?.addEventListener("abort", stop, { once: true });

  let served = 0, failed = 0;
  let lastError: TlsprobeError | undefined;

  const handle = async (conn: Deno.TlsConn, client: ClientInfo) => {
    const t0 = performance.now();
    let received = 0, sent = 0;
    const ctx = {
      host: client.host,
      port: client.port,
      role: "server" as const,
      phase: "handshake" as const,
    };
    try {
      const hs = await withDeadline(conn, opts.timeoutMs, () => conn.handshake());
      if (hs.error !== undefined || hs.timedOut) {
        throw classifyNetError(hs.error, {
          ...ctx,
          timeoutMs: opts.timeoutMs,
          timedOut: hs.timedOut,
        });
      }
      events.handshake(client, { alpn: hs.value!.alpnProtocol });
      if (opts.mode.kind === "greeting") {
        const bytes = new TextEncoder().encode(opts.mode.text);
        await conn.write(bytes);
        sent += bytes.length;
        events.sent(client, bytes.length);
      } else {
        const buf = new Uint8Array(16 * 1024);
        while (true) {
          const r = await withDeadline(conn, opts.timeoutMs, () => conn.read(buf));
          if (r.error !== undefined || r.timedOut) {
            throw classifyNetError(r.error, {
              ...ctx,
              phase: "data",
              timeoutMs: opts.timeoutMs,
              timedOut: r.timedOut,
            });
          }
          if (r.value === null) break;
          const n = r.value!;
          received += n;
          events.received(client, n);
          let off = 0;
          while (off < n) off += await conn.write(buf.subarray(off, n));
          sent += n;
          events.sent(client, n);
        }
      }
      // Send close_notify and flush it before the socket goes (a bare close
      // can lose the greeting's tail when the process exits right after).
      await conn.closeWrite();
      served++;
    } catch (e) {
      failed++;
      lastError = classifyNetError(e, ctx);
      events.clientError(client, lastError);
    } finally {
      try {
        conn.close();
      } catch { /* closed */ }
      events.closed(client, { received, sent, ms: performance.now() - t0 });
    }
  };

  await acceptClients(listener, { ...opts, port: addr.port }, events.connection, handle, stop);
  return { served, failed, lastError };
}

/**
 * Accepts clients until the listener closes (or one, with `once`), each
 * handled in its own task so that none can hold up another; then waits for
 * the tasks still running. A listener closed by `signal` is a normal stop.
 *
 * @param listener the listener (TCP or TLS)
 * @param opts where it listens (for errors), `once` and the stop signal
 * @param onConnection called for each client, before its task starts
 * @param handle serves one client; must not throw
 * @param stop closes the listener
 * @throws TlsprobeError when accepting fails other than by the signal
 */
export async function acceptClients<C extends Deno.Conn>(
  listener: AsyncIterable<C>,
  opts: { host: string; port: number; once?: boolean; signal?: AbortSignal },
  onConnection: (client: ClientInfo) => void,
  handle: (conn: C, client: ClientInfo) => Promise<void>,
  stop: () => void,
): Promise<void> {
  let ids = 0;
  const active = new Set<Promise<void>>();
  try {
    for await (const conn of listener) {
      const remote = conn.remoteAddr as Deno.NetAddr;
      const client = { id: ++ids, host: remote.hostname, port: remote.port };
      onConnection(client);
      const task = handle(conn, client);
      active.add(task);
      task.finally(() => active.delete(task));
      if (opts.once) {
        await task;
        break;
      }
    }
  } catch (e) {
    if (!opts.signal?.aborted) {
      throw classifyNetError(e, { host: opts.host, port: opts.port, phase: "connect" });
    }
  } finally {
    stop();
    opts.signal?.removeEventListener("abort", stop);
  }
  await Promise.allSettled([...active]);
}
