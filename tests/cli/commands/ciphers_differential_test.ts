/**
 * Differential tests of `tlsprobe ciphers` against `openssl ciphers`: every
 * case of `tools/cipher_corpus.ts` against the golden fixtures captured from
 * OpenSSL (so the suite runs without openssl), and, when the local openssl is
 * the recorded version, a sample against it live; a few through the real CLI.
 */
import assert from "node:assert/strict";
import { ciphersCommand } from "../../../cli/commands/ciphers.ts";
import { corpus } from "../../../tools/cipher_corpus.ts";
import {
  FIXTURE_PATH,
  type FixtureCase,
  type FixtureFile,
  record,
} from "../../../tools/refresh_openssl_fixtures.ts";
import { opensslVersion, runOpensslCiphers } from "../../_helpers/openssl.ts";
import { pool, tlsprobe } from "../../_helpers/process.ts";

const fixture: FixtureFile = JSON.parse(Deno.readTextFileSync(FIXTURE_PATH));
const liveVersion = await opensslVersion();
const live = liveVersion !== undefined && liveVersion === fixture.opensslVersion;

function describe(c: FixtureCase, got: FixtureCase): string {
  return `openssl ciphers ${JSON.stringify(c.args)}: expected status ${c.status} ` +
    `${c.stdout !== undefined ? JSON.stringify(c.stdout) : c.sha256}, got status ${got.status} ` +
    `${got.stdout !== undefined ? JSON.stringify(got.stdout) : got.sha256}`;
}

Deno.test("the fixtures cover the whole corpus and record the OpenSSL version", () => {
  assert.match(fixture.opensslVersion, /^OpenSSL 3\.0\./);
  const want = corpus().map((c) => JSON.stringify(c.args));
  assert.deepEqual(fixture.cases.map((c) => JSON.stringify(c.args)), want);
  const strings = new Set(fixture.cases.map((c) => c.args.at(-1)));
  assert.ok(strings.size >= 1000, `only ${strings.size} distinct strings`);
  // Both outcomes are exercised: accepted and rejected strings.
  assert.ok(fixture.cases.filter((c) => c.status !== 0).length >= 50);
  assert.ok(fixture.cases.filter((c) => c.status === 0).length >= 2000);
});

Deno.test("ciphers gives openssl's exact stdout and exit status for every fixture case", async () => {
  const failures: string[] = [];
  for (const c of fixture.cases) {
    const r = ciphersCommand(c.args);
    const got = await record(c.args, r.stdout, r.status);
    if (JSON.stringify(got) !== JSON.stringify(c)) failures.push(describe(c, got));
  }
  assert.deepEqual(
    failures.slice(0, 5),
    [],
    `${failures.length} of ${fixture.cases.length} differ`,
  );
});

Deno.test("ciphers matches the live openssl on a sample of the corpus", {
  ignore: !live,
}, async () => {
  const cases = corpus();
  const sample = cases.filter((_, i) => i % 11 === 0);
  const failures: string[] = [];
  // Four openssl processes at a time: most of each call is process start-up.
  const fromOpenssl = await pool(sample, 4, ({ args }) => runOpensslCiphers(args));
  let compared = 0;
  sample.forEach(({ args }, i) => {
    const o = fromOpenssl[i];
    const r = ciphersCommand(args);
    compared++;
    if (o.stdout !== r.stdout || o.code !== r.status) {
      failures.push(`${JSON.stringify(args)}: openssl ${o.code} ${JSON.stringify(o.stdout)}`);
    }
    // stderr too, once OpenSSL's thread id and source line are taken out and
    // tlsprobe's own hint line is left aside.
    if (!args.some((a) => /^-(-)?help$/.test(a))) {
      const theirs = o.stderr.replace(/^[0-9A-F]+:error:/gm, "error:").replace(
        /:\.\.\/ssl\/[^:\n]+:\d+:$/gm,
        "",
      );
      const ours = r.stderr.split("\n").filter((l) => !l.startsWith("tlsprobe: ")).join("\n");
      if (theirs !== ours) {
        failures.push(
          `${JSON.stringify(args)} stderr: ${JSON.stringify(theirs)} vs ${JSON.stringify(ours)}`,
        );
      }
    }
  });
  assert.ok(compared >= 250);
  assert.deepEqual(failures, []);
});

Deno.test("the tlsprobe binary prints what openssl ciphers prints, options parsed OpenSSL-style", async () => {
  const byArgs = new Map(fixture.cases.map((c) => [JSON.stringify(c.args), c]));
  for (
    const args of [
      ["-v", "ECDH+AES128"],
      ["-s", "-tls1_2", "HIGH:!aNULL:!MD5"],
      ["-ciphersuites", "TLS_AES_128_CCM_SHA256:TLS_AES_128_GCM_SHA256", "-v", "kRSA"],
      ["-ALL"],
      ["ALL", "-v"],
    ]
  ) {
    const want = byArgs.get(JSON.stringify(args));
    assert.ok(want, `no fixture for ${JSON.stringify(args)}`);
    const out = await tlsprobe(["ciphers", ...args]);
    const got = await record(args, out.stdout, out.code);
    assert.deepEqual(got, want, JSON.stringify(args));
  }
});
