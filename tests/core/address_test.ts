/**
 * The one target parser (HOST[:PORT], [IPv6]:PORT, the book's separate PORT)
 * and the one address formatter.
 */
import assert from "node:assert/strict";
import { formatAddress, parseTarget } from "../../core/address.ts";
import { TlsprobeError } from "../../core/errors.ts";

Deno.test("parseTarget() reads host, host:port, [v6]:port and a separate port", () => {
  assert.deepEqual(parseTarget("example.com"), { host: "example.com", port: 443 });
  assert.deepEqual(parseTarget("example.com:8443"), { host: "example.com", port: 8443 });
  assert.deepEqual(parseTarget("localhost", "1060"), { host: "localhost", port: 1060 });
  assert.deepEqual(parseTarget("[::1]:8443"), { host: "::1", port: 8443 });
  assert.deepEqual(parseTarget("[::1]"), { host: "::1", port: 443 });
  assert.deepEqual(parseTarget("::1"), { host: "::1", port: 443 });
});

Deno.test("parseTarget() refuses a bad port or an empty host with USAGE", () => {
  for (const t of ["example.com:x", "example.com:0", "example.com:70000", ":443"]) {
    assert.throws(() => parseTarget(t), (e) => e instanceof TlsprobeError && e.code === "USAGE", t);
  }
});

Deno.test("parseTarget() takes a bracketed IPv6 host with a separate port, as connect does", () => {
  assert.deepEqual(parseTarget("[::1]", "1060"), { host: "::1", port: 1060 });
  assert.deepEqual(parseTarget("::1", "1060"), { host: "::1", port: 1060 });
  assert.throws(() => parseTarget("[::1]:1", "2"), (e) => e instanceof TlsprobeError);
});

Deno.test("formatAddress() brackets IPv6 before a port and writes it compressed", () => {
  assert.equal(formatAddress("::1", 443), "[::1]:443");
  assert.equal(formatAddress("0::1", 443), "[::1]:443");
  assert.equal(formatAddress("0:0:0:0:0:0:0:1"), "::1");
  assert.equal(formatAddress("[2001:DB8:0:0:1:0:0:1]", 8443), "[2001:db8::1:0:0:1]:8443");
  assert.equal(formatAddress("127.0.0.1", 80), "127.0.0.1:80");
  assert.equal(formatAddress("example.com", 443), "example.com:443");
  assert.equal(formatAddress("::ffff:127.0.0.1"), "::ffff:127.0.0.1");
});
