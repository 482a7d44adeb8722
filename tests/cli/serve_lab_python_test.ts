/**
 * Python's `ssl` (`create_default_context(cafile=labca.crt)`) against every
 * served lab endpoint: it connects to exactly the good ones and rejects each
 * bad one with its usual reason.
 */
import assert from "node:assert/strict";
import { havePeer, run, startTlsprobe } from "../_helpers/process.ts";

const SCRIPT = `
import json, socket, ssl, sys
lab = json.load(sys.stdin)["lab"]
for e in lab["endpoints"]:
    if not e["served"]:
        continue
    ctx = ssl.create_default_context(cafile=lab["ca"])
    try:
        with socket.create_connection(("127.0.0.1", e["port"]), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="localhost") as t:
                print(e["name"], "ok", t.recv(100).decode().strip())
    except ssl.SSLCertVerificationError as x:
        print(e["name"], "verify", x.verify_message)
    except ssl.SSLError as x:
        print(e["name"], "error", x.reason)
`;

/** What Python's default context does at each served endpoint. */
const PYTHON: Record<string, string> = {
  "good": "ok tlsprobe lab: good",
  "expired": "verify certificate has expired",
  "not-yet-valid": "verify certificate is not yet valid",
  "wrong-host": "verify Hostname mismatch, certificate is not valid for 'localhost'.",
  "self-signed": "verify self-signed certificate",
  "untrusted-root": "verify self-signed certificate in certificate chain",
  "incomplete-chain": "verify unable to get local issuer certificate",
  "tls12-only": "ok tlsprobe lab: tls12-only",
  "tls13-only": "ok tlsprobe lab: tls13-only",
  "client-cert-required": "error TLSV13_ALERT_CERTIFICATE_REQUIRED",
  "alpn-h2-only": "ok tlsprobe lab: alpn-h2-only",
  "tls10-only": "error TLSV1_ALERT_PROTOCOL_VERSION",
  "tls11-only": "error TLSV1_ALERT_PROTOCOL_VERSION",
  "rc4": "error SSLV3_ALERT_HANDSHAKE_FAILURE",
  "3des": "error SSLV3_ALERT_HANDSHAKE_FAILURE",
  "null": "error SSLV3_ALERT_HANDSHAKE_FAILURE",
  "anon-dh": "error SSLV3_ALERT_HANDSHAKE_FAILURE",
  "rsa-kex": "error SSLV3_ALERT_HANDSHAKE_FAILURE",
  "dh512": "error DH_KEY_TOO_SMALL",
  "dh1024": "error DH_KEY_TOO_SMALL",
  "sha1-signature": "verify CA signature digest algorithm too weak",
  "rsa1024": "verify EE certificate key too weak",
  "client-preference": "ok tlsprobe lab: client-preference",
};

Deno.test({
  name:
    "serve --lab: Python's ssl connects to exactly the good endpoints, with its usual errors at the bad ones",
  ignore: !(await havePeer("python3")),
  fn: async () => {
    const lab = await startTlsprobe(
      ["serve", "--lab", "--port", "0", "--json", "--timeout", "5"],
      /("schemaVersion".*)\n/,
    );
    try {
      const index = lab.output().match(/\{"schemaVersion".*\n/)![0];
      const r = await run("python3", ["-c", SCRIPT], { stdin: index });
      assert.equal(r.code, 0, r.stderr);
      const got = Object.fromEntries(
        r.stdout.trim().split("\n").map((l) => {
          const [name, ...rest] = l.split(" ");
          return [name, rest.join(" ")];
        }),
      );
      assert.deepEqual(got, PYTHON);
    } finally {
      await lab.stop();
    }
  },
});
