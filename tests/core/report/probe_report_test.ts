/**
 * The probe report: built from replayed captures it matches the committed
 * JSON Schema, findings mark legacy servers, and the text follows the
 * test_tls.py layout.
 */
import assert from "node:assert/strict";
import { loadFixtures } from "../wire/_fixtures.ts";
import { inspect } from "../../../core/handshake/inspect.ts";
import { replayTransport } from "../../../core/handshake/transport.ts";
import {
  DEFAULT_CIPHER_SUITES,
  DEFAULT_GROUPS,
  DEFAULT_SIGNATURE_ALGORITHMS,
} from "../../../core/handshake/defaults.ts";
import { buildProbeBody } from "../../../core/report/probe.ts";
import { renderProbeText, say } from "../../../core/report/probe_text.ts";
import { envelope } from "../../../core/report/envelope.ts";
import { assertProbeSchema } from "../../_helpers/schema.ts";

const fixtures = (await loadFixtures()).filter((f) => f.expect.version < 0x0304);

async function bodyOf(name: string) {
  const f = fixtures.find((x) => x.name === name)!;
  const obs = await inspect(replayTransport([f.serverBytes]), {
    versions: [0x0303, 0x0302, 0x0301],
    cipherSuites: [...DEFAULT_CIPHER_SUITES],
    groups: [...DEFAULT_GROUPS],
    signatureAlgorithms: [...DEFAULT_SIGNATURE_ALGORITHMS],
    serverName: "localhost",
  });
  return await buildProbeBody(obs, {
    target: {
      host: "localhost",
      port: 443,
      address: "127.0.0.1",
      serverName: "localhost",
      starttls: null,
    },
    hostname: "localhost",
    trust: null,
    now: new Date("2030-01-01T00:00:00Z"),
  });
}

Deno.test("say() pads titles to 36 with dots and wraps at 70 with a 4-space indent", () => {
  assert.equal(
    say("Peer certificate", "provided"),
    "Peer certificate.................... provided",
  );
  const long = say("Name(s) on peer certificate", "a".repeat(20) + " " + "b".repeat(20));
  assert.deepEqual(long.split("\n"), [
    "Name(s) on peer certificate......... " + "a".repeat(20),
    "    " + "b".repeat(20),
  ]);
});

for (const f of fixtures) {
  Deno.test(`the report built from ${f.name} matches the JSON Schema`, async () => {
    const b = await bodyOf(f.name);
    assertProbeSchema(envelope("probe", b));
    assert.equal(b.certificates.length, f.expect.chainLength);
  });
}

Deno.test("the report marks a TLS 1.0 server insecure and names the CA list of a request", async () => {
  const b = await bodyOf("openssl_tls10");
  assert.equal(b.handshake!.version, "TLSv1");
  assert.ok(b.findings.some((x) => x.rule === "protocol-version" && /RFC 8996/.test(x.message)));
  const r = await bodyOf("openssl_tls11_certreq");
  const cr = r.handshake!.clientCertificateRequested;
  assert.ok(cr);
  assert.deepEqual(cr.caNames, [
    "CN=tlsprobe Test CA,O=tlsprobe sample PKI (do not trust),C=US",
  ]);
  assert.equal(cr.signatureAlgorithms.length, 0);
  // No request is false, never null: the text says "no".
  assert.equal(b.handshake!.clientCertificateRequested, false);
});

Deno.test("the report shows DHE prime size and RSA key transport", async () => {
  const d = await bodyOf("openssl_tls12_dhe");
  assert.equal(d.handshake!.keyExchange, "DHE");
  assert.equal(d.handshake!.group?.name, "DH 2048");
  const k = await bodyOf("openssl_tls12_rsa");
  assert.equal(k.handshake!.keyExchange, "RSA");
  assert.equal(k.handshake!.group, null);
});

Deno.test("renderProbeText() prints the dotted lines and -v adds the chain", async () => {
  const b = await bodyOf("openssl_tls12_ecdhe_rsa_certreq_ocsp");
  const lines = renderProbeText(b, { verbose: true });
  assert.ok(lines.includes("Protocol version negotiated......... TLSv1.2"));
  assert.ok(lines.includes("OCSP response stapled............... yes"));
  assert.ok(lines.some((l) => l.startsWith("Client certificate requested........ yes")));
  assert.ok(lines.includes("Certificate 0 (leaf)"));
});

Deno.test("probe -v shows a malformed certificate of the chain with its findings, and the JSON form matches the schema", async () => {
  const { oddCertificates } = await import("../../_helpers/odd_certs.ts");
  const { describeChain } = await import("../../../core/report/probe.ts");
  const odd = new Map(oddCertificates().map((c) => [c.name, c.der]));
  const b = await bodyOf("openssl_tls12_ecdhe_rsa_certreq_ocsp");
  b.certificates = await describeChain([
    odd.get("signature BIT STRING with 1 unused bit")!,
    odd.get("name attribute 1.2.643.3.131.1.1")!,
  ]);
  assert.equal(b.certificates.length, 2, "the malformed certificate is not dropped");
  assert.equal(b.certificates[0].subject, "CN=odd.example,C=XX");
  assert.equal(b.certificates[0].findings?.[0].rule, "x509.signature-unused-bits");
  assert.equal(b.certificates[1].subject, "INN=007700000000,CN=odd.example");
  assert.equal(b.certificates[1].findings, undefined);
  assertProbeSchema(envelope("probe", b));
  const lines = renderProbeText(b, { verbose: true });
  const text = lines.join("\n");
  assert.match(text, /^ {2}Finding \(error\)\.+ x509\.signature-unused-bits:/m);
  assert.match(
    text.replace(/\n +/g, " "),
    /unused bits must be 0 \(found 1\) \[RFC 5280 section 4\.1\.1\.3/,
  );
});
