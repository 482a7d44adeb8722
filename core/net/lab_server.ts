/**
 * Sockets for the lab engine's server side (`core/handshake/server.ts`): one
 * accept loop (the one `serve` uses, `acceptClients`), each client in its own
 * task with one deadline for the handshake and an idle bound on every read
 * after it; greeting or echo once the session is up.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import type { Transport } from "../handshake/transport.ts";
import type { ClientHello } from "../wire/client_hello.ts";
import {
  acceptTls,
  type LabServerConfig,
  type LabSessionInfo,
  type ServerIdentity,
} from "../handshake/server.ts";
import { importServerKey } from "../handshake/server_keys.ts";
import { SessionStore } from "../handshake/server_resume.ts";
import { tripleDesCipher } from "./triple_des.ts";
import { parsePemBlocks } from "../x509/pem.ts";
import { derElement, TAG } from "../x509/der.ts";
import { concat } from "../wire/codec.ts";
import { classifyNetError } from "./classify.ts";
import type { CertifiedKey } from "./pem.ts";
import { closeQuietly } from "./relay.ts";
import { acceptClients, type ClientInfo, type ServeMode, type ServeResult } from "./server.ts";

/** Lab server options. */
export interface LabServeOptions {
  /** Interface; `""` is every interface. */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Certificates and keys (an RSA one and an ECDSA one serve both kinds of suite). */
  certified: CertifiedKey[];
  /** Versions, suites, groups, DH, preference, ALPN. */
  config: Omit<LabServerConfig, "identities">;
  /** Greeting or echo. */
  mode: ServeMode;
  /** Bound on the handshake, and on each idle period after it (ms). */
  timeoutMs: number;
  /** Stops the server. */
  signal?: AbortSignal;
  /** Stop after one client. */
  once?: boolean;
  /** Connections served at once, at most. */
  maxConnections?: number;
}

/** Events for a caller to render (a subset of `serve`'s). */
export interface LabServeEvents {
  /** The server listens (the address it bound). */
  listening(addr: { host: string; port: number }): void;
  /** A client connected. */
  connection?(client: ClientInfo): void;
  /**
   * The client's ClientHello was read (before the server decides anything):
   * what it offers, for a report that also covers handshakes that then fail.
   */
  hello?(client: ClientInfo, hello: ClientHello): void;
  /** The handshake completed, with what it negotiated. */
  handshake?(client: ClientInfo, info: LabSessionInfo): void;
  /** Bytes came from the client. */
  received?(client: ClientInfo, bytes: number): void;
  /** Bytes were sent to the client. */
  sent?(client: ClientInfo, bytes: number): void;
  /** A client failed, with the coded reason. */
  clientError?(client: ClientInfo, error: TlsprobeError): void;
  /** A client's connection ended, with its byte counts and duration. */
  closed?(client: ClientInfo, stats: { received: number; sent: number; ms: number }): void;
}

/** rsaEncryption AlgorithmIdentifier, for wrapping a PKCS#1 key into PKCS#8 (RFC 5208 §5). */
const RSA_ALG = Uint8Array.of(
  0x30,
  0x0d,
  0x06,
  0x09,
  0x2a,
  0x86,
  0x48,
  0x86,
  0xf7,
  0x0d,
  0x01,
  0x01,
  0x01,
  0x05,
  0x00,
);

/**
 * Turns PEM certificate chains and keys into the engine's identities.
 *
 * @param certified chains and keys as PEM
 * @returns the identities
 * @throws TlsprobeError BAD_INPUT for a key the engine cannot use
 */
export async function labIdentities(certified: CertifiedKey[]): Promise<ServerIdentity[]> {
  const out: ServerIdentity[] = [];
  for (const c of certified) {
    const chain = parsePemBlocks(c.cert).filter((b) => /CERTIFICATE$/.test(b.label)).map((b) =>
      b.der
    );
    const block = parsePemBlocks(c.key).find((b) => /PRIVATE KEY$/.test(b.label));
    if (!block || !chain.length) {
      throw new TlsprobeError("BAD_INPUT", "A certificate chain and a private key are needed");
    }
    let der = block.der;
    if (block.label === "RSA PRIVATE KEY") {
      der = derElement(
        TAG.SEQUENCE,
        concat(Uint8Array.of(2, 1, 0), RSA_ALG, derElement(TAG.OCTET_STRING, der)),
      );
    } else if (block.label !== "PRIVATE KEY") {
      throw new TlsprobeError(
        "BAD_INPUT",
        `The lab engine takes PKCS#8 or PKCS#1 keys, not ${block.label} (convert: openssl pkcs8 -topk8 -nocrypt -in KEY)`,
      );
    }
    out.push({ chain, key: await importServerKey(der) });
  }
  return out;
}

/** A transport over one TCP connection: every read bounded by the current deadline. */
function serverTransport(
  conn: Deno.Conn,
  bound: () => number,
  count: (n: number) => void,
): Transport {
  const buf = new Uint8Array(32 * 1024);
  return {
    async write(bytes) {
      // A client that does not read must not hold the server: the same bound as a read.
      let timedOut = false;
      const t = setTimeout(() => {
        timedOut = true;
        closeQuietly(conn);
      }, Math.max(1, bound()));
      try {
        let off = 0;
        while (off < bytes.length) off += await conn.write(bytes.subarray(off));
      } catch (e) {
        if (timedOut) {
          throw new TlsprobeError("TIMEOUT", "The client did not read what was sent: closed", {
            timedOut: "write",
          });
        }
        throw e;
      } finally {
        clearTimeout(t);
      }
    },
    async read() {
      let timedOut = false;
      const t = setTimeout(() => {
        timedOut = true;
        closeQuietly(conn);
      }, Math.max(1, bound()));
      try {
        const n = await conn.read(buf);
        if (timedOut) throw new Error("timed out");
        if (n === null) return null;
        count(n);
        return buf.slice(0, n);
      } catch (e) {
        if (timedOut) {
          throw new TlsprobeError("TIMEOUT", "The client went quiet: closed", {
            timedOut: true,
          });
        }
        if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
          return null;
        }
        throw e;
      } finally {
        clearTimeout(t);
      }
    },
    close: () => closeQuietly(conn),
  };
}

/**
 * Serves TLS with the lab engine until the signal aborts (or one client,
 * with `once`).
 *
 * @param opts where, what, how long
 * @param events callbacks
 * @returns per-client counts
 * @throws TlsprobeError USAGE (port in use), BAD_INPUT (certificate or key)
 */
export async function serveLabEngine(
  opts: LabServeOptions,
  events: LabServeEvents,
): Promise<ServeResult> {
  // One resumption store per listener: session IDs and tickets resume on this server only.
  const cfg: LabServerConfig = {
    sessions: new SessionStore(),
    tripleDes: await tripleDesCipher(),
    ...opts.config,
    identities: await labIdentities(opts.certified),
  };
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname: opts.host === "" ? "0.0.0.0" : opts.host, port: opts.port });
  } catch (e) {
    throw new TlsprobeError(
      "USAGE",
      `Cannot listen on port ${opts.port}: ${(e as Error).message}`,
      { raw: String(e) },
    );
  }
  const addr = listener.addr as Deno.NetAddr;
  events.listening({ host: opts.host, port: addr.port });
  const stop = () => closeQuietly(listener);
  opts.signal?.addEventListener("abort", stop, { once: true });
  const result: ServeResult = { served: 0, failed: 0 };
  const who = (c: ClientInfo) =>
    c.host.includes(":") ? `[${c.host}]:${c.port}` : `${c.host}:${c.port}`;

  const handle = async (conn: Deno.Conn, client: ClientInfo) => {
    const t0 = performance.now();
    let received = 0, sent = 0;
    const deadline = Date.now() + opts.timeoutMs;
    let up = false;
    const t = serverTransport(
      conn,
      () => up ? opts.timeoutMs : deadline - Date.now(),
      (n) => {
        received += n;
        if (up) events.received?.(client, n);
      },
    );
    try {
      const s = await acceptTls(t, cfg, (h) => events.hello?.(client, h));
      up = true;
      events.handshake?.(client, s.info);
      if (opts.mode.kind === "greeting") {
        const g = new TextEncoder().encode(opts.mode.text);
        await s.write(g);
        sent += g.length;
        events.sent?.(client, g.length);
      } else {
        for (let d = await s.read(); d; d = await s.read()) {
          await s.write(d);
          sent += d.length;
          events.sent?.(client, d.length);
        }
      }
      await s.close();
      result.served++;
    } catch (e) {
      result.failed++;
      const err = e instanceof TlsprobeError
        ? new TlsprobeError(
          e.code,
          /^The client\b/.test(e.message)
            ? e.message.replace(/^The client\b/, `The client at ${who(client)}`)
            : `The client at ${who(client)}: ${e.message}`,
          e.detail,
        )
        : classifyNetError(e, {
          host: client.host,
          port: client.port,
          role: "server",
          phase: "handshake",
        });
      result.lastError = err;
      events.clientError?.(client, err);
    } finally {
      t.close();
      events.closed?.(client, { received, sent, ms: performance.now() - t0 });
    }
  };
  await acceptClients(
    listener,
    { ...opts, port: addr.port },
    {
      connection: (c) => events.connection?.(c),
      clientError: (c, e) => events.clientError?.(c, e),
      closed: (c, s) => events.closed?.(c, s),
    },
    handle,
    stop,
  );
  return result;
}
