/**
 * `checkServerPolicy` against `openssl s_server`: the TLS 1.3 CCM suites a
 * policy forbids are tried (seen in the ServerHello though the engine cannot
 * decrypt them), a count cut at the enumeration cap says "at least", and a
 * server that is not TLS is an error, not a verdict.
 */
import assert from "node:assert/strict";
import { TlsprobeError } from "../../../core/errors.ts";
import { checkServerPolicy } from "../../../core/net/policy_check.ts";
import { builtinPolicy, defaultPolicyEnv, resolvePolicy } from "../../../core/policy/mod.ts";
import { makeTestPki, removeTestPki, type TestPki } from "../../_helpers/pki.ts";
import { startOpensslServer } from "../../_helpers/process.ts";
import { send, startHostileServer, text } from "../../_helpers/hostile.ts";

const env = defaultPolicyEnv();

async function withServer(
  args: (pki: TestPki) => string[],
  fn: (port: number) => Promise<void>,
): Promise<void> {
  const pki = await makeTestPki();
  const server = await startOpensslServer([
    "-cert",
    pki.localhostCrt,
    "-key",
    pki.localhostKey,
    "-www",
    ...args(pki),
  ]);
  try {
    await fn(server.port);
  } finally {
    await server.stop();
    await removeTestPki(pki);
  }
}

Deno.test("policy check tries the TLS 1.3 CCM suites mozilla-modern forbids, and finds them", async () => {
  await withServer(
    () => ["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"],
    async (port) => {
      const rp = resolvePolicy(builtinPolicy("mozilla-modern")!, env);
      let r;
      try {
        r = await checkServerPolicy(
          { host: "127.0.0.1", port, timeoutMs: 5000, now: new Date() },
          rp,
        );
      } catch (e) {
        // The baseline (GCM/ChaCha only) is refused by this CCM-only server: a verdict.
        assert.fail(`no verdict: ${e}`);
      }
      assert.equal(r.evaluation.verdict, "fail");
      const accepted = r.evaluation.findings.find((f) => f.rule === "accepted.cipher");
      assert.ok(accepted, JSON.stringify(r.evaluation.findings));
      assert.match(accepted.message, /CCM/);
    },
  );
});

Deno.test("policy check says 'at least' when the enumeration of forbidden suites stops at its cap", async () => {
  await withServer(
    () => ["-tls1_2", "-cipher", "ALL:@SECLEVEL=0"],
    async (port) => {
      const rp = resolvePolicy(builtinPolicy("mozilla-intermediate")!, env);
      const r = await checkServerPolicy(
        { host: "127.0.0.1", port, timeoutMs: 5000, now: new Date() },
        rp,
      );
      const accepted = r.evaluation.findings.find((f) => f.rule === "accepted.cipher");
      assert.ok(accepted, JSON.stringify(r.evaluation.findings));
      assert.match(accepted.message, /accepts at least 6 suite\(s\) outside the policy/);
    },
  );
});

Deno.test("policy check against a plain HTTP server is NOT_TLS (exit 4), not a failed verdict", async () => {
  const server = startHostileServer((c) =>
    send(c.conn, text("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
  );
  try {
    const rp = resolvePolicy(builtinPolicy("mozilla-intermediate")!, env);
    await assert.rejects(
      () =>
        checkServerPolicy(
          { host: "127.0.0.1", port: server.port, timeoutMs: 3000, now: new Date() },
          rp,
        ),
      (e) => e instanceof TlsprobeError && e.code === "NOT_TLS",
    );
  } finally {
    await server.stop();
  }
});
