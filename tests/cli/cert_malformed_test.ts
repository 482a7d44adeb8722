/**
 * `tlsprobe cert` on malformed and unusual certificates (from the odd corpus):
 * every readable field shown, each violation a finding, exit status 1 with
 * `CERT_INVALID` when malformed; `--check-name` stays on the strict decoder.
 */
import assert from "node:assert/strict";
import { tlsprobe } from "../_helpers/process.ts";
import { oddCertificates } from "../_helpers/odd_certs.ts";

const corpus = new Map(oddCertificates().map((c) => [c.name, c.der]));

async function withCert(name: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tlsprobe-odd-" });
  try {
    const path = `${dir}/cert.der`;
    await Deno.writeFile(path, corpus.get(name)!);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("cert shows a malformed certificate's fields and findings, and exits 1 with CERT_INVALID", async () => {
  const cases: [string, RegExp][] = [
    [
      "duplicate subjectAltName",
      /error x509\.duplicate-extension: .*subjectAltName appears twice \[RFC 5280 section 4\.2\]/,
    ],
    [
      "signature BIT STRING with 1 unused bit",
      /error x509\.signature-unused-bits: .*\[RFC 5280 section 4\.1\.1\.3/,
    ],
    [
      "validity UTCTime month 13",
      /error x509\.malformed-notBefore: .*"251301000000Z" is not a valid time/,
    ],
    ["version 4 (unknown)", /error x509\.unknown-version: Cannot read version: 3 is not 0, 1 or 2/],
    ["SAN dNSName with UTF-8 bytes", /warning x509\.san-not-ia5: .*dNSName holds bytes above 0x7F/],
  ];
  for (const [name, finding] of cases) {
    await withCert(name, async (path) => {
      const r = await tlsprobe(["cert", path]);
      assert.equal(r.code, 1, `${name}: ${r.stderr}`);
      assert.match(r.stdout, /Subject +CN=odd\.example,C=XX/, name);
      assert.match(r.stdout, /Issuer +CN=Odd CA,O=tlsprobe tests,C=XX/, name);
      assert.match(r.stdout, /Names +DNS:/, name);
      assert.match(r.stdout, finding, name);
      assert.match(r.stderr, /CERT_INVALID: 1 of 1 certificate is malformed/, name);
    });
  }
  await withCert("SAN dNSName with UTF-8 bytes", async (path) => {
    const r = await tlsprobe(["cert", path]);
    assert.match(r.stdout, /Names +DNS:café\.example/);
  });
});

Deno.test("cert --json carries the findings and the CERT_INVALID error", async () => {
  await withCert("duplicate basicConstraints", async (path) => {
    const r = await tlsprobe(["cert", "--json", path]);
    assert.equal(r.code, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.outcome, "error");
    assert.equal(j.error.code, "CERT_INVALID");
    assert.equal(j.certificates[0].subject.rfc2253, "CN=odd.example,C=XX");
    const f = j.certificates[0].findings.find((x: { rule: string }) =>
      x.rule === "x509.duplicate-extension"
    );
    assert.deepEqual(
      [f.severity, f.clause, f.field],
      ["error", "RFC 5280 section 4.2", "basicConstraints"],
    );
  });
});

Deno.test("cert shows ediPartyName, x400Address and GOST names, exit 0; --check-name stays strict", async () => {
  await withCert("SAN ediPartyName with a name assigner", async (path) => {
    const r = await tlsprobe(["cert", path]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Names +EdiPartyName:assigner\/party/);
    assert.match(r.stdout, /info x509\.strict-decoder-refuses/);
    const strict = await tlsprobe(["cert", "--check-name", "odd.example", path]);
    assert.equal(strict.code, 1);
    assert.match(strict.stderr, /CERT_INVALID/);
  });
  await withCert("SAN x400Address", async (path) => {
    const r = await tlsprobe(["cert", path]);
    assert.match(r.stdout, /Names +X400Name:#/);
  });
  await withCert("GOST key and signature gost2001", async (path) => {
    const r = await tlsprobe(["cert", "-v", path]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Signature +GOST R 34\.11-94 with GOST R 34\.10-2001/);
    assert.match(r.stdout, /Key +GOST R 34\.10-2001/);
  });
  await withCert("name attribute 1.2.643.3.131.1.1", async (path) => {
    const r = await tlsprobe(["cert", path]);
    assert.match(r.stdout, /Subject +INN=007700000000,CN=odd\.example/);
  });
  await withCert("key ec-explicit-prime256v1", async (path) => {
    const r = await tlsprobe(["cert", path]);
    assert.match(r.stdout, /Key +EC explicit parameters \(256 bits\)/);
  });
});

Deno.test("cert --check-name refuses a malformed certificate as before (strict decoder)", async () => {
  for (const name of ["duplicate subjectAltName", "signature BIT STRING with 1 unused bit"]) {
    await withCert(name, async (path) => {
      const r = await tlsprobe(["cert", "--check-name", "odd.example", path]);
      assert.equal(r.code, 1, name);
      assert.match(r.stderr, /CERT_INVALID: Cannot read/, name);
      assert.equal(r.stdout, "", name);
    });
  }
});
