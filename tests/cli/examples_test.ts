/**
 * The files in `examples/` stay valid: the policy loads (schema and resolve)
 * and the probe sample matches the probe schema. And policy JSON round-trips:
 * what `policy show --json` / `--format file` print is taken back.
 */
import assert from "node:assert/strict";
import { closedPort, ROOT, tlsprobe } from "../_helpers/process.ts";
import { assertPolicySchema, assertProbeSchema } from "../_helpers/schema.ts";
import { defaultPolicyEnv, parsePolicyJson, resolvePolicy } from "../../core/policy/mod.ts";

Deno.test("examples/policy.json is a valid policy, shown by policy show", async () => {
  const text = await Deno.readTextFile(ROOT + "examples/policy.json");
  const p = parsePolicyJson(text, "examples/policy.json");
  const rp = resolvePolicy(p, defaultPolicyEnv());
  assert.equal(p.name, "example-web-server");
  assert.ok(rp.suites && rp.suites.length > 0);
  const r = await tlsprobe(["policy", "show", ROOT + "examples/policy.json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /example-web-server/);
});

Deno.test("examples/probe.json matches the probe schema", async () => {
  assertProbeSchema(JSON.parse(await Deno.readTextFile(ROOT + "examples/probe.json")));
});

Deno.test("policy show NAME --json and --format file are taken back by policy show and --policy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tlsprobe-roundtrip-" });
  try {
    for (const name of ["mozilla-intermediate", "book-locked-server", "python-default-client"]) {
      const json = await tlsprobe(["policy", "show", name, "--json"]);
      assert.equal(json.code, 0, json.stderr);
      assertPolicySchema(JSON.parse(json.stdout));
      await Deno.writeTextFile(`${dir}/p.json`, json.stdout);
      const back = await tlsprobe(["policy", "show", `${dir}/p.json`, "--json"]);
      assert.equal(back.code, 0, back.stderr);
      assert.deepEqual(JSON.parse(back.stdout).resolved, JSON.parse(json.stdout).resolved);

      const file = await tlsprobe(["policy", "show", name, "--format", "file"]);
      assert.equal(file.code, 0, file.stderr);
      const f = JSON.parse(file.stdout);
      assert.equal(f.name, name);
      assert.equal(f.$schema, "https://tlsprobe.dev/schema/policy-1.json");
      parsePolicyJson(file.stdout); // a policy file as it is, not an envelope
    }
    // --policy takes the envelope too (a refused port: the policy loaded, then the network failed).
    const port = closedPort();
    const r = await tlsprobe(["probe", "--policy", `${dir}/p.json`, `127.0.0.1:${port}`]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /CONNECTION_REFUSED/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("policy check --json names the policy: its argument and its full definition", async () => {
  const port = closedPort();
  const r = await tlsprobe([
    "policy",
    "check",
    `127.0.0.1:${port}`,
    "--policy",
    ROOT + "examples/policy.json",
    "--json",
  ]);
  const o = JSON.parse(r.stdout);
  assertPolicySchema(o);
  assert.equal(o.outcome, "error", r.stdout);
  assert.equal(o.error.code, "CONNECTION_REFUSED");
  assert.equal(o.policy, "example-web-server");
  assert.equal(o.policySource, ROOT + "examples/policy.json");
  assert.equal(o.policyDefinition.name, "example-web-server");
});
