/**
 * Hostile policy files: prototype names, huge arrays, deep nesting, unknown
 * group names. Each is BAD_INPUT at load (parse + resolve), naming the JSON
 * path, never a TypeError, a RangeError or a pass.
 */
import assert from "node:assert/strict";
import { TlsprobeError } from "../../../core/errors.ts";
import {
  BUILTIN_POLICIES,
  defaultPolicyEnv,
  parsePolicyJson,
  resolvePolicy,
} from "../../../core/policy/mod.ts";

const base = { name: "t", role: "server", versions: ["TLSv1.2"] };

function badInput(text: string, path?: RegExp): TlsprobeError {
  let caught: unknown;
  try {
    resolvePolicy(parsePolicyJson(text, "p.json"), defaultPolicyEnv());
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TlsprobeError, `a TlsprobeError, got ${caught}`);
  assert.equal(caught.code, "BAD_INPUT", caught.message);
  if (path) assert.match(String(caught.detail.field ?? caught.message), path);
  return caught;
}

Deno.test("prototype names are unknown properties, at the top and nested", () => {
  for (
    const key of [
      "__proto__",
      "constructor",
      "toString",
      "valueOf",
      "hasOwnProperty",
      "isPrototypeOf",
    ]
  ) {
    const top = `{"name":"t","role":"server",${JSON.stringify(key)}:{"x":1}}`;
    const e = badInput(top);
    assert.ok(e.message.includes(key), e.message);
    badInput(`{"name":"t","role":"server","ciphers":{${JSON.stringify(key)}:"x"}}`);
  }
});

Deno.test("huge arrays are refused by size, without walking them or overflowing the stack", () => {
  const groups = Array.from({ length: 120_000 }, (_, i) => `g${i}`);
  const e = badInput(JSON.stringify({ ...base, groups }), /\$\.groups/);
  assert.match(e.message, /at most 128 items \(has 120000\)/);
  const suites = Array(200_000).fill("AES128-SHA");
  badInput(JSON.stringify({ ...base, ciphers: { suites } }), /\$\.ciphers\.suites/);
  const notes = Array(100_000).fill("n");
  badInput(JSON.stringify({ ...base, source: { title: "x", notes } }));
});

Deno.test("deep nesting is BAD_INPUT, not a RangeError", () => {
  const deep = "[".repeat(200_000) + "]".repeat(200_000);
  badInput(`{"name":"t","role":"server","groups":${deep}}`);
});

Deno.test("an unknown group name is refused at load, naming its path", () => {
  const e = badInput(JSON.stringify({ ...base, groups: ["x25519", "nosuchgroup"] }), /groups\[1\]/);
  assert.match(e.message, /unknown group nosuchgroup/);
  // Known names and OpenSSL aliases still load.
  resolvePolicy(
    parsePolicyJson(JSON.stringify({ ...base, groups: ["X25519", "prime256v1", "P-384"] })),
    defaultPolicyEnv(),
  );
});

Deno.test("every built-in policy still resolves", () => {
  for (const p of BUILTIN_POLICIES) resolvePolicy(p, defaultPolicyEnv());
});
