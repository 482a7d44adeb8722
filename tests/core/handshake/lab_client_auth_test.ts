/**
 * The lab engine's client-certificate request against `openssl s_client`:
 * TLS 1.0–1.3 with an RSA and an ECDSA client certificate from the sample
 * CA (verified, subject in the session), none (required: refused with
 * certificate_required / handshake_failure; optional: accepted), one from
 * another CA (unknown_ca) and the CA's server certificate (no clientAuth
 * usage: bad_certificate). The s_client runs of a table go concurrently.
 */
import assert from "node:assert/strict";
import { ROOT, run } from "../../_helpers/process.ts";
import { sClientEcho, startLabEngine } from "../../_helpers/lab_clients.ts";
import { parsePem } from "../../../core/x509/pem.ts";
import type { LabServerConfig } from "../../../core/handshake/server.ts";

const CA = parsePem(await Deno.readTextFile(`${ROOT}certs/ca.crt`));
const RSA_CERT = ["-cert", `${ROOT}certs/client.crt`, "-key", `${ROOT}certs/client.key`];

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** An ECDSA P-256 client certificate signed by the sample CA, and one from a CA of its own. */
async function extraClients(dir: string): Promise<{ ecdsa: string[]; stranger: string[] }> {
  const ext = `${dir}/ext.cnf`;
  await Deno.writeTextFile(ext, "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n");
  const make = async (name: string, caCert: string, caKey: string) => {
    await run("openssl", [
      "req",
      "-new",
      ...EC_KEY,
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${dir}/${name}.key`,
      "-out",
      `${dir}/${name}.csr`,
    ]);
    const r = await run("openssl", [
      "x509",
      "-req",
      "-in",
      `${dir}/${name}.csr`,
      "-CA",
      caCert,
      "-CAkey",
      caKey,
      "-CAserial",
      `${dir}/${name}.srl`,
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      ext,
      "-out",
      `${dir}/${name}.crt`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return ["-cert", `${dir}/${name}.crt`, "-key", `${dir}/${name}.key`];
  };
  const ecdsa = await make("lab ecdsa client", `${ROOT}certs/ca.crt`, `${ROOT}certs/ca.key`);
  const other = await run("openssl", [
    "req",
    "-x509",
    ...EC_KEY,
    "-subj",
    "/CN=another CA",
    "-days",
    "2",
    "-keyout",
    `${dir}/other.key`,
    "-out",
    `${dir}/other.crt`,
  ]);
  assert.equal(other.code, 0, other.stderr);
  const stranger = await make("stranger", `${dir}/other.crt`, `${dir}/other.key`);
  return { ecdsa, stranger };
}

const BASE: Omit<LabServerConfig, "identities"> = {
  versions: [0x0301, 0x0302, 0x0303, 0x0304],
  suites: [0x1301, 0xc02f, 0xc02b, 0xc013, 0xc009, 0x002f],
  groups: [0x001d, 0x0017],
  serverPreference: false,
};

const L0 = ["-cipher", "DEFAULT:@SECLEVEL=0"];

Deno.test("lab engine client auth: s_client with a CA-signed RSA or ECDSA certificate completes TLS 1.0–1.3, verified, subject logged; without one a required request refuses with the version's alert", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tlsprobe-labauth-" });
  try {
    const { ecdsa, stranger } = await extraClients(dir);
    const server = await startLabEngine({
      ...BASE,
      clientAuth: { roots: CA, required: true },
    });
    try {
      const good: [string[], string, string][] = [
        [
          ["-tls1_3", ...RSA_CERT],
          "TLSv1.3",
          "CN=tlsprobe client,O=tlsprobe local PKI (do not trust)",
        ],
        [["-tls1_3", ...ecdsa], "TLSv1.3", "CN=lab ecdsa client"],
        [
          ["-tls1_2", ...RSA_CERT],
          "TLSv1.2",
          "CN=tlsprobe client,O=tlsprobe local PKI (do not trust)",
        ],
        [["-tls1_2", ...ecdsa], "TLSv1.2", "CN=lab ecdsa client"],
        [
          ["-tls1_1", ...L0, ...RSA_CERT],
          "TLSv1.1",
          "CN=tlsprobe client,O=tlsprobe local PKI (do not trust)",
        ],
        [
          ["-tls1", ...L0, ...RSA_CERT],
          "TLSv1",
          "CN=tlsprobe client,O=tlsprobe local PKI (do not trust)",
        ],
        [["-tls1", ...L0, ...ecdsa], "TLSv1", "CN=lab ecdsa client"],
      ];
      const runs = await Promise.all(good.map(([a]) => sClientEcho(server.port, a)));
      const bad = good.flatMap(([a, v], i) =>
        runs[i].version === v && runs[i].echoed
          ? []
          : [`${a.join(" ")}: ${runs[i].version} echoed=${runs[i].echoed}\n${runs[i].output}`]
      );
      assert.deepEqual(bad, []);
      const subjects = server.infos.map((i) => i.clientCertificate?.subject ?? "none").sort();
      assert.deepEqual(subjects, good.map(([, , s]) => s).sort());
      assert.ok(server.infos.every((i) => i.clientCertificateRequested));
      assert.ok(server.infos.every((i) => i.clientCertificate?.verified));
      assert.ok(
        server.infos.some((i) => i.clientCertificate?.issuer.includes("tlsprobe local CA")),
      );
      assert.equal(server.errors.length, 0, server.errors.map(String).join("\n"));

      // Refusals: none sent, a stranger's, the CA's server certificate (no clientAuth usage).
      const refused: [string[], string, string][] = [
        [["-tls1_3"], "CLIENT_CERT_REQUIRED", "certificate_required"],
        [["-tls1_2"], "CLIENT_CERT_REQUIRED", "handshake_failure"],
        [["-tls1", ...L0], "CLIENT_CERT_REQUIRED", "handshake_failure"],
        [["-tls1_3", ...stranger], "CLIENT_CERT_REJECTED", "unknown_ca"],
        [["-tls1_2", ...stranger], "CLIENT_CERT_REJECTED", "unknown_ca"],
        [
          [
            "-tls1_2",
            "-cert",
            `${ROOT}certs/localhost.crt`,
            "-key",
            `${ROOT}certs/localhost.key`,
          ],
          "CLIENT_CERT_REJECTED",
          "bad_certificate",
        ],
      ];
      const before = server.errors.length;
      const outs = await Promise.all(refused.map(([a]) => sClientEcho(server.port, a, 15_000)));
      for (const [i, o] of outs.entries()) {
        assert.equal(o.echoed, false, refused[i][0].join(" "));
        assert.match(o.output, new RegExp(refused[i][2].replace("_", " ")), o.output);
      }
      const got = server.errors.slice(before).map((e) => `${e.code} ${e.detail.sentAlert}`)
        .sort();
      assert.deepEqual(got, refused.map(([, c, a]) => `${c} ${a}`).sort());
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab engine client auth: optional — no certificate is accepted (requested, none), a CA-signed one is verified", async () => {
  const server = await startLabEngine({ ...BASE, clientAuth: { roots: CA, required: false } });
  try {
    const runs = await Promise.all([
      sClientEcho(server.port, ["-tls1_3"]),
      sClientEcho(server.port, ["-tls1_2"]),
      sClientEcho(server.port, ["-tls1_2", ...RSA_CERT]),
    ]);
    assert.ok(runs.every((r) => r.echoed), runs.map((r) => r.output).join("\n"));
    const seen = server.infos.map((i) =>
      i.clientCertificate?.subject ?? String(i.clientCertificate)
    )
      .sort();
    assert.deepEqual(seen, [
      "CN=tlsprobe client,O=tlsprobe local PKI (do not trust)",
      "null",
      "null",
    ]);
    assert.ok(server.infos.every((i) => i.clientCertificateRequested));
  } finally {
    await server.stop();
  }
});
