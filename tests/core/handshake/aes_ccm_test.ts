/**
 * AES-CCM from WebCrypto's AES-CBC and AES-CTR, byte-exact against RFC 3610
 * packet vector #1 (13-byte nonce, 8-byte tag) and NIST SP 800-38C examples
 * 1 and 2 (7- and 8-byte nonces, 4- and 6-byte tags); a flipped bit in the
 * ciphertext, the tag or the additional data fails to open.
 */
import assert from "node:assert/strict";
import { AesCcm } from "../../../core/handshake/aes_ccm.ts";
import { fromHex, toHex } from "../../../core/wire/codec.ts";

const range = (a: number, b: number) => Uint8Array.from({ length: b - a }, (_, i) => a + i);

const VECTORS: Array<
  {
    name: string;
    key: string;
    nonce: string;
    aad: Uint8Array;
    pt: Uint8Array;
    tag: number;
    out: string;
  }
> = [
  {
    name: "RFC 3610 packet vector #1",
    key: "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
    nonce: "00000003020100a0a1a2a3a4a5",
    aad: range(0, 8),
    pt: range(8, 0x1f),
    tag: 8,
    out: "588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0",
  },
  {
    name: "SP 800-38C example 1",
    key: "404142434445464748494a4b4c4d4e4f",
    nonce: "10111213141516",
    aad: range(0, 8),
    pt: range(0x20, 0x24),
    tag: 4,
    out: "7162015b4dac255d",
  },
  {
    name: "SP 800-38C example 2",
    key: "404142434445464748494a4b4c4d4e4f",
    nonce: "1011121314151617",
    aad: range(0, 16),
    pt: range(0x20, 0x30),
    tag: 6,
    out: "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd",
  },
];

Deno.test("AesCcm seals and opens the RFC 3610 and SP 800-38C vectors byte for byte", async () => {
  for (const v of VECTORS) {
    const ccm = await AesCcm.create(fromHex(v.key), v.tag);
    const sealed = await ccm.seal(fromHex(v.nonce), v.aad, v.pt);
    assert.equal(toHex(sealed), v.out, v.name);
    assert.deepEqual(await ccm.open(fromHex(v.nonce), v.aad, sealed), v.pt, v.name);
  }
});

Deno.test("AesCcm refuses a flipped bit in ciphertext, tag or additional data, and a short input", async () => {
  const v = VECTORS[0];
  const ccm = await AesCcm.create(fromHex(v.key), v.tag);
  const sealed = fromHex(v.out);
  for (const at of [0, sealed.length - 1]) {
    const bad = sealed.slice();
    bad[at] ^= 1;
    assert.equal(await ccm.open(fromHex(v.nonce), v.aad, bad), null);
  }
  const aad = v.aad.slice();
  aad[0] ^= 0x80;
  assert.equal(await ccm.open(fromHex(v.nonce), aad, sealed), null);
  assert.equal(await ccm.open(fromHex(v.nonce), v.aad, sealed.subarray(0, 7)), null);
  // An empty message still carries a tag.
  const empty = await ccm.seal(fromHex(v.nonce), v.aad, new Uint8Array(0));
  assert.equal(empty.length, 8);
  assert.deepEqual(await ccm.open(fromHex(v.nonce), v.aad, empty), new Uint8Array(0));
});
