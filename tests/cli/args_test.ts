/**
 * Argument values are checked before any connection: each case below would
 * otherwise reach a closed port and say CONNECTION_REFUSED (exit 3).
 */
import assert from "node:assert/strict";
import { closedPort, tlsprobe } from "../_helpers/process.ts";

Deno.test("oversized or empty ALPN and server names are BAD_INPUT, exit 2, before connecting", async () => {
  const port = closedPort();
  const cases: string[][] = [
    ["connect", "--alpn", "a".repeat(256), "127.0.0.1", port],
    ["probe", "--alpn", `h2,${"é".repeat(128)}`, `127.0.0.1:${port}`],
    ["connect", "--servername", "", "127.0.0.1", port],
    ["connect", "--servername", "a".repeat(70_000), "127.0.0.1", port],
    ["probe", "--servername", "b".repeat(300), `127.0.0.1:${port}`],
    ["policy", "check", `127.0.0.1:${port}`, "--policy", "mozilla-modern", "--servername", ""],
  ];
  for (const args of cases) {
    const r = await tlsprobe(args);
    assert.equal(r.code, 2, `${args[0]} ${args[1]}: ${r.stderr}`);
    assert.match(r.stderr, /error BAD_INPUT: /);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

Deno.test("ports 0 and 99999 and odd timeouts are usage errors, exit 2", async () => {
  const port = closedPort();
  const cases: Array<[string[], RegExp]> = [
    [["connect", "127.0.0.1", "0"], /Port "0" is not a number from 1 to 65535/],
    [["connect", "127.0.0.1", "99999"], /Port "99999"/],
    [["probe", "127.0.0.1:0"], /Port "0"/],
    [["probe", "127.0.0.1", "99999"], /Port "99999"/],
    [["policy", "check", "127.0.0.1:99999", "--policy", "mozilla-modern"], /Port "99999"/],
    [["connect", "--timeout", "0.0001", "127.0.0.1", port], /Timeout "0.0001"/],
    [["connect", "--timeout", "0x10", "127.0.0.1", port], /Timeout "0x10"/],
    [["probe", "--timeout", "1e3", `127.0.0.1:${port}`], /Timeout "1e3"/],
    [["serve", "--cert", "x.pem", "--port", "70000"], /Port "70000"/],
  ];
  for (const [args, why] of cases) {
    const r = await tlsprobe(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.doesNotMatch(r.stderr, /CONNECTION_REFUSED/);
  }
});

Deno.test("--timeout's help says its unit and its default once", async () => {
  for (const verb of ["connect", "probe", "cert"]) {
    const r = await tlsprobe([verb, "--help"]);
    const line = r.stdout.split("\n").find((l) => l.includes("--timeout"))!;
    assert.match(line, /seconds/);
    assert.equal(r.stdout.match(/default: 10\)/g)?.length, 1, r.stdout);
    assert.doesNotMatch(r.stdout, /10000/);
  }
  const certs = await tlsprobe(["certs", "init", "--help"]);
  assert.doesNotMatch(certs.stdout, /default: \[\]/);
  assert.equal(certs.stdout.match(/default: localhost/g)?.length, 1);
});

Deno.test("connect '[::1]' PORT is read as other verbs read [::1]:PORT", async () => {
  const port = closedPort();
  for (const args of [["connect", "[::1]", port], ["connect", "::1", port]]) {
    const r = await tlsprobe(args);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /CONNECTION_REFUSED/);
  }
});

Deno.test("an unknown option suggests the near one", async () => {
  const r = await tlsprobe(["probe", "--timout", "3", "localhost"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--timout' \(Did you mean --timeout\?\)/);
});
