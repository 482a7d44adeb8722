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

Deno.test("deno task demo:clientauth: a client with a certificate is served, one without is refused, both sides shown", async () => {
  const r = await run(Deno.execPath(), ["task", "-q", "demo:clientauth"], {
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\[server\] Client certificate \.+ .*CN=tlsprobe client/);
  assert.match(r.stdout, /\[server\] +verified \.+ yes/);
  assert.match(r.stdout, /\[client\] b'Simple is better than complex\.'/);
  assert.match(r.stdout, /\[client\] tlsprobe: error CLIENT_CERT_REQUIRED/);
  assert.match(
    r.stdout,
    /\[server\] +127\.0\.0\.1:\d+: CLIENT_CERT_REQUIRED: Refused the client at 127\.0\.0\.1:\d+: it sent no certificate/,
  );
});
