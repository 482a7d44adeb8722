/**
 * One finding type for every part of tlsprobe that judges what it saw: the
 * probe report's own notes, a policy's verdict, the scanner. One severity
 * scale, the one editors use for diagnostics.
 *
 * @module
 */

/**
 * How much a finding matters. `error`: something is wrong (insecure, or it
 * breaks the policy; a policy fails on any error); `warning`: weak or worth
 * changing; `info`: a note, including what could not be observed.
 */
export type Severity = "error" | "warning" | "info";

/** Every severity, most serious first. */
export const SEVERITIES: readonly Severity[] = ["error", "warning", "info"];

/** A JSON value a finding may carry as what was expected or observed. */
export type FindingValue = string | number | boolean | null | string[];

/**
 * One finding: a stable rule name, a severity and a sentence saying what is
 * wrong and why it matters; a policy's findings also say what the policy
 * expected and what was observed.
 *
 * @example
 * ```ts
 * import type { Finding } from "./finding.ts";
 * const f: Finding = { rule: "compression", severity: "error", message: "TLS compression is on (CRIME)" };
 * console.assert(f.severity === "error");
 * ```
 */
export interface Finding {
  /** Stable rule name (`version`, `cipher-suite`, `accepted.version`, …). */
  rule: string;
  /** How much it matters. */
  severity: Severity;
  /** One sentence: what is wrong and why it matters. */
  message: string;
  /** What the policy asks for (policy findings). */
  expected?: FindingValue;
  /** What was seen (policy findings). */
  observed?: FindingValue;
  /** Where the problem is described: an RFC section, a CVE (scan findings). */
  reference?: string;
}
