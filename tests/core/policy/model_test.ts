import assert from "node:assert/strict";
import {
  builtinPolicy,
  normalizeGroup,
  normalizeVersion,
  runtimeLimits,
} from "../../../core/policy/mod.ts";

Deno.test("normalizeVersion() reads OpenSSL, IETF and flag spellings and wire codes", () => {
  assert.equal(normalizeVersion("TLSv1"), "TLSv1");
  assert.equal(normalizeVersion("TLS 1.0"), "TLSv1");
  assert.equal(normalizeVersion("tls1_1"), "TLSv1.1");
  assert.equal(normalizeVersion(0x0303), "TLSv1.2");
  assert.equal(normalizeVersion("TLSv1.4"), undefined);
  assert.equal(normalizeVersion(0x0305), undefined);
  assert.equal(normalizeVersion(null), undefined);
});

Deno.test("normalizeGroup() maps OpenSSL and NIST spellings to IANA names", () => {
  assert.equal(normalizeGroup("X25519"), "x25519");
  assert.equal(normalizeGroup("prime256v1"), "secp256r1");
  assert.equal(normalizeGroup("P-384"), "secp384r1");
  assert.equal(normalizeGroup("ffdhe2048"), "ffdhe2048");
});

Deno.test("runtimeLimits() says what the runtime cannot enforce, per side", () => {
  // serve enforces client certificates (node:tls): nothing left unenforced on the server side.
  const server = { name: "mtls", role: "server" as const, clientCertificate: "required" as const };
  assert.deepEqual(runtimeLimits(server, "server"), []);
  assert.deepEqual(runtimeLimits(builtinPolicy("book-locked-server")!, "server"), []);
  assert.deepEqual(runtimeLimits(builtinPolicy("python-default-client")!, "client"), []);
  assert.equal(runtimeLimits(builtinPolicy("python-default-server")!, "client").length, 2);
});
