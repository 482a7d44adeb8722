/**
 * `tlsprobe serve`: the book's `safe_tls.py -s` and Twisted's echo server.
 * Listens with TLS, greets or echoes each client, logs every client's fate.
 *
 * @module
 */
import { type CommandSpec, option } from "../args.ts";
import { SCHEMA_VERSION } from "../../core/report/envelope.ts";
import { pyStrRepr } from "../../core/report/pyrepr.ts";
import { loadCertifiedKey } from "../../core/net/pem.ts";
import { type ClientInfo, type ServeEvents, serveTls } from "../../core/net/server.ts";
import { serveWithFront } from "../../core/net/policy_front.ts";
import {
  negotiatedReport,
  offerReport,
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

/** The book's greeting. */
export const DEFAULT_GREETING = "Simple is better than complex.";

interface ServeFlags {
  cert: string;
  key?: string;
  host: string;
  port: number;
  echo?: boolean;
  greeting?: string;
  alpn?: string[];
  once?: boolean;
  timeout: number;
  json?: boolean;
  verbose?: boolean;
  policy?: string;
  report?: boolean;
}

/** `tlsprobe serve`. */
export const command: CommandSpec = {
  name: "serve",
  summary: "Run a TLS server for testing clients (the book's safe_tls.py -s)",
  options: [
    option("--cert <file>", "certificate chain in PEM, leaf first; may hold the key", {
      required: true,
    }),
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
    option("--timeout <seconds>", "bound on each client's handshake and idle reads, in seconds", {
      parse: parseTimeout,
      default: "10",
    }),
    option(
      "--policy <name|file>",
      "read each ClientHello first; refuse clients the policy refuses, with the alert a real " +
        "server sends",
    ),
    option("--report", "print what each client offered and what was negotiated (test_tls.py -s)"),
    option("--json", "print one JSON object per event (JSON lines)"),
    option("-v, --verbose", "log handshakes, bytes and raw runtime errors"),
  ],
  epilog: `
Examples:
  tlsprobe serve --cert certs/localhost.pem --port 1060
  tlsprobe serve --cert certs/localhost.crt --key certs/localhost.key --host '' --echo
  tlsprobe serve --cert certs/localhost.pem --port 0 --once --alpn h2,http/1.1
  tlsprobe serve --cert certs/localhost.pem --policy book-locked-server --report

With --policy or --report a TCP front reads each ClientHello and passes the bytes
to the TLS listener (Deno.listenTls); that listener cannot be told a policy's
versions or suites, so when it chooses outside the policy the session is refused
and the output says so.`,
  run: (inv) => runServe(inv.flags as unknown as ServeFlags),
};

async function runServe(flags: ServeFlags): Promise<number> {
  const certified = await loadCertifiedKey(flags.cert, flags.key);
  const policy: ResolvedPolicy | undefined = flags.policy
    ? await loadResolvedPolicy(flags.policy)
    : undefined;
  for (const n of policy ? runtimeLimits(policy.policy, "server") : []) err(`note: ${n}`);
  const s = styles();
  const who = (c: ClientInfo) => `${c.host}:${c.port}`;
  const line = (event: string, fields: Record<string, unknown>) =>
    out(JSON.stringify({ schemaVersion: SCHEMA_VERSION, event, ...fields }));

  const ac = new AbortController();
  const onSignal = () => ac.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
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
    signal: ac.signal,
  };
  const events: ServeEvents = {
    listening: ({ host, port }) =>
      flags.json
        ? line("listening", {
          host,
          port,
          chainLength: certified.chainLength,
          alpn: flags.alpn ?? [],
        })
        : out(`Listening at interface ${pyStrRepr(host)} and port ${port}`),
    connection: (c) =>
      flags.json
        ? line("connection", { client: c.id, host: c.host, port: c.port })
        : out(`Connection from host ${pyStrRepr(c.host)} and port ${c.port}`),
    handshake: (c, info) =>
      flags.json
        ? line("handshake", { client: c.id, alpn: info.alpn })
        : flags.verbose && out(`  ${who(c)}: TLS handshake done, ALPN ${info.alpn ?? "none"}`),
    sent: (c, n) =>
      flags.json
        ? line("sent", { client: c.id, bytes: n })
        : flags.verbose && out(`  ${who(c)}: sent ${n} bytes`),
    received: (c, n) =>
      flags.json
        ? line("received", { client: c.id, bytes: n })
        : flags.verbose && out(`  ${who(c)}: received ${n} bytes`),
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
  };
  try {
    const result = flags.policy || flags.report
      ? await serveWithFront({ ...opts, policy }, {
        ...events,
        hello: (c, { hello, decision }) => {
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
              info.stage === "client_hello"
                ? "its offer cannot meet the policy"
                : "the TLS listener chose outside the policy"
            })`,
          ),
      })
      : await serveTls(opts, events);
    if (flags.json) line("stopped", { served: result.served, failed: result.failed });
    return flags.once && result.lastError ? EXIT_CODES[result.lastError.code] : 0;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}
