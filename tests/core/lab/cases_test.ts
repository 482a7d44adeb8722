/**
 * The lab's cases and PKI (`core/lab/cases.ts`): each certificate has the
 * flaw its case names, read back with the project's decoder; the index
 * renderers list every case, served or not.
 */
import assert from "node:assert/strict";
import { LAB_CASES, labHtml, labJson, labText, makeLabPki } from "../../../core/lab/cases.ts";
import { decodeCertificate } from "../../../core/x509/decode.ts";
import { parsePem } from "../../../core/x509/pem.ts";

const NOW = new Date("2026-06-01T12:00:00Z");

Deno.test("makeLabPki() gives each leaf the flaw its case names", async () => {
  const pki = await makeLabPki(NOW);
  const decode = async (pem: string) =>
    await Promise.all(parsePem(pem).map((d) => decodeCertificate(d)));
  const [good, inter] = await decode(pki.chains.good.full);
  const [root] = await decode(pki.caPem);
  assert.equal(good.issuer.rfc2253, inter.subject.rfc2253);
  assert.equal(inter.issuer.rfc2253, root.subject.rfc2253);
  assert.deepEqual(good.sans.dns, ["localhost"]);
  assert.ok(new Date(good.notBefore) < NOW && NOW < new Date(good.notAfter));
  assert.equal(parsePem(pki.chains.good.leaf).length, 1);

  const [expired] = await decode(pki.chains.expired.full);
  assert.ok(new Date(expired.notAfter) < NOW);
  const [future] = await decode(pki.chains["not-yet-valid"].full);
  assert.ok(new Date(future.notBefore) > NOW);
  const [wrong] = await decode(pki.chains["wrong-host"].full);
  assert.deepEqual(wrong.sans.dns, ["wrong.host.invalid"]);
  assert.deepEqual(wrong.sans.ip, []);
  const self = await decode(pki.chains["self-signed"].full);
  assert.equal(self.length, 1);
  assert.equal(self[0].issuer.rfc2253, self[0].subject.rfc2253);
  const [untrusted, other] = await decode(pki.chains["untrusted-root"].full);
  assert.equal(untrusted.issuer.rfc2253, other.subject.rfc2253);
  assert.notEqual(other.subject.rfc2253, root.subject.rfc2253);

  const secret = pki.files.filter((f) => f.secret).map((f) => f.name).sort();
  assert.deepEqual(secret, [
    "client.key",
    "client.pem",
    "leaf-rsa.key",
    "leaf-rsa1024.key",
    "leaf.key",
  ]);
  assert.ok(pki.files.every((f) => f.secret === f.content.includes("PRIVATE KEY")));
});

Deno.test("LAB_CASES: names are unique; unserved cases say why; the lab engine serves the legacy ones", () => {
  assert.equal(new Set(LAB_CASES.map((c) => c.name)).size, LAB_CASES.length);
  for (const c of LAB_CASES) {
    if (!c.serve) assert.match(c.description, /not served \(no .* in WebCrypto/);
    if (c.expect === "reject" && c.serve) assert.ok(c.error, c.name);
  }
  assert.deepEqual(LAB_CASES.filter((c) => !c.serve).map((c) => c.name), []);
  assert.equal(LAB_CASES.filter((c) => c.serve && !c.serve.engine).length, 11);
  assert.equal(LAB_CASES.filter((c) => c.serve?.engine).length, 12);
});

Deno.test("makeLabPki() makes the weak leaves: SHA-1 signed, RSA 1024, and an RSA leaf", async () => {
  const pki = await makeLabPki(NOW);
  const [sha1] = await Promise.all(
    parsePem(pki.chains["sha1-signature"].leaf).map((d) => decodeCertificate(d)),
  );
  const [weak] = await Promise.all(
    parsePem(pki.chains.rsa1024.leaf).map((d) => decodeCertificate(d)),
  );
  const [rsa] = await Promise.all(
    parsePem(pki.chains["good-rsa"].leaf).map((d) => decodeCertificate(d)),
  );
  assert.match(JSON.stringify(sha1.signatureAlgorithm), /sha1|SHA-1|1\.2\.840\.10045\.4\.1/i);
  assert.match(JSON.stringify(weak.key), /1024/);
  assert.match(JSON.stringify(rsa.key), /2048/);
});

Deno.test("labText(), labJson() and labHtml() list every endpoint", () => {
  const index = {
    host: "127.0.0.1",
    port: 9000,
    ca: "/tmp/l/labca.crt",
    dir: "/tmp/l",
    endpoints: LAB_CASES.map((c, i) => ({
      name: c.name,
      port: c.serve ? 9001 + i : null,
      expect: c.expect,
      client: c.client,
      description: c.description,
      served: !!c.serve,
    })).concat([{
      // Every case is served today; an unserved one is still listed, without a port.
      name: "unserved",
      port: null,
      expect: "reject",
      client: "rejects",
      description: "not served (an example)",
      served: false,
    }]),
  };
  const text = labText(index).join("\n");
  for (const c of LAB_CASES) assert.ok(text.includes(c.name), c.name);
  assert.match(text, /^9002 {2}expired /m);
  assert.match(text, /^- {5}unserved /m);
  assert.equal(labJson(index).schemaVersion, 1);
  assert.equal(labJson(index).lab.endpoints.length, LAB_CASES.length + 1);
  const html = labHtml({ ...index, ca: "<script>" });
  assert.ok(!html.includes("<script>"));
  assert.match(html, /<td>9001<\/td><td>good<\/td>/);
});
