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
  type Evaluation,
  type Policy,
  type ResolvedPolicy,
  resolvePolicy,
  type SuiteRef,
} from "../../core/policy/mod.ts";
import { cliPolicyEnv, loadPolicy } from "../policy_load.ts";
import { out, printJson, styles } from "../output.ts";

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
      const rp = resolvePolicy(p, cliPolicyEnv());
      if (flags.json) {
        printJson(envelope("policy", { policy: p, resolved: resolvedJson(rp) }));
        return;
      }
      for (const line of renderPolicy(rp)) out(line);
    });
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
