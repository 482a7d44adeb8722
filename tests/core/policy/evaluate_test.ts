import assert from "node:assert/strict";
import {
  builtinPolicy,
  decideClientHello,
  defaultPolicyEnv,
  evaluatePolicy,
  findRegistrySuite,
  type Policy,
  type PolicyEnv,
  type PolicyFacts,
  resolvePolicy,
  type SuiteRef,
} from "../../../core/policy/mod.ts";
import { checkServerHello } from "../../../core/policy/hello.ts";

const env: PolicyEnv = defaultPolicyEnv();
const byName = (n: string): SuiteRef => findRegistrySuite(n)!;

const mozilla = (name: string) => resolvePolicy(builtinPolicy(name)!, env);

/** What a probe of a TLS 1.2 ECDHE-RSA-AES128-GCM server with a verified 2048-bit RSA leaf shows. */
function tls12Facts(over: Partial<PolicyFacts> = {}): PolicyFacts {
  return {
    peer: "server",
    outcome: "ok",
    version: 0x0303,
    cipher: {
      code: 0xc02f,
      iana: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      openssl: "ECDHE-RSA-AES128-GCM-SHA256",
    },
    group: "x25519",
    alpn: null,
    compression: "none",
    clientCertificateRequested: false,
    certificateKey: { type: "RSA", bits: 2048 },
    verified: true,
    hostnameMatched: true,
    ...over,
  };
}

Deno.test("evaluatePolicy(): a TLS 1.2 ECDHE-AESGCM server fails mozilla-modern and passes intermediate", () => {
  const obs = tls12Facts();
  const modern = evaluatePolicy(mozilla("mozilla-modern"), obs);
  assert.equal(modern.verdict, "fail");
  assert.deepEqual(modern.findings.filter((f) => f.severity === "error").map((f) => f.rule), [
    "version",
    "cipher",
  ]);
  const v = modern.findings.find((f) => f.rule === "version")!;
  assert.deepEqual(v.expected, ["TLSv1.3"]);
  assert.equal(v.observed, "TLSv1.2");
  assert.equal(evaluatePolicy(mozilla("mozilla-intermediate"), obs).verdict, "pass");
  assert.equal(evaluatePolicy(mozilla("mozilla-old"), obs).verdict, "pass");
});

Deno.test("evaluatePolicy(): an RSA-key-exchange suite passes only mozilla-old", () => {
  const obs = tls12Facts({ cipher: { code: 0x002f, openssl: "AES128-SHA" }, group: undefined });
  const inter = evaluatePolicy(mozilla("mozilla-intermediate"), obs);
  assert.equal(inter.verdict, "fail");
  assert.equal(inter.findings[0].rule, "cipher");
  assert.equal(inter.findings[0].observed, "AES128-SHA");
  assert.equal(evaluatePolicy(mozilla("mozilla-old"), obs).verdict, "pass");
});

Deno.test("evaluatePolicy(): accepted versions and suites beyond the policy are errors", () => {
  const obs = tls12Facts();
  obs.accepted = {
    versions: ["TLSv1.1", "TLSv1.2"],
    suites: [byName("ECDHE-RSA-AES128-GCM-SHA256"), byName("AES128-SHA")],
  };
  const r = evaluatePolicy(mozilla("mozilla-intermediate"), obs);
  assert.equal(r.verdict, "fail");
  assert.deepEqual(r.findings.map((f) => f.rule), ["accepted.version", "accepted.cipher"]);
  assert.equal(r.findings[0].observed, "TLSv1.1");
  assert.deepEqual(r.findings[1].observed, ["AES128-SHA"]);
});

Deno.test("evaluatePolicy(): key sizes, groups and certificate types are checked", () => {
  const obs = tls12Facts({
    version: "TLSv1.3",
    cipher: { code: 0x1301, iana: "TLS_AES_128_GCM_SHA256" },
    group: "ffdhe2048",
    alpn: undefined,
    compression: undefined,
    clientCertificateRequested: undefined,
    certificateKey: { type: "RSA", bits: 1024 },
  });
  const r = evaluatePolicy(mozilla("mozilla-modern"), obs);
  assert.deepEqual(r.findings.map((f) => `${f.rule}:${f.severity}`), [
    "group:error",
    "certificate-type:warning",
  ]);
  const inter = evaluatePolicy(mozilla("mozilla-intermediate"), obs);
  assert.deepEqual(inter.findings.map((f) => f.rule), ["group", "key-size.rsa"]);
  assert.equal(inter.findings[1].observed, 1024);
});

Deno.test("evaluatePolicy(): a client policy fails on an unverified chain or a name mismatch", () => {
  const rp = resolvePolicy(builtinPolicy("python-default-client")!, {
    ...env,
    expandCipherString: () => [byName("ECDHE-RSA-AES128-GCM-SHA256")],
  });
  const bad = tls12Facts({
    verified: false,
    verifyCode: "CERT_UNKNOWN_ISSUER",
    hostnameMatched: false,
  });
  const r = evaluatePolicy(rp, bad);
  assert.deepEqual(r.findings.map((f) => f.rule), ["verification", "hostname"]);
  assert.equal(r.findings[0].observed, "CERT_UNKNOWN_ISSUER");
  assert.equal(evaluatePolicy(rp, tls12Facts()).verdict, "pass");
});

Deno.test("evaluatePolicy(): a refused probe is a failing handshake finding with the alert", () => {
  const obs: PolicyFacts = {
    peer: "server",
    outcome: "refused",
    refusal: {
      code: "PROTOCOL_VERSION",
      message: "server said protocol_version",
      alert: "protocol_version",
    },
  };
  const r = evaluatePolicy(mozilla("mozilla-modern"), obs);
  assert.equal(r.verdict, "fail");
  assert.equal(r.findings[0].rule, "handshake");
  assert.equal(r.findings[0].observed, "protocol_version");
});

Deno.test("evaluatePolicy(): compression and ALPN are checked", () => {
  const p: Policy = {
    name: "api",
    role: "client",
    compression: false,
    alpn: { protocols: ["h2"], required: true },
  };
  const r = evaluatePolicy(resolvePolicy(p, env), {
    peer: "server",
    outcome: "ok",
    compression: "deflate",
    alpn: null,
  });
  assert.deepEqual(r.findings.map((f) => f.rule), ["alpn", "compression"]);
  const ok = evaluatePolicy(resolvePolicy(p, env), { peer: "server", outcome: "ok", alpn: "h2" });
  assert.equal(ok.verdict, "pass");
});

const names = (c: number) =>
  ({ 0x1d: "x25519", 0x17: "secp256r1" } as Record<number, string>)[c] ?? `0x${c.toString(16)}`;

Deno.test("decideClientHello(): the locked server answers a TLS 1.1 client with protocol_version", () => {
  const rp = resolvePolicy(builtinPolicy("book-locked-server")!, env);
  const d = decideClientHello(rp, {
    legacyVersion: 0x0302,
    cipherSuites: [0xc013, 0x002f, 0x00ff],
    compressionMethods: [0],
    groups: [0x1d],
  }, names);
  assert.equal(d.action, "reject");
  assert.equal(d.alert, "protocol_version");
  assert.equal(d.alertCode, 70);
  assert.deepEqual(d.offer.versions, ["TLSv1.1", "TLSv1", "SSLv3"]);
});

Deno.test("decideClientHello(): the locked server answers a client without ECDH+AES128 suites with handshake_failure", () => {
  const rp = resolvePolicy(builtinPolicy("book-locked-server")!, env);
  const d = decideClientHello(rp, {
    legacyVersion: 0x0303,
    // TLS 1.3 suites, GREASE and ECDHE-RSA-AES256-GCM-SHA384: nothing usable in TLS 1.2.
    cipherSuites: [0x2a2a, 0x1302, 0x1303, 0x1301, 0xc030, 0x00ff],
    compressionMethods: [0],
    supportedVersions: [0x3a3a, 0x0304, 0x0303],
  }, names);
  assert.equal(d.action, "reject");
  assert.equal(d.alert, "handshake_failure");
  assert.equal(d.alertCode, 40);
});

Deno.test("decideClientHello(): the locked server accepts a TLS 1.2 ECDHE-RSA-AES128-GCM client", () => {
  const rp = resolvePolicy(builtinPolicy("book-locked-server")!, env);
  const d = decideClientHello(rp, {
    legacyVersion: 0x0303,
    cipherSuites: [0xc02f],
    compressionMethods: [0],
    supportedVersions: [0x0304, 0x0303],
  }, names);
  assert.equal(d.action, "accept");
  assert.deepEqual(d.findings, []);
});

Deno.test("checkServerHello(): a TLS 1.3 answer breaks the TLS 1.2-only locked policy", () => {
  const rp = resolvePolicy(builtinPolicy("book-locked-server")!, env);
  const r = checkServerHello(rp, {
    version: 0x0304,
    cipherSuite: 0x1301,
    compressionMethod: 0,
    group: "x25519",
  });
  assert.equal(r.verdict, "fail");
  assert.deepEqual(r.findings.map((f) => f.rule), ["version", "cipher"]);
  const ok = checkServerHello(rp, { version: 0x0303, cipherSuite: 0xc02f, compressionMethod: 0 });
  assert.equal(ok.verdict, "pass");
});
