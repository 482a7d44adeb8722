/**
 * GCM over a block cipher (core/handshake/gcm.ts): with AES as the block
 * cipher it must equal WebCrypto's AES-GCM byte for byte (ciphertext and
 * tag), and it must refuse a changed tag, ciphertext or additional data.
 */
import { strict as assert } from "node:assert";
import { Gcm } from "../../../core/handshake/gcm.ts";

/** AES-ECB on one block through WebCrypto (AES-CBC with a zero IV, the padding block dropped). */
async function aesBlock(
  key: Uint8Array<ArrayBuffer>,
): Promise<(b: Uint8Array) => Promise<Uint8Array>> {
  const k = await crypto.subtle.importKey("raw", key, { name: "AES-CBC" }, false, ["encrypt"]);
  return async (b) =>
    new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-CBC", iv: new Uint8Array(16) },
        k,
        b as Uint8Array<ArrayBuffer>,
      ),
    )
      .subarray(0, 16);
}

Deno.test("Gcm over AES equals WebCrypto's AES-GCM (ciphertext and tag) for random keys, nonces, data and AAD", async () => {
  for (
    const [keyLen, ptLen, aadLen] of [[16, 0, 13], [16, 1, 0], [32, 31, 13], [16, 64, 5], [
      32,
      100,
      40,
    ]]
  ) {
    const key = crypto.getRandomValues(new Uint8Array(keyLen));
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const pt = crypto.getRandomValues(new Uint8Array(ptLen));
    const aad = crypto.getRandomValues(new Uint8Array(aadLen));
    const gcm = new Gcm(await aesBlock(key));
    const ours = await gcm.seal(nonce, aad, pt);
    const k = await crypto.subtle.importKey("raw", key, { name: "AES-GCM" }, false, ["encrypt"]);
    const theirs = new Uint8Array(
      await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, k, pt),
    );
    assert.deepEqual(ours, theirs, `${keyLen * 8}-bit key, ${ptLen} bytes, ${aadLen} AAD`);
    assert.deepEqual(await gcm.open(nonce, aad, ours), pt);
  }
});

Deno.test("Gcm.open refuses a changed tag, ciphertext or AAD, and a sealed text shorter than a tag", async () => {
  const gcm = Gcm.camellia(crypto.getRandomValues(new Uint8Array(16)));
  const nonce = new Uint8Array(12);
  const aad = Uint8Array.of(1, 2, 3);
  const sealed = await gcm.seal(nonce, aad, new TextEncoder().encode("application data"));
  assert.equal(new TextDecoder().decode(await gcm.open(nonce, aad, sealed)), "application data");
  for (const i of [0, sealed.length - 1]) {
    const bad = sealed.slice();
    bad[i] ^= 1;
    assert.equal(await gcm.open(nonce, aad, bad), undefined, `byte ${i} flipped`);
  }
  assert.equal(await gcm.open(nonce, Uint8Array.of(1, 2, 4), sealed), undefined);
  assert.equal(await gcm.open(nonce, aad, sealed.subarray(0, 15)), undefined);
});
