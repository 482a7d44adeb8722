/**
 * The CLI as a Unix tool, run exactly as the README's `tlsprobe` task runs it
 * (the task's permission flags, not -A): piped stdin is forwarded, a closed
 * stdout ends the run quietly, SIGINT/SIGTERM end a probe with 130/143, also
 * when the signal goes to `deno task`.
 */
import assert from "node:assert/strict";
import { ROOT, startTlsprobe, taskWords, tlsprobeAsTask } from "../_helpers/process.ts";

const CA = ROOT + "certs/ca.crt";
const BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

Deno.test("piped stdin reaches the server under the task's permissions", async () => {
  const server = await startTlsprobe(
    ["serve", "--cert", ROOT + "certs/localhost.pem", "--port", "0", "--echo"],
    /port (\d+)/,
  );
  try {
    const r = await tlsprobeAsTask(["connect", "-a", CA, "localhost", String(server.port)], {
      stdin: "hello from a pipe\n",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /b'hello from a pipe\\n'/);
  } finally {
    await server.stop();
  }
});

async function shell(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
}

Deno.test({
  name: "cert of the system CA bundle piped into head -1 ends quietly",
  ignore: (() => {
    try {
      return !Deno.statSync(BUNDLE).isFile;
    } catch {
      return true;
    }
  })(),
  fn: async () => {
    const cmd = [Deno.execPath(), ...await taskWords()].map((w) => `'${w}'`).join(" ");
    // -v makes the output far larger than a pipe's buffer, so the write after head exits fails.
    for (const verbose of ["", "-v"]) {
      const r = await shell(
        `set -o pipefail; ${cmd} cert ${verbose} ${BUNDLE} | head -1; echo "status=\${PIPESTATUS[0]}"`,
      );
      assert.equal(r.stderr, "", `no error text (${verbose}): ${r.stderr}`);
      const status = Number(/status=(\d+)/.exec(r.stdout)![1]);
      assert.ok(status === 0 || status === 141, `status ${status}`);
      assert.equal(r.stdout.split("\n").length, 3, r.stdout);
    }
  },
});

/** A server that accepts and never answers; resolves `accepted` at the first connection. */
function silentServer() {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  let accepted!: () => void;
  const first = new Promise<void>((r) => accepted = r);
  const loop = (async () => {
    try {
      for await (const c of l) {
        held.push(c);
        accepted();
      }
    } catch { /* closed */ }
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    first,
    async close() {
      l.close();
      for (const c of held) c.close();
      await loop;
    },
  };
}

for (
  const [signal, status, viaTask] of [
    ["SIGTERM", 143, false],
    ["SIGINT", 130, false],
    ["SIGTERM", 143, true],
  ] as const
) {
  Deno.test(`${signal} during a probe ends it with ${status}${viaTask ? " under deno task" : ""}`, async () => {
    const server = silentServer();
    const args = viaTask
      ? ["task", "-q", "tlsprobe", "probe", "--timeout", "60", `127.0.0.1:${server.port}`]
      : [...await taskWords(), "probe", "--timeout", "60", `127.0.0.1:${server.port}`];
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    try {
      await server.first; // the probe is under way
      const t0 = performance.now();
      child.kill(signal);
      const r = await child.output();
      const secs = (performance.now() - t0) / 1000;
      assert.equal(r.code, status, new TextDecoder().decode(r.stderr));
      assert.ok(secs < 5, `ended ${secs.toFixed(1)} s after the signal`);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await server.close();
    }
  });
}
