/**
 * A verified TLS client through `node:tls` for what `Deno.connectTls` and
 * `Deno.startTls` cannot do together: present a client certificate while
 * verifying a name other than the host dialled (`connect -c … --servername`).
 * Trust and names are still decided by the runtime (rustls underneath); the
 * socket is wrapped in the small read/write/close surface the verified
 * connection uses.
 *
 * @module
 */
// node:tls is loaded when first used: a static import costs every start-up of
// the CLI (and of its bundle, where esbuild hoists it) hundreds of milliseconds.
import type { TLSSocket } from "node:tls";

/** What was negotiated, as the runtime reports it. */
export interface NodeNegotiated {
  /** The negotiated version (`TLSv1.3`). */
  version: string;
  /** The negotiated suite, as `getCipher().name` gives it. */
  cipher: string;
}

/** The read/write/close surface of a `Deno.TlsConn` that the client uses. */
export class NodeTlsConn {
  #sock: TLSSocket;
  #chunks: Uint8Array[] = [];
  #ended = false;
  #error?: Error;
  #wake?: () => void;

  /** @param sock a connected, verified socket */
  constructor(sock: TLSSocket) {
    this.#sock = sock;
    const wake = () => {
      const w = this.#wake;
      this.#wake = undefined;
      w?.();
    };
    sock.on("data", (d: Uint8Array) => {
      this.#chunks.push(new Uint8Array(d));
      sock.pause(); // back-pressure: read() resumes
      wake();
    });
    sock.on("end", () => {
      this.#ended = true;
      wake();
    });
    sock.on("close", () => {
      this.#ended = true;
      wake();
    });
    sock.on("error", (e: Error) => {
      this.#error = e;
      wake();
    });
  }

  /** Reads into `buf`; null at the end of the stream. */
  async read(buf: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      this.#sock.resume();
      await new Promise<void>((r) => this.#wake = r);
    }
    const c = this.#chunks[0];
    const n = Math.min(buf.length, c.length);
    buf.set(c.subarray(0, n));
    if (n < c.length) this.#chunks[0] = c.subarray(n);
    else this.#chunks.shift();
    return n;
  }

  /** Writes all of `b`. */
  write(b: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) =>
      this.#sock.write(b, (e?: Error | null) => e ? reject(e) : resolve(b.length))
    );
  }

  /** Sends close_notify and ends our side. */
  closeWrite(): Promise<void> {
    return new Promise((resolve) => this.#sock.end(() => resolve()));
  }

  /** Closes the connection. */
  close(): void {
    this.#sock.destroy();
  }
}

/**
 * Connects, verifies the server for `serverName` and presents a client
 * certificate.
 *
 * @param o where to connect, the name to verify, trust and the client's certificate
 * @returns the connection and what was negotiated
 * @throws the runtime's error (classify it with `classifyNetError`)
 */
export async function connectNodeTls(o: {
  host: string;
  port: number;
  serverName: string;
  caCerts?: string[];
  cert: string;
  key: string;
  alpn?: string[];
  timeoutMs: number;
  /** Called once the socket has closed (to close what it was carried over). */
  onClose?: () => void;
}): Promise<
  {
    conn: NodeTlsConn;
    alpn: string | null;
    negotiated: NodeNegotiated;
    remote: { hostname: string; port: number };
    local: { hostname: string; port: number };
  }
> {
  const { default: tls } = await import("node:tls");
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      host: o.host,
      port: o.port,
      servername: o.serverName,
      ...(o.caCerts ? { ca: o.caCerts } : {}),
      cert: o.cert,
      key: o.key,
      ALPNProtocols: o.alpn,
      rejectUnauthorized: true,
    });
    if (o.onClose) sock.once("close", o.onClose);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(Object.assign(new Error("handshake timed out"), { name: "TimedOut" }));
    }, o.timeoutMs);
    sock.once("error", (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.once("secureConnect", () => {
      clearTimeout(timer);
      const c = sock.getCipher() as { name?: string } | undefined;
      resolve({
        conn: new NodeTlsConn(sock),
        alpn: typeof sock.alpnProtocol === "string" ? sock.alpnProtocol : null,
        negotiated: { version: sock.getProtocol() ?? "", cipher: c?.name ?? "" },
        remote: { hostname: sock.remoteAddress ?? o.host, port: sock.remotePort ?? o.port },
        local: { hostname: sock.localAddress ?? "", port: sock.localPort ?? 0 },
      });
    });
  });
}
