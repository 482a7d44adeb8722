import assert from "node:assert/strict";
import { ROOT, run } from "../_helpers/process.ts";

Deno.test("deno task demo shows both sides of the book's demo and the friendly failure", async () => {
  const r = await run(Deno.execPath(), ["task", "-q", "demo"], {
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\[server\] Listening at interface '127\.0\.0\.1' and port \d+/);
  assert.match(r.stdout, /\[server\] Connection from host '127\.0\.0\.1' and port \d+/);
  assert.match(r.stdout, /\[client\] Connected to host 'localhost' and port \d+/);
  assert.match(r.stdout, /\[client\] b'Simple is better than complex\.'/);
  assert.match(r.stdout, /\[client\] tlsprobe: error CERT_UNKNOWN_ISSUER: .*pass -a\/--cafile/);
});
