// The "VS Code executable" handed to @vscode/test-electron's
// runTests({ vscodeExecutablePath }): it turns the Electron-style arguments
// (--extensionDevelopmentPath=…, --extensionTestsPath=…, a workspace folder)
// into a code-server run opened in headless chromium, and exits with the
// status the extension-host test run reports.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { format } from "node:util";
import { freePort, launchChromium, log, prepare, startCodeServer, stop } from "./code_server.mjs";

let dev;
let tests;
let folder;
for (const a of process.argv.slice(2)) {
  if (a.startsWith("--extensionDevelopmentPath=")) {
    dev ??= a.slice(a.indexOf("=") + 1);
  } else if (a.startsWith("--extensionTestsPath=")) {
    tests = a.slice(a.indexOf("=") + 1);
  } else if (!a.startsWith("-")) folder = a;
  // Electron-only flags (--no-sandbox, --disable-updates, …) do not apply.
}
if (!dev || !tests) {
  console.error(
    "launcher: need --extensionDevelopmentPath= and --extensionTestsPath=",
  );
  process.exit(2);
}
tests = tests.replace(/\.js$/, "");
const TIMEOUT_MS = Number(process.env.TLSPROBE_ITEST_TIMEOUT_MS ?? 180_000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tlsprobe-itest-"));
const ws = folder ? path.resolve(folder) : path.join(tmp, "workspace");
fs.mkdirSync(ws, { recursive: true });
const port = await freePort();
const baseArgs = prepare(tmp, port);
const logFile = path.join(tmp, "code-server.log");

let cs;
let browser;
let status = 2;
try {
  cs = await startCodeServer({ port, baseArgs, logFile });
  browser = await launchChromium();
  const page = await browser.newPage({ permissions: ["clipboard-read", "clipboard-write"] });
  const done = new Promise((resolve) => {
    void page.exposeFunction("codeAutomationExit", (code) => resolve(code));
  });
  // The workbench forwards the extension host's console (Mocha's reporter) here.
  const NOISE =
    /No signed-in session|ChatModelSelection|AccountPolicyGate|AgentHost|open-vsx|gallery|reconnection-grace|Service Worker|Creating a socket|builtin extensions cache|socket was left hanging|WebSocket|connection token|vsda/i;
  await page.exposeFunction("codeAutomationLog", (_type, args) => {
    const line = format(...(Array.isArray(args) ? args : [args]));
    if (process.env.VERBOSE === "1" || !NOISE.test(line)) {
      console.log(`  ${line}`);
    }
  });
  // The built workbench honours the payload's extensionDevelopmentPath and
  // extensionTestsPath only with developmentOptions.enableSmokeTestDriver,
  // which code-server's CLI cannot set: patch the embedded configuration as
  // the page reads it (rewriting the HTML breaks the websocket).
  await page.addInitScript(() => {
    const orig = Element.prototype.getAttribute;
    Element.prototype.getAttribute = function (name) {
      const v = orig.call(this, name);
      if (
        name === "data-settings" &&
        this.id === "vscode-workbench-web-configuration" && v
      ) {
        const cfg = JSON.parse(v);
        cfg.developmentOptions = {
          ...(cfg.developmentOptions || {}),
          enableSmokeTestDriver: true,
        };
        return JSON.stringify(cfg);
      }
      return v;
    };
  });
  const auth = `127.0.0.1:${port}`; // code-server's remote authority is location.host
  const payload = JSON.stringify([
    ["extensionDevelopmentPath", `vscode-remote://${auth}${path.resolve(dev)}`],
    ["extensionTestsPath", `vscode-remote://${auth}${path.resolve(tests)}`],
    ["skipWelcome", "true"],
  ]);
  await page.goto(
    `http://${auth}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`,
  );
  log("workbench opened; waiting for the test run");
  const code = await Promise.race([
    done,
    new Promise((r) => setTimeout(() => r("timeout"), TIMEOUT_MS)),
  ]);
  log("test run exit code", code);
  status = code === "timeout" ? 3 : Number(code);
} catch (e) {
  console.error("launcher: harness error:", e);
  status = 4;
} finally {
  try {
    await browser?.close();
  } catch {
    // already closed
  }
  await stop(cs);
  if (status !== 0 && fs.existsSync(logFile)) {
    console.log(
      "--- code-server log (tail) ---\n" +
        fs.readFileSync(logFile, "utf8").slice(-3000),
    );
  }
  if (process.env.KEEP_TMP !== "1") {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
process.exit(status);
