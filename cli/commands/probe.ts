/**
 * `tlsprobe probe HOST[:PORT]`: the book's `test_tls.py` client. Observes the
 * handshake with the inspection client (any server, TLS 1.0–1.3), checks
 * trust through the runtime (rustls), prints the dotted report or JSON.
 *
 * @module
 */
import type { Command } from "commander";
import { baselineOffer } from "../../core/policy/check.ts";
import { evaluatePolicy, policyFactsFromProbe } from "../../core/policy/mod.ts";
import { loadResolvedPolicy } from "../policy_load.ts";
import { INSPECTION_ENGINE } from "../../core/net/policy_check.ts";
import { renderEvaluation } from "./policy.ts";
import { TlsprobeError } from "../../core/errors.ts";
import { envelope } from "../../core/report/envelope.ts";
import { probe } from "../../core/net/probe.ts";
import { parseCipherList, parseGroupList, parseProtocols } from "../../core/handshake/offer.ts";
import { renderProbeText } from "../../core/report/probe_text.ts";
import { EXIT_CHECK_FAILED, EXIT_CODES } from "../exit_codes.ts";
import { out, printError, printJson } from "../output.ts";
import { parseList, parsePort, parseTimeout } from "../options.ts";

interface ProbeFlags {
  cafile?: string;
  cert?: string;
  key?: string;
  ciphers?: string;
  protocol?: string;
  groups?: string;
  alpn?: string[];
  servername?: string;
  sni: boolean;
  timeout: number;
  verbose?: boolean;
  json?: boolean;
  policy?: string;
}

/**
 * Splits `HOST[:PORT]` (IPv6 in brackets), with an optional separate port.
 *
 * @param target the first argument
 * @param port the optional second argument
 * @returns host and port
 */
export function parseTarget(target: string, port?: string): { host: string; port: number } {
  let host = target;
  let p: string | undefined = port;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(target);
  if (v6) {
    host = v6[1];
    p ??= v6[2];
  } else if ((target.match(/:/g) ?? []).length === 1) {
    const i = target.lastIndexOf(":");
    host = target.slice(0, i);
    p ??= target.slice(i + 1);
  }
  if (!host) throw new TlsprobeError("USAGE", `No host in ${JSON.stringify(target)}`);
  const n = p === undefined ? 443 : Number(p);
  if (p !== undefined && (!/^\d+$/.test(p) || n > 65535 || n === 0)) {
    throw new TlsprobeError("USAGE", `Port ${JSON.stringify(p)} is not a number from 1 to 65535`);
  }
  return { host, port: n };
}

/** Adds `probe` to the program. */
export function register(program: Command): void {
  program
    .command("probe")
    .description(
      "Handshake with a TLS server and report what was negotiated (the book's test_tls.py)",
    )
    .argument("<host[:port]>", "server to probe (port 443 by default)")
    .argument("[port]", "TCP port, as test_tls.py takes it", (v: string) => String(parsePort(v)))
    .option("-a, --cafile <file>", "trust only the CA certificates in FILE (PEM)")
    .option("-c, --cert <file>", "client certificate for the verified connection (PEM)")
    .option("--key <file>", "the client certificate's private key, if not in --cert")
    .option(
      "-C, --ciphers <list>",
      "offer only these suites (OpenSSL or IANA names, colon-separated)",
    )
    .option(
      "-p, --protocol <version>",
      "offer SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, or a MIN:MAX range",
      "TLSv1:TLSv1.3",
    )
    .option("--groups <list>", "offer these groups, key share for the first (e.g. P-256:x25519)")
    .option("--alpn <list>", "offer these ALPN protocols (comma-separated)", parseList)
    .option("--servername <name>", "send NAME as SNI and match the certificate against it")
    .option("--no-sni", "send no server_name extension")
    .option("--timeout <seconds>", "bound on connect and on each read", parseTimeout, 10_000)
    .option(
      "--policy <name|file>",
      "offer only what the policy allows (-p, -C, --groups narrow it) and check the result",
    )
    .option("-v, --verbose", "print the certificate chain decoded")
    .option("--json", "print one JSON object instead of text")
    .addHelpText(
      "after",
      `
The handshake is observed by tlsprobe's own inspection client, so TLS 1.0/1.1
and legacy suites are seen too (marked insecure); trust is decided by rustls
through a second, verified connection, which such servers cannot have.

Examples:
  tlsprobe probe -a certs/ca.crt localhost:1060
  tlsprobe probe -p TLSv1.2 -C ECDHE-RSA-AES128-GCM-SHA256 example.com
  tlsprobe probe --groups X25519MLKEM768 --json example.com
  tlsprobe probe --policy python-default-client -a certs/ca.crt localhost:1060`,
    )
    .action(
      async (target: string, port: string | undefined, flags: ProbeFlags, cmd: Command) => {
        await runProbe(target, port, flags, cmd.getOptionValueSource("protocol") === "cli");
      },
    );
}

async function runProbe(
  target: string,
  port: string | undefined,
  flags: ProbeFlags,
  protocolGiven = false,
): Promise<void> {
  let body: object = {};
  try {
    const t = parseTarget(target, port);
    const rp = flags.policy ? await loadResolvedPolicy(flags.policy) : undefined;
    const offer = rp ? baselineOffer(rp, INSPECTION_ENGINE) : undefined;
    const versions = offer && !protocolGiven
      ? offer.versions
      : parseProtocols(flags.protocol ?? "TLSv1:TLSv1.3");
    const cipherSuites = flags.ciphers ? parseCipherList(flags.ciphers) : offer?.cipherSuites;
    const groups = flags.groups ? parseGroupList(flags.groups) : offer?.groups;
    const r = await probe({
      ...t,
      serverName: flags.sni === false ? null : flags.servername,
      caFile: flags.cafile ?? rp?.policy.verification?.caFile,
      certFile: flags.cert,
      keyFile: flags.key,
      versions,
      cipherSuites,
      groups,
      alpn: flags.alpn ?? rp?.policy.alpn?.protocols,
      timeoutMs: flags.timeout,
      now: new Date(),
    });
    body = r.body;
    // With a policy, a refused handshake is a verdict (the server turns away
    // what the policy allows), not only an error.
    const evaluation = rp
      ? evaluatePolicy(
        rp,
        policyFactsFromProbe(r),
      )
      : undefined;
    if (evaluation) {
      body = { ...r.body, policy: evaluation };
      if (evaluation.verdict === "fail") Deno.exitCode = EXIT_CHECK_FAILED;
    }
    if (r.error) {
      if (evaluation && !flags.json) { for (const line of renderEvaluation(evaluation)) out(line); }
      throw r.error;
    }
    if (flags.json) printJson(envelope("probe", body));
    else {
      out("");
      for (const line of renderProbeText(r.body, { verbose: flags.verbose })) out(line);
      if (evaluation) { for (const line of renderEvaluation(evaluation)) out(line); }
      out("");
    }
    const trust = r.body.trust;
    if (
      trust?.verified === false || r.body.identity?.matched === false ||
      evaluation?.verdict === "fail"
    ) {
      Deno.exitCode = EXIT_CHECK_FAILED;
    }
  } catch (e) {
    const error = e instanceof TlsprobeError ? e : new TlsprobeError(
      "INTERNAL",
      `Internal error: ${e instanceof Error ? e.message : String(e)} (please report this)`,
      { raw: e instanceof Error ? e.stack : String(e) },
    );
    printError(error, { json: !!flags.json, verbose: !!flags.verbose, command: "probe", body });
    Deno.exitCode = EXIT_CODES[error.code];
  }
}
