import assert from "node:assert/strict";
import { tlsprobe } from "../_helpers/process.ts";
import { assertPolicySchema } from "../_helpers/schema.ts";
import { BUILTIN_POLICIES } from "../../core/policy/mod.ts";

Deno.test("policy list names every built-in, in text and JSON", async () => {
  const text = await tlsprobe(["policy", "list"]);
  assert.equal(text.code, 0);
  for (const p of BUILTIN_POLICIES) assert.match(text.stdout, new RegExp(`^${p.name} `, "m"));
  const json = JSON.parse((await tlsprobe(["policy", "list", "--json"])).stdout);
  assert.deepEqual(
    json.policies.map((p: { name: string }) => p.name),
    BUILTIN_POLICIES.map((p) => p.name),
  );
});

Deno.test("policy show expands the locked server's ECDH+AES128 as OpenSSL 3.0 does", async () => {
  const r = await tlsprobe(["policy", "show", "book-locked-server", "--json"]);
  assert.equal(r.code, 0);
  const body = JSON.parse(r.stdout);
  // openssl ciphers 'ECDH+AES128' (3.0), TLS 1.3 suites aside.
  assert.deepEqual(body.resolved.suites.map((s: { openssl: string }) => s.openssl), [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-CCM8",
    "ECDHE-ECDSA-AES128-CCM",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "AECDH-AES128-SHA",
  ]);
  assert.deepEqual(body.resolved.versions, ["TLSv1.2"]);
  assert.deepEqual(body.resolved.tls13Suites, []);
  const text = await tlsprobe(["policy", "show", "python-default-client"]);
  assert.match(text.stdout, /Modelled on\.+ Python 3\.13 ssl\.create_default_context/);
  assert.match(text.stdout, /OpenSSL cipher string\.+ @SECLEVEL=2:ECDH\+AESGCM/);
});

Deno.test("policy show: an unknown name is a usage error listing the built-ins; a bad file names the path", async () => {
  const r = await tlsprobe(["policy", "show", "mozilla-ancient"]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /USAGE: No policy named mozilla-ancient: use one of python-default-client/,
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/p.json`,
      JSON.stringify({
        name: "p",
        role: "client",
        ciphers: { suites: ["ECDHE-RSA-AES128-GCM-SHA256", "NOT-A-SUITE"] },
      }),
    );
    const bad = await tlsprobe(["policy", "show", `${dir}/p.json`]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown cipher suite NOT-A-SUITE at \$\.ciphers\.suites\[1\]/);
    const missing = await tlsprobe(["policy", "show", `${dir}/nope.json`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /FILE_NOT_FOUND/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("policy list/show --json and error envelopes match the committed output schema", async () => {
  for (
    const args of [
      ["policy", "list", "--json"],
      ["policy", "show", "mozilla-old", "--json"],
      ["policy", "show", "python-default-server", "--json"],
      ["policy", "check", "127.0.0.1:1", "--policy", "mozilla-modern", "--json"],
    ]
  ) {
    const r = await tlsprobe(args);
    assertPolicySchema(JSON.parse(r.stdout));
  }
});
