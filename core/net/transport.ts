/**
 * The TCP transport of the inspection client: `Deno.connect` with a deadline
 * on the connect and on every read; on timeout the connection is closed and
 * the read rejects with `TIMEOUT` (Deno's signals do not bound reads).
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

/**
 * Connects over TCP.
 *
 * @param o host, port and the per-operation deadline in milliseconds
 * @returns the transport
 * @throws TlsprobeError CONNECTION_REFUSED, DNS, TIMEOUT, NETWORK
 */
export async function connectTcp(
  o: { host: string; port: number; timeoutMs: number },
): Promise<TcpTransport> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({
      hostname: o.host,
      port: o.port,
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (e) {
    throw classifyNetError(e, {
      host: o.host,
      port: o.port,
      phase: "connect",
      timeoutMs: o.timeoutMs,
    });
  }
  return tcpTransport(conn, o);
}

/**
 * Wraps a connected socket as a transport (every read bounded, the socket
 * closed on timeout). The socket stays usable for `Deno.startTls` as long as
 * no read is pending.
 *
 * @param conn the connected socket
 * @param o host and port (for messages) and the per-read deadline
 * @returns the transport
 */
export function tcpTransport(
  conn: Deno.TcpConn,
  o: { host: string; port: number; timeoutMs: number },
): TcpTransport {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  const received: Uint8Array[] = [];
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
      const ms = Math.min(timeoutMs ?? o.timeoutMs, o.timeoutMs);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        close();
      }, ms);
      try {
        const n = await conn.read(buf);
        if (timedOut) throw new Error("timed out");
        if (n === null) return null;
        const chunk = buf.slice(0, n);
        received.push(chunk);
        return chunk;
      } catch (e) {
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
        clearTimeout(timer);
      }
    },
    close,
  };
}
