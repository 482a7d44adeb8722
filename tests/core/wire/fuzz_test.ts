/**
 * Mutation fuzzing of the wire codec and the inspection client: mutated
 * server flights (from the byte-exact fixtures) may raise only
 * `TlsprobeError`, never RangeError/TypeError, and never hang.
 */
import assert from "node:assert/strict";
import { loadFixtures, parseAny } from "./_fixtures.ts";
import {
  HandshakeBuffer,
  parseAlert,
  parseClientHello,
  RecordBuffer,
} from "../../../core/wire/mod.ts";
import { TlsprobeError } from "../../../core/errors.ts";
import { toHex } from "../../../core/wire/codec.ts";
import { inspect } from "../../../core/handshake/inspect.ts";
import { replayTransport } from "../../../core/handshake/transport.ts";
import {
  DEFAULT_CIPHER_SUITES,
  DEFAULT_GROUPS,
  DEFAULT_SIGNATURE_ALGORITHMS,
} from "../../../core/handshake/defaults.ts";
import { fuzzCount, prng } from "../../_helpers/prng.ts";

/** Applies one to three mutations: flips, byte sets, length-field smashes, cuts, inserts, splices. */
export function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  let b = input.slice();
  const n = 1 + Math.floor(rnd() * 3);
  const at = () => Math.floor(rnd() * Math.max(1, b.length));
  for (let i = 0; i < n; i++) {
    switch (Math.floor(rnd() * 7)) {
      case 0:
        if (b.length) b[at()] ^= 1 << Math.floor(rnd() * 8);
        break;
      case 1:
        if (b.length) b[at()] = Math.floor(rnd() * 256);
        break;
      case 2:
        if (b.length) b[at()] = rnd() < 0.5 ? 0xff : 0x00;
        break;
      case 3:
        b = b.slice(0, at());
        break;
      case 4: {
        const p = at();
        const extra = Uint8Array.from(
          { length: 1 + Math.floor(rnd() * 8) },
          () => Math.floor(rnd() * 256),
        );
        const c = new Uint8Array(b.length + extra.length);
        c.set(b.subarray(0, p));
        c.set(extra, p);
        c.set(b.subarray(p), p + extra.length);
        b = c;
        break;
      }
      case 5: {
        const p = at();
        b = Uint8Array.from([...b.subarray(0, p), ...b.subarray(p + 1 + Math.floor(rnd() * 4))]);
        break;
      }
      case 6: {
        if (b.length < 4) break;
        const from = at(), to = at(), len = Math.min(1 + Math.floor(rnd() * 16), b.length - from);
        b.copyWithin(to, from, from + len);
        break;
      }
    }
  }
  return b;
}

const fixtures = await loadFixtures();

function expectTyped(e: unknown, input: Uint8Array, what: string): void {
  if (!(e instanceof TlsprobeError)) {
    throw new Error(`${what} threw ${String(e)} for input ${toHex(input).slice(0, 400)}`);
  }
}

const N = fuzzCount(100_000);

Deno.test(`${N.toLocaleString("en")} mutated server messages and flights raise only TlsprobeError`, () => {
  const rnd = prng(20261122);
  const messages = fixtures.flatMap((f) =>
    f.messages.map((m) => ({ m, version: f.expect.version, suite: f.expect.cipherSuite }))
  );
  const streams = fixtures.map((f) => f.serverBytes);
  const started = performance.now();
  let typed = 0, parsed = 0;
  for (let i = 0; i < N; i++) {
    if (i % 10 === 0) {
      // A whole flight through the record layer and handshake framing.
      const s = mutate(streams[Math.floor(rnd() * streams.length)], rnd);
      try {
        const records = new RecordBuffer();
        const hs = new HandshakeBuffer();
        records.push(s);
        for (let r = records.next(); r; r = records.next()) {
          if (r.type === 21) parseAlert(r.fragment);
          if (r.type !== 22) continue;
          hs.push(r.fragment);
          for (let m = hs.next(); m; m = hs.next()) parseAny(m.type, m.body, 0x0303, 0xc02f);
        }
        parsed++;
      } catch (e) {
        expectTyped(e, s, "record layer");
        typed++;
      }
      continue;
    }
    const pick = messages[Math.floor(rnd() * messages.length)];
    const body = mutate(pick.m.subarray(4), rnd);
    // Mostly the right parser; sometimes another message's parser on the same bytes.
    const type = rnd() < 0.85 ? pick.m[0] : messages[Math.floor(rnd() * messages.length)].m[0];
    try {
      parseAny(type, body, pick.version, pick.suite);
      parsed++;
    } catch (e) {
      expectTyped(e, body, `parser for type ${type}`);
      typed++;
    }
    if (i % 50 === 1) {
      const ch = mutate(fixtures[i % fixtures.length].clientHello.subarray(4), rnd);
      try {
        parseClientHello(ch);
      } catch (e) {
        expectTyped(e, ch, "parseClientHello");
      }
    }
  }
  assert.equal(typed + parsed, N);
  assert.ok(typed > N / 2, `only ${typed} of ${N} mutations were rejected`);
  assert.ok(performance.now() - started < 60_000, "fuzzing took too long (a parser is slow)");
});

Deno.test("2,000 mutated TLS 1.2 flights through inspect() end in a result or a TlsprobeError", async () => {
  const rnd = prng(7);
  const flights = fixtures.filter((f) => f.expect.version < 0x0304);
  let ok = 0, typed = 0;
  for (let i = 0; i < 2000; i++) {
    const f = flights[i % flights.length];
    const bytes = mutate(f.serverBytes, rnd);
    // Deliver in random chunks, as a network would.
    const chunks: Uint8Array[] = [];
    for (let p = 0; p < bytes.length;) {
      const n = 1 + Math.floor(rnd() * 2000);
      chunks.push(bytes.subarray(p, p + n));
      p += n;
    }
    try {
      await inspect(replayTransport(chunks), {
        versions: [0x0303, 0x0302, 0x0301],
        cipherSuites: [...DEFAULT_CIPHER_SUITES],
        groups: [...DEFAULT_GROUPS],
        signatureAlgorithms: [...DEFAULT_SIGNATURE_ALGORITHMS],
        serverName: "localhost",
      });
      ok++;
    } catch (e) {
      expectTyped(e, bytes, "inspect()");
      typed++;
    }
  }
  assert.equal(ok + typed, 2000);
  assert.ok(typed > 0);
});
