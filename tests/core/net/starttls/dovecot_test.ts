/**
 * STARTTLS against Dovecot (IMAP, POP3, LMTP, ManageSieve), started here on
 * loopback with a private configuration: probe --starttls reports what
 * openssl s_client -starttls sees on the same server (version, suite, leaf),
 * and connect --starttls exchanges data after the upgrade. Without Dovecot
 * the test is a counted skip with its reason printed, not a pass.
 */
import assert from "node:assert/strict";
import {
  assertSameHandshake,
  daemonTest,
  opensslStarttls,
  probeStarttls,
  startDovecot,
} from "../../../_helpers/daemons.ts";
import { tlsprobe } from "../../../_helpers/process.ts";

daemonTest(
  "STARTTLS against Dovecot: imap, pop3, lmtp, sieve",
  "dovecot",
  startDovecot,
  async (t, dovecot, pki) => {
    for (const proto of ["imap", "pop3", "lmtp", "sieve"]) {
      await t.step(
        `probe --starttls ${proto} matches openssl s_client -starttls ${proto}`,
        async () => {
          const port = dovecot.ports[proto];
          const [ours, theirs] = await Promise.all([
            probeStarttls(proto, port, pki.caCrt),
            opensslStarttls(proto, port),
          ]);
          await assertSameHandshake(ours, theirs, pki.localhostCrt, proto);
          assert.ok(ours.starttls.capabilities.some((c) => /^(STARTTLS|STLS)$/.test(c)));
        },
      );
    }
    await t.step("connect --starttls imap talks IMAP under TLS", async () => {
      const r = await tlsprobe([
        "connect",
        "--starttls",
        "imap",
        "-a",
        pki.caCrt,
        "--timeout",
        "5",
        "--send",
        "a1 CAPABILITY\r\na2 LOGOUT\r\n",
        "localhost",
        String(dovecot.ports.imap),
      ]);
      assert.equal(r.code, 0, r.stderr);
      // After the upgrade Dovecot no longer offers STARTTLS, and answers in order.
      assert.match(r.stdout, /\* CAPABILITY IMAP4rev1/);
      assert.doesNotMatch(r.stdout, /STARTTLS/);
      assert.match(r.stdout, /a2 OK Logout completed/);
    });
    await t.step("connect --starttls pop3 talks POP3 under TLS", async () => {
      const r = await tlsprobe([
        "connect",
        "-t",
        "pop3",
        "-a",
        pki.caCrt,
        "--timeout",
        "5",
        "--send",
        "CAPA\r\nQUIT\r\n",
        "localhost",
        String(dovecot.ports.pop3),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\+OK Logging out/);
    });
  },
);
