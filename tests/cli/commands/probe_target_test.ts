/**
 * `probe`'s target argument: HOST[:PORT], [IPv6]:PORT, and the book's
 * separate PORT.
 */
import assert from "node:assert/strict";
import { parseTarget } from "../../../cli/commands/probe.ts";
import { TlsprobeError } from "../../../core/errors.ts";

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
