/**
 * A byte relay between a TLS client and a TLS server that watches the
 * server's first flight on its way back (ServerHello, and in TLS 1.2 the key
 * exchange) and lets a policy cut the session before the client sees it.
 * Used by `serve --policy` (client → front → Deno.listenTls) and
 * `connect --policy` (Deno.startTls → relay → server).
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { CONTENT, encodeAlert, encodeRecord } from "../wire/record.ts";
import { type ServerFlight, ServerFlightReader } from "../policy/stream.ts";

/** Alert codes the relay may send (RFC 8446 §6). */
export const RELAY_ALERTS: Record<string, number> = {
  handshake_failure: 40,
  protocol_version: 70,
  insufficient_security: 71,
  no_application_protocol: 120,
};

/**
 * Sends a fatal alert in a plaintext record (RFC 8446 §6; RFC 5246 §7.2).
 *
 * @param conn where to send it
 * @param code the alert description
 * @returns bytes written
 */
export function sendAlert(conn: Deno.Conn, code: number): Promise<number> {
  return conn.write(encodeRecord(CONTENT.alert, 0x0303, encodeAlert(2, code)));
}

/** Closes, ignoring an already-closed resource. */
export function closeQuietly(c: { close(): void } | undefined): void {
  try {
    c?.close();
  } catch { /* closed */ }
}

async function writeAll(conn: Deno.Conn, b: Uint8Array): Promise<void> {
  let off = 0;
  while (off < b.length) off += await conn.write(b.subarray(off));
}

/** Tracks activity and writes in flight; closes both sides when a limit passes. */
function watchdog(
  a: Deno.Conn,
  b: Deno.Conn,
  limits: RelayLimits | undefined,
  outcome: RelayOutcome,
) {
  let last = Date.now();
  let ids = 0;
  const writing = new Map<number, number>(); // write id → when it started
  let timer: ReturnType<typeof setInterval> | undefined;
  if (limits) {
    const tick = Math.max(20, Math.min(limits.idleMs, limits.writeMs) / 4);
    timer = setInterval(() => {
      const now = Date.now();
      const stalled = [...writing.values()].some((t) => now - t > limits.writeMs);
      const idle = writing.size === 0 && now - last > limits.idleMs;
      if (stalled || idle) {
        outcome.timedOut = stalled ? "write" : "idle";
        closeQuietly(a);
        closeQuietly(b);
        clearInterval(timer);
      }
    }, tick);
  }
  return {
    touch: () => {
      last = Date.now();
    },
    write: async (conn: Deno.Conn, bytes: Uint8Array) => {
      const id = ++ids;
      writing.set(id, Date.now());
      try {
        await writeAll(conn, bytes);
      } finally {
        writing.delete(id);
        last = Date.now();
      }
    },
    stop: () => clearInterval(timer),
  };
}

/** What the relay saw and did. */
export interface RelayOutcome {
  /** The server's first flight, when it parsed. */
  flight?: ServerFlight;
  /** The alert the server sent instead of a ServerHello, if it did. */
  serverAlert?: { level: number; description: number; name: string };
  /** The alert sent to the client when the policy cut the session. */
  refusedWith?: string;
  /** Bytes relayed from the client. */
  up: number;
  /** Bytes relayed from the server. */
  down: number;
  /**
   * Why the server's first flight could not be read (garbage, a flight past
   * the flight reader's bounds), when the relay was told to cut on it.
   */
  watchError?: TlsprobeError;
  /** Set when a deadline closed both sides: nothing moved (`idle`) or a write stalled (`write`). */
  timedOut?: "idle" | "write";
}

/** Deadlines for a relay: no bytes either way, or one write held, for this long ends it. */
export interface RelayLimits {
  /** Ends the relay when no byte has moved either way for this long (ms). */
  idleMs: number;
  /** Ends the relay when one write has not completed for this long (ms). */
  writeMs: number;
  /** Rewrites the server's bytes after its first flight (e.g. an alert TLS 1.2 lacks). */
  mapDown?: (chunk: Uint8Array, flight: ServerFlight | undefined) => Uint8Array;
}

/**
 * Relays bytes both ways until both sides close. The server's bytes are held
 * until its first flight has been read; `judge` then names an alert to cut
 * the session with (sent to the client; the server connection is closed), or
 * undefined to let it through.
 *
 * @param client the client side
 * @param server the server side
 * @param judge decides on the first flight
 * @param limits idle and write deadlines (none when omitted)
 * @param opts `cutOnMalformed`: a server flight that cannot be read ends the
 *   relay with `watchError` set, instead of passing through unjudged
 * @returns what was seen and done
 */
export async function relayWatching(
  client: Deno.Conn,
  server: Deno.Conn,
  judge: (flight: ServerFlight) => string | undefined,
  limits?: RelayLimits,
  opts: { cutOnMalformed?: boolean } = {},
): Promise<RelayOutcome> {
  const outcome: RelayOutcome = { up: 0, down: 0 };
  const dog = watchdog(client, server, limits, outcome);
  const writeAll = dog.write;
  const upstream = (async () => {
    const b = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await client.read(b);
        if (n === null) break;
        dog.touch();
        await writeAll(server, b.subarray(0, n));
        outcome.up += n;
      }
    } catch { /* either side closed */ }
    try {
      await server.closeWrite();
    } catch { /* closed */ }
  })();

  const watcher = new ServerFlightReader();
  const held: Uint8Array[] = [];
  const downstream = (async () => {
    const b = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await server.read(b);
        if (n === null) break;
        dog.touch();
        const chunk = b.slice(0, n);
        outcome.down += n;
        if (watcher.done) {
          await writeAll(client, limits?.mapDown ? limits.mapDown(chunk, outcome.flight) : chunk);
          continue;
        }
        held.push(chunk);
        let parsed = true;
        try {
          watcher.push(chunk);
        } catch (e) {
          if (opts.cutOnMalformed) {
            // A flight that cannot be judged is not let through unjudged.
            outcome.watchError = e instanceof TlsprobeError
              ? e
              : new TlsprobeError("PEER_MALFORMED", String(e));
            held.splice(0);
            closeQuietly(server);
            break;
          }
          parsed = false; // not ours to judge: pass it on untouched
        }
        if (watcher.retryPending) {
          // A HelloRetryRequest: the client must see it to send its second hello.
          watcher.retryPending = false;
          for (const h of held.splice(0)) await writeAll(client, h);
        }
        if (!parsed || watcher.done) {
          if (watcher.alert) outcome.serverAlert = watcher.alert;
          if (watcher.flight && !watcher.alert) {
            outcome.flight = watcher.flight;
            outcome.refusedWith = judge(watcher.flight);
            if (outcome.refusedWith) break;
          }
          for (const h of held.splice(0)) await writeAll(client, h);
        }
      }
    } catch { /* either side closed */ }
    if (outcome.refusedWith) {
      await sendAlert(client, RELAY_ALERTS[outcome.refusedWith] ?? 40).catch(() => 0);
      closeQuietly(server);
    } else {
      // Whatever is still held (a flight cut short) goes through as it is.
      for (const h of held.splice(0)) await writeAll(client, h).catch(() => {});
    }
    try {
      await client.closeWrite();
    } catch { /* closed */ }
  })();

  await Promise.all([downstream, upstream]);
  dog.stop();
  return outcome;
}

/** A relay on loopback in front of one outbound connection. */
export interface ClientRelay {
  /** The loopback port to connect the TLS client to. */
  port: number;
  /** The real server's address. */
  remote: Deno.NetAddr;
  /** Resolves when both sides have closed. */
  done: Promise<RelayOutcome>;
  /** Stops the relay. */
  close(): void;
}

/**
 * Connects to a server and opens a loopback relay for one TLS client in front
 * of it (`connect --policy`: the runtime's TLS client cannot be told a
 * policy, so its session is watched on the way and cut when it breaks it).
 *
 * @param target the server and the connect deadline
 * @param judge decides on the server's first flight
 * @returns the relay
 * @throws the runtime's connect error (classify it with `classifyNetError`)
 */
export async function openClientRelay(
  target: { host: string; port: number; timeoutMs: number },
  judge: (flight: ServerFlight) => string | undefined,
): Promise<ClientRelay> {
  const server = await Deno.connect({
    hostname: target.host,
    port: target.port,
    signal: AbortSignal.timeout(target.timeoutMs),
  });
  return relayInFront(server, target.timeoutMs, judge);
}

/**
 * Opens a loopback relay for one TLS client in front of a connection already
 * made (after a STARTTLS dialogue, say): the client that connects to `port`
 * talks to `server` through it. Stops after `timeoutMs` if nobody connects.
 *
 * @param server the outbound connection (closed with the relay)
 * @param timeoutMs how long to wait for the client
 * @param judge decides on the server's first flight (undefined lets all through)
 * @returns the relay
 */
export function relayInFront(
  server: Deno.Conn,
  timeoutMs: number,
  judge: (flight: ServerFlight) => string | undefined = () => undefined,
): ClientRelay {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    let client: Deno.Conn | undefined;
    const timer = setTimeout(() => closeQuietly(listener), timeoutMs);
    try {
      client = await listener.accept();
    } catch {
      closeQuietly(server);
      return { up: 0, down: 0 };
    } finally {
      clearTimeout(timer);
      closeQuietly(listener);
    }
    try {
      return await relayWatching(client, server, judge, undefined, { cutOnMalformed: true });
    } finally {
      closeQuietly(client);
      closeQuietly(server);
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    remote: server.remoteAddr as Deno.NetAddr,
    done,
    close: () => {
      closeQuietly(listener);
      closeQuietly(server);
    },
  };
}
