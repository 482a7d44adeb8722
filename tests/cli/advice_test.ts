/**
 * Core errors name no command-line flags; the CLI adds advice naming its own
 * options, only for a verb that has them.
 */
import assert from "node:assert/strict";
import { withAdvice } from "../../cli/advice.ts";
import { TlsprobeError } from "../../core/errors.ts";
import { classifyNetError } from "../../core/net/classify.ts";
import { alertError } from "../../core/wire/record.ts";

Deno.test("withAdvice() names the verb's own options, and nothing for a verb without them", () => {
  const e = classifyNetError(
    new Error("invalid peer certificate: UnknownIssuer"),
    { host: "localhost", port: 1060, phase: "handshake" },
  );
  assert.equal(e.code, "CERT_UNKNOWN_ISSUER");
  assert.doesNotMatch(e.message, /-a|--cafile/);
  assert.equal(e.detail.advice, "cafile");
  const connect = withAdvice(e, ["cafile", "servername", "cert", "key", "timeout"]);
  assert.match(connect.message, /trusted roots: pass -a\/--cafile with the CA certificate/);
  assert.equal(withAdvice(e, ["timeout"]).message, e.message);

  const hf = alertError({ level: 2, description: 40, name: "handshake_failure" }, "the handshake");
  assert.doesNotMatch(hf.message, /-C|-p|--groups/);
  assert.match(
    withAdvice(hf, ["ciphers", "protocol", "groups"]).message,
    /groups: try -C, -p or --groups$/,
  );
  // `cert HOST:PORT` has no -C: no advice it could not follow.
  assert.equal(withAdvice(hf, ["servername", "timeout"]).message, hf.message);
  const plain = new TlsprobeError("BAD_INPUT", "no advice");
  assert.equal(withAdvice(plain, ["cafile"]), plain);
});
