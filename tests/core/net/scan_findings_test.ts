/**
 * Scan findings against real servers, without a ground truth run (so they
 * stay quick): a TLS 1.2 server that requires a client certificate and one
 * that only asks for it (an empty Certificate answered, CA names read), and
 * the DHE prime named when it is an RFC 7919 group and not named otherwise,
 * and TLS 1.2 session-ID resumption (a completed handshake, then its ID).
 */
import { strict as assert } from "node:assert";
import { scanLocalhost } from "../../_helpers/scan_truth.ts";
import { ROOT, run, startOpensslServer } from "../../_helpers/process.ts";

const CERTS = ROOT + "certs/";
const RSA = ["-cert", CERTS + "localhost.crt", "-key", CERTS + "localhost.key"];

const scan = scanLocalhost;

for (const [flag, required] of [["-Verify", true], ["-verify", false]] as const) {
  Deno.test({
    name: `scanTarget() tells a TLS 1.2 server with ${flag} 1 ${
      required ? "requires" : "only asks for"
    } a client certificate, with its CA names`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const server = await startOpensslServer([
        ...RSA,
        "-tls1_2",
        flag,
        "1",
        "-CAfile",
        CERTS + "ca.crt",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384",
      ]);
      try {
        const r = await scan(server.port);
        assert.equal(r.error, undefined, JSON.stringify(r.error));
        assert.equal(r.clientCertificate.requested, true);
        assert.equal(r.clientCertificate.required, required);
        assert.ok(
          r.clientCertificate.caNames.some((n) => n.includes("tlsprobe local CA")),
          r.clientCertificate.caNames.join("; "),
        );
        // The suites are still all found (the ServerHello comes before the request).
        assert.deepEqual(r.versions.find((v) => v.version === "TLSv1.2")!.suites.sort(), [
          0x009f,
          0xc02f,
        ]);
      } finally {
        await server.stop();
      }
    },
  });
}

Deno.test({
  name:
    "scanTarget() names an RFC 7919 DHE prime and leaves another prime of the same size unnamed",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "tlsprobe-scan-dh-" });
    const ffdhe = `${dir}/ffdhe3072.pem`;
    await run("openssl", [
      "genpkey",
      "-genparam",
      "-algorithm",
      "DH",
      "-pkeyopt",
      "group:ffdhe3072",
      "-out",
      ffdhe,
    ]);
    const suites = ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"];
    // OpenSSL 3.0's automatic DH for TLS 1.2 is RFC 3526's 2048-bit MODP
    // prime: well known, but not an RFC 7919 one.
    const auto = await startOpensslServer([...RSA, ...suites]);
    const named = await startOpensslServer([...RSA, ...suites, "-dhparam", ffdhe]);
    try {
      const [a, n] = await Promise.all([scan(auto.port), scan(named.port)]);
      const v12a = a.versions.find((v) => v.version === "TLSv1.2")!;
      const v12n = n.versions.find((v) => v.version === "TLSv1.2")!;
      assert.deepEqual(v12a.dhBits, [2048]);
      assert.deepEqual(v12a.dhGroups, []);
      assert.deepEqual(v12n.dhBits, [3072]);
      assert.deepEqual(v12n.dhGroups, [0x0101]);
    } finally {
      await auto.stop();
      await named.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "scanTarget() resumes a TLS 1.2 session by its ID where the server caches sessions, not where it does not",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const caching = await startOpensslServer([...RSA, "-tls1_2"]);
    const none = await startOpensslServer([...RSA, "-tls1_2", "-no_cache"]);
    try {
      const [c, n] = await Promise.all([scan(caching.port), scan(none.port)]);
      assert.equal(c.features.sessionIdResumption.value, true, c.features.sessionIdResumption.note);
      assert.equal(
        n.features.sessionIdResumption.value,
        false,
        n.features.sessionIdResumption.note,
      );
    } finally {
      await caching.stop();
      await none.stop();
    }
  },
});
