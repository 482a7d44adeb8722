/**
 * checkServer()'s probe plan, against a server model that answers probes the
 * way a TLS server chooses (highest common version, first common suite in the
 * client's or its own order, first common group). The live behaviour is
 * covered by tests/cli/policy_check_test.ts against openssl s_server.
 */
import assert from "node:assert/strict";
import {
  builtinPolicy,
  checkServer,
  defaultPolicyEnv,
  type ProbeCapabilities,
  type ProbeOffer,
  resolvePolicy,
} from "../../../core/policy/mod.ts";
import { DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS } from "../../../core/handshake/defaults.ts";
import type { Observation } from "../../../core/handshake/inspect.ts";
import type { ProbeBody, ProbeOutcome } from "../../../core/report/probe.ts";
import { TlsprobeError } from "../../../core/errors.ts";

const EMPTY_BODY: ProbeBody = {
  target: { host: "model", port: 1, address: null, serverName: null, starttls: null },
  handshake: null,
  certificates: [],
  identity: null,
  trust: null,
  findings: [],
};

const CAPS: ProbeCapabilities = {
  versions: ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
  cipherSuites: DEFAULT_CIPHER_SUITES,
  groups: DEFAULT_GROUPS,
};

interface ServerModel {
  versions: number[];
  suites: number[];
  groups: number[];
  serverPreference: boolean;
}

function refused(code: "PROTOCOL_VERSION" | "HANDSHAKE_FAILURE", alert: string): ProbeOutcome {
  return {
    body: EMPTY_BODY,
    error: new TlsprobeError(code, `the server sent ${alert}`, { alert }),
  };
}

function modelProbe(m: ServerModel, log: ProbeOffer[]) {
  return (offer: ProbeOffer): Promise<ProbeOutcome> => {
    log.push(offer);
    const v = offer.versions.filter((x) => m.versions.includes(x)).sort((a, b) => b - a)[0];
    const usable = (c: number) => (v === 0x0304) === (c >= 0x1301 && c <= 0x1305);
    const common = m.serverPreference
      ? m.suites.filter((c) => offer.cipherSuites.includes(c) && usable(c))
      : offer.cipherSuites.filter((c) => m.suites.includes(c) && usable(c));
    const groups = (offer.groups ?? [...DEFAULT_GROUPS]).filter((g) => m.groups.includes(g));
    if (v === undefined) return Promise.resolve(refused("PROTOCOL_VERSION", "protocol_version"));
    if (!common.length || !groups.length) {
      return Promise.resolve(refused("HANDSHAKE_FAILURE", "handshake_failure"));
    }
    // Only the fields the probe plan reads: the model chooses, it does not speak TLS.
    const observation = {
      version: v,
      cipherSuite: common[0],
      compression: 0,
      keyExchange: { kind: "ECDHE", group: groups[0] },
      certificates: [],
      sessionTicket: { offered: null },
      messages: [],
      rawMessages: [],
    } as unknown as Observation;
    return Promise.resolve({ body: EMPTY_BODY, observation });
  };
}

const env = defaultPolicyEnv();

Deno.test("checkServer(): a compliant intermediate server passes after probing what the policy forbids", async () => {
  const log: ProbeOffer[] = [];
  const r = await checkServer(
    resolvePolicy(builtinPolicy("mozilla-intermediate")!, env),
    modelProbe({
      versions: [0x0303, 0x0304],
      suites: [0x1301, 0xc02f],
      groups: [0x1d],
      serverPreference: false,
    }, log),
    CAPS,
  );
  assert.equal(r.evaluation.verdict, "pass", JSON.stringify(r.evaluation.findings));
  // Baseline, TLS 1.0, TLS 1.1, forbidden 1.2 suites, forbidden 1.3 suites (none the engine has), groups.
  assert.equal(log[0].purpose.startsWith("baseline"), true);
  assert.deepEqual(log[0].versions, [0x0304, 0x0303]);
  assert.ok(log.some((o) => o.versions.length === 1 && o.versions[0] === 0x0301));
  assert.ok(log.every((o) => !o.trust));
});

Deno.test("checkServer(): forbidden versions, suites and groups the server accepts become findings", async () => {
  const r = await checkServer(
    resolvePolicy(builtinPolicy("mozilla-intermediate")!, env),
    modelProbe({
      versions: [0x0302, 0x0303],
      suites: [0xc02f, 0x002f, 0x0035],
      groups: [0x1d, 0x19],
      serverPreference: true,
    }, []),
    CAPS,
  );
  const byRule = Object.fromEntries(r.evaluation.findings.map((f) => [f.rule, f]));
  assert.equal(r.evaluation.verdict, "fail");
  assert.equal(byRule["accepted.version"].observed, "TLSv1.1");
  assert.deepEqual(byRule["accepted.cipher"].observed, ["AES128-SHA", "AES256-SHA"]);
  assert.equal(byRule["accepted.group"].severity, "warning");
});

Deno.test("checkServer(): server preference is measured with two orders when the policy asks for it", async () => {
  const old = resolvePolicy(builtinPolicy("mozilla-old")!, env);
  const model = { versions: [0x0303], suites: [0xc030, 0xc02f], groups: [0x1d] };
  const clientOrder = await checkServer(
    old,
    modelProbe({ ...model, serverPreference: false }, []),
    CAPS,
  );
  assert.deepEqual(
    clientOrder.evaluation.findings.filter((f) => f.severity === "error").map((f) => f.rule),
    ["server-preference"],
  );
  const serverOrder = await checkServer(
    old,
    modelProbe({ ...model, serverPreference: true }, []),
    CAPS,
  );
  assert.equal(
    serverOrder.evaluation.verdict,
    "pass",
    JSON.stringify(serverOrder.evaluation.findings),
  );
});

Deno.test("checkServer(): a client policy probes once, with trust", async () => {
  const log: ProbeOffer[] = [];
  await checkServer(
    resolvePolicy(builtinPolicy("python-default-client")!, env),
    modelProbe(
      { versions: [0x0303], suites: [0xc02f], groups: [0x1d], serverPreference: false },
      log,
    ),
    CAPS,
  );
  assert.equal(log.length, 1);
  assert.equal(log[0].trust, true);
  // Only the @SECLEVEL=2 list: no RSA key exchange, no SHA-1 suites.
  assert.ok(!log[0].cipherSuites.includes(0x002f));
  assert.ok(!log[0].cipherSuites.includes(0xc013));
});

Deno.test("checkServer(): a probe that fails on our side is an error, never the server refusing", async () => {
  const rp = resolvePolicy(builtinPolicy("mozilla-intermediate")!, env);
  const good = modelProbe(
    { versions: [0x0303], suites: [0xc02f], groups: [0x1d], serverPreference: false },
    [],
  );
  let n = 0;
  // The baseline works; the next probe (TLS 1.0, which the policy forbids) breaks inside the engine.
  const broken = (offer: ProbeOffer): Promise<ProbeOutcome> =>
    n++ === 0
      ? good(offer)
      : Promise.resolve({ body: EMPTY_BODY, error: new TlsprobeError("INTERNAL", "engine bug") });
  await assert.rejects(
    () => checkServer(rp, broken, CAPS),
    (e: unknown) => e instanceof TlsprobeError && e.code === "INTERNAL",
  );
  await assert.rejects(
    () =>
      checkServer(
        rp,
        () =>
          Promise.resolve({
            body: EMPTY_BODY,
            error: new TlsprobeError("FILE_NOT_FOUND", "no CA file"),
          }),
        CAPS,
      ),
    (e: unknown) => e instanceof TlsprobeError && e.code === "FILE_NOT_FOUND",
  );
});
