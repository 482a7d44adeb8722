/**
 * `serve --exit-with-stdin`: the end of standard input stops the server
 * (exit 0, its port closed), so a parent holding a pipe to it ends it by
 * going away; without the option, standard input means nothing to `serve`.
 */
import assert from "node:assert/strict";
import { accepts, cliArgs, ROOT } from "../_helpers/process.ts";

const LISTENING = /Listening at interface '127\.0\.0\.1' and port (\d+)/;

async function startServe(extra: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...cliArgs(), "serve", "--cert", "certs/localhost.pem", "--port", "0", ...extra],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve ended before listening: ${text}`);
    text += value;
    const m = text.match(LISTENING);
    if (m) {
      // Keep draining, so the server never blocks on a full pipe.
      (async () => {
        while (!(await reader.read()).done) { /* drop */ }
      })().catch(() => {});
      return { child, port: Number(m[1]) };
    }
  }
}

/** The exit status, or undefined when the process still runs after `ms`. */
async function statusWithin(child: Deno.ChildProcess, ms: number): Promise<number | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), ms));
  const s = await Promise.race([child.status.then((s) => s.code), late]);
  clearTimeout(timer);
  return s;
}

Deno.test("serve --exit-with-stdin stops with exit 0 and closes its port when standard input ends", async () => {
  const { child, port } = await startServe(["--exit-with-stdin"]);
  try {
    assert.ok(await accepts(port));
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode("anything written is dropped\n".repeat(1000)));
    await w.close();
    assert.equal(await statusWithin(child, 3000 + 3000), 0, "serve still runs after stdin ended");
    assert.equal(await accepts(port), false, `port ${port} still open`);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
    await child.status;
  }
});

Deno.test("serve without --exit-with-stdin keeps serving when standard input ends", async () => {
  const { child, port } = await startServe([]);
  try {
    await child.stdin.close();
    assert.equal(await statusWithin(child, 1000), undefined, "serve ended with its stdin");
    assert.ok(await accepts(port));
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 143);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* ended */ }
    await child.status;
  }
});
