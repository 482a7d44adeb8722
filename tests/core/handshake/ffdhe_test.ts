/**
 * FFDHE key shares (RFC 7919) made with BigInt arithmetic: the primes equal
 * OpenSSL's, and a TLS 1.3 handshake with `openssl s_server -groups ffdheN`
 * decrypts (so the shared secret is right).
 */
import assert from "node:assert/strict";
import { ffdhePrime, makeKeyShare } from "../../../core/handshake/key_exchange.ts";
import { probe } from "../../../core/net/probe.ts";
import { makeTestPki, removeTestPki } from "../../_helpers/pki.ts";
import { startOpensslServer } from "../../_helpers/process.ts";

const GROUPS: [number, string][] = [
  [0x0100, "ffdhe2048"],
  [0x0101, "ffdhe3072"],
  [0x0102, "ffdhe4096"],
  [0x0103, "ffdhe6144"],
  [0x0104, "ffdhe8192"],
];

function opensslPrime(name: string): string {
  const out = new Deno.Command("openssl", {
    args: ["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", `group:${name}`],
  }).outputSync();
  const pem = new TextDecoder().decode(out.stdout);
  const der = Uint8Array.from(atob(pem.replace(/-----[^-]+-----|\s/g, "")), (c) => c.charCodeAt(0));
  return Array.from(der, (x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test("ffdhePrime() gives OpenSSL's prime for each RFC 7919 group", () => {
  for (const [code, name] of GROUPS) {
    const p = ffdhePrime(code).toString(16);
    assert.equal(p.length * 4, Number(name.slice(5)), name);
    // The DER SEQUENCE { INTEGER p, INTEGER 2 } holds p's bytes after a 00 pad.
    assert.ok(opensslPrime(name).includes("00" + p), name);
  }
});

Deno.test("an FFDHE key share refuses a server value out of range", async () => {
  const share = await makeKeyShare(0x0100);
  assert.equal(share.publicValue.length, 256);
  const one = new Uint8Array(256);
  one[255] = 1;
  await assert.rejects(() => share.derive(one), /out of range/);
  await assert.rejects(() => share.derive(new Uint8Array(10)), /10 bytes/);
});

Deno.test("probe completes a TLS 1.3 handshake over ffdhe2048 with openssl s_server", async () => {
  const pki = await makeTestPki();
  const server = await startOpensslServer([
    "-cert",
    pki.localhostCrt,
    "-key",
    pki.localhostKey,
    "-tls1_3",
    "-groups",
    "ffdhe2048",
    "-www",
  ]);
  try {
    const r = await probe({
      host: "127.0.0.1",
      port: server.port,
      versions: [0x0304],
      groups: [0x0100],
      timeoutMs: 10_000,
      now: new Date(),
      noTrust: true,
    });
    assert.equal(r.error, undefined, r.error?.message);
    const obs = r.observation!;
    assert.equal(obs.keyExchange.group, 0x0100);
    assert.equal(obs.finishedVerified, true);
    assert.equal(obs.certificates.length, 1);
  } finally {
    await server.stop();
    await removeTestPki(pki);
  }
});
