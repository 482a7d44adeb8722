/**
 * The TCP transport of the inspection client: one overall deadline for the
 * operation (connect and handshake together) and a bound on every read inside
 * it; on timeout the connection is closed and the read rejects with `TIMEOUT`
 * (Deno's signals do not bound reads).
 *
 * @module
 */
import { formatAddress } from "../address.ts";
import { TlsprobeError } from "../errors.ts";
import type { Transport } from "../handshake/transport.ts";
import { classifyNetError } from "./classify.ts";

/** A connected TCP transport. */
export interface TcpTransport extends Transport {
  /** The peer's address. */
  remote: Deno.NetAddr;
  /** Our address. */
  local: Deno.NetAddr;
  /** Every byte received, in order (for fixture capture). */
  received: Uint8Array[];
  /** The socket itself (for `Deno.startTls` after a STARTTLS dialogue). */
  conn: Deno.TcpConn;
}

/** Bytes kept in `received` for fixture capture; what comes after is not kept. */
const MAX_RECORDED = 4 << 20;

/**
 * Milliseconds left before a deadline (`Date.now()` time), within `timeoutMs`.
 *
 * @param timeoutMs the per-phase bound
 * @param deadline the operation's deadline, if any
 * @returns the smaller of the two, at least 0
 */
export function remainingMs(timeoutMs: number, deadline?: number): number {
  return Math.max(
    0,
    Math.min(timeoutMs, deadline === undefined ? Infinity : deadline - Date.now()),
  );
}

/** A timer that fires this much later than asked shows the thread was held by other work. */
const STALL_MS = 5;
/** The extra time a read gets after such a stall, and how many times it gets it. */
const STALL_GRACE_MS = 10;
const STALL_GRACES = 3;

/**
 * A timeout that does not count time the thread spent busy elsewhere. When
 * another task holds the thread (the runtime's first TLS client set-up
 * blocks it for tens of milliseconds), a read's timer and its data can both
 * be due when the thread comes back, and the timer may run first: a short
 * wait such as the one for TLS 1.3 session tickets would then miss bytes that
 * had already arrived. A timer that fires late by more than {@link STALL_MS}
 * gives the read another {@link STALL_GRACE_MS} (at most {@link STALL_GRACES}
 * times) before `fire` runs.
 *
 * @param ms the bound
 * @param fire what to do when it passes
 * @returns a handle to cancel it
 */
export function stallAwareTimer(ms: number, fire: () => void): { clear(): void } {
  let due = performance.now() + ms;
  let graces = 0;
  let timer: { clear(): void };
  const tick = () => {
    const now = performance.now();
    if (now - due > STALL_MS && graces < STALL_GRACES) {
      graces++;
      due = now + STALL_GRACE_MS;
      timer = opTimer(STALL_GRACE_MS, tick);
      return;
    }
    fire();
  };
  timer = opTimer(ms, tick);
  return { clear: () => timer.clear() };
}

/**
 * Calls `fire` after `ms` unless cleared: a timeout for an operation that is
 * pending meanwhile (a read, a handshake, a connect). It is built on
 * `AbortSignal.timeout` because the runtime's `setTimeout` loads Node's
 * timers module on first use, which costs a command tens of milliseconds of
 * start-up (38–69 ms measured on a loaded machine, against under 1 ms). Such
 * a timer does not keep the process alive by itself, so it is only for
 * bounding something that does.
 *
 * @param ms the bound
 * @param fire what to do when it passes
 * @returns a handle to cancel it
 */
export function opTimer(ms: number, fire: () => void): { clear(): void } {
  const signal = AbortSignal.timeout(Math.max(0, ms));
  signal.addEventListener("abort", fire, { once: true });
  return { clear: () => signal.removeEventListener("abort", fire) };
}

/**
 * Connects over TCP.
 *
 * @param o host, port, the per-read bound in milliseconds and the
 *   operation's overall deadline (`Date.now()` time; default: now + timeoutMs),
 *   which bounds the connect and every read together
 * @returns the transport
 * @throws TlsprobeError CONNECTION_REFUSED, DNS, TIMEOUT, NETWORK
 */
export async function connectTcp(
  o: { host: string; port: number; timeoutMs: number; deadline?: number },
): Promise<TcpTransport> {
  const deadline = o.deadline ?? Date.now() + o.timeoutMs;
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({
      hostname: o.host,
      port: o.port,
      signal: AbortSignal.timeout(Math.max(1, remainingMs(o.timeoutMs, deadline))),
    });
  } catch (e) {
    throw classifyNetError(e, {
      host: o.host,
      port: o.port,
      phase: "connect",
      timeoutMs: o.timeoutMs,
    });
  }
  // Each flight goes out at once: no Nagle delay behind the peer's delayed ACK.
  conn.setNoDelay(true);
  return tcpTransport(conn, { ...o, deadline });
}

/**
 * Wraps a connected socket as a transport (every read bounded, the socket
 * closed on timeout). The socket stays usable for `Deno.startTls` as long as
 * no read is pending.
 *
 * @param conn the connected socket
 * @param o host and port (for messages), the per-read bound and the
 *   operation's overall deadline (`Date.now()` time; default: now + timeoutMs)
 * @returns the transport
 */
export function tcpTransport(
  conn: Deno.TcpConn,
  o: { host: string; port: number; timeoutMs: number; deadline?: number },
): TcpTransport {
  const deadline = o.deadline ?? Date.now() + o.timeoutMs;
  const overallTimeout = (raw?: string) =>
    new TlsprobeError(
      "TIMEOUT",
      `${formatAddress(o.host, o.port)} did not complete the handshake within ${
        o.timeoutMs / 1000
      } s (raise --timeout if it is slow)`,
      { raw: raw ?? "deadline passed", phase: "handshake" },
    );
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  const received: Uint8Array[] = [];
  let recorded = 0;
  const buf = new Uint8Array(65536);
  return {
    conn,
    remote: conn.remoteAddr,
    local: conn.localAddr,
    received,
    async write(bytes: Uint8Array): Promise<void> {
      try {
        let off = 0;
        while (off < bytes.length) off += await conn.write(bytes.subarray(off));
      } catch (e) {
        close();
        throw classifyNetError(e, { host: o.host, port: o.port, phase: "handshake" });
      }
    },
    async read(timeoutMs?: number): Promise<Uint8Array | null> {
      if (closed) return null;
      const ms = remainingMs(Math.min(timeoutMs ?? o.timeoutMs, o.timeoutMs), deadline);
      const overall = deadline - Date.now() <= ms;
      if (ms <= 0) {
        close();
        throw overallTimeout();
      }
      let timedOut = false;
      const timer = stallAwareTimer(ms, () => {
        timedOut = true;
        close();
      });
      try {
        const n = await conn.read(buf);
        if (timedOut) throw new Error("timed out");
        if (n === null) return null;
        const chunk = buf.slice(0, n);
        if (recorded < MAX_RECORDED) received.push(chunk);
        recorded += n;
        return chunk;
      } catch (e) {
        if (timedOut && overall) throw overallTimeout(String(e));
        if (timedOut) {
          throw new TlsprobeError(
            "TIMEOUT",
            `${formatAddress(o.host, o.port)} sent nothing for ${ms / 1000} s during the handshake`,
            { raw: String(e), advice: "timeout" },
          );
        }
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
          return null;
        }
        throw classifyNetError(e, { host: o.host, port: o.port, phase: "handshake" });
      } finally {
        timer.clear();
      }
    },
    close,
  };
}
