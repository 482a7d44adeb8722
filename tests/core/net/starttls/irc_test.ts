/**
 * STARTTLS over IRC against real servers started here on loopback:
 * InspIRCd 3 (its `starttls` module) — probe --starttls irc reports what
 * openssl s_client sees on the same server after the same STARTTLS (version,
 * suite, leaf), and connect --starttls irc registers under TLS; and ngIRCd 26,
 * which has no STARTTLS — a coded refusal at once, not a wait for --timeout.
 */
import assert from "node:assert/strict";
import {
  assertSameHandshake,
  converse,
  daemonTest,
  missing,
  opensslAfter,
  probeStarttls,
  readUntil,
  startInspircd,
  startNgircd,
} from "../../../_helpers/daemons.ts";
import { tlsprobe } from "../../../_helpers/process.ts";

daemonTest("STARTTLS against InspIRCd: irc", "inspircd", startInspircd, async (t, ircd, pki) => {
  const port = ircd.ports.irc;
  await t.step("probe --starttls irc matches openssl s_client after STARTTLS", async () => {
    // `openssl s_client -starttls irc` stops at InspIRCd's first NOTICE
    // ("Server does not support STARTTLS"), so the test says STARTTLS itself
    // and hands the connection to s_client for the handshake.
    const [ours, theirs] = await Promise.all([
      probeStarttls("irc", port, pki.caCrt),
      opensslAfter(port, async (conn) => {
        await conn.write(new TextEncoder().encode("STARTTLS\r\n"));
        await readUntil(conn, / 670 /);
      }),
    ]);
    await assertSameHandshake(ours, theirs, pki.localhostCrt, "irc");
    assert.ok(ours.starttls.capabilities.includes("tls"), ours.starttls.capabilities.join());
  });
  await t.step("connect --starttls irc registers under TLS", async () => {
    // One step at a time from standard input: InspIRCd completes a
    // registration after the read that carried it, so a QUIT in the same
    // breath would close the link before the welcome.
    await converse("irc", port, pki.caCrt, [
      ["NICK tlsprobe\r\nUSER tlsprobe 0 * :tlsprobe test\r\n", / 001 tlsprobe :Welcome/],
      ["QUIT :done\r\n", /ERROR :Closing link/],
    ]);
  });
});

Deno.test({
  name: "STARTTLS against ngIRCd (none offered): STARTTLS_UNSUPPORTED at once",
  ignore: missing("ngircd") !== undefined,
}, async () => {
  const started = await startNgircd();
  try {
    assert.ok(started, "ngircd is installed but did not start");
    const t0 = Date.now();
    const r = await tlsprobe([
      "probe",
      "--json",
      "-t",
      "irc",
      "--timeout",
      "20",
      `127.0.0.1:${started.ports.irc}`,
    ]);
    const ms = Date.now() - t0;
    assert.equal(r.code, 4, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.error.code, "STARTTLS_UNSUPPORTED");
    assert.match(j.error.message, /CAP LS lists no tls: multi-prefix/);
    // ngIRCd never answers STARTTLS itself: the CAP list decides, long before --timeout.
    assert.ok(ms < 15_000, `${ms} ms`);
  } finally {
    await started?.stop();
  }
});
