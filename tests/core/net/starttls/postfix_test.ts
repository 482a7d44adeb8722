/**
 * STARTTLS against Postfix (the full master from a private configuration
 * directory, smtpd on a loopback ephemeral port): probe --starttls smtp
 * reports what openssl s_client -starttls smtp sees on the same server
 * (version, suite, leaf), and connect --starttls smtp talks SMTP after the
 * upgrade.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../../../_helpers/pki.ts";
import {
  missing,
  opensslStarttls,
  pemBody,
  probeStarttls,
  startPostfix,
} from "../../../_helpers/daemons.ts";
import { startTlsprobe } from "../../../_helpers/process.ts";

Deno.test({
  name: "STARTTLS against Postfix: smtp",
  // Without Postfix this is a counted skip with its reason printed, not a pass.
  ignore: missing("postfix") !== undefined,
}, async (t) => {
  const pki = await makeTestPki();
  const started = await startPostfix({
    crt: pki.localhostCrt,
    key: pki.localhostKey,
    ca: pki.caCrt,
  });
  try {
    assert.ok(started, "postfix is installed but did not start");
    const port = started.ports.smtp;
    await t.step("probe --starttls smtp matches openssl s_client -starttls smtp", async () => {
      const [ours, theirs] = await Promise.all([
        probeStarttls("smtp", port, pki.caCrt),
        opensslStarttls("smtp", port),
      ]);
      assert.equal(ours.version, theirs.version);
      assert.ok(
        theirs.cipher === ours.cipher || theirs.cipher === ours.openssl,
        `${theirs.cipher} vs ${ours.cipher}`,
      );
      assert.equal(pemBody(ours.leafPem), pemBody(theirs.leafPem));
      assert.equal(pemBody(ours.leafPem), pemBody(await Deno.readTextFile(pki.localhostCrt)));
      assert.equal(ours.starttls.protocol, "smtp");
      assert.match(ours.starttls.banner, /ESMTP Postfix/);
      assert.ok(ours.starttls.capabilities.includes("STARTTLS"), ours.starttls.capabilities.join());
      assert.equal((ours.json.trust as { verified: boolean }).verified, true);
    });
    await t.step("connect --starttls smtp says EHLO and QUIT under TLS", async () => {
      // One command at a time from standard input: Postfix holds its replies
      // while more input is pending (PIPELINING), so an EHLO followed at once
      // by the end of input would never be answered.
      const client = await startTlsprobe([
        "connect",
        "-t",
        "smtp",
        "-a",
        pki.caCrt,
        "--timeout",
        "10",
        "localhost",
        String(port),
      ], /Connected to host 'localhost'/);
      try {
        await client.write("EHLO client.example\r\n");
        await client.waitFor(/250 CHUNKING/, 13_000);
        await client.write("QUIT\r\n");
        await client.waitFor(/221 2\.0\.0 Bye/, 13_000);
        // Under TLS the EHLO reply no longer offers STARTTLS.
        const after = client.output().slice(client.output().indexOf("Connected to host"));
        assert.match(after, /250-localhost/);
        assert.doesNotMatch(after, /STARTTLS/);
      } finally {
        await client.stop();
      }
      const log = await Deno.readTextFile(`${started.dir}/log`);
      // Postfix's own count: two EHLOs (before and after TLS), one STARTTLS, one QUIT.
      assert.match(log, /disconnect from localhost\[127\.0\.0\.1\] ehlo=2 starttls=1 quit=1/);
    });
  } finally {
    await started?.stop();
    await removeTestPki(pki);
  }
});
