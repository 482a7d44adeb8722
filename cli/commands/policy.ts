/**
 * `tlsprobe policy list | show NAME | check HOST[:PORT] --policy NAME|FILE`:
 * the book's `create_default_context()` versus its locked context, Mozilla's
 * profiles and your own, shown and checked.
 *
 * @module
 */
import { type CommandSpec, type Invocation, option } from "../args.ts";
import { formatAddress, parseTarget } from "../../core/address.ts";
import { envelope } from "../../core/report/envelope.ts";
import { dotted } from "../../core/report/pyrepr.ts";
import { renderEvaluation, renderPolicy, resolvedJson } from "../../core/report/policy_text.ts";
import { BUILTIN_POLICIES, defaultPolicyEnv, resolvePolicy } from "../../core/policy/mod.ts";
import { checkServerPolicy } from "../../core/net/policy_check.ts";
import { loadCaFile } from "../../core/net/pem.ts";
import { loadPolicy } from "../policy_load.ts";
import { out, printJson, styles } from "../output.ts";
import { parsePort, parseServerName, parseTimeout } from "../options.ts";
import { EXIT_CHECK_FAILED } from "../exit_codes.ts";

const list: CommandSpec = {
  name: "list",
  jsonName: "policy",
  summary: "List the built-in policies",
  options: [option("--json", "print one JSON object")],
  run: ({ flags }) => {
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
  },
};

const show: CommandSpec = {
  name: "show",
  jsonName: "policy",
  summary: "Show a policy, with its cipher string expanded (OpenSSL 3.0)",
  args: [{ name: "policy", help: "a built-in name or a JSON policy file" }],
  options: [option("--json", "print one JSON object")],
  run: async ({ args, flags }) => {
    const p = await loadPolicy(args[0] as string);
    const rp = resolvePolicy(p, defaultPolicyEnv());
    if (flags.json) {
      printJson(envelope("policy", { policy: p, resolved: resolvedJson(rp) }));
      return;
    }
    for (const line of renderPolicy(rp)) out(line);
  },
};

interface CheckFlags {
  policy: string;
  cafile?: string;
  servername?: string;
  timeout: number;
  enumerate: boolean;
  json?: boolean;
  verbose?: boolean;
}

const check: CommandSpec = {
  name: "check",
  jsonName: "policy",
  summary:
    "Check a server against a policy: exit 0 when it complies, 1 when it does not (a CI gate)",
  args: [
    { name: "host[:port]", help: "the server (port 443 by default)" },
    { name: "port", help: "the port, when not given with the host", optional: true },
  ],
  options: [
    option("--policy <name|file>", "a built-in policy name or a JSON policy file", {
      required: true,
    }),
    option("-a, --cafile <file>", "trust this CA file (client policies check trust)"),
    option("--servername <name>", "SNI and the name to check (default: the host)", {
      parse: parseServerName,
    }),
    option("--no-enumerate", "only the baseline probe: do not test what the policy forbids"),
    option("--timeout <seconds>", "bound on each probe, in seconds", {
      parse: parseTimeout,
      default: "10",
    }),
    option("--json", "print one JSON object"),
    option("-v, --verbose", "list every probe made"),
  ],
  epilog: `
A client policy is checked with one probe offering what it allows (and trust, with -a).
A server policy is also checked with probes offering only what it forbids: a server
that accepts an older version, another suite or another group fails.

Examples:
  tlsprobe policy check example.com --policy mozilla-intermediate
  tlsprobe policy check localhost:4433 --policy ./my-policy.json --json`,
  run: (inv) => runCheck(inv),
};

/** `tlsprobe policy`. */
export const command: CommandSpec = {
  name: "policy",
  summary: "List, show and check context policies (Python's defaults, Mozilla's profiles)",
  subcommands: [list, show, check],
};

async function runCheck(inv: Invocation): Promise<number> {
  const flags = inv.flags as unknown as CheckFlags;
  const port = inv.args[1] as string | undefined;
  if (port !== undefined) parsePort(port);
  const t = parseTarget(inv.args[0] as string, port);
  const rp = resolvePolicy(await loadPolicy(flags.policy), defaultPolicyEnv());
  if (flags.cafile) await loadCaFile(flags.cafile); // a broken CA file is found before any probe
  const result = await checkServerPolicy({
    ...t,
    serverName: flags.servername,
    caFile: flags.cafile,
    timeoutMs: flags.timeout,
    enumerate: flags.enumerate ? undefined : false,
    now: new Date(),
  }, rp);
  const ev = result.evaluation;
  if (flags.json) {
    printJson(envelope("policy", {
      target: { host: t.host, port: t.port },
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
    out(dotted("Target", formatAddress(t.host, t.port)));
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
    for (const line of renderEvaluation(ev, styles())) out(line);
  }
  return ev.verdict === "fail" ? EXIT_CHECK_FAILED : 0;
}
