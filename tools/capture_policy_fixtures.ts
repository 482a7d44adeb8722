/**
 * Captures the handshake fixtures the policy tests replay offline: ClientHellos
 * from `openssl s_client` (as `serve --policy` sees them) and the first flight
 * `openssl s_server` answers with, each as hex in
 * `tests/fixtures/policy/*.json` with the OpenSSL version that made it.
 *
 * Usage: deno run -A tools/capture_policy_fixtures.ts
 */
const OUT = new URL("../tests/fixtures/policy/", import.meta.url);
const CERT = new URL("../certs/localhost.pem", import.meta.url).pathname;

import { concat } from "../core/wire/codec.ts";

/** Reads until the peer closes or stays quiet for `quietMs`. */
async function readUntilQuiet(conn: Deno.Conn, quietMs: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  while (true) {
    const n = await Promise.race([
      conn.read(buf),
      new Promise<number | null>((r) => setTimeout(() => r(-1), quietMs)),
    ]);
    if (n === null || n === -1) break;
    chunks.push(buf.slice(0, n as number));
  }
  return concat(...chunks);
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function opensslVersion(): string {
  const r = new Deno.Command("openssl", { args: ["version"] }).outputSync();
  return new TextDecoder().decode(r.stdout).trim();
}

/** Listens, runs s_client against the listener, returns what it sent first. */
async function captureClientHello(args: string[]): Promise<Uint8Array> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  const child = new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const conn = await l.accept();
  // The ClientHello arrives at once on loopback.
  const out = await readUntilQuiet(conn, 200);
  conn.close();
  l.close();
  child.kill();
  await child.status;
  return out;
}

/** Starts s_server, sends a ClientHello, returns what it answers with. */
async function captureServerFlight(args: string[], hello: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command("openssl", {
    args: ["s_server", "-accept", "127.0.0.1:0", "-cert", CERT, "-naccept", "1", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  let port = 0;
  while (!port) {
    const { value, done } = await reader.read();
    if (done) throw new Error("s_server ended early");
    text += new TextDecoder().decode(value);
    const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(text);
    if (m) port = Number(m[1]);
  }
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(hello);
  const out = await readUntilQuiet(conn, 500);
  conn.close();
  child.kill();
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  await child.stdin.close().catch(() => {});
  await child.status;
  return out;
}

async function save(name: string, what: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(OUT, { recursive: true });
  const body = { what, openssl: opensslVersion(), hex: hex(bytes) };
  await Deno.writeTextFile(new URL(name, OUT), JSON.stringify(body, null, 2) + "\n");
  console.log(`${name}: ${bytes.length} bytes`);
}

if (import.meta.main) {
  const tls11 = await captureClientHello(["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
  await save(
    "client_hello_tls11.json",
    "openssl s_client -tls1_1 -cipher DEFAULT:@SECLEVEL=0",
    tls11,
  );
  const aes256 = await captureClientHello(["-tls1_2", "-cipher", "ECDH+AES256"]);
  await save(
    "client_hello_ecdh_aes256.json",
    "openssl s_client -tls1_2 -cipher ECDH+AES256",
    aes256,
  );
  const dflt = await captureClientHello(["-servername", "localhost", "-alpn", "h2,http/1.1"]);
  await save(
    "client_hello_default.json",
    "openssl s_client -servername localhost -alpn h2,http/1.1 (TLS 1.3 and 1.2 offered)",
    dflt,
  );
  const flight12 = await captureServerFlight(["-tls1_2"], dflt);
  await save(
    "server_flight_tls12.json",
    "openssl s_server -tls1_2 answering client_hello_default (ServerHello .. ServerHelloDone)",
    flight12,
  );
  const flight13 = await captureServerFlight([], dflt);
  await save(
    "server_flight_tls13.json",
    "openssl s_server answering client_hello_default (ServerHello, then encrypted records)",
    flight13,
  );
}
