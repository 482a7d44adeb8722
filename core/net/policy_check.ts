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
import { TlsprobeError } from "../errors.ts";
import { probe } from "./probe.ts";
import type { StarttlsRequest } from "./starttls.ts";

/**
 * What the inspection client can offer, for building a policy's offer. The
 * TLS 1.3 CCM suites come last: the engine cannot decrypt them (WebCrypto has
 * no AES-CCM), but a ServerHello choosing one is observed, so a server that
 * accepts them when a policy forbids them is found.
 */
export const INSPECTION_ENGINE: ProbeCapabilities = {
  versions: ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
  cipherSuites: [
    ...DEFAULT_CIPHER_SUITES,
    ...[0x1304, 0x1305].filter((c) => !DEFAULT_CIPHER_SUITES.includes(c)),
  ],
  groups: DEFAULT_GROUPS,
};

/**
 * Errors by which a server refuses an offer: the alerts that mean "none of
 * this" (handshake_failure, protocol_version, insufficient_security,
 * certificate_required). Anything else (another alert,
 * garbage, a reset, a close mid-handshake, a timeout, an engine failure) is
 * an error of the check, never a refusal, on the baseline probe.
 */
const REFUSALS = new Set([
  "HANDSHAKE_FAILURE",
  "PROTOCOL_VERSION",
  "NO_SHARED_CIPHER",
  "CLIENT_CERT_REQUIRED",
]);
/** On the probes of what the policy forbids, a server may also refuse by closing or stalling. */
const LATER_REFUSALS = new Set([...REFUSALS, "CONNECTION_CLOSED", "CONNECTION_RESET", "TIMEOUT"]);

/** Where to check and how. */
export interface PolicyCheckTarget {
  /** The server's host. */
  host: string;
  /** The server's port. */
  port: number;
  /** SNI and the name to verify; default: the host. */
  serverName?: string;
  /** CA file for the trust pass (default: the policy's). */
  caFile?: string;
  /** Bound on each probe. */
  timeoutMs: number;
  /**
   * Bound on the whole check, every probe together (default: none). When it
   * runs out the check ends with `TIMEOUT`, naming the checks not completed.
   */
  deadlineMs?: number;
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
 * @throws TlsprobeError when a probe fails other than by the server refusing the
 *   offer (unreachable, not TLS, reset or closed mid-handshake on the baseline,
 *   malformed, an engine failure)
 */
export function checkServerPolicy(t: PolicyCheckTarget, rp: ResolvedPolicy): Promise<CheckResult> {
  const end = t.deadlineMs === undefined ? Infinity : Date.now() + t.deadlineMs;
  const outOfTime = () =>
    new TlsprobeError(
      "TIMEOUT",
      `The policy check did not finish within its ${t.deadlineMs! / 1000} s deadline`,
      { advice: "deadline", overallDeadline: true, deadlineMs: t.deadlineMs },
    );
  const probeOnce = async (offer: ProbeOffer) => {
    const left = Math.floor(end - Date.now());
    if (left < 1) throw outOfTime();
    // Each probe keeps its own bound, cut to what is left of the whole check's.
    const cut = left < t.timeoutMs;
    const r = await probe({
      host: t.host,
      port: t.port,
      serverName: t.serverName,
      caFile: t.caFile ?? rp.policy.verification?.caFile,
      alpn: rp.policy.alpn?.protocols,
      versions: offer.versions,
      cipherSuites: offer.cipherSuites,
      groups: offer.groups,
      timeoutMs: cut ? left : t.timeoutMs,
      now: t.now,
      noTrust: !offer.trust,
      starttls: t.starttls,
    });
    // The baseline refused by an alert is a verdict (it refuses what the
    // policy allows); any other baseline error leaves no verdict. A later
    // probe may be refused by an alert, a close or a stall (a server that
    // hangs up on an old version); an engine or protocol error is never a
    // refusal, so it cannot turn into a pass. A probe cut short by the
    // check's deadline is neither: the check ends there.
    if (cut && (r.error?.code === "TIMEOUT" || r.body.trust?.code === "TIMEOUT")) {
      throw outOfTime();
    }
    if (r.error && !(offer.baseline ? REFUSALS : LATER_REFUSALS).has(r.error.code)) {
      throw r.error;
    }
    return r;
  };
  return checkServer(rp, probeOnce, INSPECTION_ENGINE, { enumerate: t.enumerate });
}
