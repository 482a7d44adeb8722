import assert from "node:assert/strict";
import { generateOidTable, OID_TABLE_PATH, parseObjectList } from "../../../tools/gen_oids.ts";
import { attributeShortName, oidLongName, oidShortName } from "../../../core/x509/oids.ts";

const header = Deno.readTextFileSync(OID_TABLE_PATH).split("\n")[1];
const local = new TextDecoder().decode(
  (await new Deno.Command("openssl", { args: ["version"], stderr: "null" }).output()).stdout,
).trim();
const sameOpenssl = header.includes(local);

Deno.test("core/x509/oid_table.ts equals what tools/gen_oids.ts gives from the local openssl", {
  ignore: !sameOpenssl,
}, async () => {
  assert.equal(Deno.readTextFileSync(OID_TABLE_PATH), await generateOidTable());
});

Deno.test("parseObjectList() reads long names with commas and skips objects without an OID", () => {
  const m = parseObjectList(
    [
      "rsadsi = RSA Data Security, Inc., 1.2.840.113549",
      "rsaEncryption = 1.2.840.113549.1.1.1",
      "# None-OID object: gost89-cnt, gost89-cnt",
      "undef = undefined",
      "again = 1.2.840.113549.1.1.1",
    ].join("\n"),
  );
  assert.deepEqual([...m], [
    ["1.2.840.113549", ["rsadsi", "RSA Data Security, Inc."]],
    ["1.2.840.113549.1.1.1", ["rsaEncryption", "rsaEncryption"]],
  ]);
});

Deno.test("the OID table names what openssl names: GOST, DSA, SM2, brainpool, Ed448, X448, md5, alternate RSA, Russian and EV name attributes", () => {
  const long: Record<string, string> = {
    "1.2.643.2.2.3": "GOST R 34.11-94 with GOST R 34.10-2001",
    "1.2.643.2.2.19": "GOST R 34.10-2001",
    "1.2.643.7.1.1.1.1": "GOST R 34.10-2012 with 256 bit modulus",
    "1.2.643.7.1.1.3.2": "GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)",
    "1.2.840.10040.4.1": "dsaEncryption",
    "1.2.840.10040.4.3": "dsaWithSHA1",
    "1.2.156.10197.1.301": "sm2",
    "1.2.156.10197.1.501": "SM2-with-SM3",
    "1.3.101.113": "ED448",
    "1.3.101.111": "X448",
    "1.2.840.113549.2.5": "md5",
    "1.3.14.3.2.29": "sha1WithRSA",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1",
  };
  for (const [oid, ln] of Object.entries(long)) assert.equal(oidLongName(oid), ln, oid);
  const attrs: Record<string, string> = {
    "1.2.643.3.131.1.1": "INN",
    "1.2.643.100.1": "OGRN",
    "1.2.643.100.3": "SNILS",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
    "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
    "2.5.4.97": "organizationIdentifier",
    "2.5.4.3": "CN",
    "2.5.4.15": "businessCategory",
  };
  for (const [oid, sn] of Object.entries(attrs)) assert.equal(attributeShortName(oid), sn, oid);
  assert.equal(oidShortName("1.3.6.1.5.5.7.1.24"), "tlsfeature");
  assert.equal(oidShortName("1.2.3.4.5.6.7"), "1.2.3.4.5.6.7");
  assert.equal(oidShortName("toString"), "toString");
  assert.equal(attributeShortName("__proto__"), undefined);
});
