/**
 * Hostile files as input, in every verb that reads one: each ends at once
 * with BAD_INPUT (or FILE_NOT_FOUND) and exit status 2, naming the file,
 * before any connection. Files are read bounded (16 MiB), regular files only
 * (or `-`).
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../_helpers/pki.ts";
import { closedPort, tlsprobe } from "../_helpers/process.ts";

const pki = await makeTestPki();
const dir = await Deno.makeTempDir({ prefix: "tlsprobe-files-" });

function expectError(
  r: { code: number; stdout: string; stderr: string },
  code: string,
  mention?: RegExp,
) {
  assert.match(r.stderr, new RegExp(`error ${code}: `), r.stderr);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
  if (mention) assert.match(r.stderr, mention);
}

async function fifo(name: string): Promise<string> {
  const p = `${dir}/${name}`;
  const r = await new Deno.Command("mkfifo", { args: [p] }).output();
  assert.equal(r.code, 0, "mkfifo");
  return p;
}

Deno.test("cert refuses a device, a FIFO, a directory, a 100 MB file and an empty file", async () => {
  const big = `${dir}/big.pem`;
  const f = await Deno.open(big, { write: true, create: true });
  await f.truncate(100 * 1024 * 1024); // sparse: costs no disk
  f.close();
  const empty = `${dir}/empty.pem`;
  await Deno.writeFile(empty, new Uint8Array());
  const cases: Array<[string, RegExp]> = [
    ["/dev/zero", /\/dev\/zero: it is a device/],
    [await fifo("cert.fifo"), /FIFO/],
    [dir, /directory/],
    [big, /larger than 16 MiB/],
    [empty, /is empty/],
  ];
  for (const [path, why] of cases) {
    const t0 = performance.now();
    const r = await tlsprobe(["cert", path]);
    expectError(r, "BAD_INPUT", why);
    assert.ok(performance.now() - t0 < 20_000, `${path} answered in time`);
  }
});

Deno.test("cert follows a link to a certificate, and a dangling link is FILE_NOT_FOUND", async () => {
  const link = `${dir}/link.crt`;
  await Deno.symlink(pki.caCrt, link);
  const ok = await tlsprobe(["cert", link]);
  assert.equal(ok.code, 0, ok.stderr);
  const dangling = `${dir}/dangling.crt`;
  await Deno.symlink(`${dir}/nowhere.crt`, dangling);
  expectError(await tlsprobe(["cert", dangling]), "FILE_NOT_FOUND", /dangling\.crt/);
});

Deno.test("cert - reads standard input; empty standard input is BAD_INPUT", async () => {
  const pem = await Deno.readTextFile(pki.caCrt);
  const ok = await tlsprobe(["cert", "-"], { stdin: pem });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Certificate/);
  expectError(await tlsprobe(["cert", "-"], { stdin: "" }), "BAD_INPUT", /standard input is empty/);
});

Deno.test("a CA file, a certificate for serve and a policy file are bounded the same way", async () => {
  const port = closedPort();
  expectError(await tlsprobe(["connect", "-a", "/dev/zero", "localhost", port]), "BAD_INPUT");
  expectError(await tlsprobe(["probe", "-a", dir, `localhost:${port}`]), "BAD_INPUT");
  expectError(
    await tlsprobe(["serve", "--cert", "/dev/zero", "--port", "0"]),
    "BAD_INPUT",
    /certificate file \/dev\/zero/,
  );
  expectError(await tlsprobe(["policy", "show", "/dev/zero"]), "BAD_INPUT", /policy file/);
  expectError(
    await tlsprobe(["policy", "show", await fifo("policy.fifo")]),
    "BAD_INPUT",
    /FIFO/,
  );
});

Deno.test("a CA file holding base64 that is not DER is BAD_INPUT blamed on the file, no hex dump", async () => {
  const bad = `${dir}/bad-der.crt`;
  const b64 = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(300))))
    .replace(/(.{64})/g, "$1\n");
  await Deno.writeTextFile(
    bad,
    `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
  );
  const r = await tlsprobe(["connect", "-a", bad, "localhost", closedPort()]);
  expectError(r, "BAD_INPUT", /bad-der\.crt, certificate 1 is not a DER certificate/);
  assert.doesNotMatch(r.stderr, /[0-9a-f]{2}( [0-9a-f]{2}){15}/, "no hex dump");
});

Deno.test("file input suite: clean up", async () => {
  await Deno.remove(dir, { recursive: true });
  await removeTestPki(pki);
});
