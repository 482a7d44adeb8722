/**
 * `tlsprobe serve` against misbehaving clients: each is logged with its code
 * (matched by the client's own port), a well-behaved client is served while
 * they misbehave, the server's descriptors return to their baseline and its
 * memory stays bounded. Run against plain `serve --echo` and against
 * `serve --echo --policy … --report`.
 *
 * The soak tier (300 idle sockets, 200 concurrent echo clients) runs only with
 * `TLSPROBE_SOAK=1` (`deno task soak`).
 */
import assert from "node:assert/strict";
import { buildClientHello } from "../../core/wire/client_hello.ts";
import { encodeHandshakeRecords, encodeRecord } from "../../core/wire/record.ts";
import { makeTestPki, removeTestPki, type TestPki } from "../_helpers/pki.ts";
import { type Peer, startTlsprobe } from "../_helpers/process.ts";

const LISTENING = /Listening at interface '127\.0\.0\.1' and port (\d+)/;
const TIMEOUT_S = 2;
const enc = new TextEncoder();

/** A TLS 1.2 ClientHello that the runtime's TLS can answer (ECDHE-RSA-AES128-GCM). */
function helloMessage(versions = [0x0303], suites = [0xc02f, 0xc030]): Uint8Array {
  return buildClientHello({
    versions,
    random: new Uint8Array(32).fill(7),
    cipherSuites: suites,
    groups: [0x001d, 0x0017],
    signatureAlgorithms: [0x0804, 0x0401, 0x0403],
    ecPointFormats: true,
    serverName: "localhost",
  });
}

function helloRecords(versions?: number[], suites?: number[]): Uint8Array {
  return encodeHandshakeRecords(helloMessage(versions, suites), 0x0301);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function open(port: number): Promise<{ conn: Deno.Conn; port: number }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  return { conn, port: (conn.localAddr as Deno.NetAddr).port };
}

/** Reads until the server closes (or 3 × the server's timeout), ignoring errors. */
async function drain(conn: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(4096);
  const t = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, TIMEOUT_S * 3000);
  try {
    while ((await conn.read(buf)) !== null) { /* discard */ }
  } catch { /* reset or closed */ }
  clearTimeout(t);
  try {
    conn.close();
  } catch { /* closed */ }
}

/** One misbehaving client: what it does, and the log line it must produce. */
interface Hostile {
  name: string;
  /** Runs the client; returns its local port. */
  run(port: number, pki: TestPki): Promise<number>;
  /** The code and message expected after `127.0.0.1:PORT: `. */
  expect: RegExp;
  /** Expected instead under a policy, when it differs. */
  expectPolicy?: RegExp;
}

const ALL_HOSTILES: Hostile[] = [
  {
    name: "binary garbage",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 1) % 19));
      await drain(c.conn);
      return c.port;
    },
    expect: /NOT_TLS: The client at \S+ did not speak TLS: its first bytes are not a TLS record/,
  },
  {
    name: "plaintext HTTP",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(enc.encode("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
      await drain(c.conn);
      return c.port;
    },
    expect: /NOT_TLS: The client at \S+ did not speak TLS: it sent plain text "GET \/ HTTP\/1\.1"/,
  },
  {
    name: "port scan (connect and close)",
    run: async (port) => {
      const c = await open(port);
      c.conn.close();
      return c.port;
    },
    expect: /CONNECTION_CLOSED: The client at \S+ closed the connection without sending anything/,
  },
  {
    name: "stalls before sending anything",
    run: async (port) => {
      const c = await open(port);
      await drain(c.conn);
      return c.port;
    },
    expect:
      /TIMEOUT: \S+ did not complete the TLS handshake within 2 s \(no complete ClientHello\)/,
  },
  {
    name: "slowloris ClientHello (one byte every 150 ms)",
    run: async (port) => {
      const c = await open(port);
      const bytes = helloRecords();
      const reading = drain(c.conn);
      for (const b of bytes) {
        try {
          await c.conn.write(Uint8Array.of(b));
        } catch {
          break; // the server closed us
        }
        await sleep(150);
      }
      await reading;
      return c.port;
    },
    expect:
      /TIMEOUT: \S+ did not complete the TLS handshake within 2 s \(no complete ClientHello\)/,
  },
  {
    name: "128 KiB ClientHello in 1-byte records",
    run: async (port) => {
      const c = await open(port);
      const body = new Uint8Array(128 * 1024);
      const msg = new Uint8Array(4 + body.length);
      msg.set([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]);
      const out = new Uint8Array(msg.length * 6);
      for (let i = 0; i < msg.length; i++) out.set([22, 3, 1, 0, 1, msg[i]], i * 6);
      const reading = drain(c.conn);
      try {
        await c.conn.write(out);
      } catch { /* the server closed us */ }
      await reading;
      return c.port;
    },
    expect:
      /PEER_MALFORMED: The client at \S+ sent \d+ bytes in \d+ records without completing a ClientHello/,
  },
  {
    name: "oversized record length",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(Uint8Array.of(22, 3, 1, 0xff, 0xff, 1, 0, 0));
      await drain(c.conn);
      return c.port;
    },
    expect:
      /PEER_MALFORMED: The client at \S+ sent malformed TLS: Record of 65535 bytes exceeds the limit/,
  },
  {
    name: "half-close in the middle of its ClientHello",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(helloRecords().subarray(0, 40));
      await c.conn.closeWrite();
      await drain(c.conn);
      return c.port;
    },
    expect:
      /CONNECTION_CLOSED: The client at \S+ closed the connection after 40 bytes, before its ClientHello was complete/,
  },
  {
    name: "an alert instead of a ClientHello",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(encodeRecord(21, 0x0303, Uint8Array.of(2, 40)));
      await drain(c.conn);
      return c.port;
    },
    expect:
      /ALERT: The client at \S+ sent a fatal handshake_failure alert instead of a ClientHello/,
  },
  {
    name: "TLS 1.0 only",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(helloRecords([0x0301], [0xc013, 0x002f]));
      await drain(c.conn);
      return c.port;
    },
    expect: /PROTOCOL_VERSION: The client at \S+ offered at most TLS 1\.0/,
    expectPolicy: /PROTOCOL_VERSION: Refused the client at \S+ by policy/,
  },
  {
    name: "an SSL 2.0 hello",
    run: async (port) => {
      const c = await open(port);
      // SSLv2 CLIENT-HELLO: length 0x8019, type 1, version 0x0301, 3 + 0 + 16 bytes.
      const v2 = Uint8Array.of(
        0x80,
        0x19,
        1,
        3,
        1,
        0,
        3,
        0,
        0,
        0,
        16,
        0,
        0,
        0x2f,
        ...new Uint8Array(16),
      );
      await c.conn.write(v2);
      await drain(c.conn);
      return c.port;
    },
    expect: /PROTOCOL_VERSION: The client at \S+ sent an SSL 2\.0-style hello/,
  },
  {
    name: "no cipher suite this server speaks",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(helloRecords([0x0303], [0x002f, 0x0035]));
      await drain(c.conn);
      return c.port;
    },
    expect:
      /NO_SHARED_CIPHER: The client at \S+ offered 2 cipher suites for TLS 1\.2, none that this server speaks/,
    expectPolicy: /HANDSHAKE_FAILURE: Refused the client at \S+ by policy/,
  },
  {
    name: "a ServerHello as its first message",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(encodeRecord(22, 0x0303, Uint8Array.of(2, 0, 0, 2, 3, 3)));
      await drain(c.conn);
      return c.port;
    },
    expect:
      /PEER_MALFORMED: The client at \S+ sent malformed TLS: The client's first handshake message has type 2, not ClientHello/,
  },
  {
    name: "application data before any handshake",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(encodeRecord(23, 0x0303, enc.encode("hello")));
      await drain(c.conn);
      return c.port;
    },
    expect:
      /PEER_MALFORMED: The client at \S+ sent malformed TLS: The client sent a (?:record of type 23|non-handshake record) before its ClientHello/,
  },
  {
    name: "a ClientHello whose body is junk",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(encodeRecord(22, 0x0301, Uint8Array.of(1, 0, 0, 6, 3, 3, 9, 9, 9, 9)));
      await drain(c.conn);
      return c.port;
    },
    expect: /PEER_MALFORMED: The client at \S+ sent malformed TLS: Truncated/,
  },
  {
    name: "a record with version 2.0",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(Uint8Array.of(22, 2, 0, 0, 4, 1, 0, 0, 0));
      await drain(c.conn);
      return c.port;
    },
    expect: /NOT_TLS: The client at \S+ did not speak TLS/,
  },
  {
    name: "a complete ClientHello, then silence",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(helloRecords());
      await drain(c.conn);
      return c.port;
    },
    expect: /TIMEOUT: \S+ did not complete the TLS handshake within 2 s: closed/,
  },
  {
    name: "a complete ClientHello, then hangs up",
    run: async (port) => {
      const c = await open(port);
      await c.conn.write(helloRecords());
      await sleep(200);
      c.conn.close();
      return c.port;
    },
    expect:
      /(CONNECTION_CLOSED|CONNECTION_RESET): The client at \S+ (closed the connection|went away) during the handshake/,
  },
  {
    name: "refuses the server's certificate (unknown CA)",
    run: async (port) => {
      const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
      const local = (tcp.localAddr as Deno.NetAddr).port;
      try {
        const tls = await Deno.startTls(tcp, { hostname: "localhost" });
        await tls.handshake();
        tls.close();
      } catch { /* expected: UnknownIssuer */ }
      return local;
    },
    expect: /ALERT: The client at \S+ refused this server's certificate \(alert unknown_ca\)/,
  },
  {
    name: "never reads what is echoed",
    run: async (port, pki) => {
      const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
      const local = (tcp.localAddr as Deno.NetAddr).port;
      const tls = await Deno.startTls(tcp, {
        hostname: "localhost",
        caCerts: [await Deno.readTextFile(pki.caCrt)],
      });
      // Keep writing (64 KiB every 10 ms) and never read, until the server gives
      // up on us (the buffers on the way fill first) or 20 s have passed (the runtime's TLS client buffers
      // writes, so an error may never come).
      const chunk = new Uint8Array(64 * 1024);
      const until = Date.now() + 20_000;
      try {
        while (Date.now() < until) {
          await tls.write(chunk);
          await sleep(10);
        }
      } catch { /* the server gave up on us */ }
      try {
        tls.close();
      } catch { /* closed */ }
      return local;
    },
    expect: /TIMEOUT: The client at \S+ did not read what was sent within 2 s: closed/,
  },
];

const only = Deno.env.get("HOSTILE_ONLY");
const HOSTILES = only ? ALL_HOSTILES.filter((h) => h.name.includes(only)) : ALL_HOSTILES;

/** A well-behaved client: TLS with the test CA, one echo round trip. */
async function goodClient(port: number, pki: TestPki): Promise<string> {
  const conn = await Deno.connectTls({
    hostname: "localhost",
    port,
    caCerts: [await Deno.readTextFile(pki.caCrt)],
  });
  try {
    await conn.write(enc.encode("ping"));
    const buf = new Uint8Array(16);
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  } finally {
    conn.close();
  }
}

function fdCount(pid: number): number {
  return [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
}

function peakRssMb(pid: number): number {
  const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : 0;
}

/** Waits until the server's descriptors are back to `baseline` (or fails with the count). */
async function backToBaseline(server: Peer, baseline: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let n = fdCount(server.pid);
  while (n > baseline && Date.now() < deadline) {
    await sleep(100);
    n = fdCount(server.pid);
  }
  assert.ok(n <= baseline, `descriptors: ${n} now, ${baseline} before`);
}

async function hostileRound(args: string[], policy: boolean): Promise<void> {
  const pki = await makeTestPki();
  const server = await startTlsprobe([
    "serve",
    "--cert",
    pki.localhostPem,
    "--port",
    "0",
    "--echo",
    "--timeout",
    String(TIMEOUT_S),
    ...args,
  ], LISTENING);
  try {
    assert.equal(await goodClient(server.port, pki), "ping");
    await sleep(300);
    const baseline = fdCount(server.pid);

    const ports = HOSTILES.map((h) => h.run(server.port, pki));
    // While they misbehave, a good client is served, and promptly.
    await sleep(200);
    const t0 = performance.now();
    assert.equal(await goodClient(server.port, pki), "ping");
    const goodMs = performance.now() - t0;

    const done = await Promise.all(ports);
    for (const [i, h] of HOSTILES.entries()) {
      const expect = (policy && h.expectPolicy) || h.expect;
      const line = new RegExp(`127\\.0\\.0\\.1:${done[i]}: ${expect.source}`);
      await server.waitFor(line, 10_000).catch((e) => {
        throw new Error(`${h.name}: ${(e as Error).message}`);
      });
    }
    await backToBaseline(server, baseline);
    const rss = peakRssMb(server.pid);
    console.log(
      `  ${HOSTILES.length} hostile clients: descriptors ${baseline} before, ${
        fdCount(server.pid)
      } after; peak RSS ${rss.toFixed(0)} MB; good client served in ${goodMs.toFixed(0)} ms`,
    );
    assert.ok(rss < 400, `peak resident memory ${rss} MB`);
    assert.ok(goodMs < TIMEOUT_S * 1000 + 3000, `the good client took ${goodMs} ms`);
    // Still serving.
    assert.equal(await goodClient(server.port, pki), "ping");
  } finally {
    await server.stop();
    await removeTestPki(pki);
  }
}

Deno.test(`serve logs ${HOSTILES.length} misbehaving clients with their codes, serves a good one meanwhile, and frees every descriptor`, async () => {
  await hostileRound([], false);
});

Deno.test("serve --policy --report: the same misbehaving clients, the same bounds", async () => {
  await hostileRound(["--policy", "python-default-server", "--report"], true);
});

Deno.test({
  name: "soak: 300 idle sockets and 200 concurrent echo clients, descriptors back to baseline",
  ignore: Deno.env.get("TLSPROBE_SOAK") !== "1",
  fn: async () => {
    const pki = await makeTestPki();
    const server = await startTlsprobe([
      "serve",
      "--cert",
      pki.localhostPem,
      "--port",
      "0",
      "--echo",
      "--timeout",
      "20",
      "--max-connections",
      "1000",
    ], LISTENING);
    try {
      assert.equal(await goodClient(server.port, pki), "ping");
      await sleep(300);
      const baseline = fdCount(server.pid);
      const idle = await Promise.all(
        Array.from(
          { length: 300 },
          () => Deno.connect({ hostname: "127.0.0.1", port: server.port }),
        ),
      );
      const ca = [await Deno.readTextFile(pki.caCrt)];
      const payload = new Uint8Array(100 * 1024).fill(65);
      const echo = async () => {
        const c = await Deno.connectTls({ hostname: "localhost", port: server.port, caCerts: ca });
        const writing = (async () => {
          let off = 0;
          while (off < payload.length) off += await c.write(payload.subarray(off));
        })();
        const buf = new Uint8Array(64 * 1024);
        let got = 0;
        while (got < payload.length) {
          const n = await c.read(buf);
          if (n === null) break;
          got += n;
        }
        await writing;
        c.close();
        return got;
      };
      const got = await Promise.all(Array.from({ length: 200 }, echo));
      assert.ok(
        got.every((n) => n === payload.length),
        `echoed: ${got.filter((n) => n !== payload.length).length} short`,
      );
      for (const c of idle) c.close();
      await backToBaseline(server, baseline);
      console.log(
        `  soak: descriptors ${baseline} before, ${fdCount(server.pid)} after; peak RSS ${
          peakRssMb(server.pid).toFixed(0)
        } MB`,
      );
    } finally {
      await server.stop();
      await removeTestPki(pki);
    }
  },
});
