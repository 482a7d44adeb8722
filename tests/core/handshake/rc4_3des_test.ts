/**
 * RC4 (pure) on its published test vectors (the "Key"/"Wiki"/"Secret"
 * examples and RFC 6229's 128-bit key 0x0102…10, offset 0), continued across
 * calls like TLS records; the runtime's 3DES-CBC (`core/net/triple_des.ts`)
 * on the SP 800-67 example (first block: CBC with a zero IV is ECB).
 */
import assert from "node:assert/strict";
import { Rc4 } from "../../../core/handshake/rc4.ts";
import { tripleDesCipher } from "../../../core/net/triple_des.ts";
import { fromHex, toHex } from "../../../core/wire/codec.ts";

const te = (s: string) => new TextEncoder().encode(s);

Deno.test("Rc4 matches the published vectors, and a stream split across calls matches one call", () => {
  assert.equal(toHex(new Rc4(te("Key")).apply(te("Plaintext"))), "bbf316e8d940af0ad3");
  assert.equal(toHex(new Rc4(te("Wiki")).apply(te("pedia"))), "1021bf0420");
  assert.equal(
    toHex(new Rc4(te("Secret")).apply(te("Attack at dawn"))),
    "45a01f645fc35b383552544b9bf5",
  );
  const key = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  // RFC 6229, key length 128 bits, keystream at offset 0.
  assert.equal(
    toHex(new Rc4(key).apply(new Uint8Array(16))),
    "9ac7cc9a609d1ef7b2932899cde41b97",
  );
  const whole = new Rc4(key).apply(new Uint8Array(40));
  const split = new Rc4(key);
  assert.deepEqual([...split.apply(new Uint8Array(13)), ...split.apply(new Uint8Array(27))], [
    ...whole,
  ]);
});

Deno.test("tripleDesCipher() encrypts the SP 800-67 example and decrypts it back", async () => {
  const des = await tripleDesCipher();
  const key = fromHex("0123456789abcdef23456789abcdef01456789abcdef0123");
  const pt = te("The qufck brown fox jump");
  const first = await des.encrypt(key, new Uint8Array(8), pt.subarray(0, 8));
  assert.equal(toHex(first), "a826fd8ce53b855f");
  const iv = fromHex("0001020304050607");
  const ct = await des.encrypt(key, iv, pt);
  assert.equal(ct.length, 24);
  assert.deepEqual(await des.decrypt(key, iv, ct), pt);
});
