/**
 * The seam between dialling and TLS: connect over TCP, optionally run a
 * STARTTLS dialogue (`core/starttls/`), and hand the same socket on — as a
 * transport to the inspection client, or to `Deno.startTls`.
 *
 * @module
 */
import type { StarttlsProtocol, StarttlsResult } from "../starttls/mod.ts";
import { connectTcp, type TcpTransport, tcpTransport } from "./transport.ts";

export type { TcpTransport };

/** Which STARTTLS dialogue to run before TLS. */
export interface StarttlsRequest {
  /** The protocol. */
  protocol: StarttlsProtocol;
  /** The XMPP `to=` domain (default: the host). */
  xmppHost?: string;
}

/**
 * Connects and, when asked, runs the STARTTLS dialogue: on return the stream
 * is ready for a ClientHello.
 *
 * @param o host, port, deadline (bounds the connect and the whole dialogue) and the protocol
 * @returns the transport (the caller closes it) and what the dialogue learned
 * @throws TlsprobeError from the connect and the dialogue (STARTTLS_REFUSED, …)
 */
export async function openStream(
  o: {
    host: string;
    port: number;
    timeoutMs: number;
    deadline?: number;
    starttls?: StarttlsRequest;
  },
): Promise<{ transport: TcpTransport; starttls: StarttlsResult | null }> {
  const t = await connectTcp(o);
  if (!o.starttls) return { transport: t, starttls: null };
  try {
    return { transport: t, starttls: await dialogue(t, o, o.starttls) };
  } catch (e) {
    t.close();
    throw e;
  }
}

/**
 * Runs the STARTTLS dialogue on an already connected socket (for
 * `Deno.startTls` afterwards).
 *
 * @param conn the socket (closed on failure)
 * @param o host, port and deadline
 * @param req the protocol
 * @returns what the dialogue learned
 */
export async function upgradeSocket(
  conn: Deno.TcpConn,
  o: { host: string; port: number; timeoutMs: number },
  req: StarttlsRequest,
): Promise<StarttlsResult> {
  const t = tcpTransport(conn, o);
  try {
    return await dialogue(t, o, req);
  } catch (e) {
    t.close();
    throw e;
  }
}

async function dialogue(
  t: TcpTransport,
  o: { host: string; port: number; timeoutMs: number },
  req: StarttlsRequest,
): Promise<StarttlsResult> {
  const target = o.host.includes(":") ? `[${o.host}]:${o.port}` : `${o.host}:${o.port}`;
  // The dialogues load when one is asked for: a plain TLS connection (every
  // scan handshake, a probe) does not pay for them at start-up.
  const { runStarttls } = await import("../starttls/mod.ts");
  return runStarttls(t, {
    protocol: req.protocol,
    host: o.host,
    xmppHost: req.xmppHost,
    timeoutMs: o.timeoutMs,
    now: () => performance.now(),
    target,
  });
}
