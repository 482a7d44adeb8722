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
import { groupByCode, groupByName } from "../registry/groups.ts";
import { normalizeGroup, normalizeVersion, VERSION_CODES, type VersionName } from "./model.ts";
import {
  evaluatePolicy,
  type Evaluation,
  type Observation,
  observationFromReport,
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

/** Runs one probe and returns its report (the probe report body, with `outcome`). */
export type ProbeFn = (offer: ProbeOffer) => Promise<unknown>;

/** What the probe engine can offer. */
export interface EngineCapabilities {
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
  baseline: unknown;
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

function chosenSuite(report: unknown): number | undefined {
  const hs = (report as { handshake?: { cipher?: { code?: unknown } } } | null)?.handshake;
  const c = hs?.cipher?.code;
  if (typeof c === "number") return c;
  if (typeof c === "string" && /^0x[0-9a-f]+$/i.test(c)) return parseInt(c, 16);
  return undefined;
}

function chosenGroup(report: unknown): string | undefined {
  const g = (report as { handshake?: { group?: { name?: unknown; code?: unknown } } } | null)
    ?.handshake?.group;
  return typeof g?.name === "string" && g.code !== null ? g.name : undefined;
}

function ok(report: unknown): boolean {
  return observationFromReport(report).outcome === "ok";
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
  caps: EngineCapabilities,
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
  caps: EngineCapabilities,
  opts: CheckOptions = {},
): Promise<CheckResult> {
  const probes: CheckResult["probes"] = [];
  const run = async (offer: ProbeOffer) => {
    const report = await probe(offer);
    const s = chosenSuite(report);
    const g = chosenGroup(report);
    const name = s === undefined
      ? undefined
      : rp.env.findSuite(`0x${s.toString(16).padStart(4, "0")}`);
    probes.push({
      purpose: offer.purpose,
      outcome: ok(report) ? "ok" : "refused",
      ...(s !== undefined && ok(report)
        ? { chose: (name?.openssl ?? name?.iana ?? `0x${s.toString(16)}`) + (g ? ` ${g}` : "") }
        : {}),
    });
    return report;
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
  const observed: Observation = observationFromReport(baseline);

  const enumerate = opts.enumerate ?? rp.policy.role === "server";
  if (enumerate) {
    const max = opts.maxSuites ?? 6;
    const accepted: NonNullable<Observation["accepted"]> = { versions: [], suites: [], groups: [] };

    // 2. Versions the policy forbids, one at a time.
    for (const v of engineVersions) {
      if (rp.versions && rp.versions.has(v)) continue;
      if (rp.versions === null) break;
      const r = await run({
        versions: [VERSION_CODES[v]],
        cipherSuites: [...caps.cipherSuites],
        trust: false,
        purpose: `does the server accept ${v}?`,
      });
      if (ok(r)) accepted.versions!.push(v);
    }

    // 3. Suites the policy forbids, with the versions it allows.
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
        const c = chosenSuite(r);
        if (!ok(r) || c === undefined) break;
        accepted.suites!.push(
          rp.env.findSuite(`0x${c.toString(16).padStart(4, "0")}`) ?? { code: c },
        );
        offer = offer.filter((x) => x !== c);
      }
    }

    // 4. Groups the policy forbids.
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
        const g = chosenGroup(r);
        if (!ok(r) || g === undefined) break;
        accepted.groups!.push(g);
        const gc = groupByName(g)?.code;
        offer = offer.filter((x) => x !== gc);
        if (gc === undefined) break;
      }
    }
    observed.accepted = accepted;
  }

  // 5. Server cipher preference, when the policy asks for it.
  const first = chosenSuite(baseline);
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
    const second = r1 && ok(r1) ? chosenSuite(r1) : undefined;
    if (second !== undefined) {
      const a = chosenSuite(
        await run({
          versions: vc,
          cipherSuites: [first, second],
          trust: false,
          purpose: "server preference: order A",
        }),
      );
      const b = chosenSuite(
        await run({
          versions: vc,
          cipherSuites: [second, first],
          trust: false,
          purpose: "server preference: order B",
        }),
      );
      if (a !== undefined && b !== undefined) observed.serverCipherPreference = a === b;
    }
  }

  return { evaluation: evaluatePolicy(rp, observed), baseline, probes };
}
