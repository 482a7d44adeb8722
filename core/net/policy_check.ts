/**
 * `policy check HOST:PORT`: the policy's server checks (`core/policy/check.ts`)
 * run with the inspection engine's probes against a real server.
 *
 * @module
 */
import { DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS } from "../handshake/defaults.ts";
import {
  type CheckResult,
  checkServer,
  type ProbeCapabilities,
  type ProbeOffer,
} from "../policy/check.ts";
import type { ResolvedPolicy } from "../policy/resolve.ts";
import { probe } from "./probe.ts";
import type { StarttlsRequest } from "./starttls.ts";

/** What the inspection client can offer, for building a policy's offer. */
export const INSPECTION_ENGINE: ProbeCapabilities = {
  versions: ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
  cipherSuites: DEFAULT_CIPHER_SUITES,
  groups: DEFAULT_GROUPS,
};

/** Errors that mean the server was not reached at all: no verdict. */
const UNREACHED = new Set(["CONNECTION_REFUSED", "TIMEOUT", "DNS", "NETWORK"]);

/** Where to check and how. */
export interface PolicyCheckTarget {
  host: string;
  port: number;
  /** SNI and the name to verify; default: the host. */
  serverName?: string;
  /** CA file for the trust pass (default: the policy's). */
  caFile?: string;
  /** Bound on each phase of each probe. */
  timeoutMs: number;
  /** Also probe what the policy forbids (default: yes for server policies). */
  enumerate?: boolean;
  /** The time, for validity findings. */
  now: Date;
  /** Run this STARTTLS dialogue before each probe. */
  starttls?: StarttlsRequest;
}

/**
 * Checks a server against a policy with as many probes as the policy needs.
 *
 * @param t the server and the probe options
 * @param rp the resolved policy
 * @returns the verdict, its findings and every probe made
 * @throws TlsprobeError when the baseline probe cannot reach the server
 */
export function checkServerPolicy(t: PolicyCheckTarget, rp: ResolvedPolicy): Promise<CheckResult> {
  const probeOnce = async (offer: ProbeOffer) => {
    const r = await probe({
      host: t.host,
      port: t.port,
      serverName: t.serverName,
      caFile: t.caFile ?? rp.policy.verification?.caFile,
      alpn: rp.policy.alpn?.protocols,
      versions: offer.versions,
      cipherSuites: offer.cipherSuites,
      groups: offer.groups,
      timeoutMs: t.timeoutMs,
      now: t.now,
      noTrust: !offer.trust,
      starttls: t.starttls,
    });
    // Unreachable on the baseline: no verdict. A later probe that times out
    // (a server stalling on an old version) counts as a refusal.
    if (r.error && offer.baseline && UNREACHED.has(r.error.code)) throw r.error;
    return r;
  };
  return checkServer(rp, probeOnce, INSPECTION_ENGINE, { enumerate: t.enumerate });
}
