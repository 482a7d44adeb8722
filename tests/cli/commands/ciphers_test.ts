import assert from "node:assert/strict";
import { ciphersCommand, parseCiphersArgs } from "../../../cli/commands/ciphers.ts";

Deno.test("parseCiphersArgs() reads options the way OpenSSL's opt_next() does", () => {
  assert.deepEqual(parseCiphersArgs(["-v", "--", "-ALL"]), {
    ...parseCiphersArgs([]),
    v: true,
    cipher: "-ALL",
  });
  const a = parseCiphersArgs(["--V", "-ciphersuites=X", "-tls1", "-tls1_2", "HIGH"]);
  assert.ok(!("error" in a));
  assert.equal(a.V, true);
  assert.equal(a.ciphersuites, "X");
  assert.equal(a.protocol, "TLSv1.2", "the last version flag wins");
  assert.equal(a.cipher, "HIGH");
  assert.deepEqual(parseCiphersArgs(["-x"]), { error: "ciphers: Unknown option: -x\n" });
  assert.deepEqual(parseCiphersArgs(["-ciphersuites"]), {
    error: "ciphers: Option -ciphersuites needs a value\n",
  });
  assert.deepEqual(parseCiphersArgs(["a", "b"]), { error: "" });
});

Deno.test("ciphers --json prints one envelope with rated suites", () => {
  const r = ciphersCommand([
    "--json",
    "-ciphersuites",
    "",
    "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
  ]);
  assert.equal(r.status, 0);
  const j = JSON.parse(r.stdout);
  assert.equal(j.schemaVersion, 1);
  assert.equal(j.command, "ciphers");
  assert.equal(j.outcome, "ok");
  assert.deepEqual(j.names, ["ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA"]);
  assert.equal(j.suites[0].code, 0xC02F);
  assert.equal(j.suites[0].rating, "recommended");
  assert.equal(j.suites[1].rating, "weak");
  assert.equal(j.summary.recommended, 1);
  assert.equal(j.summary.weak, 1);
  assert.equal(j.securityLevel, 2);
});

Deno.test("ciphers --json reports a bad string as BAD_INPUT with the usage exit status", () => {
  const r = ciphersCommand(["--json", "NOPE"]);
  assert.equal(r.status, 2);
  const j = JSON.parse(r.stdout);
  assert.equal(j.outcome, "error");
  assert.equal(j.error.code, "BAD_INPUT");
  assert.equal(j.error.detail.input, "NOPE");
});

Deno.test("ciphers --explain adds each suite's rating and a summary line", () => {
  const r = ciphersCommand([
    "--explain",
    "-ciphersuites",
    "",
    "ECDHE-RSA-AES128-GCM-SHA256:RSA+AES128+SHA1",
  ]);
  assert.equal(r.status, 0);
  const lines = r.stdout.trimEnd().split("\n");
  assert.equal(lines[0], "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA");
  assert.match(lines[2], /^ECDHE-RSA-AES128-GCM-SHA256 +recommended +forward secrecy and AEAD$/);
  assert.match(lines[3], /^AES128-SHA +weak +no forward secrecy; CBC mode with SHA-1 MAC/);
  assert.equal(lines.at(-1), "2 suites: 1 recommended, 1 weak");
});

Deno.test("ciphers errors print openssl's stderr lines (without thread id) and exit 1", () => {
  const bad = ciphersCommand(["ALL:@FOO"]);
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, "");
  assert.match(
    bad.stderr,
    /^Error in cipher list\nerror:0A000118:SSL routines:ssl_cipher_process_rulestr:invalid command\n/,
  );
  const suites = ciphersCommand(["-ciphersuites", "NOPE"]);
  assert.match(suites.stderr, /^Error setting TLSv1.3 ciphersuites\n/);
  assert.equal(suites.status, 1);
});
