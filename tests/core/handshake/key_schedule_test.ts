/**
 * The TLS 1.3 key schedule against RFC 8448 §3 (simple 1-RTT handshake), and
 * record protection round trips for all three suites.
 */
import assert from "node:assert/strict";
import {
  deriveSecret,
  expandLabel,
  hkdfExtract,
  RecordProtection,
  TLS13_SUITES,
} from "../../../core/handshake/key_schedule.ts";
import { fromHex, toHex } from "../../../core/wire/codec.ts";
import { TlsprobeError } from "../../../core/errors.ts";

const S = TLS13_SUITES[0x1301];

Deno.test("the key schedule reproduces RFC 8448 §3 secrets, keys and IVs", async () => {
  const early = await hkdfExtract(S, new Uint8Array(0), new Uint8Array(32));
  assert.equal(toHex(early), "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a");
  const derived = await deriveSecret(S, early, "derived", new Uint8Array(0));
  assert.equal(toHex(derived), "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba");
  const hs = await hkdfExtract(
    S,
    derived,
    fromHex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d"),
  );
  assert.equal(toHex(hs), "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac");
  const th = fromHex("860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8");
  const c = await expandLabel(S, hs, "c hs traffic", th, 32);
  const s = await expandLabel(S, hs, "s hs traffic", th, 32);
  assert.equal(toHex(c), "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21");
  assert.equal(toHex(s), "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
  assert.equal(
    toHex(await expandLabel(S, s, "key", new Uint8Array(0), 16)),
    "3fce516009c21727d0f2e4e86ee403bc",
  );
  assert.equal(
    toHex(await expandLabel(S, s, "iv", new Uint8Array(0), 12)),
    "5d313eb2671276ee13000b30",
  );
});

for (const suite of Object.values(TLS13_SUITES)) {
  Deno.test(`RecordProtection seals and opens records with suite 0x${suite.code.toString(16)}`, async () => {
    const secret = new Uint8Array(suite.hashLen).fill(3);
    const tx = await RecordProtection.create(suite, secret);
    const rx = await RecordProtection.create(suite, secret);
    for (const text of ["first", "second"]) {
      const rec = await tx.seal(22, new TextEncoder().encode(text));
      const out = await rx.open(rec.subarray(0, 5), rec.subarray(5));
      assert.equal(out.type, 22);
      assert.equal(new TextDecoder().decode(out.data), text);
    }
    const rec = await tx.seal(23, Uint8Array.of(1));
    rec[rec.length - 1] ^= 1;
    await assert.rejects(
      () => rx.open(rec.subarray(0, 5), rec.subarray(5)),
      (e) => e instanceof TlsprobeError && e.code === "PEER_MALFORMED",
    );
  });
}
