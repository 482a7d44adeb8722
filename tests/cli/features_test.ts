/**
 * `tlsprobe features`: the runtime's TLS offer comes from a real ClientHello,
 * the engine's capabilities from its tables.
 */
import assert from "node:assert/strict";
import { tlsprobe } from "../_helpers/process.ts";

Deno.test("features --json reports the runtime, its TLS offer, the engine and WebCrypto", async () => {
  const r = await tlsprobe(["features", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.schemaVersion, 1);
  assert.equal(j.command, "features");
  assert.equal(j.runtime.deno, Deno.version.deno);
  assert.deepEqual(j.runtimeTls.versions, ["TLSv1.3", "TLSv1.2"]);
  assert.ok(j.runtimeTls.cipherSuites.includes("TLS_AES_128_GCM_SHA256"));
  assert.deepEqual(j.runtimeTls.alpn, ["h2", "http/1.1"]);
  assert.equal(j.runtimeTls.serverName, "localhost");
  assert.ok(j.engine.keyShareGroups.includes("X25519MLKEM768"));
  assert.ok(j.engine.versions.includes("TLSv1"));
  const alg = (n: string) => j.webCrypto.find((a: { name: string }) => a.name === n)?.supported;
  assert.equal(alg("X25519"), true);
  assert.equal(alg("ChaCha20-Poly1305"), true);
  assert.equal(alg("AES-CCM"), false);
});

Deno.test("features prints a dotted table", async () => {
  const r = await tlsprobe(["features"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Deno\.+ \d+\.\d+\.\d+$/m);
  assert.match(r.stdout, /^ {2}X25519\.+ yes/m);
});
