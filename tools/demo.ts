/**
 * The book's two-terminal demo in one command (`deno task demo`): a server
 * that proves its identity with the sample PKI, a client that checks it with
 * `-a certs/ca.crt`, and then the same client without `-a`, refused with a
 * friendly message. Both sides are the real CLI, printed as they speak.
 */
import { client, prepare, startServer } from "./_demo.ts";

await prepare();
const { child: server, port } = await startServer([
  "serve",
  "--cert",
  "certs/localhost.pem",
  "--port",
  "0",
]);

let ok = true;
try {
  const good = await client(
    ["connect", "-a", "certs/ca.crt", "localhost", String(port)],
    "trust the sample CA, as the book's -a does",
  );
  ok &&= good === 0;
  const bad = await client(
    ["connect", "localhost", String(port)],
    "without -a the platform's roots do not know this CA",
  );
  ok &&= bad === 1;
} finally {
  server.kill("SIGTERM");
  await server.status;
}
console.log(
  ok
    ? "\nDemo complete: verified with -a, refused (CERT_UNKNOWN_ISSUER, exit 1) without it."
    : "\nDemo did not go as expected: see the output above.",
);
Deno.exit(ok ? 0 : 1);
