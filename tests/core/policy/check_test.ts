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
  type EngineCapabilities,
  type ProbeOffer,
  resolvePolicy,
} from "../../../core/policy/mod.ts";
import { DEFAULT_CIPHER_SUITES, DEFAULT_GROUPS } from "../../../core/handshake/defaults.ts";

const CAPS: EngineCapabilities = {
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

const NAMES: Record<number, string> = { 0x1d: "x25519", 0x17: "secp256r1", 0x19: "secp521r1" };

function modelProbe(m: ServerModel, log: ProbeOffer[]) {
  return (offer: ProbeOffer): Promise<unknown> => {
    log.push(offer);
    const v = offer.versions.filter((x) => m.versions.includes(x)).sort((a, b) => b - a)[0];
    const usable = (c: number) => (v === 0x0304) === (c >= 0x1301 && c <= 0x1305);
    const common = m.serverPreference
      ? m.suites.filter((c) => offer.cipherSuites.includes(c) && usable(c))
      : offer.cipherSuites.filter((c) => m.suites.includes(c) && usable(c));
    const groups = (offer.groups ?? [...DEFAULT_GROUPS]).filter((g) => m.groups.includes(g));
    if (v === undefined) {
      return Promise.resolve({
        outcome: "error",
        error: { code: "PROTOCOL_VERSION", detail: { alert: "protocol_version" } },
      });
    }
    if (!common.length || !groups.length) {
      return Promise.resolve({
        outcome: "error",
        error: { code: "HANDSHAKE_FAILURE", detail: { alert: "handshake_failure" } },
      });
    }
    return Promise.resolve({
      outcome: "ok",
      handshake: {
        version: { 0x0301: "TLSv1", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3" }[v],
        cipher: { code: `0x${common[0].toString(16).padStart(4, "0")}` },
        group: { name: NAMES[groups[0]], code: `0x${groups[0].toString(16)}`, bits: 256 },
      },
    });
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
