/**
 * `policy check --lab`: a client policy against every served lab endpoint.
 * The expectations are written here by hand from the case definitions
 * (core/lab/cases.ts) and the policies (core/policy/builtins.ts), never taken
 * from the output under test.
 */
import assert from "node:assert/strict";
import { tlsprobe } from "../_helpers/process.ts";
import { assertPolicySchema } from "../_helpers/schema.ts";

interface Row {
  name: string;
  port: number;
  expected: { behaviour: string; error?: string };
  actual: { behaviour: string; code?: string };
  match: boolean;
}

/** Every served case, and what a correct verifying client does there. */
const CORRECT: Record<string, "connect" | "reject"> = {
  "good": "connect",
  "expired": "reject",
  "not-yet-valid": "reject",
  "wrong-host": "reject",
  "self-signed": "reject",
  "untrusted-root": "reject",
  "incomplete-chain": "reject",
  "tls12-only": "connect",
  "tls13-only": "connect",
  "client-cert-required": "reject",
  "alpn-h2-only": "connect",
  "tls10-only": "reject",
  "tls11-only": "reject",
  "rc4": "reject",
  "3des": "reject",
  "null": "reject",
  "anon-dh": "reject",
  "rsa-kex": "reject",
  "dh512": "reject",
  "dh1024": "reject",
  "sha1-signature": "reject",
  "rsa1024": "reject",
  "client-preference": "connect",
};

/** Why Python 3.13's default client refuses: its versions, suites, key sizes and trust. */
const PY313_CODES: Record<string, string> = {
  "expired": "CERT_EXPIRED",
  "not-yet-valid": "CERT_NOT_YET_VALID",
  "wrong-host": "CERT_NAME_MISMATCH",
  "self-signed": "CERT_UNKNOWN_ISSUER",
  "untrusted-root": "CERT_UNKNOWN_ISSUER",
  "incomplete-chain": "CERT_UNKNOWN_ISSUER",
  "client-cert-required": "CLIENT_CERT_REQUIRED",
  "tls10-only": "PROTOCOL_VERSION", // TLS 1.2+ only
  "tls11-only": "PROTOCOL_VERSION",
  "rc4": "HANDSHAKE_FAILURE", // OpenSSL 3.0 has no RC4
  "3des": "HANDSHAKE_FAILURE", // nor 3DES
  "null": "HANDSHAKE_FAILURE", // !eNULL
  "anon-dh": "HANDSHAKE_FAILURE", // !aNULL
  "rsa-kex": "HANDSHAKE_FAILURE", // ECDH+/DHE+ only: no RSA key exchange
  "dh512": "key-size.dh", // minKeySizes.dh 2048
  "dh1024": "key-size.dh",
  "sha1-signature": "CERT_INVALID",
  "rsa1024": "key-size.rsa", // minKeySizes.rsa 2048 (rustls refuses it too)
};

async function labCheck(policy: string, extra: string[] = []) {
  const r = await tlsprobe(["policy", "check", "--lab", "--policy", policy, ...extra]);
  return r;
}

function rowsOf(stdout: string): { body: Record<string, unknown>; rows: Row[] } {
  const body = JSON.parse(stdout);
  assertPolicySchema(body);
  return { body, rows: body.rows as Row[] };
}

Deno.test("policy check --lab: python-default-client behaves as a correct client everywhere", async () => {
  const r = await labCheck("python-default-client", ["--json"]);
  assert.equal(r.code, 0, r.stderr);
  const { body, rows } = rowsOf(r.stdout);
  assert.equal(body.verdict, "pass");
  assert.equal(body.policy, "python-default-client");
  assert.equal(body.asClient, null);
  assert.deepEqual(rows.map((x) => x.name), Object.keys(CORRECT));
  const ports = new Set(rows.map((x) => x.port));
  assert.equal(ports.size, rows.length, "one port per endpoint");
  for (const row of rows) {
    assert.equal(row.expected.behaviour, CORRECT[row.name], row.name);
    assert.equal(row.actual.behaviour, CORRECT[row.name], `${row.name}: ${row.actual.code}`);
    assert.equal(row.actual.code, PY313_CODES[row.name], row.name);
    assert.equal(row.match, true, row.name);
  }
});

Deno.test("policy check --lab: the book's Python 3.4 client differs exactly where its policy is older", async () => {
  const r = await labCheck("python3.4-default-client", ["--json"]);
  assert.equal(r.code, 1, r.stderr);
  const { body, rows } = rowsOf(r.stdout);
  assert.equal(body.verdict, "fail");
  // TLS 1.0-1.2, the wide list (RSA key exchange, DHE without a size floor):
  // it connects to TLS 1.0/1.1, RSA key exchange and weak DH, and cannot speak TLS 1.3.
  const differs: Record<string, string> = {
    "tls13-only": "reject",
    "tls10-only": "connect",
    "tls11-only": "connect",
    "rsa-kex": "connect",
    "dh512": "connect",
    "dh1024": "connect",
  };
  assert.deepEqual(rows.filter((x) => !x.match).map((x) => x.name), Object.keys(differs));
  for (const row of rows) {
    const want = differs[row.name] ?? CORRECT[row.name];
    assert.equal(row.actual.behaviour, want, row.name);
  }
  assert.equal(rows.find((x) => x.name === "tls13-only")!.actual.code, "PROTOCOL_VERSION");
});

Deno.test("policy check --lab: a server policy runs as a verifying client; text table; usage errors", async () => {
  const [modern, withHost, withCa] = await Promise.all([
    labCheck("mozilla-modern"),
    tlsprobe(["policy", "check", "127.0.0.1:1", "--lab", "--policy", "python-default-client"]),
    tlsprobe(["policy", "check", "--lab", "-a", "x.pem", "--policy", "python-default-client"]),
  ]);
  // TLS 1.3 only: refuses the TLS 1.2-only endpoint, which a correct client accepts.
  assert.equal(modern.code, 1, modern.stderr);
  assert.match(modern.stdout, /mozilla-modern is a server policy: run as a client/);
  assert.match(
    modern.stdout,
    /^tls12-only\s+\d+\s+connect\s+reject \(PROTOCOL_VERSION\)\s+NO$/m,
  );
  assert.match(modern.stdout, /^good\s+\d+\s+connect\s+connect\s+yes$/m);
  assert.match(modern.stdout, /^1 of 23 rows differ$/m);
  for (const bad of [withHost, withCa]) {
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^tlsprobe: error USAGE: .*--lab/m);
    assert.doesNotMatch(bad.stderr, /\bat .*\.ts:\d+/);
  }
});
