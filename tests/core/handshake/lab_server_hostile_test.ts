/**
 * The lab engine's server side against hostile clients: garbage, malformed
 * and oversized records, a truncated handshake, a flood of empty records, a
 * stall, and a record whose MAC was tampered with in flight. Each gets a
 * coded error (and the alert a server sends, read back by the raw client),
 * within its deadline; afterwards the same server still serves s_client.
 */
import assert from "node:assert/strict";
import { buildClientHello } from "../../../core/wire/client_hello.ts";
import { gnutlsEcho, sClientEcho, startLabEngine } from "../../_helpers/lab_clients.ts";
import { ROOT } from "../../_helpers/process.ts";
import { parsePem } from "../../../core/x509/pem.ts";

const TIMEOUT_MS = 1500;

/** Sends bytes, then reads until the server closes (or 5 s), returning what came back. */
async function hostile(port: number, bytes: Uint8Array, close = false): Promise<Uint8Array> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  const got: number[] = [];
  try {
    if (bytes.length) await c.write(bytes);
    if (close) await c.closeWrite().catch(() => {});
    const buf = new Uint8Array(4096);
    const stop = setTimeout(() => c.close(), TIMEOUT_MS + 3000);
    try {
      for (let n = await c.read(buf); n !== null; n = await c.read(buf)) {
        got.push(...buf.subarray(0, n));
      }
    } catch { /* closed */ }
    clearTimeout(stop);
  } finally {
    try {
      c.close();
    } catch { /* closed */ }
  }
  return Uint8Array.from(got);
}

/** The alert description in the first record, if it is a fatal alert. */
function alertOf(b: Uint8Array): number | undefined {
  return b.length >= 7 && b[0] === 21 && b[5] === 2 ? b[6] : undefined;
}

function record(type: number, body: Uint8Array, version = 0x0301): Uint8Array {
  return Uint8Array.from([
    type,
    version >> 8,
    version & 0xff,
    body.length >> 8,
    body.length & 0xff,
    ...body,
  ]);
}

/** A TCP relay that flips the last byte of the client's first application-data record. */
function tamperingRelay(target: number): { port: number; close(): void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const a of l) {
      const b = await Deno.connect({ hostname: "127.0.0.1", port: target });
      (async () => {
        let pending = new Uint8Array(0);
        let done = false;
        const buf = new Uint8Array(16384);
        try {
          for (let n = await a.read(buf); n !== null; n = await a.read(buf)) {
            const joined = new Uint8Array(pending.length + n);
            joined.set(pending);
            joined.set(buf.subarray(0, n), pending.length);
            let i = 0;
            while (joined.length - i >= 5) {
              const len = (joined[i + 3] << 8) | joined[i + 4];
              if (joined.length - i < 5 + len) break;
              if (!done && joined[i] === 23) {
                joined[i + 4 + len] ^= 1;
                done = true;
              }
              i += 5 + len;
            }
            await b.write(joined.subarray(0, i));
            pending = joined.slice(i);
          }
        } catch { /* closed */ }
        await b.closeWrite().catch(() => {});
      })();
      (async () => {
        try {
          await b.readable.pipeTo(a.writable);
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return { port: (l.addr as Deno.NetAddr).port, close: () => l.close() };
}

Deno.test("lab engine: hostile clients get a coded error and the server's alert; the server keeps serving", async () => {
  const server = await startLabEngine({
    versions: [0x0303],
    suites: [0xc02f],
    groups: [0x001d],
    serverPreference: true,
  }, { timeoutMs: TIMEOUT_MS });
  const { port, errors } = server;
  const relay = tamperingRelay(port);
  try {
    const hello = buildClientHello({
      versions: [0x0303],
      random: new Uint8Array(32),
      cipherSuites: [0xc02f],
      groups: [0x001d],
      signatureAlgorithms: [0x0804],
    });
    const broken = hello.slice();
    broken[3] -= 3; // the handshake length: the body is cut short inside the message
    const cases: [string, () => Promise<Uint8Array>, string, RegExp, number | undefined][] = [
      [
        "plain text",
        () => hostile(port, new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n")),
        "NOT_TLS",
        /did not speak TLS|does not speak TLS/,
        undefined,
      ],
      [
        "a malformed ClientHello",
        () => hostile(port, record(22, broken.subarray(0, broken.length - 3))),
        "PEER_MALFORMED",
        /client_hello/,
        50,
      ],
      [
        "an oversized record",
        () => hostile(port, Uint8Array.from([22, 3, 1, 0xff, 0xff, 1, 2, 3])),
        "PEER_MALFORMED",
        /exceeds the limit/,
        22,
      ],
      [
        "a truncated handshake",
        () => hostile(port, record(22, hello).subarray(0, 40), true),
        "CONNECTION_CLOSED",
        /closed the connection mid-handshake|closed the connection/,
        undefined,
      ],
      [
        "a flood of empty handshake records",
        () =>
          hostile(
            port,
            Uint8Array.from(Array.from({ length: 100 }, () => [22, 3, 1, 0, 0]).flat()),
          ),
        "PEER_MALFORMED",
        /records without a handshake message/,
        10,
      ],
      ["a stall", () => hostile(port, new Uint8Array(0)), "TIMEOUT", /quiet/, undefined],
      [
        "application data before the handshake",
        () => hostile(port, record(23, Uint8Array.of(1, 2, 3))),
        "PEER_MALFORMED",
        /record of type 23/,
        10,
      ],
    ];
    for (const [what, run, code, message, alert] of cases) {
      const before = errors.length;
      const t0 = performance.now();
      const back = await run();
      const ms = performance.now() - t0;
      for (let i = 0; i < 50 && errors.length === before; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const e = errors[before];
      assert.ok(e, `${what}: no error logged`);
      assert.equal(e.code, code, `${what}: ${e.code} ${e.message}`);
      assert.match(e.message, message, what);
      assert.equal(alertOf(back), alert, `${what}: got ${Array.from(back.subarray(0, 7))}`);
      assert.ok(ms < TIMEOUT_MS + 3000, `${what}: took ${ms} ms`);
    }

    // A record tampered with in flight: bad_record_mac, logged with its code.
    const before = errors.length;
    const tampered = await sClientEcho(relay.port, ["-tls1_2"], 10_000);
    assert.ok(!tampered.echoed, tampered.output);
    assert.match(tampered.output, /bad record mac/);
    for (let i = 0; i < 50 && errors.length === before; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(errors[before]?.code, "PEER_MALFORMED");
    assert.match(errors[before].message, /bad_record_mac/);
    assert.equal(errors[before].detail.sentAlert, "bad_record_mac");

    // A client that sends and never reads: the echo's write is bounded too.
    const beforeWrite = errors.length;
    const t0 = performance.now();
    const c = await Deno.connectTls({
      hostname: "localhost",
      port,
      caCerts: [await Deno.readTextFile(`${ROOT}certs/ca.crt`)],
    });
    const chunk = new Uint8Array(64 * 1024);
    // Without the server's write bound this loop would block: give up after the margin.
    const guard = setTimeout(() => {
      try {
        c.close();
      } catch { /* closed */ }
    }, TIMEOUT_MS + 5000);
    try {
      for (let sent = 0; sent < 64 << 20; sent += chunk.length) await c.write(chunk);
    } catch { /* the server closed */ }
    clearTimeout(guard);
    try {
      c.close();
    } catch { /* closed */ }
    for (let i = 0; i < 100 && errors.length === beforeWrite; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(errors[beforeWrite]?.code, "TIMEOUT", errors[beforeWrite]?.message);
    assert.match(errors[beforeWrite].message, /did not read/);
    assert.ok(performance.now() - t0 < TIMEOUT_MS + 5000, `${performance.now() - t0} ms`);

    // Still serving.
    const good = await sClientEcho(port, ["-tls1_2"]);
    assert.equal(good.cipher, "ECDHE-RSA-AES128-GCM-SHA256", good.output);
    assert.ok(good.echoed);
  } finally {
    relay.close();
    await server.stop();
  }
});

Deno.test("lab engine: a tampered record under AES-CCM, AES-CCM-8 (TLS 1.2 and 1.3), RC4 and 3DES is bad_record_mac, coded", async () => {
  const server = await startLabEngine({
    versions: [0x0301, 0x0303, 0x0304],
    suites: [0x1304, 0x1305, 0xc09c, 0xc0a0, 0x0005, 0x000a],
    groups: [0x001d],
    serverPreference: false,
  }, { timeoutMs: 5000 });
  const relay = tamperingRelay(server.port);
  try {
    const g = "NORMAL:-VERS-ALL:-CIPHER-ALL:-MAC-ALL:-KX-ALL:+RSA:+SHA1:%VERIFY_ALLOW_BROKEN";
    const runs = await Promise.all([
      sClientEcho(relay.port, ["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"], 10_000),
      sClientEcho(relay.port, ["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_8_SHA256"], 10_000),
      sClientEcho(relay.port, ["-tls1_2", "-cipher", "AES128-CCM"], 10_000),
      sClientEcho(relay.port, ["-tls1_2", "-cipher", "AES128-CCM8"], 10_000),
      gnutlsEcho(relay.port, `${g}:+VERS-TLS1.0:+ARCFOUR-128`, 10_000),
      gnutlsEcho(relay.port, `${g}:+VERS-TLS1.0:+3DES-CBC`, 10_000),
    ]);
    assert.ok(runs.every((r) => !r.echoed), runs.map((r) => r.output).join("\n"));
    for (let i = 0; i < 100 && server.errors.length < runs.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(
      server.errors.map((e) => `${e.code} ${e.detail.sentAlert}`),
      Array(runs.length).fill("PEER_MALFORMED bad_record_mac"),
    );
    // TLS 1.0–1.2: the suite was negotiated before the tampered record came; in
    // TLS 1.3 the first protected record is the client's Finished, so no session.
    assert.deepEqual(
      server.infos.map((i) => i.suite).sort(),
      [0xc09c, 0xc0a0, 0x0005, 0x000a].sort(),
    );
  } finally {
    relay.close();
    await server.stop();
  }
});

/** The description of the last fatal alert among the records that came back. */
function lastAlert(b: Uint8Array): number | undefined {
  let found: number | undefined;
  for (let i = 0; i + 5 <= b.length; i += 5 + ((b[i + 3] << 8) | b[i + 4])) {
    if (b[i] === 21 && b[i + 5] === 2) found = b[i + 6];
  }
  return found;
}

Deno.test("lab engine client auth: a hostile client's Certificate (truncated, junk, empty, missing) gets a coded error and the alert", async () => {
  const server = await startLabEngine({
    versions: [0x0303],
    suites: [0xc02f],
    groups: [0x001d],
    serverPreference: true,
    clientAuth: {
      roots: parsePem(await Deno.readTextFile(`${ROOT}certs/ca.crt`)),
      required: true,
    },
  }, { timeoutMs: TIMEOUT_MS });
  try {
    const hello = record(
      22,
      buildClientHello({
        versions: [0x0303],
        random: new Uint8Array(32),
        cipherSuites: [0xc02f],
        groups: [0x001d],
        signatureAlgorithms: [0x0804],
      }),
    );
    const hs = (type: number, body: number[]) =>
      record(22, Uint8Array.of(type, 0, body.length >> 8, body.length & 0xff, ...body), 0x0303);
    const cases: [string, Uint8Array, string, RegExp, number][] = [
      [
        "a truncated Certificate",
        hs(11, [0, 0, 5, 0, 0, 9, 1, 2]),
        "PEER_MALFORMED",
        /certificate/,
        50,
      ],
      [
        "a Certificate that is not DER",
        hs(11, [0, 0, 8, 0, 0, 5, 0x30, 3, 1, 2, 3]),
        "CLIENT_CERT_REJECTED",
        /cannot be decoded \(bad_certificate\)/,
        42,
      ],
      [
        "an empty Certificate",
        hs(11, [0, 0, 0]),
        "CLIENT_CERT_REQUIRED",
        /sent no certificate/,
        40,
      ],
      [
        "ClientKeyExchange where the Certificate belongs",
        hs(16, [0, 1, 4]),
        "PEER_MALFORMED",
        /Expected handshake message 11/,
        10,
      ],
    ];
    for (const [what, bytes, code, message, alert] of cases) {
      const before = server.errors.length;
      const back = await hostile(server.port, Uint8Array.from([...hello, ...bytes]));
      for (let i = 0; i < 50 && server.errors.length === before; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const e = server.errors[before];
      assert.ok(e, `${what}: no error logged`);
      assert.equal(e.code, code, `${what}: ${e.code} ${e.message}`);
      assert.match(e.message, message, what);
      assert.equal(lastAlert(back), alert, what);
    }
  } finally {
    await server.stop();
  }
});
