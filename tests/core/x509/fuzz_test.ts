/**
 * Hostile input: mutated DER of real certificates (bit flips, truncations,
 * length-octet tweaks, insertions and deletions) must give a TlsprobeError
 * (CERT_INVALID or BAD_INPUT) or a decoded certificate, never a RangeError,
 * TypeError or hang. Seeded, so a failure replays.
 */
import assert from "node:assert/strict";
import { TlsprobeError } from "../../../core/errors.ts";
import {
  decodeCertificateSync,
  decodeForDisplay,
  parsePem,
  readCertificates,
  verifySignature,
} from "../../../core/x509/mod.ts";
import { fuzzCount, prng } from "../../_helpers/prng.ts";

const FIXTURES = new URL("../../fixtures/x509/", import.meta.url);
const ITERATIONS = fuzzCount(100_000);
const TOLERANT = fuzzCount(20_000);
const fmt = (n: number) => n.toLocaleString("en");

/** Offsets of every length octet in a DER tree (where tweaks hurt most). */
function lengthOffsets(der: Uint8Array): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number) => {
    let p = start;
    while (p + 2 <= end && depth < 12) {
      const tag = der[p];
      out.push(p + 1);
      let len = der[p + 1];
      let h = 2;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + der[p + 2 + i];
        h += n;
      }
      if (p + h + len > end) return;
      if (tag & 0x20 || tag === 0x04 || tag === 0x03) {
        walk(p + h + (tag === 0x03 ? 1 : 0), p + h + len, depth + 1);
      }
      p += h + len;
    }
  };
  walk(0, der.length, 0);
  return out;
}

function mutate(src: Uint8Array, rnd: () => number, lens: number[]): Uint8Array {
  const pick = (n: number) => Math.floor(rnd() * n);
  const b = new Uint8Array(src);
  switch (pick(6)) {
    case 0: { // 1 to 4 bit flips
      for (let k = pick(4); k >= 0; k--) b[pick(b.length)] ^= 1 << pick(8);
      return b;
    }
    case 1: // truncation
      return b.slice(0, pick(b.length));
    case 2: // length octet tweak
    case 3: {
      const at = lens[pick(lens.length)];
      const choices = [0, 0x7f, 0x80, 0x81, 0x82, 0x84, 0x85, 0xff, b[at] + 1, b[at] - 1];
      b[at] = choices[pick(choices.length)] & 0xff;
      return b;
    }
    case 4: { // insert random bytes
      const at = pick(b.length);
      const ins = Uint8Array.from({ length: 1 + pick(4) }, () => pick(256));
      const out = new Uint8Array(b.length + ins.length);
      out.set(b.subarray(0, at));
      out.set(ins, at);
      out.set(b.subarray(at), at + ins.length);
      return out;
    }
    default: { // delete a run
      const at = pick(b.length);
      const n = 1 + pick(8);
      return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + n)]);
    }
  }
}

Deno.test(`decodeCertificateSync() gives only TlsprobeError on ${fmt(ITERATIONS)} mutated certificates`, async () => {
  const seeds: Uint8Array[] = [];
  for (const f of ["leaf", "inter", "root", "ed25519", "v1", "pss"]) {
    seeds.push(...parsePem(await Deno.readTextFile(new URL(`${f}.pem`, FIXTURES))));
  }
  // A few real CA certificates too, chosen to keep the run short.
  const bundle = parsePem(await Deno.readTextFile("/etc/ssl/certs/ca-certificates.crt"));
  seeds.push(...bundle.filter((d) => d.length < 1000).slice(0, 4));
  const lens = seeds.map(lengthOffsets);
  const originals = seeds.map((d) => decodeCertificateSync(d));
  const rnd = prng(0x7153_0b3e);
  const counts = { decoded: 0, CERT_INVALID: 0, BAD_INPUT: 0 } as Record<string, number>;
  let slowest = 0;
  let sigChecks = 0;
  const start = performance.now();
  for (let i = 0; i < ITERATIONS; i++) {
    const k = Math.floor(rnd() * seeds.length);
    const input = mutate(seeds[k], rnd, lens[k]);
    const t = performance.now();
    try {
      const c = decodeCertificateSync(input);
      counts.decoded++;
      // Some mutants decode; checking their signature must not throw either.
      if (counts.decoded % 50 === 0) {
        await verifySignature(c, originals[k]);
        sigChecks++;
      }
    } catch (e) {
      if (!(e instanceof TlsprobeError)) {
        throw new Error(
          `iteration ${i}: ${(e as Error)?.name} escaped: ${(e as Error)?.message}\ninput: ${
            Array.from(input, (x) => x.toString(16).padStart(2, "0")).join("")
          }`,
        );
      }
      assert.ok(
        e.code === "CERT_INVALID" || e.code === "BAD_INPUT",
        `iteration ${i}: code ${e.code}`,
      );
      counts[e.code]++;
    }
    slowest = Math.max(slowest, performance.now() - t);
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  assert.equal(total, ITERATIONS);
  assert.ok(slowest < 1000, `one input took ${slowest} ms`);
  console.log(
    `fuzz: ${ITERATIONS} mutated inputs in ${Math.round(performance.now() - start)} ms: ` +
      `${counts.CERT_INVALID} CERT_INVALID, ${counts.BAD_INPUT} BAD_INPUT, ${counts.decoded} decoded ` +
      `(${sigChecks} signature checks), slowest ${slowest.toFixed(1)} ms`,
  );
});

Deno.test(`decodeForDisplay() gives only TlsprobeError on ${fmt(TOLERANT)} mutated certificates, and agrees with the strict decoder wherever that one reads`, async () => {
  const seeds: Uint8Array[] = [];
  for (const f of ["leaf", "inter", "root", "ed25519", "v1", "pss"]) {
    seeds.push(...parsePem(await Deno.readTextFile(new URL(`${f}.pem`, FIXTURES))));
  }
  const lens = seeds.map(lengthOffsets);
  const rnd = prng(0x0dd_ce57);
  const counts = { shown: 0, refused: 0, strictToo: 0, findings: 0 };
  let slowest = 0;
  for (let i = 0; i < TOLERANT; i++) {
    const k = Math.floor(rnd() * seeds.length);
    const input = mutate(seeds[k], rnd, lens[k]);
    const t = performance.now();
    let shown;
    try {
      shown = await decodeForDisplay(input);
    } catch (e) {
      assert.ok(e instanceof TlsprobeError, `iteration ${i}: ${(e as Error)?.name} escaped`);
      counts.refused++;
      continue;
    } finally {
      slowest = Math.max(slowest, performance.now() - t);
    }
    counts.shown++;
    counts.findings += shown.findings.length;
    let strict;
    try {
      strict = decodeCertificateSync(input);
    } catch {
      // A certificate the strict decoder refuses has an error finding, or a
      // subjectAltName only the tolerant reader understands.
      assert.ok(
        shown.findings.some((f) =>
          f.severity === "error" || f.rule === "x509.strict-decoder-refuses"
        ),
        `iteration ${i}: refused by the strict decoder, but no error finding`,
      );
      continue;
    }
    counts.strictToo++;
    assert.ok(
      !shown.findings.some((f) => f.severity === "error"),
      `iteration ${i}: error finding ${JSON.stringify(shown.findings)}`,
    );
    const view = (c: typeof strict) => [
      c.version,
      c.serialNumber,
      c.subject.rfc2253,
      c.issuer.rfc2253,
      c.notBefore,
      c.notAfter,
      c.key.type,
      c.key.bits,
      c.signatureAlgorithm,
      c.extensions.length,
      c.isCA,
      c.sans.ip,
    ];
    assert.deepEqual(view(shown), view(strict), `iteration ${i}`);
  }
  assert.ok(slowest < 1000, `one input took ${slowest} ms`);
  console.log(
    `tolerant fuzz: ${TOLERANT} mutated inputs: ${counts.shown} shown (${counts.findings} findings; ` +
      `${counts.strictToo} read by the strict decoder too, identically), ${counts.refused} refused ` +
      `(outer frame unreadable), slowest ${slowest.toFixed(1)} ms`,
  );
});

Deno.test("readCertificates() gives only TlsprobeError on random bytes and mangled PEM", () => {
  const rnd = prng(42);
  const pem = new TextEncoder().encode(
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n",
  );
  let n = 0;
  for (let i = 0; i < 5_000; i++) {
    const input = i % 2
      ? Uint8Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256))
      : mutate(pem, rnd, [1]);
    try {
      readCertificates(input);
    } catch (e) {
      assert.ok(e instanceof TlsprobeError, `${(e as Error)?.name}: ${(e as Error)?.message}`);
      n++;
    }
  }
  assert.ok(n > 4_000);
});
