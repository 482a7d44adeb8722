/**
 * `tlsprobe policy list | show NAME | check HOST[:PORT] --policy NAME|FILE`:
 * the book's `create_default_context()` versus its locked context, Mozilla's
 * profiles and your own, shown and checked.
 *
 * @module
 */
import { type CommandSpec, type Invocation, option, UsageError } from "../args.ts";
import { formatAddress } from "../../core/address.ts";
import { envelope } from "../../core/report/envelope.ts";
import { dotted } from "../../core/report/pyrepr.ts";
import { renderEvaluation, renderPolicy, resolvedJson } from "../../core/report/policy_text.ts";
import { BUILTIN_POLICIES, defaultPolicyEnv, resolvePolicy } from "../../core/policy/mod.ts";
import { POLICY_SCHEMA } from "../../core/policy/schema.ts";

const POLICY_SCHEMA_ID = String(POLICY_SCHEMA.$id ?? "");
import { checkServerPolicy } from "../../core/net/policy_check.ts";
import { checkPolicyAgainstLab } from "../../core/net/lab_check.ts";
import { labClientPolicy, labTableText } from "../../core/lab/policy_table.ts";
import { loadCaFile } from "../../core/net/pem.ts";
import { loadPolicy } from "../policy_load.ts";
import { out, printJson, styles } from "../output.ts";
import {
  clientTarget,
  jsonOption,
  parsePort,
  parseServerName,
  parseTimeout,
  starttlsOptions,
  timeoutOption,
} from "../options.ts";
import { EXIT_CHECK_FAILED } from "../exit_codes.ts";
import { stopSignals } from "../stop_signals.ts";

const list: CommandSpec = {
  name: "list",
  jsonName: "policy",
  summary: "List the built-in policies",
  options: [jsonOption("print one JSON object")],
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
  options: [
    jsonOption("print one JSON object (its policy field is a valid policy file)"),
    option("--format <format>", "text, or file: the policy alone, as a policy file", {
      choices: ["text", "file"],
      default: "text",
    }),
  ],
  epilog: `
Both --json and --format file give something --policy and policy show take back:

Examples:
  tlsprobe policy show mozilla-intermediate
  tlsprobe policy show mozilla-intermediate --format file > my-policy.json
  tlsprobe policy show mozilla-intermediate --json > p.json && tlsprobe policy show p.json`,
  run: async ({ args, flags }) => {
    const p = await loadPolicy(args[0] as string);
    const rp = resolvePolicy(p, defaultPolicyEnv());
    if (flags.format === "file") {
      printJson(policyFile(p));
      return;
    }
    if (flags.json) {
      printJson(envelope("policy", { policy: p, resolved: resolvedJson(rp) }));
      return;
    }
    for (const line of renderPolicy(rp)) out(line);
  },
};

/** A policy as a file: the schema reference first, then its fields. */
function policyFile(p: object): object {
  return { $schema: POLICY_SCHEMA_ID, ...p };
}

interface CheckFlags {
  policy: string;
  cafile?: string;
  servername?: string;
  timeout: number;
  deadline?: number;
  enumerate: boolean;
  json?: boolean;
  verbose?: boolean;
  starttls?: string;
  xmppHost?: string;
  lab?: boolean;
}

/** `--deadline`'s default: the whole check, however many probes it makes. */
const DEFAULT_DEADLINE_MS = 60_000;

const check: CommandSpec = {
  name: "check",
  jsonName: "policy",
  summary:
    "Check a server against a policy: exit 0 when it complies, 1 when it does not (a CI gate)",
  args: [
    {
      name: "host[:port]",
      help: "the server (port 443 by default); none with --lab",
      optional: true,
    },
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
    option(
      "--lab",
      "start the test lab on free loopback ports and run a client policy against every " +
        "endpoint: the expected/actual table",
    ),
    timeoutOption("bound on each probe"),
    option(
      "--deadline <seconds>",
      `bound on the whole check, every probe together, in seconds (default ${
        DEFAULT_DEADLINE_MS / 1000
      }; not with --lab)`,
      { parse: parseTimeout },
    ),
    ...starttlsOptions("each probe"),
    jsonOption("print one JSON object"),
    option("-v, --verbose", "list every probe made"),
  ],
  epilog: `
A client policy is checked with one probe offering what it allows (and trust, with -a).
A server policy is also checked with probes offering only what it forbids: a server
that accepts an older version, another suite or another group fails.
--timeout bounds each probe, --deadline the whole check: when it runs out the
check ends with TIMEOUT (exit 3), naming the checks not completed.

Examples:
  tlsprobe policy check example.com --policy mozilla-intermediate
  tlsprobe policy check localhost:4433 --policy ./my-policy.json --json
  tlsprobe policy check --lab --policy python-default-client`,
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
  if (flags.lab) return await runLabCheck(inv, flags);
  if (inv.args[0] === undefined) {
    throw new UsageError("policy check needs a host[:port] (or --lab)");
  }
  const port = inv.args[1] as string | undefined;
  if (port !== undefined) parsePort(port);
  const { starttls, ...t } = clientTarget(inv.args[0] as string, port, flags);
  const rp = resolvePolicy(await loadPolicy(flags.policy), defaultPolicyEnv());
  if (flags.cafile) await loadCaFile(flags.cafile); // a broken CA file is found before any probe
  // An error result names the policy too, so any result can be reproduced.
  const named = {
    target: { host: t.host, port: t.port, ...(starttls ? { starttls: starttls.protocol } : {}) },
    policy: rp.policy.name,
    policySource: flags.policy,
    policyDefinition: rp.policy,
  };
  inv.body = named;
  const result = await checkServerPolicy({
    ...t,
    serverName: flags.servername,
    caFile: flags.cafile,
    timeoutMs: flags.timeout,
    deadlineMs: flags.deadline ?? DEFAULT_DEADLINE_MS,
    enumerate: flags.enumerate ? undefined : false,
    now: new Date(),
    starttls,
  }, rp);
  const ev = result.evaluation;
  if (flags.json) {
    printJson(envelope("policy", {
      ...named,
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

/** Options that choose one server, and so mean nothing with `--lab`. */
const NOT_WITH_LAB: Array<[keyof CheckFlags, string]> = [
  ["cafile", "--cafile"],
  ["servername", "--servername"],
  ["starttls", "--starttls"],
  ["xmppHost", "--xmpp-host"],
  ["deadline", "--deadline"],
];

async function runLabCheck(inv: Invocation, flags: CheckFlags): Promise<number> {
  if (inv.args[0] !== undefined) {
    throw new UsageError("policy check --lab takes no host: the lab runs on loopback");
  }
  const clash = NOT_WITH_LAB.filter(([k]) => flags[k] !== undefined).map(([, n]) => n);
  if (clash.length) throw new UsageError(`${clash.join(", ")} cannot be used with --lab`);
  const { policy, derived } = labClientPolicy(await loadPolicy(flags.policy));
  const rp = resolvePolicy(policy, defaultPolicyEnv());
  // A server policy runs as a verifying client offering what it allows; the output says so.
  const named = {
    policy: rp.policy.name,
    policySource: flags.policy,
    lab: true,
    asClient: derived ? "server policy run as a verifying client" : null,
  };
  inv.body = named;
  // SIGINT/SIGTERM stop the lab cleanly (its ports closed, its temporary keys removed).
  const stopper = stopSignals();
  let rows;
  try {
    rows = await checkPolicyAgainstLab(rp, {
      host: "127.0.0.1",
      timeoutMs: flags.timeout,
      now: new Date(),
      signal: stopper.signal,
    });
  } catch (e) {
    const code = stopper.exitCode();
    if (code !== undefined) return code;
    throw e;
  } finally {
    stopper.dispose();
  }
  const verdict = rows.every((r) => r.match) ? "pass" : "fail";
  if (flags.json) printJson(envelope("policy", { ...named, verdict, rows }));
  else {
    if (derived) {
      out(
        `${rp.policy.name} is a server policy: run as a client that offers what it allows and verifies`,
      );
    }
    for (const line of labTableText(rp.policy.name, rows)) out(line);
  }
  return verdict === "fail" ? EXIT_CHECK_FAILED : 0;
}
