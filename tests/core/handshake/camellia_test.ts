/**
 * Camellia (RFC 3713) and Camellia-CBC: the RFC's examples, and CBC compared
 * byte for byte with `openssl enc -camellia-*-cbc -nopad` on random keys, IVs
 * and data.
 */
import { strict as assert } from "node:assert";
import {
  CAMELLIA_CBC,
  camelliaDecryptBlock,
  camelliaEncryptBlock,
} from "../../../core/handshake/camellia.ts";
import { run } from "../../_helpers/process.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const bytes = (h: string) => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));

Deno.test("camelliaEncryptBlock() gives RFC 3713 Appendix A's ciphertexts (128- and 256-bit keys) and decrypts them", () => {
  const pt = bytes("0123456789abcdeffedcba9876543210");
  const cases: [string, string][] = [
    ["0123456789abcdeffedcba9876543210", "67673138549669730857065648eabe43"],
    [
      "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff",
      "9acc237dff16d76c20ef7c919e3a7509",
    ],
  ];
  for (const [key, ct] of cases) {
    assert.equal(hex(camelliaEncryptBlock(bytes(key), pt)), ct, key);
    assert.equal(hex(camelliaDecryptBlock(bytes(key), bytes(ct))), hex(pt), key);
  }
  assert.throws(() => camelliaEncryptBlock(new Uint8Array(24), pt), /16 or 32 key bytes/);
});

Deno.test("CAMELLIA_CBC encrypts as openssl enc -camellia-128-cbc / -camellia-256-cbc -nopad does, and decrypts back", async () => {
  for (const bits of [128, 256]) {
    for (const blocks of [1, 2, 5]) {
      const key = crypto.getRandomValues(new Uint8Array(bits / 8));
      const iv = crypto.getRandomValues(new Uint8Array(16));
      const pt = crypto.getRandomValues(new Uint8Array(16 * blocks));
      const ours = await CAMELLIA_CBC.encrypt(key, iv, pt);
      const file = await Deno.makeTempFile({ prefix: "tlsprobe-camellia-" });
      await Deno.writeFile(file, pt);
      const theirs = await run("sh", [
        "-c",
        `openssl enc -camellia-${bits}-cbc -K ${hex(key)} -iv ${hex(iv)} -nopad -in ${file} | ` +
        "od -An -tx1 -v",
      ]).finally(() => Deno.remove(file));
      assert.equal(theirs.code, 0, theirs.stderr);
      const label = `${bits}-bit, ${blocks} blocks`;
      assert.equal(hex(ours), theirs.stdout.replace(/\s+/g, ""), label);
      assert.equal(hex(await CAMELLIA_CBC.decrypt(key, iv, ours)), hex(pt), label);
    }
  }
});
