/**
 * `connect --policy`: the verified connection (rustls) run through a loopback
 * watcher that reads the server's ServerHello and judges it against a policy.
 * The runtime's TLS client cannot be told a policy's versions or suites, so a
 * session that breaks the policy is cut before any data (the watcher sends
 * the alert a policy-bound client would) and reported as `CHECK_FAILED`.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { checkServerHello, type Evaluation, type ResolvedPolicy } from "../policy/mod.ts";
import { type NegotiatedReport, negotiatedReport } from "../report/server_report.ts";
import { classifyNetError } from "./classify.ts";
import { type ClientRelay, openClientRelay, relayInFront } from "./relay.ts";
import { upgradeSocket } from "./starttls.ts";
import type { StarttlsResult } from "../starttls/mod.ts";
import type { ServerFlight } from "../policy/stream.ts";
import {
  type ClientOptions,
  connectVerified,
  dialTcp,
  type VerifiedConnection,
} from "./tls_client.ts";

/** What the watcher saw, filled in as the handshake goes (also when it fails). */
export interface PolicyWatch {
  /** The policy's verdict on the ServerHello. */
  evaluation?: Evaluation;
  /** What the ServerHello negotiated. */
  negotiated?: NegotiatedReport;
  /** The real server's address. */
  address?: string;
}

/** A policy-checked verified connection; close the relay with `close()`. */
export interface PolicyConnection {
  /** The verified connection, through the watching relay. */
  vc: VerifiedConnection;
  /** Closes the connection and the relay. */
  close(): void;
}

/**
 * Opens a verified connection whose session is checked against a policy.
 * The policy supplies what the runtime can take (CA file, trust in both
 * stores, ALPN) where `opts` leaves it unset.
 *
 * @param opts the connection, as for connectVerified (a STARTTLS dialogue and a
 *   client certificate included)
 * @param rp the resolved policy
 * @param watch filled with the verdict, the negotiated session and the address
 * @returns the connection and a way to close the watcher
 * @throws TlsprobeError CHECK_FAILED when the policy refused the session;
 *   the codes of connectVerified and of the STARTTLS dialogue otherwise
 */
export async function connectUnderPolicy(
  opts: ClientOptions,
  rp: ResolvedPolicy | undefined,
  watch: PolicyWatch,
): Promise<PolicyConnection> {
  // One deadline for the relay's connect and the watched handshake together.
  const deadline = Date.now() + opts.timeoutMs;
  let starttls: StarttlsResult | undefined;
  const judge = (flight: ServerFlight) => {
    watch.negotiated = negotiatedReport(flight);
    // Without a policy the watcher only reads what was negotiated (`connect -v`).
    if (!rp) return undefined;
    watch.evaluation = checkServerHello(rp, {
      version: flight.serverHello.version,
      cipherSuite: flight.serverHello.cipherSuite,
      compressionMethod: flight.serverHello.compression,
      group: flight.group,
    });
    if (watch.evaluation.verdict !== "fail") return undefined;
    return watch.evaluation.findings.some((f) => f.rule === "version")
      ? "protocol_version"
      : "handshake_failure";
  };
  const target = { host: opts.host, port: opts.port, timeoutMs: opts.timeoutMs };
  const relay: ClientRelay = await (async () => {
    if (!opts.starttls) return await openClientRelay(target, judge);
    // The dialogue in clear first; the relay carries TLS from there on.
    const tcp = await dialTcp(opts);
    starttls = await upgradeSocket(tcp, opts, opts.starttls);
    return relayInFront(tcp, Math.max(1, deadline - Date.now()), judge);
  })().catch((e) => {
    throw classifyNetError(e, {
      host: opts.host,
      port: opts.port,
      phase: "connect",
      timeoutMs: opts.timeoutMs,
    });
  });
  watch.address = relay.remote.hostname;
  const v = rp?.policy.verification;
  try {
    const vc = await connectVerified({
      ...opts,
      starttls: undefined,
      host: "127.0.0.1",
      port: relay.port,
      serverName: opts.serverName ?? opts.host,
      caFile: opts.caFile ?? v?.caFile,
      platformRoots: opts.platformRoots ?? (v?.trust === "both" ? true : undefined),
      alpn: opts.alpn ?? rp?.policy.alpn?.protocols,
      onTcpConnected: (_remote, local) => opts.onTcpConnected?.(relay.remote, local),
      timeoutMs: Math.max(1, deadline - Date.now()),
    });
    return { vc: starttls ? { ...vc, starttls } : vc, close: () => relay.close() };
  } catch (e) {
    const caught = e instanceof TlsprobeError ? e : classifyNetError(e, {
      host: opts.host,
      port: opts.port,
      phase: "handshake",
    });
    // The runtime connected to the loopback relay: name the real target.
    const error = new TlsprobeError(
      caught.code,
      caught.message.replaceAll(`127.0.0.1:${relay.port}`, `${opts.host}:${opts.port}`),
      caught.detail,
    );
    // Did the watcher cut the session? Then the policy, not TLS, said no.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      relay.done,
      new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), 1000)),
    ]);
    clearTimeout(timer);
    relay.close();
    if (outcome?.watchError) {
      // The server's own bytes were at fault: blame it, not the runtime's TLS.
      const w = outcome.watchError;
      throw new TlsprobeError(w.code, `${opts.host}:${opts.port}: ${w.message}`, {
        ...w.detail,
        raw: error.message,
      });
    }
    if (outcome?.refusedWith && watch.evaluation) {
      const why = watch.evaluation.findings.filter((f) => f.severity === "error")
        .map((f) => f.message).join(" ");
      throw new TlsprobeError(
        "CHECK_FAILED",
        `Session refused by policy ${watch.evaluation.policy}: ${why} No data was exchanged.`,
        { findings: watch.evaluation.findings, raw: error.message },
      );
    }
    throw error;
  }
}
