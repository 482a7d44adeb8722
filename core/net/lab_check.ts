/**
 * `policy check --lab`: starts the lab on free loopback ports, checks the
 * client policy against every served endpoint (the same baseline probe as
 * `policy check HOST`, trusting the lab CA), stops the lab, and returns the
 * expected/actual rows (`core/lab/policy_table.ts`).
 *
 * The probe ends after the handshake, but a TLS 1.3 server that requires a
 * client certificate refuses only after the client's Finished. So when the
 * server asked for a certificate (the policy's client has none to give), the
 * client's behaviour is settled by a verified connection that reads the
 * endpoint's greeting: the greeting is a connection, the alert a refusal.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import type { ResolvedPolicy } from "../policy/resolve.ts";
import { labActual, type LabRow, labRow } from "../lab/policy_table.ts";
import { startLab } from "./lab.ts";
import { checkServerPolicy } from "./policy_check.ts";
import { connectVerified, readWithDeadline } from "./tls_client.ts";
import type { LabActual } from "../lab/policy_table.ts";

/** Options of {@link checkPolicyAgainstLab}. */
export interface LabCheckOptions {
  /** Loopback address to serve the lab on. */
  host: string;
  /** Bound on each probe and on each lab connection, ms. */
  timeoutMs: number;
  /** The time, for validity. */
  now: Date;
  /** Stops the run early. */
  signal?: AbortSignal;
}

/**
 * Runs a client policy against the whole lab.
 *
 * @param rp the resolved policy
 * @param opts host, timeout, time
 * @returns one row per served endpoint, in port order
 * @throws {TlsprobeError} when the lab cannot start
 */
export async function checkPolicyAgainstLab(
  rp: ResolvedPolicy,
  opts: LabCheckOptions,
): Promise<LabRow[]> {
  const stop = new AbortController();
  const lab = await startLab({
    host: opts.host,
    port: 0,
    timeoutMs: opts.timeoutMs,
    signal: stop.signal,
  });
  // The caller's stop is followed once the lab is up (a stop during its start
  // is seen before the first probe), so the lab always stops through `stop`.
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const rows: LabRow[] = [];
    for (const e of lab.index.endpoints) {
      if (!e.served || e.port === null) continue;
      if (stop.signal.aborted || opts.signal?.aborted) {
        throw new TlsprobeError("USAGE", "Stopped");
      }
      let actual: LabActual;
      try {
        const r = await checkServerPolicy({
          host: opts.host,
          port: e.port,
          serverName: "localhost",
          caFile: lab.index.ca,
          timeoutMs: opts.timeoutMs,
          enumerate: false,
          now: opts.now,
        }, rp);
        actual = labActual(r);
        if (actual.behaviour === "connect" && r.baseline.handshake?.clientCertificateRequested) {
          actual = await readGreeting(opts, e.port, lab.index.ca, rp.policy.alpn?.protocols);
        }
      } catch (err) {
        const t = err instanceof TlsprobeError
          ? err
          : new TlsprobeError("INTERNAL", (err as Error).message);
        actual = labActual({ code: t.code, message: t.message });
      }
      rows.push(labRow(e, actual));
    }
    return rows;
  } finally {
    stop.abort();
    await lab.done;
    opts.signal?.removeEventListener("abort", onAbort);
  }
}

/** A verified connection without a client certificate that reads the endpoint's greeting. */
async function readGreeting(
  opts: LabCheckOptions,
  port: number,
  caFile: string,
  alpn: string[] | undefined,
): Promise<LabActual> {
  try {
    const vc = await connectVerified({
      host: opts.host,
      port,
      serverName: "localhost",
      caFile,
      alpn,
      timeoutMs: opts.timeoutMs,
    });
    try {
      const n = await readWithDeadline(vc, new Uint8Array(256), opts.timeoutMs);
      if (n === null) {
        return {
          behaviour: "reject",
          code: "CONNECTION_CLOSED",
          reason: "The server closed the connection without sending data",
        };
      }
      return { behaviour: "connect" };
    } finally {
      try {
        vc.conn.close();
      } catch { /* closed */ }
    }
  } catch (err) {
    const t = err instanceof TlsprobeError
      ? err
      : new TlsprobeError("INTERNAL", (err as Error).message);
    return labActual({ code: t.code, message: t.message });
  }
}
