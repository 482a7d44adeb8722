/**
 * STARTTLS against INN's nnrpd (inn2), started here on a loopback ephemeral
 * port from a private inn.conf: probe --starttls nntp reports what openssl
 * s_client -starttls nntp sees on the same server (version, suite, leaf), and
 * connect --starttls nntp talks NNTP after the upgrade. Without inn2: a
 * counted skip with its reason printed.
 */
import assert from "node:assert/strict";
import {
  assertSameHandshake,
  daemonTest,
  opensslStarttls,
  probeStarttls,
  startInn,
} from "../../../_helpers/daemons.ts";
import { tlsprobe } from "../../../_helpers/process.ts";

daemonTest("STARTTLS against INN (nnrpd): nntp", "inn", startInn, async (t, inn, pki) => {
  const port = inn.ports.nntp;
  await t.step("probe --starttls nntp matches openssl s_client -starttls nntp", async () => {
    const [ours, theirs] = await Promise.all([
      probeStarttls("nntp", port, pki.caCrt),
      opensslStarttls("nntp", port),
    ]);
    await assertSameHandshake(ours, theirs, pki.localhostCrt, "nntp");
    assert.match(ours.starttls.banner, /InterNetNews NNRP server INN/);
    assert.ok(ours.starttls.capabilities.includes("STARTTLS"), ours.starttls.capabilities.join());
  });
  await t.step("connect --starttls nntp lists the groups under TLS", async () => {
    const r = await tlsprobe([
      "connect",
      "-t",
      "nntp",
      "-a",
      pki.caCrt,
      "--timeout",
      "10",
      "--send",
      "CAPABILITIES\r\nLIST ACTIVE\r\nQUIT\r\n",
      "localhost",
      String(port),
    ]);
    assert.match(r.stdout, /Connected to host 'localhost'/, r.stderr);
    // Under TLS the capabilities no longer offer STARTTLS; the group file is read.
    assert.match(r.stdout, /101 Capability list/, r.stderr);
    assert.doesNotMatch(r.stdout, /STARTTLS/);
    assert.match(r.stdout, /215 [^\\]*\\r\\nlocal\.test \d+ \d+ y\\r\\n/, r.stdout);
    assert.match(r.stdout, /205 Bye!/);
    assert.equal(r.code, 0, r.stderr);
  });
});
