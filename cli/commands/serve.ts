/**
 * `tlsprobe serve`: the book's `safe_tls.py -s` and Twisted's echo server.
 * Listens with TLS, greets or echoes each client, logs every client's fate.
 *
 * @module
 */
import { type CommandSpec, option, UsageError } from "../args.ts";
import { pyStrRepr } from "../../core/report/pyrepr.ts";
import { loadCertifiedKey } from "../../core/net/pem.ts";
import {
  type ClientAuth,
  type EngineSession,
  type EngineVersion,
  type ServeEvents,
  serveTls,
} from "../../core/net/server.ts";
import { loadCaFile } from "../../core/net/pem.ts";
import { TlsprobeError } from "../../core/errors.ts";
import {
  type ClientCertificateReport,
  negotiatedReport,
  offerReport,
  renderClientCertificate,
  renderDecision,
  renderNegotiated,
  renderOffer,
  renderSessionVerdict,
} from "../../core/report/server_report.ts";
import { type ResolvedPolicy, runtimeLimits } from "../../core/policy/mod.ts";
import { loadResolvedPolicy } from "../policy_load.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { err, out, styles } from "../output.ts";
import { parseAlpn, parseListenPort, parseTimeout } from "../options.ts";
import { stopSignals } from "../stop_signals.ts";
import { runLab } from "./serve_lab.ts";
import { chooseEngine, SERVE_VERSION_CODES, serveLog, type ServeVersion } from "./serve_engine.ts";
import { runLabEngine } from "./serve_lab_engine.ts";
import {
  parseServeStarttlsProtocol,
  SERVE_STARTTLS_PROTOCOLS,
  type ServeStarttlsProtocol,
} from "../../core/starttls/serve.ts";

/** The book's greeting. */
export const DEFAULT_GREETING = "Simple is better than complex.";

interface ServeFlags {
  cert?: string;
  lab?: boolean;
  labDir?: string;
  key?: string;
  host: string;
  port: number;
  echo?: boolean;
  greeting?: string;
  alpn?: string[];
  once?: boolean;
  exitWithStdin?: boolean;
  timeout: number;
  json?: boolean;
  verbose?: boolean;
  policy?: string;
  report?: boolean;
  clientCa?: string;
  verifyClient?: "request" | "require";
  protocol?: { min: ServeVersion; max: ServeVersion };
  maxConnections?: number;
  starttls?: string;
  engine?: "auto" | "runtime" | "lab";
  ciphers?: string;
  groups?: string;
  dhparam?: string;
  serverPreference?: boolean;
}

const VERSION_SPELLINGS: Record<string, ServeVersion> = {
  "tlsv1": "TLSv1",
  "tlsv1.0": "TLSv1",
  "tls1.0": "TLSv1",
  "1.0": "TLSv1",
  "tlsv1.1": "TLSv1.1",
  "tls1.1": "TLSv1.1",
  "1.1": "TLSv1.1",
  "tlsv1.2": "TLSv1.2",
  "tls1.2": "TLSv1.2",
  "1.2": "TLSv1.2",
  "tlsv1.3": "TLSv1.3",
  "tls1.3": "TLSv1.3",
  "1.3": "TLSv1.3",
};

/**
 * Parses `-p TLSv1.2`, `-p TLSv1.3` or `-p MIN:MAX` (the versions this server
 * speaks; TLSv1 and TLSv1.1 with the lab engine).
 */
export function parseServeProtocol(value: string): { min: ServeVersion; max: ServeVersion } {
  const parts = value.split(":");
  const vs = parts.map((p) => VERSION_SPELLINGS[p.trim().toLowerCase()]);
  if (parts.length > 2 || vs.some((v) => v === undefined)) {
    throw new UsageError(
      `${
        JSON.stringify(value)
      } is not TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 or MIN:MAX of those (below TLS 1.2: the lab engine).`,
    );
  }
  const [min, max] = vs.length === 1 ? [vs[0], vs[0]] : [vs[0], vs[1]];
  if (SERVE_VERSION_CODES[min] > SERVE_VERSION_CODES[max]) {
    throw new UsageError(`${JSON.stringify(value)}: the minimum is above the maximum.`);
  }
  return { min, max };
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100_000) {
    throw new UsageError(`${JSON.stringify(value)} is not a number from 1 to 100000.`);
  }
  return n;
}

/** `tlsprobe serve`. */
export const command: CommandSpec = {
  name: "serve",
  summary: "Run a TLS server for testing clients (the book's safe_tls.py -s)",
  options: [
    option(
      "--cert <file>",
      "certificate chain in PEM, leaf first; may hold the key (required unless --lab)",
    ),
    option("--key <file>", "private key (PEM), if not in --cert"),
    option("--host <host>", "interface to listen on; '' means every interface", {
      default: "127.0.0.1",
    }),
    option("--port <port>", "TCP port; 0 picks a free one", {
      parse: parseListenPort,
      default: "1060",
    }),
    option("--echo", "echo what each client sends, until it closes"),
    option("--greeting <text>", "send TEXT to each client, then close", {
      default: DEFAULT_GREETING,
    }),
    option("--alpn <list>", "accept these ALPN protocols (comma-separated, preferred first)", {
      parse: parseAlpn,
    }),
    option("--once", "serve one client, then exit (with that client's status)"),
    option(
      "--exit-with-stdin",
      "also stop (exit 0) when standard input reaches end-of-file: a parent holding a pipe " +
        "to it ends the server by going away, even when killed",
    ),
    option(
      "--timeout <seconds>",
      "bound on each client's handshake, idle periods and each write, in seconds",
      {
        parse: parseTimeout,
        default: "10",
      },
    ),
    option(
      "-p, --protocol <range>",
      "versions to speak: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 or MIN:MAX (default " +
        "TLSv1.2:TLSv1.3; below TLS 1.2 the lab engine serves)",
      { parse: parseServeProtocol },
    ),
    option(
      "--engine <engine>",
      "which TLS serves: 'runtime' (node:tls over rustls), 'lab' (tlsprobe's own server " +
        "side: any suite, group, DH size, TLS 1.0–1.3) or 'auto': the runtime's TLS when it can " +
        "honour the settings, else the lab engine",
      { choices: ["auto", "runtime", "lab"], default: "auto" },
    ),
    option(
      "-C, --ciphers <string>",
      "TLS 1.0–1.2 suites as an OpenSSL cipher string, e.g. 'ECDH+AES128' (lab engine)",
    ),
    option(
      "--groups <list>",
      "ECDHE and TLS 1.3 groups, preferred first, e.g. x25519,P-256 (lab engine)",
    ),
    option(
      "--dhparam <file|bits>",
      "DHE parameters: a dhparam PEM file, or a size: 2048–8192 (RFC 7919), 512 or 1024 " +
        "(weak, for tests) (lab engine)",
    ),
    option(
      "--server-preference",
      "choose suites and groups by this server's order, not the client's (lab engine)",
    ),
    option("--client-ca <file>", "ask each client for a certificate signed by a CA in FILE (PEM)"),
    option(
      "--verify-client <mode>",
      "with --client-ca: 'require' refuses clients without a valid certificate (the default); " +
        "'request' accepts none but refuses a bad one",
      { choices: ["request", "require"] },
    ),
    option(
      "--max-connections <n>",
      "cap on concurrent clients; more are closed at once (default 512)",
      { parse: parseCount },
    ),
    option(
      "--policy <name|file>",
      "read each ClientHello first; refuse clients the policy refuses, with the alert a real " +
        "server sends",
    ),
    option("--report", "print what each client offered and what was negotiated (test_tls.py -s)"),
    option(
      "-t, --starttls <proto>",
      `speak a protocol in clear first, upgrade on the client's STARTTLS: ${
        SERVE_STARTTLS_PROTOCOLS.join(", ")
      }`,
      { parse: parseServeStarttlsProtocol },
    ),
    option(
      "--lab",
      "start the test lab: an HTTPS index on --port and one deliberately flawed endpoint " +
        "per port above it (expired, wrong host, TLS 1.2 only, …); no --cert needed",
    ),
    option("--lab-dir <dir>", "with --lab: write the lab CA, certificates and keys here"),
    option("--json", "print one JSON object per event (JSON lines); with --lab, the index"),
    option("-v, --verbose", "log handshakes, bytes and raw runtime errors"),
  ],
  epilog: `
Examples:
  tlsprobe serve --cert certs/localhost.pem --port 1060
  tlsprobe serve --cert certs/localhost.crt --key certs/localhost.key --host '' --echo
  tlsprobe serve --cert certs/localhost.pem --port 0 --once --alpn h2,http/1.1
  tlsprobe serve --cert certs/localhost.pem --policy book-locked-server --report
  tlsprobe serve --cert certs/localhost.pem --client-ca certs/ca.crt --report
  tlsprobe serve --cert certs/localhost.pem -p TLSv1.2
  tlsprobe serve --lab --port 8440        # index on 8440, cases on 8441, 8442, …
  tlsprobe serve --cert certs/localhost.pem -p TLSv1 -C 'AES128-SHA:@SECLEVEL=0'
  tlsprobe serve --cert certs/localhost.pem -C 'DHE-RSA-AES128-GCM-SHA256' --dhparam 1024

Each client's ClientHello is read first (so the server can say what the client
offered, and refuse what it cannot serve with the alert a real server sends),
then the bytes pass to the runtime's TLS (node:tls over rustls). That TLS keeps
to versions (-p, a policy's versions) and verifies client certificates, but
cannot be told a cipher list: when it chooses a suite outside the policy the
session is refused and the output says so. With --engine lab (and by default
when -C, --groups, --dhparam, --server-preference, -p below TLS 1.2 or a
policy's suites need it) tlsprobe's own server side serves instead, keeping
exactly to the suites, groups and versions it is given, and asks for
client certificates with --client-ca (no STARTTLS there yet).

SIGINT and SIGTERM stop the server (exit 130 and 143); with --exit-with-stdin, so
does the end of standard input (exit 0), e.g. when the parent that started it
with a pipe dies.`,
  run: (inv) => {
    const flags = inv.flags as unknown as ServeFlags;
    if (flags.lab) return runLab(flags as ServeFlags & Record<string, unknown>);
    if (flags.labDir) throw new UsageError("--lab-dir needs --lab");
    if (!flags.cert) throw new UsageError("required option '--cert <file>' not specified");
    return runServe(flags as ServeFlags & { cert: string });
  },
};

async function runServe(flags: ServeFlags & { cert: string }): Promise<number> {
  const certified = await loadCertifiedKey(flags.cert, flags.key);
  const policy: ResolvedPolicy | undefined = flags.policy
    ? await loadResolvedPolicy(flags.policy)
    : undefined;
  const { engine, reasons } = await chooseEngine(flags, policy);
  const clientAuth = await clientAuthFor(flags, policy);
  if (engine === "lab") return runLabEngine(flags, certified, policy, reasons, clientAuth);
  for (const n of policy ? runtimeLimits(policy.policy, "server") : []) err(`note: ${n}`);
  const s = styles();
  const { who, line, connection, sent, received } = serveLog(flags);
  const certReport = (info: EngineSession): ClientCertificateReport => ({
    requested: info.clientCertificateRequested,
    certificate: info.clientCertificate,
  });

  const stopper = stopSignals({ stdinEof: flags.exitWithStdin });
  const opts = {
    host: flags.host,
    port: flags.port,
    certified,
    alpn: flags.alpn ?? policy?.policy.alpn?.protocols,
    mode: flags.echo
      ? { kind: "echo" as const }
      : { kind: "greeting" as const, text: flags.greeting ?? DEFAULT_GREETING },
    once: flags.once,
    timeoutMs: flags.timeout,
    signal: stopper.signal,
    versions: flags.protocol as { min: EngineVersion; max: EngineVersion } | undefined,
    clientAuth,
    policy,
    maxConnections: flags.maxConnections,
    starttls: flags.starttls as ServeStarttlsProtocol | undefined,
  };
  const reporting = !!(flags.report || flags.policy);
  const events: ServeEvents = {
    listening: ({ host, port }) =>
      flags.json
        ? line("listening", {
          host,
          port,
          chainLength: certified.chainLength,
          alpn: opts.alpn ?? [],
          clientCertificate: clientAuth ? clientAuth.mode : "none",
        })
        : out(`Listening at interface ${pyStrRepr(host)} and port ${port}`),
    connection,
    starttls: (c, info) => {
      const dropped = info.discarded.length;
      const injected = dropped
        ? new TextDecoder("latin1").decode(info.discarded.subarray(0, 80))
        : "";
      if (flags.json) {
        line("starttls", {
          client: c.id,
          protocol: info.protocol,
          ...(flags.verbose ? { transcript: info.transcript } : {}),
          discardedBytes: dropped,
          ...(dropped ? { discarded: injected } : {}),
        });
        return;
      }
      if (flags.verbose) {
        for (const e of info.transcript) {
          out(`  ${who(c)} ${e.from}: ${e.text}`);
        }
      }
      out(`  ${who(c)}: STARTTLS (${info.protocol}) accepted; TLS from here on`);
      if (dropped) {
        err(
          `  ${
            who(c)
          }: discarded ${dropped} bytes sent in clear after STARTTLS (command injection, CVE-2011-0411): ${
            JSON.stringify(injected)
          }`,
        );
      }
    },
    handshake: (c, info) => {
      if (flags.json) {
        line("handshake", {
          client: c.id,
          alpn: info.alpn,
          version: info.version,
          cipher: info.cipher,
          clientCertificateRequested: info.clientCertificateRequested,
          clientCertificate: info.clientCertificate,
        });
        return;
      }
      if (flags.verbose) {
        out(
          `  ${who(c)}: TLS handshake done: ${info.version} ${info.cipher.name}, ALPN ${
            info.alpn ?? "none"
          }`,
        );
      }
      if (flags.report || flags.verbose || clientAuth) {
        for (const l of renderClientCertificate(certReport(info))) out(l);
      }
    },
    sent,
    received,
    clientError: (c, e) =>
      flags.json ? line("clientError", { client: c.id, error: e.toJSON() }) : err(
        `  ${who(c)}: ${s.red(e.code)}: ${e.message}${
          flags.verbose && e.detail.raw ? ` (${e.detail.raw})` : ""
        }`,
      ),
    closed: (c, st) =>
      flags.json
        ? line("closed", { client: c.id, ...st, ms: Math.round(st.ms) })
        : flags.verbose && out(`  ${who(c)}: closed after ${Math.round(st.ms)} ms`),
    acceptError: (e, retryMs) =>
      flags.json ? line("acceptError", { error: e.toJSON(), retryMs }) : err(
        `  ${s.red(e.code)}: ${e.message}`,
      ),
    hello: (c, { hello, decision }) => {
      if (!reporting) return;
      if (flags.json) {
        line("hello", {
          client: c.id,
          offer: offerReport(hello),
          ...(decision
            ? {
              policy: policy!.policy.name,
              decision: decision.action,
              alert: decision.alert ?? null,
              findings: decision.findings,
            }
            : {}),
        });
        return;
      }
      if (flags.report) { for (const l of renderOffer(offerReport(hello))) out(l); }
      if (decision) { for (const l of renderDecision(policy!.policy.name, decision)) out(l); }
    },
    negotiated: (c, { flight, evaluation }) => {
      if (!reporting) return;
      if (flags.json) {
        line("negotiated", {
          client: c.id,
          negotiated: negotiatedReport(flight),
          ...(evaluation ? { evaluation } : {}),
        });
        return;
      }
      if (flags.report) { for (const l of renderNegotiated(negotiatedReport(flight))) out(l); }
      if (evaluation) { for (const l of renderSessionVerdict(evaluation)) out(l); }
    },
    refused: (c, info) =>
      flags.json ? line("refused", { client: c.id, ...info }) : out(
        `Refused client ${who(c)} with a ${info.alert} alert (${
          info.by === "server"
            ? "this server cannot serve its offer"
            : info.stage === "client_hello"
            ? "its offer cannot meet the policy"
            : "the TLS engine chose outside the policy"
        })`,
      ),
  };
  try {
    const result = await serveTls(opts, events);
    if (flags.json) line("stopped", { served: result.served, failed: result.failed });
    const signalled = stopper.exitCode();
    if (signalled !== undefined) return signalled;
    return flags.once && result.lastError ? EXIT_CODES[result.lastError.code] : 0;
  } finally {
    stopper.dispose();
  }
}

/** Client authentication from `--client-ca`/`--verify-client`, or the policy's rule. */
async function clientAuthFor(
  flags: ServeFlags,
  policy: ResolvedPolicy | undefined,
): Promise<(ClientAuth & { caFile: string }) | undefined> {
  const rule = policy?.policy.clientCertificate;
  const caFile = flags.clientCa ??
    (rule && rule !== "none" ? policy?.policy.verification?.caFile : undefined);
  if (!caFile) {
    if (flags.verifyClient) {
      throw new TlsprobeError("USAGE", "--verify-client needs --client-ca FILE");
    }
    if (rule === "required" || rule === "optional") {
      throw new TlsprobeError(
        "USAGE",
        `Policy ${
          policy!.policy.name
        } wants client certificates (${rule}): pass --client-ca FILE with the CA that signs them`,
      );
    }
    return undefined;
  }
  const mode = flags.verifyClient ??
    (rule === "optional" ? "request" : "require");
  if (rule === "required" && mode === "request") {
    throw new TlsprobeError(
      "USAGE",
      `Policy ${
        policy!.policy.name
      } requires client certificates: --verify-client request would not enforce it`,
    );
  }
  return { caCerts: await loadCaFile(caFile), mode, caFile };
}
