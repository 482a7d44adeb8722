/**
 * `probe --policy`: a probe that offers only what a policy allows (what the
 * caller narrows explicitly wins), with the policy's verdict on what was
 * observed. A refused handshake is part of the verdict, not only an error.
 *
 * @module
 */
import { baselineOffer } from "../policy/check.ts";
import { evaluatePolicy, type Evaluation, policyFactsFromProbe } from "../policy/evaluate.ts";
import type { ResolvedPolicy } from "../policy/resolve.ts";
import { INSPECTION_ENGINE } from "./policy_check.ts";
import { probe, type ProbeOptions, type ProbeResult } from "./probe.ts";

/** A probe's options, where what is left out comes from the policy. */
export type PolicyProbeOptions = Omit<ProbeOptions, "versions"> & { versions?: number[] };

/**
 * Probes under a policy: its versions, suites, groups, CA file and ALPN fill
 * whatever `o` leaves out; the result carries the policy's evaluation.
 *
 * @param o target and (optionally narrowed) offer
 * @param rp the resolved policy
 * @returns the probe result and the evaluation
 * @throws TlsprobeError only for bad options (a CA file that cannot be read)
 */
export async function probeUnderPolicy(
  o: PolicyProbeOptions,
  rp: ResolvedPolicy,
): Promise<ProbeResult & { evaluation: Evaluation }> {
  const offer = baselineOffer(rp, INSPECTION_ENGINE);
  const r = await probe({
    ...o,
    versions: o.versions ?? offer.versions,
    cipherSuites: o.cipherSuites ?? offer.cipherSuites,
    groups: o.groups ?? offer.groups,
    caFile: o.caFile ?? rp.policy.verification?.caFile,
    alpn: o.alpn ?? rp.policy.alpn?.protocols,
  });
  const evaluation = evaluatePolicy(rp, policyFactsFromProbe(r));
  return { ...r, evaluation };
}
