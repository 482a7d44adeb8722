/**
 * `deno task demo:starttls` (Twisted's startTLS): plaintext, the switch on the
 * same connection, then talk under TLS, each line marked with what carried it.
 */
import assert from "node:assert/strict";
import { ROOT, run } from "../_helpers/process.ts";

Deno.test("demo:starttls talks in clear, switches to TLS mid-connection and keeps talking", async () => {
  const r = await run(Deno.execPath(), ["run", "-A", `${ROOT}tools/demo_starttls.ts`], {
    cwd: ROOT,
  });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  const firstTls = lines.findIndex((l) => l.startsWith("[TLS]"));
  const lastClear = lines.findLastIndex((l) => l.startsWith("[clear]"));
  assert.ok(lastClear >= 0 && firstTls > lastClear, r.stdout);
  assert.match(r.stdout, /\[clear\] C: STARTTLS\n/);
  assert.match(r.stdout, /\[TLS\] {3}S: hello, under TLS now \(echoed\)/);
  assert.match(r.stdout, /done: 8 lines in clear, then 4 under TLS, one connection/);
});
