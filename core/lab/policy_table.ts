/**
 * `policy check --lab`: what a client policy did at each lab endpoint, set
 * against what a correct client does there (the case's `expect`). Pure: the
 * probing lives in `core/net/lab_check.ts`.
 *
 * @module
 */
import type { CheckResult } from "../policy/check.ts";
import type { Policy } from "../policy/model.ts";
import type { LabEndpoint } from "./cases.ts";

/** What the policy's client did at one endpoint. */
export interface LabActual {
  /** `connect`: a session the policy accepts; `reject`: refused or judged unacceptable; `error`: the check itself failed. */
  behaviour: "connect" | "reject" | "error";
  /** The error code (handshake refusal, trust failure) or the policy rule that refused. */
  code?: string;
  /** Why, in one line. */
  reason?: string;
}

/** One row of the table. */
export interface LabRow {
  /** The case's name. */
  name: string;
  /** Its port. */
  port: number;
  /** Which TLS served it. */
  engine: "runtime" | "lab" | null;
  /** What a correct client does (from the lab index). */
  expected: { behaviour: "connect" | "reject"; error?: string };
  /** What this policy's client did. */
  actual: LabActual;
  /** Whether the behaviour (connect or reject) is the expected one. */
  match: boolean;
}

/** Failures of the check itself, never counted as the client rejecting the endpoint. */
const OUR_FAILURES = new Set(["INTERNAL", "USAGE", "BAD_INPUT", "FILE_NOT_FOUND", "PERMISSION"]);

/** A finding's rule as a stable code, when it is an identity or trust failure. */
const RULE_CODES: Record<string, string> = { hostname: "CERT_NAME_MISMATCH" };

/**
 * What a client under the policy did, from its check against the endpoint.
 * A pass is a connection; a failed baseline handshake or an error finding
 * (untrusted chain, name mismatch, a key below the policy's minimum) is a
 * rejection, with the error code or the rule.
 *
 * @param r the check's result, or the error it threw
 * @returns the client's behaviour
 */
export function labActual(r: CheckResult | { code: string; message: string }): LabActual {
  if (!("evaluation" in r)) {
    return OUR_FAILURES.has(r.code)
      ? { behaviour: "error", code: r.code, reason: r.message }
      : { behaviour: "reject", code: r.code, reason: r.message };
  }
  if (r.evaluation.verdict === "pass") return { behaviour: "connect" };
  const f = r.evaluation.findings.find((x) => x.severity === "error")!;
  let code = RULE_CODES[f.rule] ?? f.rule;
  if (f.rule === "handshake") code = r.baseline.error?.code ?? code;
  else if (f.rule === "verification" && typeof f.observed === "string") code = f.observed;
  return { behaviour: "reject", code, reason: f.message };
}

/**
 * One row: the endpoint's expectation against the policy's behaviour.
 *
 * @param e the lab endpoint (served)
 * @param actual what the policy's client did
 * @returns the row
 */
export function labRow(e: LabEndpoint, actual: LabActual): LabRow {
  return {
    name: e.name,
    port: e.port ?? 0,
    engine: e.engine ?? null,
    expected: { behaviour: e.expect, ...(e.error ? { error: e.error } : {}) },
    actual,
    match: actual.behaviour === e.expect,
  };
}

/**
 * The table as text lines.
 *
 * @param policy the policy's name
 * @param rows every row
 * @returns the lines, ending with a count
 */
export function labTableText(policy: string, rows: LabRow[]): string[] {
  const w = Math.max(4, ...rows.map((r) => r.name.length));
  const exp = (r: LabRow) =>
    r.expected.behaviour + (r.expected.error ? ` (${r.expected.error})` : "");
  const act = (r: LabRow) => r.actual.behaviour + (r.actual.code ? ` (${r.actual.code})` : "");
  const we = Math.max(8, ...rows.map((r) => exp(r).length));
  const wa = Math.max(6, ...rows.map((r) => act(r).length));
  const lines = [
    `Client policy ${policy} against the lab (${rows.length} served endpoints)`,
    "",
    `${"case".padEnd(w)}  ${"port".padEnd(5)}  ${"expected".padEnd(we)}  ${
      "actual".padEnd(wa)
    }  match`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.name.padEnd(w)}  ${String(r.port).padEnd(5)}  ${exp(r).padEnd(we)}  ${
        act(r).padEnd(wa)
      }  ${r.match ? "yes" : "NO"}`,
    );
  }
  const bad = rows.filter((r) => !r.match).length;
  lines.push("", bad ? `${bad} of ${rows.length} rows differ` : `All ${rows.length} rows match`);
  return lines;
}

/**
 * A policy as the client the lab tests: a client policy as it is; a server
 * policy (Mozilla's profiles) as a client offering what it allows and
 * verifying chain and name, as any client under such a profile would.
 *
 * @param p the policy
 * @returns the client policy, and whether it was derived from a server policy
 */
export function labClientPolicy(p: Policy): { policy: Policy; derived: boolean } {
  if (p.role === "client") return { policy: p, derived: false };
  return {
    policy: {
      ...p,
      role: "client",
      verification: { mode: "required", trust: "platform" },
      checkHostname: true,
      clientCertificate: "none",
      serverCipherPreference: undefined,
    },
    derived: true,
  };
}
