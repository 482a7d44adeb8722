/**
 * The book's two-terminal demo in one command (`deno task demo`): a server
 * that proves its identity with the sample PKI, a client that checks it with
 * `-a certs/ca.crt`, and then the same client without `-a`, refused with a
 * friendly message. Both sides are the real CLI, printed as they speak.
 */
const root = new URL("../", import.meta.url).pathname;
const decoder = new TextDecoder();
const cli = (args: string[]) =>
  new Deno.Command(Deno.execPath(), {
    // -q: a first run fetches npm packages; their "Download …" lines stay off the transcript.
    args: ["run", "-q", `--env-file=${root}cli/runtime.env`, "-A", `${root}cli/main.ts`, ...args],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });

async function pump(
  stream: ReadableStream<Uint8Array>,
  tag: string,
  onLine?: (l: string) => void,
): Promise<void> {
  let buf = "";
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      console.log(`${tag} ${line}`);
      onLine?.(line);
    }
  }
  if (buf) console.log(`${tag} ${buf}`);
}

// A first run on a fresh machine fetches the npm dependencies: do it before
// the transcript starts, with its "Download …" lines kept off the transcript.
{
  const prep = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--quiet"],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!prep.success) {
    console.error("Could not install the dependencies (deno install):");
    console.error(decoder.decode(prep.stderr).trim());
    Deno.exit(1);
  }
}

console.log("$ tlsprobe serve --cert certs/localhost.pem --port 0      # terminal 1: the server");
const server = cli(["serve", "--cert", "certs/localhost.pem", "--port", "0"]).spawn();
const port = await new Promise<number>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("the server did not start within 20 s")), 20_000);
  pump(server.stdout, "[server]", (l) => {
    const m = l.match(/^Listening at interface .* and port (\d+)$/);
    if (m) {
      clearTimeout(timer);
      resolve(Number(m[1]));
    }
  });
  pump(server.stderr, "[server]");
});

async function client(args: string[], note: string): Promise<number> {
  console.log(`\n$ tlsprobe ${args.join(" ")}      # terminal 2: ${note}`);
  const child = cli(args).spawn();
  await Promise.all([pump(child.stdout, "[client]"), pump(child.stderr, "[client]")]);
  const { code } = await child.status;
  console.log(`[client] exit status ${code}`);
  // Let the server's log line for this client arrive before the next step.
  await new Promise((r) => setTimeout(r, 300));
  return code;
}

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
