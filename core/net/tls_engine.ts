/**
 * The TLS side of `serve`: a `node:tls` server on loopback that the accept
 * loop hands each client's byte stream to. Unlike `Deno.listenTls` it can ask
 * for and verify client certificates (`requestCert`, `ca`,
 * `rejectUnauthorized`) and keep to a version range (`minVersion`,
 * `maxVersion`); it reports the negotiated version and suite. Its `ciphers`
 * option is ignored by the runtime (rustls underneath), so suites are kept by
 * the accept loop's ClientHello gate and ServerHello check instead.
 *
 * Each session is known by the loopback port the accept loop connected from.
 *
 * @module
 */
// node:tls is loaded when first used: a static import costs every start-up of
// the CLI (and of its bundle, where esbuild hoists it) hundreds of milliseconds.
import type { TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import type { CertifiedKey } from "./pem.ts";
import type { PeerCertificate } from "../report/server_report.ts";

/** The TLS versions the runtime's server speaks. */
export type EngineVersion = "TLSv1.2" | "TLSv1.3";

/** How the server treats client certificates. */
export interface ClientAuth {
  /** The CA certificates (PEM) that may sign a client's certificate. */
  caCerts: string[];
  /** `request`: ask, accept none, refuse a bad one; `require`: refuse none too. */
  mode: "request" | "require";
}

/** A client certificate as the server saw it (declared once, with the report). */
export type { PeerCertificate };

/** What a finished handshake negotiated. */
export interface EngineSession {
  /** The negotiated version (`TLSv1.3`). */
  version: string;
  /** The negotiated suite: OpenSSL and IANA names. */
  cipher: { name: string; standardName: string };
  /** The negotiated ALPN protocol, or null. */
  alpn: string | null;
  /** Whether a client certificate was asked for. */
  clientCertificateRequested: boolean;
  /** The client's certificate, or null when it sent none. */
  clientCertificate: PeerCertificate | null;
}

/** What the engine does with each session. */
export type EngineMode = { kind: "greeting"; text: string } | { kind: "echo" };

/** Engine options. */
export interface EngineOptions {
  certified: CertifiedKey;
  alpn?: string[];
  minVersion?: EngineVersion;
  maxVersion?: EngineVersion;
  clientAuth?: ClientAuth;
  mode: EngineMode;
}

/** Engine events, keyed by the loopback port the session came from. */
export interface EngineEvents {
  secure(port: number, session: EngineSession): void;
  /** The session was refused or failed; `cert` is the client's certificate when known. */
  failed(port: number, error: EngineFailure): void;
  received(port: number, bytes: number): void;
  sent(port: number, bytes: number): void;
  closed(port: number): void;
}

/** A failure as the runtime reported it, before classification. */
export interface EngineFailure {
  /** The runtime's error code (`ERR_SSL_…`, `ECONNRESET`), if any. */
  code?: string;
  message: string;
  /** The verification error of the client's certificate, if one was checked. */
  authorizationError?: string;
  /** The client's certificate, when it sent one. */
  clientCertificate?: PeerCertificate | null;
}

/** A running engine. */
export interface TlsEngine {
  port: number;
  close(): Promise<void>;
}

interface NodeCert {
  subject?: Record<string, string | string[]>;
  issuer?: Record<string, string | string[]>;
  subjectaltname?: string;
  valid_from?: string;
  valid_to?: string;
  fingerprint256?: string;
  issuerCertificate?: NodeCert;
}

function dn(o: Record<string, string | string[]> | undefined): string {
  if (!o) return "";
  return Object.entries(o)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x}`))
    .join(", ");
}

function peerCertificate(sock: TLSSocket): PeerCertificate | null {
  let c: NodeCert | undefined;
  try {
    c = sock.getPeerCertificate(true) as unknown as NodeCert;
  } catch {
    return null;
  }
  if (!c || !c.subject) return null;
  const chain: string[] = [];
  for (let x: NodeCert | undefined = c; x && chain.length < 16; x = x.issuerCertificate) {
    chain.push(dn(x.subject));
    if (x.issuerCertificate === x) break;
  }
  const err = sock.authorizationError as unknown;
  return {
    subject: dn(c.subject),
    issuer: dn(c.issuer),
    names: (c.subjectaltname ?? "").split(",").map((s) => s.trim()).filter(Boolean),
    notBefore: c.valid_from ?? "",
    notAfter: c.valid_to ?? "",
    sha256: c.fingerprint256 ?? "",
    chain,
    verified: sock.authorized === true,
    ...(err ? { error: String(err) } : {}),
  };
}

function parentPort(sock: TLSSocket): number {
  // The runtime's TLSSocket keeps the TCP socket it wraps as `_parent`.
  const p = (sock as unknown as { _parent?: Socket })._parent;
  return p?.remotePort ?? sock.remotePort ?? 0;
}

/**
 * Starts the engine on 127.0.0.1 with an ephemeral port.
 *
 * @param opts certificate, versions, client authentication, mode
 * @param events callbacks per session
 * @returns the engine's port and a way to stop it
 * @throws the runtime's error for a certificate or key it cannot use
 */
export async function startTlsEngine(
  opts: EngineOptions,
  events: EngineEvents,
): Promise<TlsEngine> {
  const { default: tls } = await import("node:tls");
  const auth = opts.clientAuth;
  const server = tls.createServer({
    cert: opts.certified.cert,
    key: opts.certified.key,
    ALPNProtocols: opts.alpn,
    minVersion: opts.minVersion ?? "TLSv1.2",
    maxVersion: opts.maxVersion ?? "TLSv1.3",
    ...(auth
      ? { requestCert: true, ca: auth.caCerts, rejectUnauthorized: auth.mode === "require" }
      : {}),
  });
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("tlsClientError", (e: Error & { code?: string }, sock: TLSSocket) => {
    const port = parentPort(sock);
    const cert = peerCertificate(sock);
    events.failed(port, {
      code: e.code,
      message: e.message,
      authorizationError: sock.authorizationError ? String(sock.authorizationError) : undefined,
      clientCertificate: cert,
    });
    sock.destroy();
  });
  server.on("secureConnection", (sock: TLSSocket) => {
    const port = parentPort(sock);
    sock.on(
      "error",
      (e: Error & { code?: string }) => events.failed(port, { code: e.code, message: e.message }),
    );
    sock.on("close", () => events.closed(port));
    const cert = auth ? peerCertificate(sock) : null;
    if (auth && cert && !cert.verified) {
      // `request` mode: no certificate is fine, a bad one is not.
      events.failed(port, {
        code: "CLIENT_CERT_UNTRUSTED",
        message: "client certificate not verified",
        authorizationError: cert.error,
        clientCertificate: cert,
      });
      sock.destroy();
      return;
    }
    const c = sock.getCipher() as { name?: string; standardName?: string } | undefined;
    events.secure(port, {
      version: sock.getProtocol() ?? "",
      cipher: { name: c?.name ?? "", standardName: c?.standardName ?? c?.name ?? "" },
      alpn: typeof sock.alpnProtocol === "string" ? sock.alpnProtocol : null,
      clientCertificateRequested: !!auth,
      clientCertificate: cert,
    });
    if (opts.mode.kind === "greeting") {
      const bytes = new TextEncoder().encode(opts.mode.text);
      sock.end(bytes, () => events.sent(port, bytes.length));
    } else {
      // Echo with back-pressure: a client that never reads stops the reads.
      sock.on("data", (d: Uint8Array) => {
        events.received(port, d.length);
        if (!sock.write(d, () => events.sent(port, d.length))) {
          sock.pause();
          sock.once("drain", () => sock.resume());
        }
      });
      sock.on("end", () => sock.end());
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", () => {/* per-connection errors are reported above */});
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
