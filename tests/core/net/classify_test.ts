/**
 * The runtime messages below were recorded from Deno 2.9.6 (rustls) against
 * real peers (see ../../../shared/reference/deno-tls-facts/out_exp2.txt and
 * tests/cli/connect_test.ts, which produces each again).
 */
import assert from "node:assert/strict";
import { classifyNetError, type FailureContext } from "../../../core/net/classify.ts";

const ctx: FailureContext = { host: "localhost", port: 1060, phase: "handshake" };
const err = (name: string, message: string) => Object.assign(new Error(message), { name });

const cases: Array<[string, string, string, Partial<FailureContext>?]> = [
  ["InvalidData", "invalid peer certificate: UnknownIssuer", "CERT_UNKNOWN_ISSUER"],
  [
    "InvalidData",
    "invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))",
    "CERT_CA_AS_LEAF",
  ],
  [
    "InvalidData",
    'invalid peer certificate: certificate not valid for name "localhost"; certificate is only valid for DnsName("wrong.example")',
    "CERT_NAME_MISMATCH",
  ],
  [
    "InvalidData",
    "invalid peer certificate: certificate expired: verification time 1795340982 (UNIX), but certificate is not valid after 1609459200 (185881782 seconds ago)",
    "CERT_EXPIRED",
  ],
  [
    "InvalidData",
    "invalid peer certificate: certificate not valid yet: verification time 1795340982 (UNIX), but certificate is not valid before 4070908800 (2275567818 seconds from now)",
    "CERT_NOT_YET_VALID",
  ],
  ["InvalidData", "invalid peer certificate: BadSignature", "CERT_BAD_SIGNATURE"],
  ["InvalidData", "invalid peer certificate: UnsupportedSignatureAlgorithm", "CERT_INVALID"],
  ["InvalidData", "received fatal alert: CertificateRequired", "CLIENT_CERT_REQUIRED"],
  ["InvalidData", "received fatal alert: ProtocolVersion", "PROTOCOL_VERSION"],
  ["InvalidData", "received fatal alert: HandshakeFailure", "HANDSHAKE_FAILURE"],
  ["InvalidData", "received fatal alert: UnknownCA", "CLIENT_CERT_REJECTED", { clientCert: true }],
  ["InvalidData", "received fatal alert: UnknownCA", "ALERT", { clientCert: false }],
  ["InvalidData", "received fatal alert: DecodeError", "ALERT"],
  ["InvalidData", "received corrupt message of type InvalidContentType", "NOT_TLS"],
  ["ConnectionRefused", "Connection refused (os error 111)", "CONNECTION_REFUSED"],
  ["ConnectionReset", "Connection reset by peer (os error 104)", "CONNECTION_RESET"],
  ["UnexpectedEof", "peer closed connection without sending TLS close_notify", "CONNECTION_CLOSED"],
  ["Error", "unexpected end of file", "CONNECTION_CLOSED"],
  ["TimeoutError", "The operation was aborted due to timeout", "TIMEOUT"],
  ["Interrupted", "operation canceled", "TIMEOUT", { timedOut: true }],
  ["Interrupted", "operation canceled", "CONNECTION_CLOSED"],
  ["Error", "failed to lookup address information: Name or service not known", "DNS"],
  ["URIError", "invalid host 'bad host!': invalid char found in FQDN", "BAD_INPUT"],
  [
    "NotCapable",
    'Requires net access to "localhost:1", run again with the --allow-net flag',
    "PERMISSION",
  ],
  ["Error", "something nobody has seen", "NETWORK"],
];

for (const [name, message, code, extra] of cases) {
  Deno.test(`classifyNetError() maps ${name} "${message.slice(0, 50)}" to ${code}`, () => {
    const e = classifyNetError(err(name, message), { ...ctx, ...extra });
    assert.equal(e.code, code);
    assert.equal(e.detail.raw, message);
    assert.ok(e.message.length > 10 && !e.message.includes("\n"), "one line of message");
  });
}

Deno.test("classifyNetError() names the wanted and the presented names on a mismatch", () => {
  const e = classifyNetError(
    err(
      "InvalidData",
      'invalid peer certificate: certificate not valid for name "localhost"; certificate is only valid for DnsName("a.example"), DnsName("b.example")',
    ),
    ctx,
  );
  assert.deepEqual(e.detail.presented, ["a.example", "b.example"]);
  assert.match(e.message, /not valid for localhost; it names a\.example, b\.example/);
});

Deno.test("classifyNetError() tells the unknown-issuer user which CA file was used", () => {
  const e = classifyNetError(err("InvalidData", "invalid peer certificate: UnknownIssuer"), {
    ...ctx,
    caFile: "other.crt",
  });
  assert.match(e.message, /CA file other\.crt/);
  // The CLI words the advice (cli/advice.ts); core names no flags.
  assert.equal(e.detail.advice, "cafile");
  assert.doesNotMatch(e.message, /--cafile/);
});

Deno.test("classifyNetError() speaks of the client when the server reports it", () => {
  const e = classifyNetError(err("InvalidData", "received fatal alert: UnknownCA"), {
    ...ctx,
    role: "server",
  });
  assert.equal(e.code, "ALERT");
  assert.match(e.message, /client at [^ ]+ refused this server's certificate/);
  assert.doesNotMatch(e.message, /tlsprobe connect|-c\/--cert/);
});
