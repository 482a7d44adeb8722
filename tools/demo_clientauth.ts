/**
 * Twisted's client authentication in one command (`deno task demo:clientauth`):
 * a server that requires a client certificate signed by the sample CA, a
 * client that presents one, and a client that does not, refused. Both sides
 * are the real CLI, printed as they speak.
 */
import { client, prepare, startServer } from "./_demo.ts";

await prepare();
const { child: server, port } = await startServer([
  "serve",
  "--cert",
  "certs/localhost.pem",
  "--port",
  "0",
  "--client-ca",
  "certs/ca.crt",
  "--verify-client",
  "require",
]);

let ok = true;
try {
  const good = await client(
    ["connect", "-a", "certs/ca.crt", "-c", "certs/client.pem", "localhost", String(port)],
    "present the sample client certificate",
  );
  ok &&= good === 0;
  const bad = await client(
    ["connect", "-a", "certs/ca.crt", "localhost", String(port)],
    "no client certificate: the server refuses",
  );
  ok &&= bad !== 0;
} finally {
  server.kill("SIGTERM");
  await server.status;
}
console.log(
  ok
    ? "\nDemo complete: served with a client certificate, refused without one."
    : "\nDemo did not go as expected: see the output above.",
);
Deno.exit(ok ? 0 : 1);
