/**
 * A TCP front for `serve --policy` and `serve --report`: it accepts plain TCP,
 * reads each client's ClientHello, reports it, turns away a client whose offer
 * cannot meet the policy with the alert a real server would send
 * (`protocol_version`, `handshake_failure`), and otherwise passes the bytes to
 * an in-process `Deno.listenTls` listener on loopback (the ordinary `serve`
 * server), watching the ServerHello that comes back. When the TLS listener
 * chooses something the policy forbids (rustls cannot be told the policy),
 * the session is refused before the ServerHello reaches the client.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import type { ClientHello } from "../wire/client_hello.ts";
import type { Evaluation } from "../policy/evaluate.ts";
import { checkServerHello, decideClientHello, type HelloDecision } from "../policy/hello.ts";
import type { ResolvedPolicy } from "../policy/resolve.ts";
import { ClientHelloReader, type ServerFlight } from "../policy/stream.ts";
import { closeQuietly, RELAY_ALERTS, relayWatching, sendAlert } from "./relay.ts";
import { registryGroupName } from "../policy/env.ts";
import { classifyNetError } from "./classify.ts";
import {
  acceptClients,
  type ClientInfo,
  type ServeEvents,
  type ServeOptions,
  serveTls,
} from "./server.ts";

/** Options of the front: the server's, plus the policy and whether to report. */
export interface FrontOptions extends ServeOptions {
  /** The policy to enforce, if any. */
  policy?: ResolvedPolicy;
}

/** Events of the front: the server's, plus what the hellos showed. */
export interface FrontEvents extends ServeEvents {
  /** The client's ClientHello, and the policy's decision on it. */
  hello(client: ClientInfo, info: { hello: ClientHello; decision?: HelloDecision }): void;
  /** The server's first flight as it passed back, and the policy's verdict on it. */
  negotiated(client: ClientInfo, info: { flight: ServerFlight; evaluation?: Evaluation }): void;
  /** The front refused the client (alert sent), with why. */
  refused(
    client: ClientInfo,
    info: { alert: string; alertCode: number; stage: "client_hello" | "server_hello" },
  ): void;
}

async function readSome(conn: Deno.Conn, buf: Uint8Array): Promise<Uint8Array | null> {
  const n = await conn.read(buf);
  return n === null ? null : buf.slice(0, n);
}

/**
 * Serves TLS behind a policy- and report-aware TCP front until the signal
 * aborts (or one client has been served, with `once`).
 *
 * @param opts server options, with the policy
 * @param events callbacks for each event
 * @returns per-client outcome counts
 * @throws {TlsprobeError} when a listener cannot start
 */
export async function serveWithFront(
  opts: FrontOptions,
  events: FrontEvents,
): Promise<{ served: number; failed: number; lastError?: TlsprobeError }> {
  // The inner TLS server, on loopback, serves whatever the front lets through.
  const innerAbort = new AbortController();
  const byBackendPort = new Map<number, ClientInfo>();
  // The listener's errors, held until the front knows whether it cut the
  // session itself (then the listener's complaint is noise) or the listener
  // refused the client (then the front can say why better).
  const innerErrors = new Map<number, TlsprobeError>();
  const settled = new Map<number, () => void>();
  const stats = new Map<number, { received: number; sent: number }>();
  const count = (c: ClientInfo, k: "received" | "sent", n: number) => {
    const st = stats.get(c.id) ?? { received: 0, sent: 0 };
    st[k] += n;
    stats.set(c.id, st);
  };
  let innerPort = 0;
  let resolveInner!: () => void;
  const innerReady = new Promise<void>((r) => resolveInner = r);
  const mapped = (c: ClientInfo) => byBackendPort.get(c.port);
  const inner = serveTls({
    ...opts,
    host: "127.0.0.1",
    port: 0,
    once: false,
    signal: innerAbort.signal,
  }, {
    listening: ({ port }) => {
      innerPort = port;
      resolveInner();
    },
    connection: () => {},
    handshake: (c, info) => {
      const m = mapped(c);
      if (m) events.handshake(m, info);
    },
    sent: (c, n) => {
      const m = mapped(c);
      if (m) {
        count(m, "sent", n);
        events.sent(m, n);
      }
    },
    received: (c, n) => {
      const m = mapped(c);
      if (m) {
        count(m, "received", n);
        events.received(m, n);
      }
    },
    clientError: (c, e) => {
      const m = mapped(c);
      if (m) innerErrors.set(m.id, e);
    },
    closed: (c) => {
      const m = mapped(c);
      if (m) settled.get(m.id)?.();
    },
  });
  await Promise.race([innerReady, inner]);

  let front: Deno.Listener;
  try {
    front = Deno.listen({ hostname: opts.host === "" ? "0.0.0.0" : opts.host, port: opts.port });
  } catch (e) {
    innerAbort.abort();
    await inner.catch(() => {});
    const err = e as Error;
    throw new TlsprobeError(
      err.name === "PermissionDenied" ? "PERMISSION" : "USAGE",
      err.name === "AddrInUse"
        ? `Port ${opts.port} is already in use: choose another with --port`
        : `Cannot listen on port ${opts.port}: ${err.message}`,
      { raw: err.message },
    );
  }
  events.listening({ host: opts.host, port: (front.addr as Deno.NetAddr).port });
  const stop = () => closeQuietly(front);
  opts.signal?.addEventListener("abort", stop, { once: true });

  let served = 0, failed = 0;
  let lastError: TlsprobeError | undefined;

  const handle = async (conn: Deno.Conn, client: ClientInfo) => {
    const t0 = performance.now();
    const ctx = { host: client.host, port: client.port, role: "server" as const };
    let backend: Deno.Conn | undefined;
    try {
      // 1. The ClientHello, under the handshake deadline.
      const reader = new ClientHelloReader();
      const first: Uint8Array[] = [];
      const buf = new Uint8Array(16 * 1024);
      let hello: ClientHello | undefined;
      const deadline = setTimeout(() => closeQuietly(conn), opts.timeoutMs);
      try {
        while (!hello) {
          const chunk = await readSome(conn, buf);
          if (chunk === null) {
            throw new TlsprobeError(
              "CONNECTION_CLOSED",
              "The client closed the connection before sending a complete ClientHello",
            );
          }
          first.push(chunk);
          hello = reader.push(chunk);
        }
      } catch (e) {
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
          throw new TlsprobeError(
            "TIMEOUT",
            `The client sent no complete ClientHello within ${opts.timeoutMs / 1000} s`,
          );
        }
        throw e;
      } finally {
        clearTimeout(deadline);
      }

      // 2. The policy's decision on the offer.
      const decision = opts.policy
        ? decideClientHello(opts.policy, hello, registryGroupName)
        : undefined;
      events.hello(client, { hello, decision });
      if (decision?.action === "reject") {
        await sendAlert(conn, decision.alertCode!).catch(() => 0);
        events.refused(client, {
          alert: decision.alert!,
          alertCode: decision.alertCode!,
          stage: "client_hello",
        });
        throw new TlsprobeError(
          decision.alert === "protocol_version" ? "PROTOCOL_VERSION" : "HANDSHAKE_FAILURE",
          `Refused by policy ${opts.policy!.policy.name}: ${decision.findings[0].message}`,
          { alert: decision.alert, findings: decision.findings },
        );
      }

      // 3. Hand the bytes to the TLS listener; watch its first flight.
      backend = await Deno.connect({ hostname: "127.0.0.1", port: innerPort });
      const backendPort = (backend.localAddr as Deno.NetAddr).port;
      byBackendPort.set(backendPort, client);
      const innerDone = new Promise<void>((r) => settled.set(client.id, r));
      for (const c of first) await backend.write(c);

      const result = await relayWatching(conn, backend, (flight) => {
        const evaluation = opts.policy
          ? checkServerHello(opts.policy, {
            version: flight.serverHello.version,
            cipherSuite: flight.serverHello.cipherSuite,
            compressionMethod: flight.serverHello.compression,
            group: flight.group,
          })
          : undefined;
        events.negotiated(client, { flight, evaluation });
        if (evaluation?.verdict !== "fail") return undefined;
        return evaluation.findings.some((f) => f.rule === "version")
          ? "protocol_version"
          : "handshake_failure";
      });
      const refusedAt = result.refusedWith;
      if (refusedAt) {
        events.refused(client, {
          alert: refusedAt,
          alertCode: RELAY_ALERTS[refusedAt],
          stage: "server_hello",
        });
      }
      closeQuietly(conn);
      closeQuietly(backend);
      if (refusedAt) {
        throw new TlsprobeError(
          refusedAt === "protocol_version" ? "PROTOCOL_VERSION" : "HANDSHAKE_FAILURE",
          `Refused by policy ${
            opts.policy!.policy.name
          }: the TLS listener chose a session the policy forbids, and Deno.listenTls cannot be ` +
            "told the policy's versions or suites",
          { alert: refusedAt },
        );
      }
      // Let the inner server report the session's end before counting it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([innerDone, new Promise((r) => timer = setTimeout(r, opts.timeoutMs))]);
      clearTimeout(timer);
      const inner = innerErrors.get(client.id);
      if (result.serverAlert && !result.flight) {
        throw new TlsprobeError(
          "HANDSHAKE_FAILURE",
          `The TLS listener refused the client with a ${result.serverAlert.name} alert: the ` +
            "runtime's TLS (rustls) speaks TLS 1.2 only with ECDHE and AES-GCM or ChaCha20, and " +
            "TLS 1.3, so an offer the policy allows may still find nothing it speaks",
          { alert: result.serverAlert.name, raw: inner?.message },
        );
      }
      if (inner) {
        // The listener names its own loopback peer; name the real client.
        const b = `127.0.0.1:${backendPort}`;
        throw new TlsprobeError(
          inner.code,
          inner.message.replaceAll(b, `${client.host}:${client.port}`),
          inner.detail,
        );
      }
      served++;
    } catch (e) {
      failed++;
      lastError = classifyNetError(e, { ...ctx, phase: "handshake" });
      events.clientError(client, lastError);
    } finally {
      closeQuietly(conn);
      closeQuietly(backend);
      const st = stats.get(client.id) ?? { received: 0, sent: 0 };
      events.closed(client, { ...st, ms: performance.now() - t0 });
      settled.delete(client.id);
      stats.delete(client.id);
      innerErrors.delete(client.id);
    }
  };

  await acceptClients(front, opts, events.connection, handle, stop);
  innerAbort.abort();
  await inner.catch(() => {});
  return { served, failed, lastError };
}
