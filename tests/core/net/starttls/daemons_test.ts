/**
 * STARTTLS against PostgreSQL, OpenLDAP (slapd), vsftpd, MariaDB and Prosody
 * (xmpp, xmpp-server), each started
 * here on loopback with a private configuration (concurrently, once for the
 * file): probe --starttls reports what openssl s_client -starttls sees on the
 * same server (version, suite, leaf), and connect --starttls exchanges data
 * after the upgrade where the protocol allows it (FTP, XMPP).
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../../../_helpers/pki.ts";
import {
  assertSameHandshake,
  converse,
  type Daemon,
  opensslStarttls,
  probeStarttls,
  startMariadb,
  startPostgres,
  startProsody,
  startSlapd,
  startVsftpd,
} from "../../../_helpers/daemons.ts";
import { tlsprobe } from "../../../_helpers/process.ts";

Deno.test("STARTTLS against PostgreSQL, slapd, vsftpd, MariaDB and Prosody", async (t) => {
  const pki = await makeTestPki();
  const cert = { crt: pki.localhostCrt, key: pki.localhostKey, ca: pki.caCrt };
  const started = await Promise.allSettled([
    startPostgres(cert),
    startSlapd(cert),
    startVsftpd(cert),
    startMariadb(cert),
    startProsody(cert),
  ]);
  const daemons = started.map((s) => s.status === "fulfilled" ? s.value : null);
  try {
    for (const s of started) if (s.status === "rejected") throw s.reason;
    const [pg, ldap, ftp, mysql, xmpp] = daemons as (Daemon | null)[];
    const cases: [string, Daemon | null][] = [
      ["postgres", pg],
      ["ldap", ldap],
      ["ftp", ftp],
      ["mysql", mysql],
      ["xmpp", xmpp],
      ["xmpp-server", xmpp],
    ];
    for (const [proto, d] of cases) {
      await t.step({
        name: `probe --starttls ${proto} matches openssl s_client -starttls ${proto}`,
        ignore: !d,
        fn: async () => {
          const port = d!.ports[proto];
          // Prosody serves the domain localhost: say so in the stream's to=.
          const xmppHost = proto.startsWith("xmpp");
          const [ours, theirs] = await Promise.all([
            probeStarttls(proto, port, pki.caCrt, xmppHost ? ["--xmpp-host", "localhost"] : []),
            opensslStarttls(proto, port, xmppHost ? ["-xmpphost", "localhost"] : []),
          ]);
          await assertSameHandshake(ours, theirs, pki.localhostCrt, proto);
        },
      });
    }
    await t.step({
      name: "connect --starttls ftp logs in and reads the directory under TLS",
      ignore: !ftp,
      fn: async () => {
        const r = await tlsprobe([
          "connect",
          "-t",
          "ftp",
          "-a",
          pki.caCrt,
          "--timeout",
          "5",
          "--send",
          "USER anonymous\r\nPWD\r\nQUIT\r\n",
          "localhost",
          String(ftp!.ports.ftp),
        ]);
        // vsftpd closes after 221 without a TLS close_notify, which connect
        // reports (exit 3); what matters here is what came back under TLS.
        assert.match(r.stdout, /Connected to host 'localhost'/, r.stderr);
        assert.match(r.stdout, /257 "\/" is the current directory/, r.stderr);
        assert.match(r.stdout, /221 Goodbye/);
      },
    });
    await t.step({
      name: "connect --starttls xmpp restarts the stream under TLS and gets its features",
      ignore: !xmpp,
      fn: async () => {
        // One step at a time from standard input: Prosody drops a stream whose
        // TLS input ends (close_notify) before it has answered.
        // RFC 6120 §5.4.3.3: after TLS the client opens a new stream.
        const out = await converse("xmpp", xmpp!.ports.xmpp, pki.caCrt, [
          [
            "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' " +
            "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
            /<\/stream:features>/,
          ],
          ["</stream:stream>", /<\/stream:stream>/],
        ], ["--xmpp-host", "localhost"]);
        // Under TLS Prosody offers SASL and no longer STARTTLS.
        assert.match(out, /<mechanisms xmlns=.urn:ietf:params:xml:ns:xmpp-sasl.>/, out);
        assert.match(out, /<mechanism>PLAIN<\/mechanism>/, out);
        assert.doesNotMatch(out, /urn:ietf:params:xml:ns:xmpp-tls/);
      },
    });
    await t.step({
      name: "cert --starttls ldap shows the served certificate",
      ignore: !ldap,
      fn: async () => {
        const r = await tlsprobe([
          "cert",
          "--json",
          "--starttls",
          "ldap",
          `127.0.0.1:${ldap!.ports.ldap}`,
        ]);
        assert.equal(r.code, 0, r.stderr);
        const j = JSON.parse(r.stdout);
        assert.match(JSON.stringify(j), /CN=localhost/);
      },
    });
  } finally {
    await Promise.all(daemons.map((d) => d?.stop()));
    await removeTestPki(pki);
  }
});
