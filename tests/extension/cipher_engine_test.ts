import assert from "node:assert/strict";
import { expand } from "../../extension/src/cipher_engine.ts";

/** Splits one line of openssl's `-v` output (the oracle) into its columns. */
function parseDescription(line: string) {
  const [name, version, ...rest] = line.trim().split(/\s+/);
  const kv = Object.fromEntries(
    rest.map((x) => [x.slice(0, x.indexOf("=")), x.slice(x.indexOf("=") + 1)]),
  );
  return { name, version, kx: kv.Kx, au: kv.Au, enc: kv.Enc, mac: kv.Mac };
}

async function opensslV(str: string): Promise<string[][]> {
  const out = await new Deno.Command("openssl", { args: ["ciphers", "-v", str] }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => {
    const d = parseDescription(l);
    return [d.name, d.version, d.kx, d.au, d.enc, d.mac];
  });
}

Deno.test("expand() gives the rows openssl ciphers -v gives, for the hover's strings", async () => {
  for (const s of ["ECDH+AES128", "HIGH:!aNULL:!MD5", "DEFAULT@SECLEVEL=2", "AES128-SHA"]) {
    const r = expand(s, "3.0");
    assert.ok(r.ok, s);
    assert.deepEqual(
      r.rows.map((x) => [x.name, x.version, x.kx, x.au, x.enc, x.mac]),
      await opensslV(s),
      s,
    );
  }
});

Deno.test("expand() carries the registry's rating for each suite", () => {
  const r = expand("ECDHE-RSA-AES128-GCM-SHA256:RC4-SHA", "3.0");
  assert.ok(r.ok);
  const ratings = new Set(r.rows.map((x) => String(x.rating)));
  for (const x of ratings) assert.match(x, /^(recommended|secure|weak|insecure|signaling)$/);
});

Deno.test("expand() reports the engine's BAD_INPUT and an unknown version as errors", () => {
  const bad = expand("NOT-A-CIPHER-STRING", "3.0");
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.code, "BAD_INPUT");
  const v = expand("HIGH", "1.1.1");
  assert.equal(!v.ok && v.code, "UNSUPPORTED");
});
