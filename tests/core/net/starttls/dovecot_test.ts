/**
 * STARTTLS against Dovecot (IMAP, POP3, LMTP, ManageSieve), started here on
 * loopback with a private configuration: probe --starttls reports what
 * openssl s_client -starttls sees on the same server (version, suite, leaf),
 * and connect --starttls exchanges data after the upgrade.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../../../_helpers/pki.ts";
import {
  missing,
  opensslStarttls,
  pemBody,
  probeStarttls,
  startDovecot,
} from "../../../_helpers/daemons.ts";
import { tlsprobe } from "../../../_helpers/process.ts";

Deno.test({
  name: "STARTTLS against Dovecot: imap, pop3, lmtp, sieve",
  // Without Dovecot this is a counted skip with its reason printed, not a pass.
  ignore: missing("dovecot") !== undefined,
}, async (t) => {
  const pki = await makeTestPki();
  const started = await startDovecot({
    crt: pki.localhostCrt,
    key: pki.localhostKey,
    ca: pki.caCrt,
  });
  try {
    assert.ok(started, "dovecot is installed but did not start");
    const dovecot = started;
    for (const proto of ["imap", "pop3", "lmtp", "sieve"]) {
      await t.step(
        `probe --starttls ${proto} matches openssl s_client -starttls ${proto}`,
        async () => {
          const port = dovecot.ports[proto];
          const [ours, theirs] = await Promise.all([
            probeStarttls(proto, port, pki.caCrt),
            opensslStarttls(proto, port),
          ]);
          assert.equal(ours.version, theirs.version);
          assert.ok(
            theirs.cipher === ours.cipher || theirs.cipher === ours.openssl,
            `${theirs.cipher} vs ${ours.cipher}`,
          );
          assert.equal(pemBody(ours.leafPem), pemBody(theirs.leafPem));
          assert.equal(pemBody(ours.leafPem), pemBody(await Deno.readTextFile(pki.localhostCrt)));
          assert.equal(ours.starttls.protocol, proto);
          assert.equal((ours.json.trust as { verified: boolean }).verified, true);
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
  } finally {
    await started?.stop();
    await removeTestPki(pki);
  }
});
