/**
 * Hostile plaintext servers (started here on loopback): silent, an endless
 * line, wrong reply codes, a refusal, and a server that says yes to STARTTLS
 * and then keeps talking in clear. Each must end in its coded error and exit
 * status within --timeout (plus start-up slack), through the real CLI.
 */
import assert from "node:assert/strict";
import { tlsprobe } from "../_helpers/process.ts";

type Behaviour = (conn: Deno.TcpConn) => Promise<unknown>;

const enc = (s: string) => new TextEncoder().encode(s);

/** Reads one line from the client (bounded), or null at end. */
async function readLine(conn: Deno.TcpConn): Promise<string | null> {
  let text = "";
  const buf = new Uint8Array(1);
  while (text.length < 4096) {
    const n = await conn.read(buf);
    if (n === null) return null;
    if (buf[0] === 0x0a) return text.replace(/\r$/, "");
    text += String.fromCharCode(buf[0]);
  }
  return text;
}

/** A loopback server running `behave` on every connection; close() stops it. */
function hostile(behave: Behaviour): { port: number; close: () => void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.TcpConn>();
  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      behave(conn).catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close: () => {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

/** An SMTP server that greets, answers EHLO with STARTTLS, then does `then`. */
function smtpThen(then: (conn: Deno.TcpConn) => Promise<unknown>): Behaviour {
  return async (conn) => {
    await conn.write(enc("220 hostile.test ESMTP\r\n"));
    await readLine(conn);
    await conn.write(enc("250-hostile.test\r\n250 STARTTLS\r\n"));
    await readLine(conn);
    await then(conn);
  };
}

const hold = (conn: Deno.TcpConn) => conn.read(new Uint8Array(16)).then(() => {});

const CASES: Array<{
  name: string;
  behave: Behaviour;
  args?: string[];
  code: string;
  exit: number;
  message: RegExp;
}> = [
  {
    name: "a silent server",
    behave: hold,
    code: "TIMEOUT",
    exit: 3,
    message: /did not finish the STARTTLS dialogue within 2 s/,
  },
  {
    name: "a 10 MB line",
    behave: async (conn) => {
      const chunk = new Uint8Array(64 * 1024).fill(0x41);
      for (let sent = 0; sent < 10 * 1024 * 1024; sent += chunk.length) await conn.write(chunk);
    },
    code: "PEER_MALFORMED",
    exit: 4,
    message: /longer than/,
  },
  {
    name: "a wrong reply to STARTTLS",
    behave: smtpThen((c) => c.write(enc("250 2.0.0 OK whatever\r\n")).then(() => hold(c))),
    code: "PEER_MALFORMED",
    exit: 4,
    message: /wanted 220 to STARTTLS/,
  },
  {
    name: "a wrong greeting",
    behave: (c) => c.write(enc("* OK IMAP4rev1 ready\r\n")).then(() => hold(c)),
    code: "PEER_MALFORMED",
    exit: 4,
    message: /three-digit reply/,
  },
  {
    name: "a refusal",
    behave: smtpThen((c) => c.write(enc("454 4.7.0 TLS not available due to local problem\r\n"))),
    code: "STARTTLS_REFUSED",
    exit: 4,
    message: /454 4\.7\.0 TLS not available due to local problem/,
  },
  {
    name: "no STARTTLS advertised",
    behave: async (conn) => {
      await conn.write(enc("220 hostile.test ESMTP\r\n"));
      await readLine(conn);
      await conn.write(enc("250-hostile.test\r\n250 PIPELINING\r\n"));
      await hold(conn);
    },
    code: "STARTTLS_UNSUPPORTED",
    exit: 4,
    message: /does not offer STARTTLS over smtp/,
  },
  {
    name: "220 to STARTTLS then plaintext in the same packet",
    behave: smtpThen((c) => c.write(enc("220 go ahead\r\n250 injected\r\n")).then(() => hold(c))),
    code: "PEER_MALFORMED",
    exit: 4,
    message: /plaintext after agreeing to STARTTLS/,
  },
  {
    name: "220 to STARTTLS then plaintext instead of a ServerHello",
    behave: smtpThen(async (c) => {
      await c.write(enc("220 go ahead\r\n"));
      await readLine(c); // the ClientHello has no newline soon; answer anyway
      await c.write(enc("500 5.5.2 what was that?\r\n"));
    }),
    code: "NOT_TLS",
    exit: 4,
    message: /plain text/,
  },
];

const TIMEOUT_S = 2;
/** Start-up of a Deno CLI on a contended 2-core machine, plus the deadline margin. */
const SLACK_MS = 8000;

for (const c of CASES) {
  Deno.test(`probe --starttls smtp against ${c.name}: ${c.code}, exit ${c.exit}, within --timeout`, async () => {
    const server = hostile(c.behave);
    try {
      const t0 = performance.now();
      const r = await tlsprobe([
        "probe",
        "--json",
        "--timeout",
        String(TIMEOUT_S),
        "--starttls",
        "smtp",
        `127.0.0.1:${server.port}`,
        ...(c.args ?? []),
      ]);
      const ms = performance.now() - t0;
      const j = JSON.parse(r.stdout);
      assert.equal(j.error?.code, c.code, r.stdout + r.stderr);
      assert.match(j.error.message, c.message);
      assert.equal(r.code, c.exit);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // no stack trace
      assert.ok(ms < TIMEOUT_S * 1000 + SLACK_MS, `took ${Math.round(ms)} ms`);
    } finally {
      server.close();
    }
  });
}

Deno.test("connect --starttls smtp quotes the server's refusal and exits 4", async () => {
  const server = hostile(smtpThen((c) => c.write(enc("454 4.7.0 TLS not available\r\n"))));
  try {
    const r = await tlsprobe([
      "connect",
      "--timeout",
      "2",
      "-t",
      "smtp",
      "127.0.0.1",
      String(server.port),
    ]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /STARTTLS_REFUSED.*454 4\.7\.0 TLS not available/);
  } finally {
    server.close();
  }
});

Deno.test("probe without --starttls on a mail banner says which option to add", async () => {
  const server = hostile((c) => c.write(enc("220 mx.test ESMTP Postfix\r\n")).then(() => hold(c)));
  try {
    const r = await tlsprobe(["probe", "--timeout", "2", `127.0.0.1:${server.port}`]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /NOT_TLS.*add --starttls smtp/);
  } finally {
    server.close();
  }
});

Deno.test("an unknown --starttls protocol is a usage error listing the known ones", async () => {
  const r = await tlsprobe(["probe", "--starttls", "gopher", "127.0.0.1:1"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Unknown STARTTLS protocol "gopher": use one of smtp, pop3, imap/);
});
