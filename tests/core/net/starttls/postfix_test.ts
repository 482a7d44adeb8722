/**
 * STARTTLS against Postfix (the full master from a private configuration
 * directory, smtpd on a loopback ephemeral port): probe --starttls smtp
 * reports what openssl s_client -starttls smtp sees on the same server
 * (version, suite, leaf), and connect --starttls smtp talks SMTP after the
 * upgrade. Without Postfix: a counted skip with its reason printed.
 */
import assert from "node:assert/strict";
import {
  assertSameHandshake,
  converse,
  daemonTest,
  opensslStarttls,
  probeStarttls,
  startPostfix,
} from "../../../_helpers/daemons.ts";

daemonTest("STARTTLS against Postfix: smtp", "postfix", startPostfix, async (t, postfix, pki) => {
  const port = postfix.ports.smtp;
  await t.step("probe --starttls smtp matches openssl s_client -starttls smtp", async () => {
    const [ours, theirs] = await Promise.all([
      probeStarttls("smtp", port, pki.caCrt),
      opensslStarttls("smtp", port),
    ]);
    await assertSameHandshake(ours, theirs, pki.localhostCrt, "smtp");
    assert.match(ours.starttls.banner, /ESMTP Postfix/);
    assert.ok(ours.starttls.capabilities.includes("STARTTLS"), ours.starttls.capabilities.join());
  });
  await t.step("connect --starttls smtp says EHLO and QUIT under TLS", async () => {
    // One command at a time from standard input: Postfix holds its replies
    // while more input is pending (PIPELINING), so an EHLO followed at once
    // by the end of input would never be answered.
    const out = await converse("smtp", port, pki.caCrt, [
      ["EHLO client.example\r\n", /250 CHUNKING/],
      ["QUIT\r\n", /221 2\.0\.0 Bye/],
    ]);
    // Under TLS the EHLO reply no longer offers STARTTLS.
    const after = out.slice(out.indexOf("Connected to host"));
    assert.match(after, /250-localhost/);
    assert.doesNotMatch(after, /STARTTLS/);
    const log = await Deno.readTextFile(`${postfix.dir}/log`);
    // Postfix's own count: two EHLOs (before and after TLS), one STARTTLS, one QUIT.
    assert.match(log, /disconnect from localhost\[127\.0\.0\.1\] ehlo=2 starttls=1 quit=1/);
  });
});
