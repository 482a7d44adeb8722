/**
 * `serve --starttls` (core/net/server.ts with core/starttls/serve.ts): for
 * every protocol it speaks, openssl s_client -starttls (an independent
 * client) completes the upgrade and sees the served certificate, and
 * tlsprobe's own probe does too; a command that needs TLS is refused before
 * STARTTLS; plaintext injected after STARTTLS is discarded and reported.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki, type TestPki } from "../../../_helpers/pki.ts";
import { opensslStarttls, pemBody } from "../../../_helpers/daemons.ts";
import { startTlsprobe, tlsprobe } from "../../../_helpers/process.ts";
import { loadCertifiedKey } from "../../../../core/net/pem.ts";
import { type ServeEvents, serveTls } from "../../../../core/net/server.ts";
import { probe } from "../../../../core/net/probe.ts";
import type { ServedStarttls, ServeStarttlsProtocol } from "../../../../core/starttls/serve.ts";
import { SERVE_STARTTLS_PROTOCOLS } from "../../../../core/starttls/serve.ts";
import { TLS1_2, TLS1_3 } from "../../../../core/registry/versions.ts";

async function startServer(pki: TestPki, protocol: ServeStarttlsProtocol) {
  const certified = await loadCertifiedKey(pki.localhostPem);
  const stop = new AbortController();
  let port = 0;
  const ready = Promise.withResolvers<void>();
  const dialogues: ServedStarttls[] = [];
  const errors: string[] = [];
  const events: ServeEvents = {
    listening: (a) => {
      port = a.port;
      ready.resolve();
    },
    connection: () => {},
    starttls: (_c, info) => dialogues.push(info),
    handshake: () => {},
    sent: () => {},
    received: () => {},
    clientError: (_c, e) => errors.push(`${e.code}: ${e.message}`),
    closed: () => {},
  };
  const done = serveTls({
    host: "127.0.0.1",
    port: 0,
    certified,
    mode: { kind: "greeting", text: "Simple is better than complex." },
    timeoutMs: 5000,
    signal: stop.signal,
    starttls: protocol,
  }, events);
  await Promise.race([ready.promise, done]);
  return {
    port: () => port,
    dialogues,
    errors,
    stop: async () => {
      stop.abort();
      await done.catch(() => {});
    },
  };
}

Deno.test("serve --starttls: openssl s_client and tlsprobe's probe upgrade with every protocol", async (t) => {
  const pki = await makeTestPki();
  try {
    const leaf = pemBody(await Deno.readTextFile(pki.localhostCrt));
    for (const protocol of SERVE_STARTTLS_PROTOCOLS) {
      await t.step(protocol, async () => {
        const server = await startServer(pki, protocol);
        try {
          const xmpp = protocol === "xmpp" ? ["-xmpphost", "localhost"] : [];
          const theirs = await opensslStarttls(protocol, server.port(), xmpp);
          assert.equal(pemBody(theirs.leafPem), leaf);
          assert.match(theirs.version, /^TLSv1\.[23]$/);
          const ours = await probe({
            host: "127.0.0.1",
            port: server.port(),
            serverName: "localhost",
            caFile: pki.caCrt,
            versions: [TLS1_3, TLS1_2],
            timeoutMs: 5000,
            now: new Date(),
            starttls: { protocol, xmppHost: "localhost" },
          });
          assert.equal(ours.error, undefined, ours.error?.message);
          assert.equal(ours.body.trust?.verified, true);
          assert.equal(pemBody(ours.body.certificates[0].pem), leaf);
          assert.equal(ours.body.starttls?.protocol, protocol);
          assert.ok(server.dialogues.length >= 2, server.errors.join("\n"));
          assert.ok(server.dialogues.every((d) => d.discarded.length === 0));
        } finally {
          await server.stop();
        }
      });
    }
  } finally {
    await removeTestPki(pki);
  }
});

async function talk(
  port: number,
  send: string,
  until: RegExp,
): Promise<{ conn: Deno.TcpConn; text: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buf = new Uint8Array(4096);
  let text = "";
  await conn.write(new TextEncoder().encode(send));
  const deadline = Date.now() + 5000;
  while (!until.test(text) && Date.now() < deadline) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return { conn, text };
}

Deno.test("serve --starttls smtp refuses MAIL before STARTTLS and discards what was injected after it", async () => {
  const pki = await makeTestPki();
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostPem, "--port", "0", "--starttls", "smtp", "--timeout", "5"],
    /port (\d+)/,
  );
  try {
    // A command that needs TLS, in clear: the protocol's refusal.
    const a = await talk(server.port, "EHLO c\r\nMAIL FROM:<a@b>\r\nQUIT\r\n", /221 /);
    a.conn.close();
    assert.match(a.text, /250 STARTTLS/);
    assert.match(a.text, /530 5\.7\.0 Must issue a STARTTLS command first/);
    // STARTTLS with a command piggybacked in the same packet (CVE-2011-0411).
    const b = await talk(
      server.port,
      "EHLO c\r\nSTARTTLS\r\nRSET\r\nMAIL FROM:<evil@x>\r\n",
      /220 2\.0\.0/,
    );
    assert.match(b.text, /220 2\.0\.0 Ready to start TLS/);
    assert.doesNotMatch(b.text, /250 2\.0\.0 OK|530/); // the injected commands got no answer
    const tls = await Deno.startTls(b.conn, {
      hostname: "localhost",
      caCerts: [await Deno.readTextFile(pki.caCrt)],
    });
    const buf = new Uint8Array(256);
    const n = await tls.read(buf);
    // Under TLS the server greets; the injected commands were not executed.
    assert.equal(
      new TextDecoder().decode(buf.subarray(0, n ?? 0)),
      "Simple is better than complex.",
    );
    tls.close();
    await server.waitFor(
      /discarded 26 bytes sent in clear after STARTTLS.*RSET.*MAIL FROM:<evil@x>/,
    );
  } finally {
    await server.stop();
    await removeTestPki(pki);
  }
});

Deno.test("an smtp:// URL target picks the protocol for probe, cert, policy check and scan; a contradicting --starttls is a usage error", async () => {
  const pki = await makeTestPki();
  const server = await startTlsprobe(
    ["serve", "--cert", pki.localhostPem, "--port", "0", "--starttls", "smtp", "--timeout", "5"],
    /port (\d+)/,
  );
  try {
    const url = `smtp://localhost:${server.port}`;
    const common = ["-a", pki.caCrt, "--timeout", "5"];
    const p = await tlsprobe(["probe", ...common, "--json", url]);
    assert.equal(p.code, 0, p.stderr);
    const body = JSON.parse(p.stdout);
    assert.equal(body.starttls.protocol, "smtp");
    assert.equal(body.trust.verified, true);
    const c = await tlsprobe(["cert", "-a", pki.caCrt, "--timeout", "5", url]);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /localhost/);
    const pc = await tlsprobe([
      "policy",
      "check",
      "--policy",
      "python-default-client",
      "--no-enumerate",
      "--json",
      ...common,
      url,
    ]);
    assert.equal(JSON.parse(pc.stdout).target.starttls, "smtp", pc.stderr);
    const s = await tlsprobe(["scan", "--json", "-p", "TLSv1.3", "--timeout", "5", url]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).target.starttls, "smtp");
    // The same port as plain TLS, and contradictions, are refused before any connection.
    const clash = await tlsprobe(["probe", "--starttls", "imap", url]);
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /names STARTTLS protocol smtp, but --starttls says imap/);
    const twoPorts = await tlsprobe(["probe", url, "25"]);
    assert.equal(twoPorts.code, 2);
    assert.match(twoPorts.stderr, /give its port inside it/);
  } finally {
    await server.stop();
    await removeTestPki(pki);
  }
});
