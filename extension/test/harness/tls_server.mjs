// Starts `tlsprobe serve` from the repository on a port the OS picks, for the
// e2e harness and the integration suite alike. No side effects on import.
import { spawn } from "node:child_process";
import path from "node:path";

/**
 * Starts `deno run cli/main.ts serve --cert certs/localhost.pem --port 0` and
 * resolves once it prints "Listening at interface '…' and port N".
 *
 * @param {string} repo the repository root
 * @param {object} [spawnOptions] extra options for spawn (e.g. detached)
 * @param {string[]} [extraArgs] more `serve` arguments (e.g. `--starttls smtp`)
 * @returns {Promise<{ child: import("node:child_process").ChildProcess, port: number }>}
 */
export async function startTlsServer(repo, spawnOptions = {}, extraArgs = []) {
  const child = spawn("deno", [
    "run",
    "--quiet",
    "-A",
    "--config",
    path.join(repo, "deno.json"),
    path.join(repo, "cli/main.ts"),
    "serve",
    "--cert",
    path.join(repo, "certs/localhost.pem"),
    "--port",
    "0",
    ...extraArgs,
  ], { cwd: repo, stdio: ["ignore", "pipe", "pipe"], ...spawnOptions });
  let text = "";
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`tlsprobe serve did not start: ${text}`)),
      80_000,
    );
    const onData = (b) => {
      text += b.toString();
      const m = /Listening at interface '[^']*' and port (\d+)/.exec(text);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (c) => {
      clearTimeout(t);
      reject(new Error(`tlsprobe serve exited (${c}): ${text}`));
    });
  });
  return { child, port };
}
