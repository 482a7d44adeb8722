/**
 * Differential test: every certificate of the system CA bundle (Debian's
 * ca-certificates) and of tests/fixtures/x509 decodes, and its subject,
 * issuer, serial, validity, SHA-256 fingerprint, SAN, basic constraints, key
 * usage, version, signature algorithm and key size equal what
 * `openssl x509` prints, field by field.
 */
import assert from "node:assert/strict";
import {
  type CertificateInfo,
  decodeCertificate,
  parsePem,
  toPem,
} from "../../../core/x509/mod.ts";
import { opensslIp, opensslX509Text, splitOpensslNames } from "../../_helpers/openssl_x509.ts";

const BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const FIXTURES = new URL("../../fixtures/x509/", import.meta.url);

interface OpensslView {
  subject: string;
  issuer: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  sha256: string;
  basicConstraints?: string;
  keyUsage?: string;
  san?: string;
  version: number;
  signatureAlgorithm: string;
  keyBits?: number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `May  5 09:37:37 2011 GMT` to ISO 8601. */
function opensslDate(s: string): string {
  const m = /^(\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) (\d+) GMT$/.exec(s);
  assert.ok(m, `unexpected openssl date ${s}`);
  const d = new Date(
    Date.UTC(Number(m[6]), MONTHS.indexOf(m[1]), Number(m[2]), +m[3], +m[4], +m[5]),
  );
  if (Number(m[6]) < 100) d.setUTCFullYear(Number(m[6]));
  return d.toISOString().replace(".000Z", "Z");
}

async function opensslView(pem: string): Promise<OpensslView> {
  const { code, text } = await opensslX509Text(new TextEncoder().encode(pem), {
    extraArgs: ["-serial", "-dates", "-fingerprint", "-sha256"],
    ext: "subjectAltName,basicConstraints,keyUsage",
  });
  assert.equal(code, 0, "openssl x509 failed");
  const [head, body] = text.split(/^Certificate:$/m);
  const lines = head.split("\n");
  const field = (p: string) => lines.find((l) => l.startsWith(p))?.slice(p.length);
  const ext = (header: string) => {
    const i = lines.findIndex((l) => l.startsWith(header));
    return i < 0
      ? undefined
      : (lines[i].includes("critical") ? "critical " : "") + lines[i + 1].trim();
  };
  return {
    subject: field("subject=")!,
    issuer: field("issuer=")!,
    serial: field("serial=")!,
    notBefore: opensslDate(field("notBefore=")!),
    notAfter: opensslDate(field("notAfter=")!),
    sha256: field("sha256 Fingerprint=")!,
    basicConstraints: ext("X509v3 Basic Constraints:"),
    keyUsage: ext("X509v3 Key Usage:"),
    san: ext("X509v3 Subject Alternative Name:"),
    version: Number(/Version: (\d)/.exec(body)![1]),
    signatureAlgorithm: /Signature Algorithm: (\S+)/.exec(body)![1],
    keyBits: /Public-Key: \((\d+) bit\)/.exec(body)
      ? Number(/Public-Key: \((\d+) bit\)/.exec(body)![1])
      : undefined,
  };
}

const KU_TEXT: Record<string, string> = {
  digitalSignature: "Digital Signature",
  nonRepudiation: "Non Repudiation",
  keyEncipherment: "Key Encipherment",
  dataEncipherment: "Data Encipherment",
  keyAgreement: "Key Agreement",
  keyCertSign: "Certificate Sign",
  cRLSign: "CRL Sign",
  encipherOnly: "Encipher Only",
  decipherOnly: "Decipher Only",
};

function critical(c: CertificateInfo, oid: string): string {
  return c.extensions.find((e) => e.oid === oid)?.critical ? "critical " : "";
}

/** Compares one certificate with OpenSSL; returns the fields OpenSSL printed and we matched. */
function compare(c: CertificateInfo, o: OpensslView, label: string): Record<string, number> {
  const n: Record<string, number> = {};
  const eq = (a: unknown, b: unknown, f: string) => {
    assert.deepEqual(a, b, `${label}: ${f}`);
    if (b !== undefined) n[f] = (n[f] ?? 0) + 1;
  };
  eq(c.subject.rfc2253, o.subject, "subject");
  eq(c.issuer.rfc2253, o.issuer, "issuer");
  eq(c.serialNumber, o.serial, "serial");
  eq(c.notBefore, o.notBefore, "notBefore");
  eq(c.notAfter, o.notAfter, "notAfter");
  eq(c.sha256, o.sha256, "sha256");
  eq(c.version, o.version, "version");
  eq(c.signatureAlgorithm, o.signatureAlgorithm, "signature algorithm");
  if (o.keyBits !== undefined) eq(c.key.bits, o.keyBits, "key bits");
  const bc = c.basicConstraints;
  eq(
    bc
      ? `${critical(c, "2.5.29.19")}CA:${bc.ca ? "TRUE" : "FALSE"}${
        bc.pathLen !== undefined ? `, pathlen:${bc.pathLen}` : ""
      }`
      : undefined,
    o.basicConstraints,
    "basicConstraints",
  );
  eq(
    c.keyUsage
      ? `${critical(c, "2.5.29.15")}${c.keyUsage.map((k) => KU_TEXT[k]).join(", ")}`
      : undefined,
    o.keyUsage,
    "keyUsage",
  );
  const san = c.hasSan
    ? critical(c, "2.5.29.17") + [
      ...c.sans.dns.map((d) => `DNS:${d}`),
      ...c.sans.ip.map((i) => `IP Address:${opensslIp(i)}`),
      ...c.sans.email.map((e) => `email:${e}`),
      ...c.sans.uri.map((u) => `URI:${u}`),
    ].join(", ")
    : undefined;
  // OpenSSL prints names in encoded order; ours are grouped by kind, so compare
  // as sets. Directory names, other names and registered IDs are only counted.
  const split = (s?: string) =>
    s === undefined ? s : splitOpensslNames(s.replace(/^critical /, ""));
  const basic = (l?: string[]) => l?.filter((x) => /^(DNS|IP Address|email|URI):/.test(x)).sort();
  eq(basic(split(san)), basic(split(o.san)), "subjectAltName");
  eq(
    c.sans.other.length,
    (split(o.san) ?? []).length - (basic(split(o.san)) ?? []).length,
    "other names",
  );
  return n;
}

async function differential(
  ders: Uint8Array[],
  label: string,
): Promise<{ certs: number; fields: number; perField: string }> {
  const per: Record<string, number> = {};
  const infos = await Promise.all(ders.map((d) => decodeCertificate(d)));
  // Four openssl processes at a time: the machine is shared.
  for (let i = 0; i < infos.length; i += 4) {
    const batch = infos.slice(i, i + 4);
    const views = await Promise.all(batch.map((c) => opensslView(toPem(c.der))));
    batch.forEach((c, k) =>
      Object.entries(compare(c, views[k], `${label} #${i + k} ${c.subject.rfc2253}`)).forEach(
        ([f, m]) => per[f] = (per[f] ?? 0) + m,
      )
    );
  }
  const fields = Object.values(per).reduce((a, b) => a + b, 0);
  const perField = Object.entries(per).map(([f, m]) => `${f} ${m}`).join(", ");
  return { certs: infos.length, fields, perField };
}

Deno.test("decodeCertificate() agrees with openssl x509 on every certificate of the system CA bundle", async () => {
  const ders = parsePem(await Deno.readTextFile(BUNDLE));
  assert.ok(ders.length > 100, `only ${ders.length} certificates in ${BUNDLE}`);
  const { certs, fields, perField } = await differential(ders, "ca-bundle");
  console.log(
    `ca-bundle: ${certs} certificates, ${fields} fields equal to openssl x509 (${perField})`,
  );
});

Deno.test("decodeCertificate() agrees with openssl x509 on the fixtures (PSS signatures and keys, Ed25519, v1, UTF-8 names, IPv6 SANs)", async () => {
  const ders: Uint8Array[] = [];
  for (const f of ["leaf", "inter", "root", "ed25519", "v1", "pss"]) {
    ders.push(...parsePem(await Deno.readTextFile(new URL(`${f}.pem`, FIXTURES))));
  }
  const { certs, fields, perField } = await differential(ders, "fixtures");
  assert.equal(certs, 6);
  console.log(
    `fixtures: ${certs} certificates, ${fields} fields equal to openssl x509 (${perField})`,
  );
});
