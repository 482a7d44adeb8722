import assert from "node:assert/strict";
import {
  CIPHER_SUITES,
  cipherSuiteByCode,
  cipherSuiteByName,
  cipherSuiteName,
  formatCode,
  rateCipherSuite,
} from "../../../core/registry/mod.ts";
import {
  ALL_TLS13,
  DATA_PATH,
  fmt,
  generate,
  opensslCiphers,
  parseStdnameV,
  TABLE_PATH,
} from "../../../tools/gen_cipher_suites.ts";
import { OPENSSL_3_0_VERSION } from "../../../core/openssl/data_3_0.ts";
import { opensslVersion } from "../../_helpers/openssl.ts";

const version = await opensslVersion();
const sameOpenssl = version !== undefined && OPENSSL_3_0_VERSION === version;

Deno.test("CIPHER_SUITES is sorted by code with unique codes and names", () => {
  for (let i = 1; i < CIPHER_SUITES.length; i++) {
    assert.ok(CIPHER_SUITES[i - 1].code < CIPHER_SUITES[i].code, CIPHER_SUITES[i].iana);
  }
  assert.equal(new Set(CIPHER_SUITES.map((s) => s.iana)).size, CIPHER_SUITES.length);
  const names = CIPHER_SUITES.flatMap((s) => s.openssl ? [s.openssl] : []);
  assert.equal(new Set(names).size, names.length);
  assert.ok(CIPHER_SUITES.length >= 270, `only ${CIPHER_SUITES.length} suites`);
});

Deno.test(
  "CIPHER_SUITES agrees with the local openssl ciphers -V -stdname for every suite it knows",
  {
    ignore: version === undefined,
  },
  async () => {
    const rows = parseStdnameV(
      await opensslCiphers([
        "-V",
        "-stdname",
        "-ciphersuites",
        ALL_TLS13,
        "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
      ]),
    );
    assert.ok(rows.length >= 150);
    for (const r of rows) {
      const s = cipherSuiteByCode(r.code);
      assert.ok(s, `missing ${r.iana}`);
      assert.deepEqual(
        [s.iana, s.openssl, s.definedIn, s.kx, s.au, s.enc, s.bits, s.mac],
        [r.iana, r.openssl, r.definedIn, r.kx, r.au, r.enc, r.bits, r.mac],
      );
      assert.equal(s.source, "openssl");
    }
  },
);

Deno.test("the generated tables equal what tools/gen_cipher_suites.ts gives now", {
  ignore: !sameOpenssl,
}, async () => {
  const { table, data } = await generate();
  assert.equal(Deno.readTextFileSync(TABLE_PATH), await fmt(table));
  assert.equal(Deno.readTextFileSync(DATA_PATH), await fmt(data));
});

Deno.test("cipherSuiteByCode() and cipherSuiteByName() find IANA, OpenSSL and SCSV entries", () => {
  assert.equal(cipherSuiteByCode(0x1301)?.iana, "TLS_AES_128_GCM_SHA256");
  assert.equal(cipherSuiteByCode(0x1305)?.iana, "TLS_AES_128_CCM_8_SHA256");
  assert.equal(cipherSuiteByName("ECDHE-RSA-AES128-GCM-SHA256")?.code, 0xC02F);
  assert.equal(cipherSuiteByName("TLS_RSA_WITH_RC4_128_SHA")?.openssl, "RC4-SHA");
  assert.equal(cipherSuiteByCode(0x00FF)?.scsv, true);
  assert.equal(cipherSuiteByCode(0x5600)?.iana, "TLS_FALLBACK_SCSV");
  assert.equal(cipherSuiteByCode(0xABCD), undefined);
  assert.equal(cipherSuiteByName("ecdhe-rsa-aes128-gcm-sha256"), undefined);
});

Deno.test("formatCode() and cipherSuiteName() fall back to 0x%04X", () => {
  assert.equal(formatCode(0x5), "0x0005");
  assert.equal(formatCode(0xC02F), "0xC02F");
  assert.equal(cipherSuiteName(0xABCD), "0xABCD");
  assert.equal(cipherSuiteName(0xC02F), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
});

Deno.test("ratings follow forward secrecy, AEAD and broken primitives", () => {
  const r = (n: string) => cipherSuiteByName(n)!;
  assert.equal(r("ECDHE-RSA-AES128-GCM-SHA256").rating, "recommended");
  assert.equal(r("TLS_AES_256_GCM_SHA384").rating, "recommended");
  assert.equal(r("TLS_AES_128_CCM_8_SHA256").rating, "secure");
  assert.equal(r("DHE-RSA-AES128-GCM-SHA256").rating, "secure");
  assert.equal(r("AES128-GCM-SHA256").rating, "weak");
  assert.match(r("AES128-GCM-SHA256").ratingReason, /no forward secrecy/);
  assert.equal(r("ECDHE-RSA-AES128-SHA").rating, "weak");
  assert.match(r("ECDHE-RSA-AES128-SHA").ratingReason, /CBC mode with SHA-1/);
  assert.equal(r("DES-CBC3-SHA").rating, "weak");
  assert.match(r("DES-CBC3-SHA").ratingReason, /SWEET32/);
  for (const n of ["RC4-SHA", "NULL-SHA", "ADH-AES128-SHA", "EXP-RC4-MD5", "DES-CBC-SHA"]) {
    assert.equal(r(n).rating, "insecure", n);
  }
  assert.equal(r("TLS_FALLBACK_SCSV").rating, "signaling");
  assert.equal(r("ECDHE-RSA-AES128-GCM-SHA256").pfs, true);
  assert.equal(r("AES128-SHA").pfs, false);
  assert.equal(r("AES128-SHA").aead, false);
  for (const s of CIPHER_SUITES) {
    const again = rateCipherSuite(s);
    assert.equal(s.rating, again.rating, s.iana);
    assert.equal(s.ratingReason, again.reasons.join("; "), s.iana);
  }
});
