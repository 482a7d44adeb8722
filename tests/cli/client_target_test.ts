/**
 * `clientTarget` (cli/options.ts): a client verb's target as HOST[:PORT] or
 * as a STARTTLS URL, and how it combines with `--starttls`.
 */
import assert from "node:assert/strict";
import { clientTarget } from "../../cli/options.ts";
import { UsageError } from "../../cli/args.ts";

Deno.test("clientTarget: a STARTTLS URL picks the protocol and the scheme's port", () => {
  assert.deepEqual(clientTarget("smtp://mail.example.com", undefined, {}), {
    host: "mail.example.com",
    port: 25,
    starttls: { protocol: "smtp" },
  });
  assert.deepEqual(clientTarget("submission://user@mail.example.com/x?y", undefined, {}), {
    host: "mail.example.com",
    port: 587,
    starttls: { protocol: "smtp" },
  });
  assert.deepEqual(clientTarget("LDAP://[::1]:1389/dc=example", undefined, {}), {
    host: "::1",
    port: 1389,
    starttls: { protocol: "ldap" },
  });
  // --starttls may repeat the URL's protocol; --xmpp-host goes with xmpp.
  assert.deepEqual(
    clientTarget("xmpp://chat.example.com", undefined, { starttls: "xmpp", xmppHost: "ex.org" }),
    { host: "chat.example.com", port: 5222, starttls: { protocol: "xmpp", xmppHost: "ex.org" } },
  );
});

Deno.test("clientTarget: without a URL, --starttls decides as before", () => {
  assert.deepEqual(clientTarget("example.com", undefined, {}), { host: "example.com", port: 443 });
  assert.deepEqual(clientTarget("example.com", "8443", {}), { host: "example.com", port: 8443 });
  assert.deepEqual(clientTarget("example.com", undefined, { starttls: "imap" }), {
    host: "example.com",
    port: 143,
    starttls: { protocol: "imap" },
  });
});

Deno.test("clientTarget: contradictions are usage errors", () => {
  assert.throws(
    () => clientTarget("smtp://h", undefined, { starttls: "imap" }),
    (e) =>
      e instanceof UsageError &&
      /names STARTTLS protocol smtp, but --starttls says imap/.test(e.message),
  );
  assert.throws(
    () => clientTarget("smtp://h", "25", {}),
    (e) => e instanceof UsageError && /give its port inside it/.test(e.message),
  );
  assert.throws(
    () => clientTarget("imap://h", undefined, { xmppHost: "x" }),
    (e) => e instanceof UsageError && /--xmpp-host/.test(e.message),
  );
});
