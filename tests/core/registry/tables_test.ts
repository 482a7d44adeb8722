/**
 * The registry tables beside the cipher suites: versions, groups, signature
 * schemes, extensions, alerts.
 */
import assert from "node:assert/strict";
import {
  ALERT_DESCRIPTIONS,
  alertByCode,
  alertName,
  extensionName,
  groupByCode,
  groupByName,
  groupName,
  GROUPS,
  isGrease,
  SIGNATURE_SCHEMES,
  signatureSchemeByName,
  signatureSchemeName,
  versionByCode,
  versionByName,
  versionName,
} from "../../../core/registry/mod.ts";
import { ERROR_CODES } from "../../../core/errors.ts";

Deno.test("versionByName() knows OpenSSL, IETF and short spellings", () => {
  for (const n of ["TLSv1.2", "tls1_2", "TLS 1.2", "1.2"]) {
    assert.equal(versionByName(n)?.code, 0x0303, n);
  }
  assert.equal(versionByName("TLSv1")?.code, 0x0301);
  assert.equal(versionByName("SSLv3")?.code, 0x0300);
  assert.equal(versionByName("TLSv1.4"), undefined);
  assert.equal(versionName(0x0304), "TLSv1.3");
  assert.equal(versionName(0x7f1c), "0x7F1C");
  assert.equal(versionByCode(0x0302)?.insecure, true);
  assert.equal(versionByCode(0x0303)?.insecure, false);
});

Deno.test("groups cover the classical, finite-field and post-quantum hybrid groups", () => {
  for (
    const [code, name] of [
      [0x001d, "x25519"],
      [0x001e, "x448"],
      [0x0017, "secp256r1"],
      [0x0018, "secp384r1"],
      [0x0019, "secp521r1"],
      [0x0100, "ffdhe2048"],
      [0x0104, "ffdhe8192"],
      [0x11ec, "X25519MLKEM768"],
      [0x11eb, "SecP256r1MLKEM768"],
      [0x11ed, "SecP384r1MLKEM1024"],
      [0x001a, "brainpoolP256r1"],
    ] as const
  ) {
    assert.equal(groupName(code), name);
    assert.equal(groupByName(name)?.code, code);
  }
  assert.equal(groupByName("P-256")?.code, 0x0017);
  assert.equal(groupByName("prime256v1")?.code, 0x0017);
  assert.equal(groupByCode(0x11ec)?.postQuantum, true);
  assert.equal(groupName(0xabcd), "0xABCD");
  assert.equal(new Set(GROUPS.map((g) => g.code)).size, GROUPS.length);
});

Deno.test("isGrease() recognises exactly the RFC 8701 values", () => {
  const grease = [];
  for (let c = 0; c < 0x10000; c++) if (isGrease(c)) grease.push(c);
  assert.equal(grease.length, 16);
  assert.ok(grease.every((c) => (c & 0xff) === ((c >> 8) & 0xff) && (c & 0x0f) === 0x0a));
});

Deno.test("signature schemes map both ways and mark SHA-1 and MD5 insecure", () => {
  assert.equal(signatureSchemeName(0x0804), "rsa_pss_rsae_sha256");
  assert.equal(signatureSchemeByName("ed25519")?.code, 0x0807);
  assert.ok(signatureSchemeByName("rsa_pkcs1_sha1")?.insecure);
  assert.equal(signatureSchemeByName("rsa_pkcs1_sha256")?.tls13, false);
  assert.equal(new Set(SIGNATURE_SCHEMES.map((s) => s.code)).size, SIGNATURE_SCHEMES.length);
});

Deno.test("extensions and alerts have IANA names and alerts map to stable error codes", () => {
  assert.equal(extensionName(51), "key_share");
  assert.equal(extensionName(0xff01), "renegotiation_info");
  assert.equal(alertName(116), "certificate_required");
  assert.equal(alertByCode(40)?.error, "HANDSHAKE_FAILURE");
  assert.equal(alertByCode(70)?.error, "PROTOCOL_VERSION");
  for (const a of ALERT_DESCRIPTIONS) assert.ok(ERROR_CODES.includes(a.error), a.name);
});
