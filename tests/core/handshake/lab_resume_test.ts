/**
 * Resumption in the lab engine's server side, checked by `openssl s_client
 * -sess_out` then `-sess_in`: the second connection must say `Reused`, with
 * the same suite, echo data both ways, and the server must record it as
 * resumed (no certificate sent). A session is never resumed under another
 * server, and a full handshake follows when the client's offer no longer
 * fits the stored session.
 */
import assert from "node:assert/strict";
import type { LabServerConfig } from "../../../core/handshake/server.ts";
import { SessionStore } from "../../../core/handshake/server.ts";
import { makeKeyShare } from "../../../core/handshake/key_exchange.ts";
import { buildClientHello } from "../../../core/wire/client_hello.ts";
import { Writer } from "../../../core/wire/codec.ts";
import { ROOT } from "../../_helpers/process.ts";
import { sClientEcho, startLabEngine } from "../../_helpers/lab_clients.ts";

const CA = `${ROOT}certs/ca.crt`;

async function sClient(port: number, args: string[]) {
  const r = await sClientEcho(port, ["-CAfile", CA, ...args]);
  return {
    out: r.output,
    status: /^(New|Reused), (TLSv1(?:\.\d)?), Cipher is (\S+)/m.exec(r.output),
    echoed: r.echoed,
  };
}

async function twice(config: Omit<LabServerConfig, "identities">, args: string[]) {
  const server = await startLabEngine(config);
  const dir = await Deno.makeTempDir({ prefix: "tlsprobe-resume-" });
  try {
    const sess = `${dir}/sess.pem`;
    const first = await sClient(server.port, [...args, "-sess_out", sess]);
    const second = await sClient(server.port, [...args, "-sess_in", sess]);
    return { first, second, infos: server.infos, errors: server.errors, sess };
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

const TLS12_CASES: Array<{ name: string; version: number; suite: number; flag: string }> = [
  { name: "TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256", version: 0x0303, suite: 0xc02f, flag: "-tls1_2" },
  { name: "TLS 1.2 AES256-SHA256 (RSA kx, CBC)", version: 0x0303, suite: 0x003d, flag: "-tls1_2" },
  { name: "TLS 1.0 ECDHE-RSA-AES128-SHA", version: 0x0301, suite: 0xc013, flag: "-tls1" },
];

for (const c of TLS12_CASES) {
  Deno.test(`lab engine resumes a ${c.name} session by its session ID`, async () => {
    const cipher = c.version === 0x0303 ? [] : ["-cipher", "DEFAULT:@SECLEVEL=0"];
    const r = await twice(
      { versions: [c.version], suites: [c.suite], groups: [0x001d], serverPreference: true },
      [
        c.flag,
        "-no_ticket",
        ...cipher,
        ...(c.suite === 0x003d ? ["-cipher", "AES256-SHA256"] : []),
      ],
    );
    assert.equal(r.first.status?.[1], "New", r.first.out);
    assert.equal(r.second.status?.[1], "Reused", r.second.out);
    assert.equal(r.second.status?.[2], r.first.status?.[2]);
    assert.equal(r.second.status?.[3], r.first.status?.[3]);
    assert.ok(r.first.echoed && r.second.echoed, r.second.out);
    assert.deepEqual(r.infos.map((i) => !!i.resumed), [false, true]);
    assert.equal(r.infos[1].resumedBy, "session-id");
    assert.equal(r.infos[0].ticketIssued, undefined, "-no_ticket: no ticket issued");
    assert.deepEqual(r.infos.map((i) => i.suite), [c.suite, c.suite]);
    assert.deepEqual(r.errors, []);
  });
}

for (const c of [TLS12_CASES[0], TLS12_CASES[2]]) {
  Deno.test(`lab engine resumes a ${c.name} session by its RFC 5077 ticket`, async () => {
    const cipher = c.version === 0x0303 ? [] : ["-cipher", "DEFAULT:@SECLEVEL=0"];
    const r = await twice(
      { versions: [c.version], suites: [c.suite], groups: [0x001d], serverPreference: true },
      [c.flag, ...cipher],
    );
    assert.equal(r.first.status?.[1], "New", r.first.out);
    assert.match(r.first.out, /TLS session ticket lifetime hint: 7200/);
    assert.equal(r.second.status?.[1], "Reused", r.second.out);
    assert.ok(r.first.echoed && r.second.echoed, r.second.out);
    assert.equal(r.infos[0].ticketIssued, true);
    assert.deepEqual(r.infos.map((i) => i.resumedBy), [undefined, "ticket"]);
    assert.deepEqual(r.errors, []);
  });
}

Deno.test("SessionStore tickets: open only under the run that sealed them, untampered, within their lifetime", async () => {
  let now = 1_000_000;
  const a = new SessionStore(8, 60, () => now);
  const b = new SessionStore(8, 60, () => now);
  const state = { version: 0x0303, suite: 0xc02f, master: new Uint8Array(48).fill(7), ems: true };
  const t = await a.sealTicket(state);
  assert.deepEqual(await a.openTicket(t), state);
  assert.equal(await b.openTicket(t), undefined, "another run's key");
  for (const at of [0, 20, t.length - 1]) {
    const bad = t.slice();
    bad[at] ^= 1;
    assert.equal(await a.openTicket(bad), undefined, `flipped byte ${at}`);
  }
  assert.equal(await a.openTicket(t.subarray(0, 30)), undefined, "truncated");
  now += 61_000;
  assert.equal(await a.openTicket(t), undefined, "expired");
});

Deno.test("lab engine: a session from another server, or for another suite, gets a full handshake", async () => {
  const cfg = { versions: [0x0303], suites: [0xc02f, 0xc030], groups: [0x001d] };
  const a = await startLabEngine({ ...cfg, serverPreference: true });
  const b = await startLabEngine({ ...cfg, serverPreference: true });
  const dir = await Deno.makeTempDir({ prefix: "tlsprobe-resume-" });
  try {
    const sess = `${dir}/a.pem`;
    const first = await sClient(a.port, ["-tls1_2", "-sess_out", sess]);
    assert.equal(first.status?.[1], "New", first.out);
    // Another server never heard of this session ID.
    const other = await sClient(b.port, ["-tls1_2", "-sess_in", sess]);
    assert.equal(other.status?.[1], "New", other.out);
    assert.ok(other.echoed);
    // The same server, but the client no longer offers the session's suite.
    const narrowed = await sClient(a.port, [
      "-tls1_2",
      "-cipher",
      first.status?.[3] === "ECDHE-RSA-AES128-GCM-SHA256"
        ? "ECDHE-RSA-AES256-GCM-SHA384"
        : "ECDHE-RSA-AES128-GCM-SHA256",
      "-sess_in",
      sess,
    ]);
    assert.equal(narrowed.status?.[1], "New", narrowed.out);
    assert.ok(narrowed.echoed);
    assert.deepEqual([...a.infos, ...b.infos].map((i) => !!i.resumed), [false, false, false]);
  } finally {
    await a.stop();
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

for (const suite of [0x1301, 0x1302, 0x1303]) {
  Deno.test(`lab engine resumes TLS 1.3 (suite 0x${suite.toString(16)}) with a ticket, psk_dhe_ke, once`, async () => {
    const name = { 0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384" }[suite] ??
      "TLS_CHACHA20_POLY1305_SHA256";
    const server = await startLabEngine({
      versions: [0x0304],
      suites: [suite],
      groups: [0x001d, 0x0017],
      serverPreference: true,
    });
    const dir = await Deno.makeTempDir({ prefix: "tlsprobe-resume-" });
    try {
      const sess = `${dir}/sess.pem`;
      const args = ["-tls1_3", "-ciphersuites", name];
      const first = await sClient(server.port, [...args, "-sess_out", sess]);
      const second = await sClient(server.port, [...args, "-sess_in", sess]);
      // Tickets are single use (RFC 8446 §8.1): the same one again gets a full handshake.
      const third = await sClient(server.port, [...args, "-sess_in", sess]);
      assert.equal(first.status?.[1], "New", first.out);
      assert.match(first.out, /Post-Handshake New Session Ticket arrived/);
      assert.equal(second.status?.[1], "Reused", second.out);
      assert.equal(second.status?.[2], "TLSv1.3");
      assert.equal(second.status?.[3], name);
      assert.equal(third.status?.[1], "New", third.out);
      assert.ok(first.echoed && second.echoed && third.echoed, second.out);
      assert.deepEqual(server.infos.map((i) => !!i.resumed), [false, true, false]);
      // A resumed session sends no certificate, so no signature scheme was used.
      assert.equal(server.infos[1].scheme, undefined);
      assert.notEqual(server.infos[0].scheme, undefined);
      assert.deepEqual(server.errors, []);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("lab engine: a TLS 1.3 ticket from another server, or under another hash, is not resumed", async () => {
  const cfg = { versions: [0x0304], suites: [0x1301, 0x1302], groups: [0x001d] };
  const a = await startLabEngine({ ...cfg, serverPreference: true });
  const b = await startLabEngine({ ...cfg, serverPreference: true });
  const dir = await Deno.makeTempDir({ prefix: "tlsprobe-resume-" });
  try {
    const s1 = `${dir}/1.pem`, s2 = `${dir}/2.pem`;
    const first = await sClient(a.port, [
      "-tls1_3",
      "-ciphersuites",
      "TLS_AES_128_GCM_SHA256",
      "-sess_out",
      s1,
    ]);
    const other = await sClient(b.port, ["-tls1_3", "-sess_in", s1]);
    const again = await sClient(a.port, [
      "-tls1_3",
      "-ciphersuites",
      "TLS_AES_256_GCM_SHA384",
      "-sess_out",
      s2,
    ]);
    // SHA-256 ticket, SHA-384 suite only: no PSK fits.
    const hash = await sClient(a.port, [
      "-tls1_3",
      "-ciphersuites",
      "TLS_AES_256_GCM_SHA384",
      "-sess_in",
      s1,
    ]);
    for (const r of [first, other, again, hash]) {
      assert.equal(r.status?.[1], "New", r.out);
      assert.ok(r.echoed, r.out);
    }
    assert.ok([...a.infos, ...b.infos].every((i) => !i.resumed));
  } finally {
    await a.stop();
    await b.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Sends one ClientHello record, reads until the server closes (or 5 s); the first alert's description. */
async function helloAlert(port: number, hello: Uint8Array): Promise<number | undefined> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  const got: number[] = [];
  const stop = setTimeout(() => c.close(), 5000);
  try {
    await c.write(Uint8Array.from([22, 3, 1, hello.length >> 8, hello.length & 0xff, ...hello]));
    const buf = new Uint8Array(4096);
    for (let n = await c.read(buf); n !== null; n = await c.read(buf)) {
      got.push(...buf.subarray(0, n));
    }
  } catch {
    /* closed */
  } finally {
    clearTimeout(stop);
    try {
      c.close();
    } catch { /* closed */ }
  }
  return got.length >= 7 && got[0] === 21 && got[5] === 2 ? got[6] : undefined;
}

Deno.test("lab engine: a forged PSK binder, a misplaced or malformed pre_shared_key end the handshake with an alert", async () => {
  const sessions = new SessionStore();
  const ticket = crypto.getRandomValues(new Uint8Array(32));
  const server = await startLabEngine({
    versions: [0x0304],
    suites: [0x1301],
    groups: [0x001d],
    serverPreference: true,
    sessions,
  }, { timeoutMs: 3000 });
  try {
    const share = await makeKeyShare(0x001d);
    const psk = (binder: Uint8Array, identity = ticket) =>
      new Writer()
        .lengthPrefixed(2, (w) => w.vec16(identity).u32(0))
        .lengthPrefixed(2, (w) => w.vec8(binder))
        .finish();
    const hello = (extra: { type: number; data: Uint8Array }[]) =>
      buildClientHello({
        versions: [0x0304],
        random: crypto.getRandomValues(new Uint8Array(32)),
        cipherSuites: [0x1301],
        groups: [0x001d],
        keyShares: [{ group: 0x001d, keyExchange: share.publicValue }],
        signatureAlgorithms: [0x0804, 0x0403],
        serverName: "localhost",
        pskModes: [1],
        extraExtensions: extra,
      });
    const cases: Array<[string, Uint8Array, number, string]> = [
      [
        "forged binder",
        hello([{ type: 41, data: psk(new Uint8Array(32)) }]),
        51,
        "HANDSHAKE_FAILURE",
      ],
      [
        "pre_shared_key not last",
        hello([{ type: 41, data: psk(new Uint8Array(32)) }, {
          type: 0xff01,
          data: Uint8Array.of(0),
        }]),
        47,
        "PEER_MALFORMED",
      ],
      [
        "truncated pre_shared_key",
        hello([{ type: 41, data: psk(new Uint8Array(32)).subarray(0, 20) }]),
        50,
        "PEER_MALFORMED",
      ],
    ];
    for (const [what, bytes, alert, code] of cases) {
      sessions.tickets.put(ticket, {
        suite: 0x1301,
        psk: crypto.getRandomValues(new Uint8Array(32)),
      });
      const before = server.errors.length;
      assert.equal(await helloAlert(server.port, bytes), alert, what);
      // The server's own log line carries the stable code.
      for (let i = 0; i < 50 && server.errors.length === before; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(server.errors[before]?.code, code, what);
    }
    // An unknown ticket is ignored: a full handshake, and the server still serves.
    const ok = await sClient(server.port, ["-tls1_3"]);
    assert.equal(ok.status?.[1], "New", ok.out);
    assert.ok(ok.echoed, ok.out);
  } finally {
    await server.stop();
  }
});
