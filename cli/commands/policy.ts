/**
 * `tlsprobe policy list | show NAME | check HOST[:PORT] --policy NAME|FILE`:
 * the book's `create_default_context()` versus its locked context, Mozilla's
 * profiles and your own, shown and checked.
 *
 * @module
 */
import type { Command } from "commander";
import { envelope } from "../../core/report/envelope.ts";
import { dotted } from "../../core/report/pyrepr.ts";
import {
  allowedVersions,
  BUILTIN_POLICIES,
  defaultPolicyEnv,
  type Evaluation,
  type Policy,
  type ResolvedPolicy,
  resolvePolicy,
  type SuiteRef,
} from "../../core/policy/mod.ts";
import { checkServerPolicy } from "../../core/net/policy_check.ts";
import { TlsprobeError } from "../../core/errors.ts";
import { loadPolicy } from "../policy_load.ts";
import { out, printError, printJson, styles } from "../output.ts";
import { parseTimeout, STARTTLS_HELP, starttlsRequest } from "../options.ts";
import { STARTTLS_PORTS } from "../../core/starttls/mod.ts";
import { parseTarget } from "./probe.ts";
import { EXIT_CHECK_FAILED, EXIT_CODES } from "../exit_codes.ts";

/** Adds `policy` to the program. */
export function register(program: Command): void {
  const policy = program
    .command("policy")
    .description("List, show and check context policies (Python's defaults, Mozilla's profiles)");

  policy
    .command("list")
    .description("List the built-in policies")
    .option("--json", "print one JSON object")
    .action((flags: { json?: boolean }) => {
      if (flags.json) {
        printJson(envelope("policy", {
          policies: BUILTIN_POLICIES.map((p) => ({
            name: p.name,
            role: p.role,
            description: p.description,
            source: p.source,
          })),
        }));
        return;
      }
      const s = styles();
      const width = Math.max(...BUILTIN_POLICIES.map((p) => p.name.length));
      for (const p of BUILTIN_POLICIES) {
        out(`${s.bold(p.name.padEnd(width))}  ${p.role.padEnd(6)}  ${p.description ?? ""}`);
      }
    });

  policy
    .command("show")
    .description("Show a policy, with its cipher string expanded (OpenSSL 3.0)")
    .argument("<policy>", "a built-in name or a JSON policy file")
    .option("--json", "print one JSON object")
    .action(async (name: string, flags: { json?: boolean }) => {
      const p = await loadPolicy(name);
      const rp = resolvePolicy(p, defaultPolicyEnv());
      if (flags.json) {
        printJson(envelope("policy", { policy: p, resolved: resolvedJson(rp) }));
        return;
      }
      for (const line of renderPolicy(rp)) out(line);
    });

  policy
    .command("check")
    .description(
      "Check a server against a policy: exit 0 when it complies, 1 when it does not (a CI gate)",
    )
    .argument("<host[:port]>", "the server (port 443 by default)")
    .argument("[port]", "the port, when not given with the host")
    .requiredOption("--policy <name|file>", "a built-in policy name or a JSON policy file")
    .option("-a, --cafile <file>", "trust this CA file (client policies check trust)")
    .option("--servername <name>", "SNI and the name to check (default: the host)")
    .option("--no-enumerate", "only the baseline probe: do not test what the policy forbids")
    .option("--timeout <seconds>", "bound on each probe", parseTimeout, 10_000)
    .option("-t, --starttls <proto>", STARTTLS_HELP)
    .option("--xmpp-host <name>", "with --starttls xmpp: the domain sent in the stream's to=")
    .option("--json", "print one JSON object")
    .option("-v, --verbose", "list every probe made")
    .addHelpText(
      "after",
      `
A client policy is checked with one probe offering what it allows (and trust, with -a).
A server policy is also checked with probes offering only what it forbids: a server
that accepts an older version, another suite or another group fails.

Examples:
  tlsprobe policy check example.com --policy mozilla-intermediate
  tlsprobe policy check localhost:4433 --policy ./my-policy.json --json`,
    )
    .action(async (target: string, port: string | undefined, flags: CheckFlags) => {
      try {
        await runCheck(target, port, flags);
      } catch (e) {
        const error = e instanceof TlsprobeError ? e : new TlsprobeError(
          "INTERNAL",
          `Internal error: ${e instanceof Error ? e.message : String(e)} (please report this)`,
          { raw: e instanceof Error ? e.stack : String(e) },
        );
        printError(error, { json: !!flags.json, verbose: !!flags.verbose, command: "policy" });
        Deno.exitCode = EXIT_CODES[error.code];
      }
    });
}

interface CheckFlags {
  policy: string;
  cafile?: string;
  servername?: string;
  timeout: number;
  enumerate: boolean;
  json?: boolean;
  verbose?: boolean;
  starttls?: string;
  xmppHost?: string;
}

async function runCheck(target: string, port: string | undefined, flags: CheckFlags) {
  const starttls = starttlsRequest(flags);
  const t = parseTarget(target, port, starttls ? STARTTLS_PORTS[starttls.protocol] : 443);
  const rp = resolvePolicy(await loadPolicy(flags.policy), defaultPolicyEnv());
  const result = await checkServerPolicy({
    ...t,
    serverName: flags.servername,
    caFile: flags.cafile,
    timeoutMs: flags.timeout,
    enumerate: flags.enumerate ? undefined : false,
    now: new Date(),
    starttls,
  }, rp);
  const ev = result.evaluation;
  if (flags.json) {
    printJson(envelope("policy", {
      target: { host: t.host, port: t.port, ...(starttls ? { starttls: starttls.protocol } : {}) },
      policy: rp.policy.name,
      verdict: ev.verdict,
      findings: ev.findings,
      probes: result.probes,
      baseline: result.baseline,
    }));
  } else {
    const hs = (result.baseline as {
      handshake?: { version?: string; cipher?: { openssl?: string; iana?: string } };
    })
      .handshake;
    out(dotted("Target", `${t.host}:${t.port}`));
    out(dotted("Policy", rp.policy.name, `(${rp.policy.role})`));
    out(dotted("Probes made", result.probes.length));
    if (flags.verbose) {
      for (const p of result.probes) {
        out(`  ${p.outcome.padEnd(7)} ${p.purpose}${p.chose ? ` -> ${p.chose}` : ""}`);
      }
    }
    if (hs?.version) out(dotted("Protocol version negotiated", hs.version));
    if (hs?.cipher) {
      out(dotted("Cipher chosen for this connection", hs.cipher.openssl ?? hs.cipher.iana));
    }
    for (const line of renderEvaluation(ev)) out(line);
  }
  if (ev.verdict === "fail") Deno.exitCode = EXIT_CHECK_FAILED;
}

const suiteLabel = (s: SuiteRef) => s.openssl ?? s.iana ?? `0x${s.code.toString(16)}`;

/** The JSON form of a resolved policy's lists. */
export function resolvedJson(rp: ResolvedPolicy) {
  const suite = (s: SuiteRef) => ({ code: s.code, iana: s.iana, openssl: s.openssl });
  return {
    versions: allowedVersions(rp),
    suites: rp.suites?.map(suite) ?? null,
    tls13Suites: rp.tls13Suites?.map(suite) ?? null,
    groups: rp.groups ? [...rp.groups] : null,
  };
}

/**
 * Renders a policy in the book's dotted layout.
 *
 * @param rp the resolved policy
 * @returns lines
 */
export function renderPolicy(rp: ResolvedPolicy): string[] {
  const p: Policy = rp.policy;
  const lines: string[] = [];
  const say = (title: string, ...words: unknown[]) => lines.push(dotted(title, ...words));
  const any = "any (not restricted)";
  say("Policy", p.name);
  say("Role", p.role);
  if (p.description) say("Description", p.description);
  if (p.source) {
    say("Modelled on", p.source.title + (p.source.version ? ` (version ${p.source.version})` : ""));
    if (p.source.url) say("Source", p.source.url);
  }
  say("Protocol versions allowed", ...(p.versions ?? [any]));
  if (p.ciphers?.string !== undefined) say("OpenSSL cipher string", p.ciphers.string);
  if (rp.suites === null) say("Cipher suites (TLS 1.0-1.2)", any);
  else {
    say("Cipher suites (TLS 1.0-1.2)", rp.suites.length === 0 ? "none" : rp.suites.length);
    for (const s of rp.suites) lines.push(`    ${suiteLabel(s)}`);
  }
  if (rp.tls13Suites === null) say("Cipher suites (TLS 1.3)", any);
  else {say(
      "Cipher suites (TLS 1.3)",
      ...(rp.tls13Suites.length ? rp.tls13Suites.map(suiteLabel) : ["none"]),
    );}
  say("Key exchange groups", ...(rp.groups ? [...rp.groups] : [any + "; OpenSSL's defaults"]));
  const k = p.minKeySizes;
  if (k) {
    say(
      "Minimum key sizes",
      [k.rsa && `RSA ${k.rsa}`, k.dh && `DH ${k.dh}`, k.ec && `EC ${k.ec}`].filter(Boolean).join(
        ", ",
      ),
    );
  }
  if (p.certificateKeyTypes) say("Certificate key types", ...p.certificateKeyTypes);
  if (p.verification) {
    say(
      "Certificate verification",
      p.verification.mode + (p.verification.trust ? `, trust ${p.verification.trust}` : "") +
        (p.verification.caFile ? ` (${p.verification.caFile})` : ""),
    );
  }
  if (p.checkHostname !== undefined) say("Hostname check", p.checkHostname ? "yes" : "no");
  if (p.clientCertificate) say("Client certificate", p.clientCertificate);
  if (p.alpn) say("ALPN", ...p.alpn.protocols, p.alpn.required ? "(required)" : "");
  if (p.compression !== undefined) say("Compression", p.compression ? "allowed" : "forbidden");
  if (p.serverCipherPreference !== undefined) {
    say("Server cipher preference", p.serverCipherPreference ? "yes" : "no");
  }
  for (const n of p.source?.notes ?? []) lines.push(`  note: ${n}`);
  return lines;
}

/**
 * Renders an evaluation: the verdict, then one line per finding.
 *
 * @param ev the evaluation
 * @returns lines
 */
export function renderEvaluation(ev: Evaluation): string[] {
  const s = styles();
  const lines = [
    dotted(
      "Policy verdict",
      ev.verdict === "pass" ? s.green("pass") : s.red("fail"),
      `(${ev.policy})`,
    ),
  ];
  for (const f of ev.findings) {
    const tag = f.severity === "error"
      ? s.red("error")
      : f.severity === "warning"
      ? s.yellow("warning")
      : s.dim("info");
    lines.push(`  ${tag} ${f.rule}: ${f.message}`);
  }
  return lines;
}
