/**
 * Twisted's `startTLS` example in one command (`deno task demo:starttls`): a
 * server and a client talk in plain text, switch to TLS in the middle of the
 * same connection, and keep talking. Each line is marked with what carried
 * it: `[clear]` or `[TLS]`. The server is tlsprobe's own (`serve --starttls
 * smtp --echo`, in-process); the client is the runtime's TCP and
 * `Deno.startTls`, verifying the server against the sample CA.
 */
import { loadCertifiedKey } from "../core/net/pem.ts";
import { serveTls } from "../core/net/server.ts";

const root = new URL("../", import.meta.url).pathname;
const enc = new TextEncoder(), dec = new TextDecoder();
const count = { clear: 0, tls: 0 };

const stop = new AbortController();
const ready = Promise.withResolvers<number>();
const served = serveTls({
  host: "127.0.0.1",
  port: 0,
  certified: await loadCertifiedKey(`${root}certs/localhost.pem`),
  mode: { kind: "echo" },
  timeoutMs: 10_000,
  signal: stop.signal,
  starttls: "smtp",
}, {
  listening: (a) => ready.resolve(a.port),
  connection: () => {},
  starttls: (_c, info) => {
    console.log(
      `server: plaintext dialogue done (${info.transcript.length} lines); TLS from here on`,
    );
  },
  handshake: (_c, s) => console.log(`server: TLS handshake done: ${s.version} ${s.cipher.name}`),
  sent: () => {},
  received: () => {},
  clientError: (_c, e) => console.log(`server: ${e.code}: ${e.message}`),
  closed: () => {},
});
const port = await ready.promise;
console.log(`server: listening on 127.0.0.1:${port} (SMTP in clear, then STARTTLS)`);

const tcp = await Deno.connect({ hostname: "127.0.0.1", port });
let pending = "";
async function readLine(): Promise<string> {
  const buf = new Uint8Array(1024);
  while (!pending.includes("\n")) {
    const n = await tcp.read(buf);
    if (n === null) throw new Error("server closed");
    pending += dec.decode(buf.subarray(0, n));
  }
  const i = pending.indexOf("\n");
  const line = pending.slice(0, i).replace(/\r$/, "");
  pending = pending.slice(i + 1);
  console.log(`[clear] S: ${line}`);
  count.clear++;
  return line;
}
async function sayClear(line: string): Promise<void> {
  console.log(`[clear] C: ${line}`);
  count.clear++;
  await tcp.write(enc.encode(line + "\r\n"));
}

await readLine(); // 220 greeting
await sayClear("EHLO demo.example");
while (!/^250 /.test(await readLine()));
await sayClear("STARTTLS");
await readLine(); // 220 Ready to start TLS
console.log("client: switching this connection to TLS (Deno.startTls, trusting certs/ca.crt)");
const tls = await Deno.startTls(tcp, {
  hostname: "localhost",
  caCerts: [await Deno.readTextFile(`${root}certs/ca.crt`)],
});
const hs = await tls.handshake();
console.log(`client: verified localhost; ALPN ${hs.alpnProtocol ?? "none"}`);
for (const line of ["hello, under TLS now", "the same TCP connection, encrypted"]) {
  console.log(`[TLS]   C: ${line}`);
  await tls.write(enc.encode(line + "\n"));
  const buf = new Uint8Array(1024);
  let got = "";
  while (!got.endsWith("\n")) {
    const n = await tls.read(buf);
    if (n === null) break;
    got += dec.decode(buf.subarray(0, n));
  }
  console.log(`[TLS]   S: ${got.trimEnd()} (echoed)`);
  count.tls += 2;
}
tls.close();
stop.abort();
await served;
console.log(`done: ${count.clear} lines in clear, then ${count.tls} under TLS, one connection`);
