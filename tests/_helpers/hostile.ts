/**
 * Hostile TLS servers for tests: small raw `Deno.listen` scripts that read the
 * client's first bytes and then misbehave (stall, drip, flood, lie about
 * lengths, send garbage, alerts, loops …). Each is a plain function over the
 * accepted connection, so a test lists behaviours as data.
 *
 * The bytes are built with the project's own encoders only where a valid
 * frame is needed around the misbehaviour; everything else is literal.
 *
 * @module
 */
import { encodeHandshake, encodeRecord } from "../../core/wire/record.ts";
import { type ClientHello, parseClientHello } from "../../core/wire/client_hello.ts";
import { Writer } from "../../core/wire/codec.ts";

/** What a behaviour gets: the connection and the client's ClientHello (if one came). */
export interface HostileContext {
  conn: Deno.Conn;
  /** The parsed ClientHello, when the first bytes held one. */
  hello?: ClientHello;
  /** Resolves when the server is stopping: behaviours end their loops. */
  stopped: () => boolean;
}

/** A misbehaving server's script. */
export type Behaviour = (c: HostileContext) => Promise<unknown>;

/** A running hostile server. */
export interface HostileServer {
  port: number;
  stop(): Promise<void>;
}

/** Handshake and record constants used by the scripts. */
export const T = { ccs: 20, alert: 21, handshake: 22, appData: 23 } as const;

/** Sleeps. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Writes everything, ignoring a peer that went away. Returns false when it did. */
export async function send(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  try {
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    return true;
  } catch {
    return false;
  }
}

/** UTF-8 bytes of a string. */
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One plaintext record. */
export function record(type: number, fragment: Uint8Array, version = 0x0303): Uint8Array {
  return encodeRecord(type, version, fragment);
}

/** A handshake message in one record. */
export function hsRecord(type: number, body: Uint8Array): Uint8Array {
  return record(T.handshake, encodeHandshake(type, body));
}

/**
 * A TLS 1.2 ServerHello body choosing `suite` (default ECDHE-RSA-AES128-GCM-SHA256,
 * which every client here offers), with the renegotiation_info and
 * extended_master_secret extensions.
 */
export function serverHello12(suite = 0xc02f, version = 0x0303): Uint8Array {
  return new Writer()
    .u16(version)
    .bytes(crypto.getRandomValues(new Uint8Array(32)))
    .vec8(new Uint8Array(0))
    .u16(suite)
    .u8(0)
    .lengthPrefixed(2, (w) => {
      w.u16(0xff01).vec16(Uint8Array.of(0)); // renegotiation_info, empty
      w.u16(0x0017).vec16(new Uint8Array(0)); // extended_master_secret
    })
    .finish();
}

/** The HelloRetryRequest random (RFC 8446 §4.1.3). */
const HRR_RANDOM = Uint8Array.from(
  "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c".match(/../g)!,
  (h) => parseInt(h, 16),
);

/** A HelloRetryRequest body asking for `group` (echoing the client's session id). */
export function helloRetryRequest(hello: ClientHello | undefined, group: number): Uint8Array {
  return new Writer()
    .u16(0x0303)
    .bytes(HRR_RANDOM)
    .vec8(hello?.sessionId ?? new Uint8Array(0))
    .u16(0x1301)
    .u8(0)
    .lengthPrefixed(2, (w) => {
      w.u16(43).vec16(Uint8Array.of(0x03, 0x04)); // supported_versions: TLS 1.3
      w.u16(51).vec16(Uint8Array.of(group >> 8, group & 0xff)); // key_share: selected group
    })
    .finish();
}

/** A Certificate body (TLS 1.2 form) holding `der` once. */
export function certificate12(der: Uint8Array): Uint8Array {
  return new Writer().lengthPrefixed(3, (w) => w.vec24(der)).finish();
}

/**
 * Starts a hostile server on 127.0.0.1, port 0. Each connection: read the
 * first chunk (up to 1 s), parse it as a ClientHello when it is one, run the
 * behaviour, close.
 *
 * @param behaviour the script
 * @param opts `readFirst: false` runs the script before reading anything
 * @returns the server
 */
export function startHostileServer(
  behaviour: Behaviour,
  opts: { readFirst?: boolean } = {},
): HostileServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let stopping = false;
  const serveOne = async (conn: Deno.Conn) => {
    conns.add(conn);
    try {
      let hello: ClientHello | undefined;
      if (opts.readFirst !== false) {
        const buf = new Uint8Array(65536);
        let got = 0;
        const deadline = Date.now() + 1000;
        // Read until one whole handshake record is in (the ClientHello).
        while (Date.now() < deadline) {
          const n = await conn.read(buf.subarray(got));
          if (n === null) return;
          got += n;
          if (got >= 5 && got >= 5 + ((buf[3] << 8) | buf[4])) break;
        }
        try {
          hello = parseClientHello(buf.subarray(9, 5 + ((buf[3] << 8) | buf[4])));
        } catch { /* not a ClientHello: the script decides */ }
      }
      await behaviour({ conn, hello, stopped: () => stopping });
    } catch {
      /* the client went away */
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };
  const loop = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      serveOne(conn);
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async stop() {
      stopping = true;
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await loop;
    },
  };
}

/**
 * Sends `unit` again and again until the client goes away or the server stops
 * (at most `maxBytes`, so a test never floods forever).
 */
export async function flood(
  c: HostileContext,
  unit: Uint8Array,
  maxBytes = 2 << 20,
): Promise<void> {
  // Batch small units so the flood is fast.
  const times = Math.max(1, Math.floor(16384 / unit.length));
  const batch = new Uint8Array(unit.length * times);
  for (let i = 0; i < times; i++) batch.set(unit, i * unit.length);
  for (let sent = 0; sent < maxBytes && !c.stopped(); sent += batch.length) {
    if (!await send(c.conn, batch)) return;
  }
}
