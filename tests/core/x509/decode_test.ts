import assert from "node:assert/strict";
import { TlsprobeError } from "../../../core/errors.ts";
import {
  certificateToJson,
  decodeCertificate,
  decodeCertificateSync,
  orderChain,
  parsePem,
  readCertificates,
  toPem,
  verifyChain,
} from "../../../core/x509/mod.ts";

const FIXTURES = new URL("../../fixtures/x509/", import.meta.url);
const NOW = new Date("2030-01-01T00:00:00Z");

async function load(name: string) {
  return await Promise.all(
    parsePem(await Deno.readTextFile(new URL(name, FIXTURES))).map((d) => decodeCertificate(d)),
  );
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof TlsprobeError, `not a TlsprobeError: ${e}`);
    return e.code;
  }
  return "no error";
}

Deno.test("decodeCertificate() reads every extension of the leaf fixture", async () => {
  const [leaf] = await load("leaf.pem");
  assert.deepEqual(leaf.commonNames, ["www.example.test"]);
  assert.deepEqual(leaf.sans, {
    dns: ["www.example.test", "*.example.test", "xn--bcher-kva.example"],
    ip: ["192.0.2.7", "2001:db8::1"],
    email: ["ops@example.test"],
    uri: ["https://example.test/"],
    other: [],
  });
  assert.deepEqual(leaf.key, { ...leaf.key, type: "EC", curve: "P-256", bits: 256 });
  assert.equal(leaf.signature.name, "rsassaPss");
  assert.equal(leaf.signature.hash, "SHA-256");
  assert.equal(leaf.signature.saltLength, 32);
  assert.deepEqual(leaf.basicConstraints, { ca: false, critical: true });
  assert.deepEqual(leaf.keyUsage, ["digitalSignature", "keyEncipherment"]);
  assert.deepEqual(leaf.extendedKeyUsage, ["serverAuth", "clientAuth"]);
  assert.equal(leaf.sctCount, 2);
  assert.equal(leaf.isCA, false);
  assert.equal(leaf.selfSigned, false);
  assert.equal(leaf.serialNumber, "FF00FF00FF");
  assert.match(leaf.sha1, /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
  assert.equal(leaf.subject.rdns[3][0].value, 'Müller "Quoted"; GmbH');
  assert.equal(leaf.pem, toPem(leaf.der));
  assert.deepEqual(leaf.warnings, []);
  const json = JSON.parse(JSON.stringify(certificateToJson(leaf)));
  assert.equal(json.der, undefined);
  assert.equal(json.subject.rfc2253, leaf.subject.rfc2253);
});

Deno.test("decodeCertificate() reads AIA, CRL distribution points, policies and key identifiers", async () => {
  const [inter] = await load("inter.pem");
  const [root] = await load("root.pem");
  assert.deepEqual(inter.aia, {
    ocsp: ["http://ocsp.example.test"],
    caIssuers: ["http://ca.example.test/root.crt"],
  });
  assert.deepEqual(inter.crlDistributionPoints, ["http://crl.example.test/root.crl"]);
  assert.deepEqual(inter.policies, ["2.23.140.1.2.1 (DV)", "1.3.6.1.4.1.99999.1"]);
  assert.deepEqual(inter.basicConstraints, { ca: true, pathLen: 0, critical: true });
  assert.equal(inter.key.type, "RSA");
  assert.equal(inter.key.bits, 3072);
  assert.equal(inter.key.exponent, 65537);
  assert.equal(inter.authorityKeyId, root.subjectKeyId);
  assert.equal(root.selfSigned, true);
  assert.equal(
    inter.subject.readable,
    "C=GB, O=tlsprobe fixtures, OU=Issuing, Sub + CA, serialNumber=42 + CN=Fixture Intermediate RSA",
  );
});

Deno.test("decodeCertificate() reads Ed25519 keys, version 1 and negative serials", async () => {
  const [ed] = await load("ed25519.pem");
  assert.equal(ed.key.type, "Ed25519");
  assert.equal(ed.signatureAlgorithm, "ED25519");
  assert.equal(
    ed.subject.rfc2253,
    "DC=test,DC=example,emailAddress=root@example.test,CN=Fixture Ed25519",
  );
  const [v1] = await load("v1.pem");
  assert.equal(v1.version, 1);
  assert.equal(v1.serialNumber, "-3039");
  assert.equal(v1.hasSan, false);
  assert.equal(v1.basicConstraints, undefined);
});

Deno.test("orderChain() puts a shuffled chain in leaf-to-root order", async () => {
  const [leaf, inter, root] = await load("chain.pem");
  const [ed] = await load("ed25519.pem");
  const { chain, unused } = orderChain([root, ed, leaf, inter]);
  assert.deepEqual(chain.map((c) => c.commonNames[0]), [
    "www.example.test",
    "Fixture Intermediate RSA",
    "Fixture Root P-384",
  ]);
  assert.deepEqual(unused, [ed]);
});

Deno.test("verifyChain() verifies PSS, RSA and ECDSA links and Ed25519 self-signatures", async () => {
  const certs = await load("chain.pem");
  const report = await verifyChain(certs, { now: NOW });
  assert.deepEqual(report.links.map((l) => l.signature?.status), ["valid", "valid", "valid"]);
  assert.deepEqual(report.links.map((l) => l.issuerSource), ["chain", "chain", "self"]);
  assert.equal(report.complete, true);
  assert.equal(report.anchored, false);
  assert.equal(report.ok, true, JSON.stringify(report.links.map((l) => l.problems)));
  const anchored = await verifyChain(certs.slice(0, 2), { now: NOW, roots: [certs[2]] });
  assert.equal(anchored.anchored, true);
  assert.equal(anchored.links[1].issuerSource, "root");
  const [ed] = await load("ed25519.pem");
  assert.equal((await verifyChain([ed], { now: NOW })).links[0].signature?.status, "valid");
});

Deno.test("verifyChain() reports a wrong issuer, a bad signature and expiry", async () => {
  const [leaf, , root] = await load("chain.pem");
  const skip = await verifyChain([leaf, root], { now: NOW });
  assert.equal(skip.ok, false);
  assert.equal(skip.links[0].nameMatch, false);
  // The leaf is RSA-PSS signed; the root's key is EC: nothing to verify with.
  assert.equal(skip.links[0].signature?.status, "unsupported");
  const later = await verifyChain([root], { now: new Date("2200-01-01T00:00:00Z") });
  assert.equal(later.links[0].validity, "expired");
  assert.ok(later.links[0].daysLeft < 0);
  // Flip one bit in the leaf's signature.
  const der = new Uint8Array(leaf.der);
  der[der.length - 5] ^= 1;
  const bad = await decodeCertificate(der);
  const [, inter] = await load("chain.pem");
  const r = await verifyChain([bad, inter], { now: NOW });
  assert.equal(r.links[0].signature?.status, "invalid");
});

Deno.test("parsePem() rejects text without certificates with BAD_INPUT", async () => {
  assert.equal(code(() => parsePem("hello")), "BAD_INPUT");
  const key = await Deno.readTextFile(new URL("leaf.key", FIXTURES));
  assert.equal(code(() => parsePem(key)), "BAD_INPUT");
  try {
    parsePem(key);
  } catch (e) {
    assert.match((e as Error).message, /PRIVATE KEY, not a CERTIFICATE/);
  }
  assert.equal(
    code(() => parsePem("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----")),
    "BAD_INPUT",
  );
  assert.equal(
    code(() => parsePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----")),
    "BAD_INPUT",
  );
  // A bundle with a key in it: the certificates are kept.
  const both = (await Deno.readTextFile(new URL("leaf.pem", FIXTURES))) + key;
  assert.equal(parsePem(both).length, 1);
});

Deno.test("readCertificates() reads PEM bundles and concatenated DER", async () => {
  const ders = parsePem(await Deno.readTextFile(new URL("chain.pem", FIXTURES)));
  assert.equal(ders.length, 3);
  const cat = new Uint8Array(ders.reduce((n, d) => n + d.length, 0));
  let p = 0;
  for (const d of ders) {
    cat.set(d, p);
    p += d.length;
  }
  assert.deepEqual(readCertificates(cat), ders);
  assert.equal(code(() => readCertificates(new Uint8Array())), "BAD_INPUT");
});

Deno.test("decodeCertificateSync() fails with CERT_INVALID and an offset on every strict prefix", async () => {
  const [der] = parsePem(await Deno.readTextFile(new URL("leaf.pem", FIXTURES)));
  for (let n = 0; n < der.length; n++) {
    try {
      decodeCertificateSync(der.subarray(0, n));
      assert.fail(`prefix of ${n} bytes decoded`);
    } catch (e) {
      assert.ok(e instanceof TlsprobeError && e.code === "CERT_INVALID", `prefix ${n}: ${e}`);
      assert.equal(typeof e.detail.offset, "number", `prefix ${n}: no offset`);
    }
  }
  // Trailing data after the certificate is rejected too.
  assert.equal(code(() => decodeCertificateSync(Uint8Array.from([...der, 0]))), "CERT_INVALID");
});

Deno.test("decodeCertificateSync() rejects duplicate extensions (RFC 5280 section 4.2)", async () => {
  const [der] = parsePem(await Deno.readTextFile(new URL("ed25519.pem", FIXTURES)));
  // The Ed25519 fixture has SKI then AKI with the same 20-byte key id: turn the AKI's
  // OID (2.5.29.35) into the SKI's (2.5.29.14) and the structure stays valid DER.
  const b = new Uint8Array(der);
  const aki = b.findIndex((_, i) =>
    b[i] === 0x06 && b[i + 1] === 3 && b[i + 2] === 0x55 && b[i + 3] === 0x1d && b[i + 4] === 0x23
  );
  assert.ok(aki > 0);
  b[aki + 4] = 0x0e;
  try {
    decodeCertificateSync(b);
    assert.fail("decoded");
  } catch (e) {
    assert.ok(e instanceof TlsprobeError);
    assert.match(e.message, /twice|subjectKeyIdentifier/);
  }
});

Deno.test("verifyChain() verifies a certificate whose key is an RSA-PSS key (id-RSASSA-PSS SPKI)", async () => {
  const [pss] = await load("pss.pem");
  assert.equal(pss.key.type, "RSA-PSS");
  assert.equal(pss.key.bits, 2048);
  assert.equal(pss.signature.name, "rsassaPss");
  const report = await verifyChain([pss], { now: NOW });
  assert.equal(report.links[0].signature?.status, "valid", report.links[0].signature?.reason);
});

Deno.test("parsePem() takes CRLF line ends, explanatory text and TRUSTED CERTIFICATE blocks", async () => {
  const pem = await Deno.readTextFile(new URL("leaf.pem", FIXTURES));
  const [der] = parsePem(pem);
  const crlf = "Subject: the leaf\r\n" + pem.replaceAll("\n", "\r\n");
  assert.deepEqual(parsePem(crlf), [der]);
  // OpenSSL's TRUSTED CERTIFICATE is the certificate followed by trust settings.
  const trusted = toPem(Uint8Array.from([...der, 0x30, 0x02, 0x05, 0x00]), "TRUSTED CERTIFICATE");
  assert.deepEqual(parsePem(trusted), [der]);
  assert.equal(toPem(der), pem);
});
