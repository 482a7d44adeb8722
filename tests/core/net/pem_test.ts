import assert from "node:assert/strict";
import { loadCaFile, loadCertifiedKey, splitPem } from "../../../core/net/pem.ts";
import { TlsprobeError } from "../../../core/errors.ts";
import { ROOT } from "../../_helpers/process.ts";

Deno.test("splitPem() separates the book's bundle into certificate and key", async () => {
  const parts = splitPem(await Deno.readTextFile(ROOT + "certs/localhost.pem"));
  assert.equal(parts.certificates.length, 1);
  assert.match(parts.key!, /^-----BEGIN PRIVATE KEY-----/);
});

Deno.test("splitPem() refuses an encrypted key with a way out", () => {
  assert.throws(
    () =>
      splitPem(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
      ),
    (e: unknown) =>
      e instanceof TlsprobeError && e.code === "BAD_INPUT" && /decrypt/.test(e.message),
  );
});

Deno.test("loadCertifiedKey() says what is missing, with stable codes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/junk.pem`, "not a pem at all\n");
    await assert.rejects(
      () => loadCertifiedKey(`${dir}/junk.pem`),
      (e: unknown) =>
        e instanceof TlsprobeError && e.code === "BAD_INPUT" &&
        /no PEM certificate/.test(e.message),
    );
    await assert.rejects(
      () => loadCertifiedKey(ROOT + "certs/localhost.crt"),
      (e: unknown) =>
        e instanceof TlsprobeError && e.code === "BAD_INPUT" && /no private key/.test(e.message) &&
        e.detail.advice === "key-file",
    );
    await assert.rejects(
      () => loadCertifiedKey(`${dir}/missing.pem`),
      (e: unknown) => e instanceof TlsprobeError && e.code === "FILE_NOT_FOUND",
    );
    const ok = await loadCertifiedKey(ROOT + "certs/localhost.crt", ROOT + "certs/localhost.key");
    assert.equal(ok.chainLength, 1);
    await assert.rejects(
      () => loadCaFile(ROOT + "certs/localhost.key"),
      (e: unknown) => e instanceof TlsprobeError && e.code === "BAD_INPUT",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("splitPem() refuses a certificate block that is not base64, and re-encodes the rest cleanly", async () => {
  assert.throws(
    () => splitPem("-----BEGIN CERTIFICATE-----\n%%%not base64%%%\n-----END CERTIFICATE-----\n"),
    (e: unknown) =>
      e instanceof TlsprobeError && e.code === "BAD_INPUT" && /not base64/.test(e.message),
  );
  const text = await Deno.readTextFile(ROOT + "certs/localhost.pem");
  const parts = splitPem(text.replaceAll("\n", "\r\n"));
  assert.equal(parts.certificates[0], splitPem(text).certificates[0]);
  assert.ok(text.includes(parts.certificates[0].trim()));
});
