/**
 * "TLS: Start Test Lab" must not outlive its extension host: the lab is
 * started with a pipe on its standard input (`serve --lab --exit-with-stdin`),
 * so when the host dies, even by SIGKILL, the lab sees end-of-file, closes
 * every port and exits.
 */
import assert from "node:assert/strict";
import { accepts, alive, ROOT } from "../_helpers/process.ts";

/** Reads the first line of a stream. */
async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    const nl = text.indexOf("\n");
    if (nl >= 0) return text.slice(0, nl);
  }
  throw new Error(`the parent ended without printing the lab's ports: ${text}`);
}

Deno.test("the lab started the extension's way exits when its parent is killed with SIGKILL", async () => {
  const parent = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tests/_helpers/lab_parent.ts"],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  let lab: { pid: number; ports: number[] } | undefined;
  try {
    lab = JSON.parse(await firstLine(parent.stdout));
    assert.ok(lab!.ports.length >= 21, `${lab!.ports.length} ports`);
    assert.ok(await accepts(lab!.ports[0]), "the lab's index is not listening");
    parent.kill("SIGKILL");
    await parent.status;
    // The lab is in its own process group: only its standard input tells it.
    const bound = Date.now() + 3000 + 3000; // a few seconds, plus the suite's load margin
    while (Date.now() < bound && alive(lab!.pid)) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alive(lab!.pid), "the lab still runs after its parent was killed");
    for (const p of lab!.ports) assert.equal(await accepts(p), false, `port ${p} still open`);
  } finally {
    try {
      parent.kill("SIGKILL");
    } catch { /* already gone */ }
    await parent.status;
    // Never leave a lab behind, even when the test failed.
    if (lab && alive(lab.pid)) Deno.kill(-lab.pid, "SIGKILL");
  }
});
