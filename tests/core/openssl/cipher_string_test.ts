import assert from "node:assert/strict";
import {
  expandCipherString,
  formatCiphers,
  formatCiphersV,
  opensslCipherName,
} from "../../../core/openssl/mod.ts";
import { TlsprobeError } from "../../../core/errors.ts";

const names = (s: string | undefined, opts = {}) =>
  expandCipherString(s, { ciphersuites: "", ...opts }).suites.map((x) => x.openssl);

Deno.test("expandCipherString() gives the book's ECDH+AES128 list in OpenSSL 3.0 order", () => {
  assert.deepEqual(names("ECDH+AES128"), [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-CCM8",
    "ECDHE-ECDSA-AES128-CCM",
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    // ECDH is kECDHE: anonymous ECDH too, but not ECDHE-PSK (kECDHEPSK).
    "AECDH-AES128-SHA",
  ]);
});

Deno.test("expandCipherString() prepends OpenSSL's default TLS 1.3 suites", () => {
  const { suites } = expandCipherString("AES128-SHA");
  assert.deepEqual(suites.map((s) => s.iana), [
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
  ]);
});

Deno.test("expandCipherString() applies !, -, + and @STRENGTH", () => {
  assert.deepEqual(names("AES128-SHA:AES256-SHA:!AES128-SHA"), ["AES256-SHA"]);
  assert.deepEqual(names("AES128-SHA:AES256-SHA:-AES128-SHA:AES128-SHA"), [
    "AES256-SHA",
    "AES128-SHA",
  ]);
  assert.deepEqual(names("AES128-SHA:AES256-SHA:+AES128-SHA"), ["AES256-SHA", "AES128-SHA"]);
  assert.deepEqual(names("AES128-SHA:AES256-SHA:@STRENGTH"), ["AES256-SHA", "AES128-SHA"]);
  // Killed suites cannot come back.
  assert.deepEqual(names("!AES128-SHA:AES128-SHA:AES256-SHA"), ["AES256-SHA"]);
});

Deno.test("expandCipherString() keeps the security level and the -s filter", () => {
  assert.equal(expandCipherString("ALL:@SECLEVEL=4").securityLevel, 4);
  const s = expandCipherString("ALL:@SECLEVEL=3", { supportedOnly: true, ciphersuites: "" });
  assert.ok(s.suites.every((x) => x.pfs), "level 3 keeps forward-secret suites only");
  const t12 = expandCipherString("ALL", { supportedOnly: true, protocols: ["TLSv1.2"] });
  assert.ok(t12.suites.every((x) => x.definedIn !== "TLSv1.3"));
  assert.ok(t12.suites.every((x) => !x.kx.includes("PSK")), "no PSK without a PSK callback");
});

Deno.test("expandCipherString() rejects what OpenSSL rejects with BAD_INPUT", () => {
  for (const bad of ["FOO", "ALL:@BAD", "ALL:_x", "@SECLEVEL=6:ALL", "eNULL:!eNULL", ""]) {
    assert.throws(() => expandCipherString(bad), (e: unknown) => {
      assert.ok(e instanceof TlsprobeError, bad);
      assert.equal(e.code, "BAD_INPUT");
      return true;
    });
  }
  assert.throws(
    () => expandCipherString("ALL", { ciphersuites: "NOPE" }),
    (e: unknown) => e instanceof TlsprobeError && e.detail.field === "ciphersuites",
  );
  // The offset of the offending character, for editor diagnostics.
  for (
    const [bad, offset] of [["ALL:_x", 4], ["ALL:@FOO", 4], ["DEFAULT:_x", 8], [
      "HIGH+(",
      5,
    ]] as const
  ) {
    assert.throws(() => expandCipherString(bad), (e: unknown) => {
      assert.ok(e instanceof TlsprobeError);
      assert.equal(e.detail.offset, offset, bad);
      return true;
    });
  }
  assert.throws(
    () => expandCipherString("ALL", { version: "9.9" as "3.0" }),
    (e: unknown) => e instanceof TlsprobeError && e.code === "UNSUPPORTED",
  );
  // Unknown names alone are ignored, as OpenSSL ignores them.
  assert.deepEqual(names("FOO:AES128-SHA"), ["AES128-SHA"]);
});

Deno.test("formatCiphers() renders -v, -V and -stdname lines byte for byte", () => {
  const { ciphers } = expandCipherString("NULL-MD5", { ciphersuites: "" });
  assert.equal(
    formatCiphers(ciphers, { v: true }),
    "NULL-MD5                       SSLv3   Kx=RSA      Au=RSA   Enc=None                   Mac=MD5 \n",
  );
  assert.equal(
    formatCiphers(ciphers, { V: true, stdname: true }),
    "          0x00,0x01 - TLS_RSA_WITH_NULL_MD5                         - " +
      "NULL-MD5                       SSLv3   Kx=RSA      Au=RSA   Enc=None                   Mac=MD5 \n",
  );
  assert.equal(formatCiphers([], {}), "\n");
  assert.equal(formatCiphers([], { v: true }), "");
  assert.deepEqual(formatCiphersV(ciphers), [
    "NULL-MD5                       SSLv3   Kx=RSA      Au=RSA   Enc=None                   Mac=MD5 ",
  ]);
});

Deno.test("opensslCipherName() converts standard names like openssl ciphers -convert", () => {
  assert.equal(opensslCipherName("TLS_RSA_WITH_AES_128_CBC_SHA"), "AES128-SHA");
  assert.equal(opensslCipherName("TLS_RSA_WITH_SEED_CBC_SHA"), "SEED-SHA");
  assert.equal(opensslCipherName("TLS_RSA_WITH_RC4_128_SHA"), "(NONE)");
  assert.equal(opensslCipherName("AES128-SHA"), "(NONE)");
});

Deno.test("expandCipherString() survives random input with only TlsprobeError", () => {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const alphabet = "ALHIGHaNULL+-!@:,; =._SECLEVEL0123456789STRENGTHkRSAECDHé\0";
  for (let i = 0; i < 20000; i++) {
    let s = "";
    const n = Math.floor(rand() * 24);
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(rand() * alphabet.length)];
    try {
      expandCipherString(s);
    } catch (e) {
      assert.ok(e instanceof TlsprobeError, `${JSON.stringify(s)}: ${e}`);
    }
  }
});
