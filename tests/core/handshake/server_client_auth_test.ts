/**
 * The lab engine's client-authentication pieces on literal inputs: the
 * CertificateRequest parses back with the CA's name, every strict prefix of
 * a client Certificate fails as PEER_MALFORMED, an empty one is refused only
 * when required (with the version's alert), and a CertificateVerify made with
 * the client's key checks while a flipped bit or an unoffered scheme does not.
 */
import assert from "node:assert/strict";
import { TlsprobeError } from "../../../core/errors.ts";
import {
  certificateRequestBody,
  checkClientCertificate,
  checkClientVerify,
  type LabClientAuth,
} from "../../../core/handshake/server_client_auth.ts";
import { importServerKey, signWith } from "../../../core/handshake/server_keys.ts";
import { encodeCertificate } from "../../../core/wire/encode.ts";
import { parseCertificateRequest } from "../../../core/wire/messages.ts";
import { parsePem, parsePemBlocks } from "../../../core/x509/pem.ts";
import { decodeCertificate } from "../../../core/x509/decode.ts";
import { ROOT } from "../../_helpers/process.ts";

const CA = parsePem(await Deno.readTextFile(`${ROOT}certs/ca.crt`));
const CLIENT = parsePem(await Deno.readTextFile(`${ROOT}certs/client.crt`))[0];
const CLIENT_KEY = await importServerKey(
  parsePemBlocks(await Deno.readTextFile(`${ROOT}certs/client.key`))[0].der,
);
const AUTH: LabClientAuth = { roots: CA, required: true };

async function rejects(p: Promise<unknown>, code: string, alert?: number): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TlsprobeError, String(e));
    assert.equal(e.code, code, e.message);
    if (alert !== undefined) assert.equal(e.detail.sendAlert, alert, e.message);
    return;
  }
  assert.fail(`expected ${code}`);
}

Deno.test("certificateRequestBody() names the CA and the schemes (TLS 1.2 and 1.3 forms)", async () => {
  const caName = (await decodeCertificate(CA[0])).subject.der;
  const r12 = parseCertificateRequest(await certificateRequestBody(AUTH, 0x0303), 0x0303);
  assert.deepEqual(r12.certificateTypes, [1, 64]);
  assert.ok(r12.signatureAlgorithms!.includes(0x0804));
  assert.deepEqual(r12.certificateAuthorities, [caName]);
  const r10 = parseCertificateRequest(await certificateRequestBody(AUTH, 0x0301), 0x0301);
  assert.equal(r10.signatureAlgorithms, undefined);
  const r13 = parseCertificateRequest(await certificateRequestBody(AUTH, 0x0304), 0x0304);
  assert.deepEqual(r13.certificateAuthorities, [caName]);
  assert.ok(!r13.signatureAlgorithms!.includes(0x0401), "no PKCS#1 v1.5 in TLS 1.3");
});

Deno.test("checkClientCertificate() verifies the sample client, refuses none only when required, and every truncation as PEER_MALFORMED", async () => {
  for (const tls13 of [false, true]) {
    const v = tls13 ? 0x0304 : 0x0303;
    const body = encodeCertificate({
      context: new Uint8Array(0),
      entries: [{ der: CLIENT, extensions: [] }],
    }, tls13);
    const ok = await checkClientCertificate(AUTH, v, body, 0);
    assert.equal(ok?.peer.verified, true);
    assert.match(ok!.peer.subject, /CN=tlsprobe client/);
    for (let n = 0; n < body.length; n++) {
      await rejects(checkClientCertificate(AUTH, v, body.subarray(0, n), 0), "PEER_MALFORMED");
    }
    const empty = encodeCertificate({ context: new Uint8Array(0), entries: [] }, tls13);
    await rejects(
      checkClientCertificate(AUTH, v, empty, 0),
      "CLIENT_CERT_REQUIRED",
      tls13 ? 116 : 40,
    );
    assert.equal(
      await checkClientCertificate({ ...AUTH, required: false }, v, empty, 0),
      undefined,
    );
    // Garbage where a certificate should be: bad_certificate, not a crash.
    const junk = encodeCertificate({
      context: new Uint8Array(0),
      entries: [{ der: Uint8Array.of(0x30, 3, 1, 2, 3), extensions: [] }],
    }, tls13);
    await rejects(checkClientCertificate(AUTH, v, junk, 0), "CLIENT_CERT_REJECTED", 42);
  }
  // Expired by the server's clock: certificate_expired.
  const later = { ...AUTH, now: () => Date.parse("2040-01-01T00:00:00Z") };
  const body = encodeCertificate({ entries: [{ der: CLIENT, extensions: [] }] }, false);
  await rejects(checkClientCertificate(later, 0x0303, body, 0), "CLIENT_CERT_REJECTED", 45);
});

Deno.test("checkClientVerify() accepts the client's signature and refuses a flipped bit or an unoffered scheme", async () => {
  const transcript = new TextEncoder().encode("handshake messages so far");
  const body = (scheme: number | undefined, sig: Uint8Array) => {
    const head = scheme === undefined ? [] : [scheme >> 8, scheme & 0xff];
    return Uint8Array.of(...head, sig.length >> 8, sig.length & 0xff, ...sig);
  };
  // TLS 1.2 RSA-PSS, TLS 1.0 MD5 ‖ SHA-1.
  const pss = await signWith(CLIENT_KEY, 0x0804, transcript);
  assert.equal(await checkClientVerify(0x0303, CLIENT, body(0x0804, pss), 0, transcript), 0x0804);
  const legacy = await signWith(CLIENT_KEY, undefined, transcript);
  assert.equal(
    await checkClientVerify(0x0301, CLIENT, body(undefined, legacy), 0, transcript),
    undefined,
  );
  for (const [v, scheme, sig] of [[0x0303, 0x0804, pss], [0x0301, undefined, legacy]] as const) {
    const bad = sig.slice();
    bad[bad.length - 1] ^= 1;
    await rejects(
      checkClientVerify(v, CLIENT, body(scheme, bad), 0, transcript),
      "HANDSHAKE_FAILURE",
      51,
    );
  }
  await rejects(
    checkClientVerify(0x0303, CLIENT, body(0x0808, pss), 0, transcript),
    "HANDSHAKE_FAILURE",
    47,
  );
  await rejects(
    checkClientVerify(0x0303, CLIENT, body(0x0804, pss).subarray(0, 10), 0, transcript),
    "PEER_MALFORMED",
  );
});
