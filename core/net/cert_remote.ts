/**
 * `cert HOST:PORT`: the chain a server sends, read by the inspection client
 * (any version, TLS 1.3 included), and, when a name is checked, the verdict
 * of the runtime's verifier (rustls) for that name.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { concat } from "../wire/codec.ts";
import { formatAddress } from "../address.ts";
import { fetchCertificates } from "./probe.ts";
import { connectVerified } from "./tls_client.ts";
import type { StarttlsRequest } from "./starttls.ts";

/** What to fetch and how. */
export interface RemoteChainOptions {
  /** The server's host. */
  host: string;
  /** The server's port. */
  port: number;
  /** SNI (default: the host unless it is an IP address). */
  serverName?: string;
  /** When set, also verify the server for this name (rustls decides). */
  checkName?: string;
  /** The only CAs trusted for `checkName` (default: the platform's). */
  caFile?: string;
  /** Bound on each network phase. */
  timeoutMs: number;
  /** Run this STARTTLS dialogue before each handshake. */
  starttls?: StarttlsRequest;
}

/** The chain as sent and, with `checkName`, why trust failed (if it did). */
export interface RemoteChain {
  /** The certificates, DER, concatenated in the order sent. */
  bytes: Uint8Array;
  /** Where they came from. */
  source: { host: string; port: number; address: string; serverName: string };
  /** Set when `checkName` was given and verification failed. */
  trustError?: TlsprobeError;
}

/**
 * Fetches a server's chain and, with `checkName`, verifies the server.
 *
 * @param o target, names, CA file and deadline
 * @returns the chain and the trust verdict
 * @throws {TlsprobeError} network and TLS codes; `PEER_MALFORMED` when no certificate came
 */
export async function fetchRemoteChain(o: RemoteChainOptions): Promise<RemoteChain> {
  const serverName = o.checkName ?? o.serverName;
  const fetched = await fetchCertificates({
    host: o.host,
    port: o.port,
    serverName,
    timeoutMs: o.timeoutMs,
    starttls: o.starttls,
  });
  if (fetched.certificates.length === 0) {
    throw new TlsprobeError(
      "PEER_MALFORMED",
      `${formatAddress(o.host, o.port)} sent no certificate`,
      { host: o.host, port: o.port },
    );
  }
  const bytes = concat(...fetched.certificates);
  let trustError: TlsprobeError | undefined;
  if (o.checkName !== undefined) {
    try {
      const vc = await connectVerified({
        host: o.host,
        port: o.port,
        serverName: o.checkName,
        caFile: o.caFile,
        timeoutMs: o.timeoutMs,
        starttls: o.starttls,
      });
      vc.conn.close();
    } catch (e) {
      if (!(e instanceof TlsprobeError)) throw e;
      trustError = e;
    }
  }
  return {
    bytes,
    source: {
      host: o.host,
      port: o.port,
      address: fetched.address,
      serverName: serverName ?? o.host,
    },
    trustError,
  };
}
