import assert from "node:assert/strict";
import {
  BUILTIN_POLICIES,
  parsePolicyJson,
  POLICY_SCHEMA,
  validatePolicyJson,
} from "../../../core/policy/mod.ts";
import { TlsprobeError } from "../../../core/errors.ts";

function thrown(fn: () => unknown): TlsprobeError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TlsprobeError, String(e));
    return e;
  }
  throw new assert.AssertionError({ message: "expected a TlsprobeError" });
}

Deno.test("every built-in policy is valid under the committed schema", () => {
  for (const p of BUILTIN_POLICIES) {
    assert.deepEqual(validatePolicyJson(JSON.parse(JSON.stringify(p))), [], p.name);
  }
});

Deno.test("validatePolicyJson() names the offending path of a bad version", () => {
  const v = validatePolicyJson({ name: "x", role: "server", versions: ["TLSv1.2", "TLSv1.4"] });
  assert.deepEqual(v.length, 1);
  assert.deepEqual(v[0].path, "$.versions[1]");
  assert(v[0].message.includes("TLSv1.3"));
});

Deno.test("validatePolicyJson() reports missing, unknown and mistyped fields with their paths", () => {
  const v = validatePolicyJson({
    role: "proxy",
    ciphers: { string: 42 },
    minKeySizes: { rsa: 100 },
    verification: { mode: "required", trust: "everything" },
    alpn: { protocols: ["h2", "h2"] },
    extra: true,
  });
  const paths = v.map((x) => x.path).sort();
  assert.deepEqual(paths, [
    "$.alpn.protocols[1]",
    "$.ciphers.string",
    "$.extra",
    "$.minKeySizes.rsa",
    "$.name",
    "$.role",
    "$.verification.trust",
  ]);
});

Deno.test("validatePolicyJson() rejects a policy that is not an object", () => {
  assert.deepEqual(validatePolicyJson([1, 2])[0], {
    path: "$",
    message: "must be an object, not array",
  });
  assert.deepEqual(validatePolicyJson(null)[0].path, "$");
});

Deno.test("parsePolicyJson() throws BAD_INPUT with the first offending path in detail.field", () => {
  const e = thrown(() =>
    parsePolicyJson('{"name":"p","role":"server","groups":["x25519", 7]}', "p.json")
  );
  assert.deepEqual(e.code, "BAD_INPUT");
  assert.deepEqual(e.detail.field, "$.groups[1]");
  assert(e.message.includes("p.json") && e.message.includes("$.groups[1]"), e.message);
});

Deno.test("parsePolicyJson() throws BAD_INPUT for text that is not JSON", () => {
  const e = thrown(() => parsePolicyJson("{name: p}", "bad.json"));
  assert.deepEqual(e.code, "BAD_INPUT");
  assert(e.message.includes("not JSON"));
});

Deno.test("parsePolicyJson() accepts a valid user policy with a $schema pointer", () => {
  const p = parsePolicyJson(JSON.stringify({
    $schema: "./policy.schema.json",
    name: "internal-api",
    role: "client",
    versions: ["TLSv1.3"],
    alpn: { protocols: ["h2"], required: true },
  }));
  assert.deepEqual(p.name, "internal-api");
});

Deno.test("the policy schema lists exactly the fields of the Policy type", () => {
  const props = Object.keys(POLICY_SCHEMA.properties as object).sort();
  assert.deepEqual(props, [
    "$comment",
    "$schema",
    "alpn",
    "certificateKeyTypes",
    "checkHostname",
    "ciphers",
    "clientCertificate",
    "compression",
    "description",
    "groups",
    "minKeySizes",
    "name",
    "role",
    "serverCipherPreference",
    "source",
    "tls13Suites",
    "verification",
    "versions",
  ]);
});

Deno.test("ajv (strict) accepts the policy schema and agrees with validatePolicyJson()", async () => {
  const { Ajv } = await import("ajv");
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(POLICY_SCHEMA);
  const samples: unknown[] = [
    ...BUILTIN_POLICIES.map((p) => JSON.parse(JSON.stringify(p))),
    { name: "x", role: "server", versions: ["TLSv1.2", "TLSv1.4"] },
    { name: "x", role: "server", versions: [] },
    { name: "x", role: "client", alpn: { protocols: ["h2", "h2"] } },
    { name: "bad name!", role: "client" },
    { name: "x", role: "client", minKeySizes: { rsa: 2048.5 } },
    { name: "x", role: "client", verification: { trust: "platform" } },
    { role: "client" },
    { name: "x", role: "client", ciphers: { string: "" } },
    { name: "x", role: "client", extra: 1 },
  ];
  for (const s of samples) {
    const ours = validatePolicyJson(s).length === 0;
    assert.equal(validate(s), ours, JSON.stringify(s));
  }
});
