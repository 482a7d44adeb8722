/**
 * `serve` on the lab engine (`core/net/lab_server.ts`): the same listening,
 * connection, error and JSON-line output as the runtime path, with each
 * session's version, suite and group.
 *
 * @module
 */
import { dotted, pyStrRepr } from "../../core/report/pyrepr.ts";
import {
  labNegotiatedReport,
  offerReport,
  renderClientCertificate,
  renderNegotiated,
  renderOffer,
} from "../../core/report/server_report.ts";
import type { ClientAuth } from "../../core/net/server.ts";
import { parsePem } from "../../core/x509/pem.ts";
import type { CertifiedKey } from "../../core/net/pem.ts";
import { serveLabEngine } from "../../core/net/lab_server.ts";
import type { ResolvedPolicy } from "../../core/policy/mod.ts";
import { cipherSuiteByCode } from "../../core/registry/cipher_suites.ts";
import { groupName } from "../../core/registry/groups.ts";
import { versionName } from "../../core/registry/versions.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { err, out, styles } from "../output.ts";
import { stopSignals } from "../stop_signals.ts";
import { describeLabSession, type EngineFlags, labEngineConfig, serveLog } from "./serve_engine.ts";

/** The `serve` flags the lab-engine path reads. */
export interface LabEngineServeFlags extends EngineFlags {
  host: string;
  port: number;
  echo?: boolean;
  greeting?: string;
  once?: boolean;
  exitWithStdin?: boolean;
  timeout: number;
  json?: boolean;
  verbose?: boolean;
  report?: boolean;
  maxConnections?: number;
}

/**
 * Serves with the lab engine until stopped.
 *
 * @param flags the parsed flags
 * @param certified the certificate and key
 * @param policy the policy, if any
 * @param reasons why the lab engine serves (printed as a note)
 * @param clientAuth client certificates to ask for (`--client-ca`, `--verify-client`, the policy)
 * @returns the exit status
 */
export async function runLabEngine(
  flags: LabEngineServeFlags,
  certified: CertifiedKey,
  policy: ResolvedPolicy | undefined,
  reasons: string[],
  clientAuth?: ClientAuth,
): Promise<number> {
  const { config, notes } = await labEngineConfig(flags, policy);
  if (clientAuth) {
    config.clientAuth = {
      roots: clientAuth.caCerts.flatMap((pem) => parsePem(pem)),
      required: clientAuth.mode === "require",
    };
  }
  const s = styles();
  const { who, line, connection, sent, received } = serveLog(flags);
  if (!flags.json) {
    err(`note: the lab engine serves (${reasons.join(", ")}); not constant-time: a test server`);
    for (const n of notes) err(`note: ${n}`);
  }
  const stopper = stopSignals({ stdinEof: flags.exitWithStdin });
  // Clients whose offer the report printed (a failure is reported under it).
  const offered = new Set<number>();
  try {
    const result = await serveLabEngine({
      host: flags.host,
      port: flags.port,
      certified: [certified],
      config,
      mode: flags.echo
        ? { kind: "echo" }
        : { kind: "greeting", text: flags.greeting ?? "Simple is better than complex." },
      timeoutMs: flags.timeout,
      signal: stopper.signal,
      once: flags.once,
      maxConnections: flags.maxConnections,
    }, {
      listening: ({ host, port }) =>
        flags.json
          ? line("listening", {
            host,
            port,
            engine: "lab",
            chainLength: certified.chainLength,
            alpn: config.alpn ?? [],
            versions: config.versions.map(versionName),
            suites: config.suites.map((c) => cipherSuiteByCode(c)?.iana ?? c),
            groups: config.groups.map(groupName),
            serverPreference: config.serverPreference,
            clientCertificate: clientAuth ? clientAuth.mode : "none",
            ...(config.dh ? { dhBits: config.dh.p.toString(2).length } : {}),
            notes,
          })
          : out(`Listening at interface ${pyStrRepr(host)} and port ${port}`),
      connection,
      // The offer as soon as it is read, so a handshake that then fails is reported with it.
      hello: (c, hello) => {
        if (!flags.report) return;
        offered.add(c.id);
        if (flags.json) line("hello", { client: c.id, offer: offerReport(hello) });
        else for (const l of renderOffer(offerReport(hello))) out(l);
      },
      handshake: (c, info) => {
        if (flags.json) {
          const suite = cipherSuiteByCode(info.suite);
          line("handshake", {
            client: c.id,
            engine: "lab",
            version: versionName(info.version),
            cipher: { code: info.suite, iana: suite?.iana, openssl: suite?.openssl },
            group: info.group !== undefined ? groupName(info.group) : null,
            ...(info.dhBits ? { dhBits: info.dhBits } : {}),
            alpn: info.alpn ?? null,
            helloRetry: !!info.helloRetry,
            serverName: info.serverName ?? null,
            resumed: !!info.resumed,
            ...(info.resumedBy ? { resumedBy: info.resumedBy } : {}),
            ...(info.ticketIssued ? { ticketIssued: true } : {}),
            clientCertificateRequested: !!info.clientCertificateRequested,
            clientCertificate: info.clientCertificate ?? null,
          });
          if (flags.report) {
            line("negotiated", { client: c.id, negotiated: labNegotiatedReport(info) });
          }
          return;
        }
        if (flags.verbose || flags.report) {
          out(`  ${who(c)}: TLS handshake done: ${describeLabSession(info)}`);
        }
        if (flags.report) {
          // The runtime path's per-connection report: the offer (above), what was chosen, the
          // client's certificate.
          for (const l of renderNegotiated(labNegotiatedReport(info))) out(l);
          out(dotted("ALPN protocol negotiated", info.alpn ?? "none"));
          out(
            dotted(
              "Session",
              info.resumed ? `resumed${info.resumedBy ? ` (${info.resumedBy})` : ""}` : "new",
              ...(info.ticketIssued ? ["(RFC 5077 ticket issued)"] : []),
            ),
          );
        }
        if (flags.report || flags.verbose || clientAuth) {
          for (
            const l of renderClientCertificate({
              requested: !!info.clientCertificateRequested,
              certificate: info.clientCertificate ?? null,
            })
          ) out(l);
        }
      },
      sent,
      received,
      clientError: (c, e) => {
        if (flags.json) {
          line("clientError", { client: c.id, error: e.toJSON() });
          return;
        }
        const alert = e.detail.sentAlert ? ` (sent ${e.detail.sentAlert})` : "";
        err(`  ${who(c)}: ${s.red(e.code)}: ${e.message}${alert}`);
        // Under the offer printed for this client: why its handshake failed.
        if (offered.has(c.id)) out(dotted("Handshake failed", `${e.code}${alert}:`, e.message));
      },
      closed: (c, st) => {
        offered.delete(c.id);
        if (flags.json) line("closed", { client: c.id, ...st, ms: Math.round(st.ms) });
        else if (flags.verbose) out(`  ${who(c)}: closed after ${Math.round(st.ms)} ms`);
      },
    });
    if (flags.json) line("stopped", { served: result.served, failed: result.failed });
    const signalled = stopper.exitCode();
    if (signalled !== undefined) return signalled;
    return flags.once && result.lastError ? EXIT_CODES[result.lastError.code] : 0;
  } finally {
    stopper.dispose();
  }
}
