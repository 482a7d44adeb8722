/**
 * STARTTLS over IRC against real servers started here on loopback:
 * InspIRCd 3 (its `starttls` module) — probe --starttls irc reports what
 * openssl s_client sees on the same server after the same STARTTLS (version,
 * suite, leaf), and connect --starttls irc registers under TLS; and ngIRCd 26,
 * which has no STARTTLS — a coded refusal at once, not a wait for --timeout.
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki } from "../../../_helpers/pki.ts";
import {
  missing,
  opensslAfter,
  pemBody,
  probeStarttls,
  readUntil,
  startInspircd,
  startNgircd,
} from "../../../_helpers/daemons.ts";
import { startTlsprobe, tlsprobe } from "../../../_helpers/process.ts";

Deno.test({
  name: "STARTTLS against InspIRCd: irc",
  // Without inspircd this is a counted skip with its reason printed, not a pass.
  ignore: missing("inspircd") !== undefined,
}, async (t) => {
  const pki = await makeTestPki();
  const started = await startInspircd({
    crt: pki.localhostCrt,
    key: pki.localhostKey,
    ca: pki.caCrt,
  });
  try {
    assert.ok(started, "inspircd is installed but did not start");
    const port = started.ports.irc;
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
      assert.equal(ours.version, theirs.version);
      assert.ok(
        theirs.cipher === ours.cipher || theirs.cipher === ours.openssl,
        `${theirs.cipher} vs ${ours.cipher}`,
      );
      assert.equal(pemBody(ours.leafPem), pemBody(theirs.leafPem));
      assert.equal(pemBody(ours.leafPem), pemBody(await Deno.readTextFile(pki.localhostCrt)));
      assert.equal(ours.starttls.protocol, "irc");
      assert.ok(ours.starttls.capabilities.includes("tls"), ours.starttls.capabilities.join());
      assert.equal((ours.json.trust as { verified: boolean }).verified, true);
    });
    await t.step("connect --starttls irc registers under TLS", async () => {
      // One step at a time from standard input: InspIRCd completes a
      // registration after the read that carried it, so a QUIT in the same
      // breath would close the link before the welcome.
      const client = await startTlsprobe([
        "connect",
        "-t",
        "irc",
        "-a",
        pki.caCrt,
        "--timeout",
        "10",
        "localhost",
        String(port),
      ], /Connected to host 'localhost'/);
      try {
        await client.write("NICK tlsprobe\r\nUSER tlsprobe 0 * :tlsprobe test\r\n");
        await client.waitFor(/ 001 tlsprobe :Welcome/, 13_000);
        await client.write("QUIT :done\r\n");
        await client.waitFor(/ERROR :Closing link/, 13_000);
      } finally {
        await client.stop();
      }
    });
  } finally {
    await started?.stop();
    await removeTestPki(pki);
  }
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
