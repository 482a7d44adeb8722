/**
 * What the demos share (`deno task demo`, `deno task demo:clientauth`): the
 * real CLI on both sides, each line printed with its side's tag.
 *
 * @module
 */
const root = new URL("../", import.meta.url).pathname;
const decoder = new TextDecoder();

/** The CLI as a child process, from the repository root. */
export function cli(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    // -q: a first run fetches npm packages; their "Download …" lines stay off the transcript.
    args: ["run", "-q", `--env-file=${root}cli/runtime.env`, "-A", `${root}cli/main.ts`, ...args],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/** Prints a stream line by line with a tag. */
export async function pump(
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

/**
 * Installs the npm dependencies before the transcript starts (a first run on
 * a fresh machine would print "Download …" lines in the middle of it).
 */
export async function prepare(): Promise<void> {
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

/** Starts `tlsprobe serve ARGS` and resolves with the child and its port. */
export async function startServer(
  args: string[],
): Promise<{ child: Deno.ChildProcess; port: number }> {
  console.log(`$ tlsprobe ${args.join(" ")}      # terminal 1: the server`);
  const child = cli(args).spawn();
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("the server did not start within 20 s")),
      20_000,
    );
    pump(child.stdout, "[server]", (l) => {
      const m = l.match(/^Listening at interface .* and port (\d+)$/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    pump(child.stderr, "[server]");
  });
  return { child, port };
}

/** Runs one client and returns its exit status. */
export async function client(args: string[], note: string): Promise<number> {
  console.log(`\n$ tlsprobe ${args.join(" ")}      # terminal 2: ${note}`);
  const child = cli(args).spawn();
  await Promise.all([pump(child.stdout, "[client]"), pump(child.stderr, "[client]")]);
  const { code } = await child.status;
  console.log(`[client] exit status ${code}`);
  // Let the server's log line for this client arrive before the next step.
  await new Promise((r) => setTimeout(r, 300));
  return code;
}
