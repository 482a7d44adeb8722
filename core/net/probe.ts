/**
 * `probe`: the inspection handshake over TCP (what was negotiated, from any
 * server) and, overlapping it from the ServerHello on, a verified connection
 * through the runtime (rustls decides trust), combined into one report body.
 *
 * @module
 */
import { isTlsprobeError, TlsprobeError } from "../errors.ts";
import { inspect, type Observation } from "../handshake/inspect.ts";
import {
  DEFAULT_CIPHER_SUITES,
  DEFAULT_GROUPS,
  DEFAULT_SIGNATURE_ALGORITHMS,
} from "../handshake/defaults.ts";
import { cipherSuiteByCode } from "../registry/cipher_suites.ts";
import { versionName } from "../registry/versions.ts";
import { runtimeSpeaks, runtimeSuites } from "./features.ts";
import type { ProbeBody, ProbeOutcome, ProbeTrust } from "../report/probe.ts";
import { trustVerdict } from "./tls_client.ts";
import { configureTrust } from "./trust.ts";
import { remainingMs } from "./transport.ts";
import { openStream, type StarttlsRequest } from "./starttls.ts";
import { guessStarttls, STARTTLS_PORTS, type StarttlsResult } from "../starttls/mod.ts";

/** What to probe and how. */
export interface ProbeOptions {
  /** Host name or address. */
  host: string;
  /** TCP port. */
  port: number;
  /** SNI to send; null sends none; undefined sends the host unless it is an IP. */
  serverName?: string | null;
  /** CA file for the verified connection (`-a`). */
  caFile?: string;
  /** Client certificate for the verified connection (`-c`). */
  certFile?: string;
  /** The client certificate's key, if not in `certFile`. */
  keyFile?: string;
  /** Versions to offer. */
  versions: number[];
  /** Suites to offer (default: every suite the engine can observe). */
  cipherSuites?: number[];
  /** Groups to offer (default: x25519 first, then the rest). */
  groups?: number[];
  /** ALPN protocols to offer. */
  alpn?: string[];
  /** Bound on the whole probe (inspection handshake and trust pass together). */
  timeoutMs: number;
  /** The time, for validity findings. */
  now: Date;
  /** Skip the verified connection (trust reported as not checked). */
  noTrust?: boolean;
  /** Run this STARTTLS dialogue before each handshake. */
  starttls?: StarttlsRequest;
  /** Keep the plaintext transcript in the report (`-v`). */
  transcript?: boolean;
}

/** The probe's result: a body to print, the observation, the error when the handshake failed. */
export interface ProbeResult extends ProbeOutcome {
  /** The server's bytes as received (for fixture capture). */
  received: Uint8Array[];
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

/**
 * The trust pass: rustls's verdict on the server, from a verified connection
 * of its own. It needs only the server's choice (version and suite) to know
 * whether the runtime can speak to the server at all, so the probe starts it
 * as soon as the inspection handshake has read the ServerHello, and the two
 * connections overlap.
 */
async function checkTrust(
  o: ProbeOptions,
  obs: { version: number; cipherSuite: number },
  sni: string | null,
  deadline: number,
  signal: AbortSignal,
): Promise<ProbeTrust> {
  const cfg = await configureTrust({ caFile: o.caFile });
  const base = {
    store: cfg.info.store || null,
    caFile: cfg.info.caFile ?? null,
    caCount: cfg.info.caCount ?? cfg.info.platformCount ?? null,
  };
  // What the runtime speaks is read from its own ClientHello (core/net/features.ts),
  // once per process.
  const rt = await runtimeSuites();
  if (rt && !runtimeSpeaks(rt, obs.version, obs.cipherSuite)) {
    const s = cipherSuiteByCode(obs.cipherSuite);
    return {
      ...base,
      verified: null,
      code: "UNSUPPORTED",
      message: `Trust could not be checked with a modern TLS stack: the server negotiated ${
        versionName(obs.version)
      } with ${s?.openssl ?? s?.iana ?? obs.cipherSuite}, which rustls refuses`,
    };
  }
  const left = remainingMs(o.timeoutMs, deadline);
  if (left < 1) {
    return {
      ...base,
      verified: null,
      code: "TIMEOUT",
      message: `Trust could not be checked: the probe's ${o.timeoutMs / 1000} s were spent`,
    };
  }
  const verdict = await trustVerdict({
    host: o.host,
    port: o.port,
    serverName: sni ?? o.host,
    caFile: o.caFile,
    certFile: o.certFile,
    keyFile: o.keyFile,
    alpn: o.alpn,
    timeoutMs: left,
    starttls: o.starttls,
    signal,
  });
  return { ...base, ...verdict };
}

/**
 * Probes a server.
 *
 * @param o target and offer
 * @returns the report body, with the error when the handshake failed
 * @throws TlsprobeError only for bad options (a CA file that cannot be read)
 */
export async function probe(o: ProbeOptions): Promise<ProbeResult> {
  const sni = o.serverName === null ? null : o.serverName ?? (isIpLiteral(o.host) ? null : o.host);
  const target = {
    host: o.host,
    port: o.port,
    address: null as string | null,
    serverName: sni,
    starttls: o.starttls?.protocol ?? null,
  };
  const empty: ProbeBody = {
    target,
    handshake: null,
    certificates: [],
    identity: null,
    trust: null,
    findings: [],
  };
  let received: Uint8Array[] = [];
  let obs: Observation;
  // One deadline for the whole probe: the STARTTLS dialogue, the inspection
  // handshake and the trust pass.
  const deadline = Date.now() + o.timeoutMs;
  let st: StarttlsResult | null = null;
  // The trust store is chosen first: the runtime loads its root store on its
  // first TLS client, once per process, so narrowing it to the CA file
  // afterwards would leave the platform roots trusted too.
  if (!o.noTrust) await configureTrust({ caFile: o.caFile });
  // The verified connection starts once the server has chosen, and runs
  // while the inspection handshake finishes; a failed inspection ends it.
  const stop = new AbortController();
  let trustPass: Promise<ProbeTrust> | undefined;
  const startTrust = (version: number, cipherSuite: number) => {
    if (o.noTrust || trustPass) return;
    trustPass = checkTrust(o, { version, cipherSuite }, sni, deadline, stop.signal);
    trustPass.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
  };
  let report: Promise<typeof import("../report/probe.ts")> | undefined;
  try {
    const { transport: t, starttls } = await openStream({ ...o, deadline });
    // The report builder (and the X.509 decoder under it) loads while the
    // handshake waits on the server, not before the connection (start-up: see
    // README, Speed); a probe that cannot connect never loads it.
    report = import("../report/probe.ts");
    report.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
    st = starttls;
    target.address = t.remote.hostname;
    received = t.received;
    try {
      obs = await inspect(t, {
        versions: o.versions,
        cipherSuites: o.cipherSuites ?? [...DEFAULT_CIPHER_SUITES],
        groups: o.groups ?? [...DEFAULT_GROUPS],
        signatureAlgorithms: [...DEFAULT_SIGNATURE_ALGORITHMS],
        serverName: sni ?? undefined,
        alpn: o.alpn,
        clock: () => performance.now(),
        onServerHello: startTrust,
      });
    } finally {
      t.close();
    }
  } catch (e) {
    stop.abort();
    await trustPass?.catch(() => {});
    const err = isTlsprobeError(e) ? e : new TlsprobeError(
      "INTERNAL",
      `Internal error during the probe: ${e instanceof Error ? e.message : String(e)}`,
      { raw: e instanceof Error ? e.stack : String(e) },
    );
    const body = st ? { ...empty, starttls: starttlsReport(st, o.transcript) } : empty;
    return { body, error: st ? err : withStarttlsHint(err, o, received), received };
  }
  startTrust(obs.version, obs.cipherSuite);
  const trust = (await trustPass) ?? null;
  const { buildProbeBody } = await report!;
  const built = await buildProbeBody(obs, {
    target,
    hostname: sni ?? o.host,
    trust,
    now: o.now,
  });
  const { target: tg, ...rest } = built;
  const body = st ? { target: tg, starttls: starttlsReport(st, o.transcript), ...rest } : built;
  return { body, observation: obs, received };
}

function starttlsReport(st: StarttlsResult, transcript?: boolean): ProbeBody["starttls"] {
  return {
    protocol: st.protocol,
    banner: st.banner,
    capabilities: st.capabilities,
    ...(transcript ? { transcript: st.transcript } : {}),
  };
}

/**
 * A plain-text answer (or silence) on a port where TLS was expected: when it
 * looks like a STARTTLS protocol, say which option to add.
 */
function withStarttlsHint(
  err: TlsprobeError,
  o: { port: number },
  received: Uint8Array[],
): TlsprobeError {
  if (err.code !== "NOT_TLS" && err.code !== "TIMEOUT" && err.code !== "CONNECTION_CLOSED") {
    return err;
  }
  const first = received[0] ?? new Uint8Array(0);
  const known = (Object.values(STARTTLS_PORTS) as number[]).includes(o.port) || o.port === 587;
  const guess = guessStarttls(first, o.port);
  if (!guess || (err.code !== "NOT_TLS" && !known)) return err;
  return new TlsprobeError(
    err.code,
    `${err.message}; this looks like ${guess}: add --starttls ${guess}`,
    { ...err.detail, starttlsHint: guess },
  );
}

/**
 * Fetches a server's certificate chain with the inspection client (any TLS
 * version, no trust decision): for `cert HOST:PORT` and policy checks.
 *
 * @param o host, port, SNI (undefined: the host unless it is an IP; null: none) and deadline
 * @returns the chain as sent (DER, leaf first), the version and the address connected to
 * @throws TlsprobeError with the handshake's stable code
 * @example
 * ```ts ignore
 * const { certificates } = await fetchCertificates({ host: "example.com", port: 443, timeoutMs: 5000 });
 * ```
 */
export async function fetchCertificates(
  o: {
    host: string;
    port: number;
    serverName?: string | null;
    timeoutMs: number;
    starttls?: StarttlsRequest;
  },
): Promise<{ certificates: Uint8Array[]; version: number; address: string }> {
  const sni = o.serverName === null
    ? undefined
    : o.serverName ?? (isIpLiteral(o.host) ? undefined : o.host);
  const { transport: t } = await openStream(o);
  try {
    const obs = await inspect(t, {
      versions: [0x0304, 0x0303, 0x0302, 0x0301],
      cipherSuites: [...DEFAULT_CIPHER_SUITES],
      groups: [...DEFAULT_GROUPS],
      signatureAlgorithms: [...DEFAULT_SIGNATURE_ALGORITHMS],
      serverName: sni,
      ticketWaitMs: 0,
    });
    return { certificates: obs.certificates, version: obs.version, address: t.remote.hostname };
  } finally {
    t.close();
  }
}
