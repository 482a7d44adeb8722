/**
 * `policy check`: a policy checked against a live server with the probe
 * engine. A baseline probe offers what the policy allows (what a client under
 * the policy would offer); for a server policy, further probes offer only
 * what the policy forbids — other versions, other suites, other groups — and
 * anything the server accepts is a finding. Server cipher preference is
 * measured with two probes in opposite orders when the policy asks for it.
 *
 * The probe itself is passed in ({@link ProbeFn}), so this module stays pure.
 *
 * @module
 */
import { isTlsprobeError, TlsprobeError } from "../errors.ts";
import { formatCode } from "../registry/cipher_suites.ts";
import { groupByCode, groupByName, groupName } from "../registry/groups.ts";
import type { Observation } from "../handshake/inspect.ts";
import type { ProbeBody, ProbeOutcome } from "../report/probe.ts";
import type { JsonError } from "../report/envelope.ts";
import { normalizeGroup, normalizeVersion, VERSION_CODES, type VersionName } from "./model.ts";
import {
  evaluatePolicy,
  type Evaluation,
  type PolicyFacts,
  policyFactsFromProbe,
} from "./evaluate.ts";
import { allowedVersions, isTls13Suite, type ResolvedPolicy, type SuiteRef } from "./resolve.ts";

/** What one probe offers. */
export interface ProbeOffer {
  /** Version codes, newest first. */
  versions: number[];
  /** Suite codes, in preference order. */
  cipherSuites: number[];
  /** Group codes, in preference order; undefined for the engine's default. */
  groups?: number[];
  /** Whether the probe should check trust (a verified connection). */
  trust: boolean;
  /** Why this probe is made (for `--verbose` and the JSON). */
  purpose: string;
  /**
   * The baseline: when the server cannot be reached at all, the check has no
   * verdict (the caller should throw); any other probe that fails counts as
   * the server refusing the offer.
   */
  baseline?: boolean;
}

/**
 * Runs one probe. A failed handshake comes back as the outcome's `error`
 * (the server refusing the offer); the function throws only when the check
 * cannot go on (the server cannot be reached for the baseline).
 */
export type ProbeFn = (offer: ProbeOffer) => Promise<ProbeOutcome>;

/** The baseline probe as the JSON output carries it: the report body with its outcome. */
export type BaselineReport = ProbeBody & { outcome: "ok" | "error"; error?: JsonError };

/** What the probe engine can offer (a policy's offers are cut to it). */
export interface ProbeCapabilities {
  /** Versions it speaks. */
  versions: VersionName[];
  /** Suites it can offer (TLS 1.3 and earlier), strongest first. */
  cipherSuites: readonly number[];
  /** Groups it can offer. */
  groups: readonly number[];
}

/** The result of a check. */
export interface CheckResult {
  /** The verdict and findings. */
  evaluation: Evaluation;
  /** The baseline probe's report. */
  baseline: BaselineReport;
  /** Each probe made: its purpose and the outcome. */
  probes: Array<{ purpose: string; outcome: "ok" | "refused"; chose?: string }>;
}

/** Options of {@link checkServer}. */
export interface CheckOptions {
  /** Also probe with what the policy forbids (default: for server policies). */
  enumerate?: boolean;
  /** At most this many forbidden suites are collected per protocol family. */
  maxSuites?: number;
}

const code = (s: SuiteRef) => s.code;

/**
 * Failures on our side (a bug, a file that cannot be read): never counted as
 * the server refusing an offer.
 */
const OUR_FAILURES = new Set(["INTERNAL", "USAGE", "BAD_INPUT", "FILE_NOT_FOUND", "PERMISSION"]);

/** The named group the server chose, when a session was agreed with one. */
function groupOf(obs: Observation | undefined): string | undefined {
  const g = obs?.keyExchange.group;
  return g === undefined ? undefined : groupName(g);
}

/**
 * What a client under the policy offers, within what the engine can offer:
 * the allowed versions (newest first), the allowed suites (TLS 1.3 first, in
 * the policy's order) and the allowed groups (or the engine's default).
 *
 * @param rp the resolved policy
 * @param caps what the engine can offer
 * @returns the offer
 */
export function baselineOffer(
  rp: ResolvedPolicy,
  caps: ProbeCapabilities,
): { versions: number[]; cipherSuites: number[]; groups?: number[] } {
  const versions = allowedVersions(rp).filter((v) => caps.versions.includes(v));
  const legacy = rp.suites?.map(code) ?? caps.cipherSuites.filter((c) => !isTls13Suite(c));
  const tls13 = rp.tls13Suites?.map(code) ?? caps.cipherSuites.filter(isTls13Suite);
  const canOffer = new Set(caps.cipherSuites);
  const groups = rp.groups
    ? [...rp.groups].map((g) => groupByName(g)?.code).filter((c): c is number => c !== undefined)
    : undefined;
  return {
    versions: versions.map((v) => VERSION_CODES[v]),
    cipherSuites: [...tls13, ...legacy].filter((c) => canOffer.has(c)),
    groups,
  };
}

/**
 * Checks a policy against a server.
 *
 * @param rp the resolved policy
 * @param probe runs one probe
 * @param caps what the probe engine can offer
 * @param opts enumeration options
 * @returns the evaluation, the baseline report and the probes made
 */
export async function checkServer(
  rp: ResolvedPolicy,
  probe: ProbeFn,
  caps: ProbeCapabilities,
  opts: CheckOptions = {},
): Promise<CheckResult> {
  const probes: CheckResult["probes"] = [];
  const plan = checkPlan(rp, caps, opts);
  let phase = 0;
  try {
    return await runChecks(rp, probe, caps, opts, probes, (name) => {
      phase = Math.max(phase, plan.indexOf(name));
    });
  } catch (e) {
    // The overall deadline ran out: say which checks were completed and which were not.
    if (isTlsprobeError(e) && e.code === "TIMEOUT" && e.detail.overallDeadline === true) {
      const notCompleted = plan.slice(phase);
      throw new TlsprobeError(
        "TIMEOUT",
        `${e.message}; checks not completed: ${notCompleted.join(", ")} (${probes.length} ${
          probes.length === 1 ? "probe" : "probes"
        } made)`,
        { ...e.detail, completed: plan.slice(0, phase), notCompleted, probesMade: probes.length },
      );
    }
    throw e;
  }
}

/** The checks a policy check makes, in order: named in a deadline's error. */
export type CheckName =
  | "baseline"
  | "forbidden versions"
  | "forbidden suites"
  | "forbidden groups"
  | "server preference";

/**
 * The checks {@link checkServer} makes for a policy, in the order it makes them.
 *
 * @param rp the resolved policy
 * @param caps what the probe engine can offer
 * @param opts enumeration options
 * @returns the check names
 */
export function checkPlan(
  rp: ResolvedPolicy,
  caps: ProbeCapabilities,
  opts: CheckOptions = {},
): CheckName[] {
  const plan: CheckName[] = ["baseline"];
  if (opts.enumerate ?? rp.policy.role === "server") {
    if (rp.versions !== null && caps.versions.some((v) => !rp.versions?.has(v))) {
      plan.push("forbidden versions");
    }
    if (rp.suites || rp.tls13Suites) plan.push("forbidden suites");
    if (rp.groups) plan.push("forbidden groups");
  }
  if (rp.policy.serverCipherPreference === true) plan.push("server preference");
  return plan;
}

async function runChecks(
  rp: ResolvedPolicy,
  probe: ProbeFn,
  caps: ProbeCapabilities,
  opts: CheckOptions,
  probes: CheckResult["probes"],
  enter: (check: CheckName) => void,
): Promise<CheckResult> {
  const run = async (offer: ProbeOffer): Promise<ProbeOutcome> => {
    const r = await probe(offer);
    if (r.error && OUR_FAILURES.has(r.error.code)) throw r.error;
    if (!r.error === !r.observation) {
      throw new TlsprobeError("INTERNAL", "A probe must return an observation or an error");
    }
    const s = r.observation?.cipherSuite;
    const g = groupOf(r.observation);
    const name = s === undefined ? undefined : rp.env.findSuite(formatCode(s));
    probes.push({
      purpose: offer.purpose,
      outcome: r.observation ? "ok" : "refused",
      ...(s !== undefined
        ? { chose: (name?.openssl ?? name?.iana ?? formatCode(s)) + (g ? ` ${g}` : "") }
        : {}),
    });
    return r;
  };
  const engineVersions = caps.versions;
  const offer = baselineOffer(rp, caps);
  const versions = allowedVersions(rp).filter((v) => engineVersions.includes(v));
  const legacyAllowed = (rp.suites ?? null)?.map(code) ??
    caps.cipherSuites.filter((c) => !isTls13Suite(c));
  const tls13Allowed = (rp.tls13Suites ?? null)?.map(code) ??
    caps.cipherSuites.filter(isTls13Suite);
  const allowedOffer = offer.cipherSuites;
  const groupCodes = offer.groups;
  const vcodes = (vs: VersionName[]) => vs.map((v) => VERSION_CODES[v]);

  // 1. The baseline: what a client under this policy offers.
  const baseline = await run({
    versions: offer.versions,
    cipherSuites: allowedOffer,
    groups: groupCodes,
    trust: rp.policy.role === "client",
    purpose: "baseline: offer only what the policy allows",
    baseline: true,
  });
  const observed: PolicyFacts = policyFactsFromProbe(baseline);

  const enumerate = opts.enumerate ?? rp.policy.role === "server";
  if (enumerate) {
    const max = opts.maxSuites ?? 6;
    const accepted: NonNullable<PolicyFacts["accepted"]> = { versions: [], suites: [], groups: [] };

    // 2. Versions the policy forbids, one at a time.
    enter("forbidden versions");
    for (const v of engineVersions) {
      if (rp.versions && rp.versions.has(v)) continue;
      if (rp.versions === null) break;
      const r = await run({
        versions: [VERSION_CODES[v]],
        cipherSuites: [...caps.cipherSuites],
        trust: false,
        purpose: `does the server accept ${v}?`,
      });
      if (r.observation) accepted.versions!.push(v);
    }

    // 3. Suites the policy forbids, with the versions it allows.
    enter("forbidden suites");
    const families: Array<{ versions: VersionName[]; forbidden: number[] }> = [
      {
        versions: versions.filter((v) => v !== "TLSv1.3"),
        forbidden: rp.suites === null
          ? []
          : caps.cipherSuites.filter((c) => !isTls13Suite(c) && !legacyAllowed.includes(c)),
      },
      {
        versions: versions.filter((v) => v === "TLSv1.3"),
        forbidden: rp.tls13Suites === null
          ? []
          : caps.cipherSuites.filter((c) => isTls13Suite(c) && !tls13Allowed.includes(c)),
      },
    ];
    for (const fam of families) {
      let offer = fam.forbidden;
      for (let i = 0; fam.versions.length && offer.length; i++) {
        if (i >= max) {
          accepted.suitesCapped = true;
          break;
        }
        const r = await run({
          versions: vcodes(fam.versions),
          cipherSuites: offer,
          trust: false,
          purpose: `does the server accept suites the policy forbids (${fam.versions.join(", ")})?`,
        });
        const c = r.observation?.cipherSuite;
        if (c === undefined) break;
        accepted.suites!.push(rp.env.findSuite(formatCode(c)) ?? { code: c });
        offer = offer.filter((x) => x !== c);
      }
    }

    // 4. Groups the policy forbids.
    enter("forbidden groups");
    if (rp.groups && versions.length) {
      let offer = caps.groups.filter((g) => {
        const name = groupByCode(g)?.name;
        return name !== undefined && !rp.groups!.has(normalizeGroup(name));
      });
      for (let i = 0; offer.length; i++) {
        if (i >= 4) {
          accepted.groupsCapped = true;
          break;
        }
        const r = await run({
          versions: vcodes(versions),
          cipherSuites: allowedOffer,
          groups: offer,
          trust: false,
          purpose: "does the server accept groups the policy forbids?",
        });
        const g = groupOf(r.observation);
        if (g === undefined) break;
        accepted.groups!.push(g);
        const gc = groupByName(g)?.code;
        offer = offer.filter((x) => x !== gc);
        if (gc === undefined) break;
      }
    }
    observed.accepted = accepted;
  }

  // 5. Server cipher preference, when the policy asks for it.
  enter("server preference");
  const first = baseline.observation?.cipherSuite;
  if (
    rp.policy.serverCipherPreference === true && observed.outcome === "ok" && first !== undefined
  ) {
    const negotiated = normalizeVersion(observed.version);
    const vc = negotiated ? [VERSION_CODES[negotiated]] : vcodes(versions);
    const others = allowedOffer.filter((c) =>
      c !== first && isTls13Suite(c) === isTls13Suite(first)
    );
    const r1 = others.length
      ? await run({
        versions: vc,
        cipherSuites: others,
        trust: false,
        purpose: "server preference: is a second allowed suite accepted?",
      })
      : undefined;
    const second = r1?.observation?.cipherSuite;
    if (second !== undefined) {
      const a = (
        await run({
          versions: vc,
          cipherSuites: [first, second],
          trust: false,
          purpose: "server preference: order A",
        })
      ).observation?.cipherSuite;
      const b = (
        await run({
          versions: vc,
          cipherSuites: [second, first],
          trust: false,
          purpose: "server preference: order B",
        })
      ).observation?.cipherSuite;
      if (a !== undefined && b !== undefined) observed.serverCipherPreference = a === b;
    }
  }

  return { evaluation: evaluatePolicy(rp, observed), baseline: baselineReport(baseline), probes };
}

/**
 * The baseline probe as the JSON output carries it.
 *
 * @param r the probe's outcome
 * @returns the report body with `outcome` (and `error` when it failed)
 */
export function baselineReport(r: ProbeOutcome): BaselineReport {
  return {
    outcome: r.error ? "error" : "ok",
    ...(r.error ? { error: r.error.toJSON() } : {}),
    ...r.body,
  };
}
