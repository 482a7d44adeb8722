// UI end-to-end test of the platform-specific package out of the box: the
// linux-x64 .vsix built by `deno task dist` is installed into a fresh
// code-server profile whose PATH holds neither `tlsprobe` nor `deno`, with no
// tlsprobe.path in user settings, and opened on a workspace in Restricted
// Mode whose own settings point tlsprobe.path at a program of the workspace.
// A probe from the panel's form must be answered by the bundled CLI, never by
// the workspace's program; lint must keep working in Restricted Mode.
//
// Usage: node e2e_bundled.mjs <path-to-linux-x64.vsix>   (run_all.sh sets the environment)
// Prints `PASS name` / `FAIL name: why` lines; writes counts to $TLSPROBE_E2E_BUNDLED_RESULT.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  freePort,
  launchChromium,
  log,
  prepare,
  startCodeServer,
  startTlsServer,
  stop,
  tools,
} from "./code_server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../..");
const vsix = path.resolve(process.argv[2] ?? "");
const outDir = path.resolve(process.env.TLSPROBE_TEST_OUTPUT ?? path.join(repo, "test-output"));
fs.mkdirSync(outDir, { recursive: true });

const results = [];
let page;
async function check(name, f) {
  try {
    await f();
    results.push(true);
    console.log(`PASS ${name}`);
  } catch (e) {
    results.push(false);
    console.log(`FAIL ${name}: ${e instanceof Error ? e.message : e}`);
    await page?.screenshot({ path: path.join(outDir, `e2e-bundled-fail-${results.length}.png`) })
      .catch(() => {});
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** PATH without any folder that holds `deno` or `tlsprobe`. */
function pathWithout(names) {
  return (process.env.PATH ?? "").split(path.delimiter).filter((d) =>
    d && !names.some((n) => fs.existsSync(path.join(d, n)))
  ).join(path.delimiter);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tlsprobe-e2e-bundled-"));
const ws = path.join(tmp, "workspace");
fs.mkdirSync(path.join(ws, ".vscode"), { recursive: true });
const marker = path.join(tmp, "workspace-program-ran");
const evil = path.join(ws, "evil-tlsprobe");
fs.writeFileSync(evil, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, { mode: 0o755 });
fs.writeFileSync(
  path.join(ws, ".vscode", "settings.json"),
  JSON.stringify({ "tlsprobe.path": evil }, null, 2),
);
fs.writeFileSync(
  path.join(ws, "server.py"),
  "import ssl\n\nctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\n" +
    "ctx.verify_mode = ssl.CERT_NONE\n",
);

let server;
let cs;
let browser;
try {
  assert(fs.existsSync(vsix), `no package at ${vsix}: run deno task dist --target linux-x64`);
  server = await startTlsServer(repo);
  const port = await freePort();
  const baseArgs = prepare(tmp, port, {
    "tlsprobe.caFile": path.join(repo, "certs/ca.crt"),
    "tlsprobe.timeout": 60000,
    "security.workspace.trust.enabled": true,
    "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.emptyWindow": false,
  });
  const { node, entry } = tools();
  log("installing", vsix);
  execFileSync(node, [entry, ...baseArgs, "--install-extension", vsix, "--force"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const cleanPath = pathWithout(["deno", "tlsprobe"]);
  cs = await startCodeServer({
    port,
    baseArgs,
    extraArgs: [ws],
    logFile: path.join(tmp, "code-server.log"),
    envExtra: { PATH: cleanPath },
    trust: true,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`, {
    waitUntil: "domcontentloaded",
    timeout: 120_000,
  });
  const input = page.locator(".quick-input-widget input");

  await check("the workspace opens in Restricted Mode with the extension's view", async () => {
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    await page.locator(".statusbar-item", { hasText: "Restricted Mode" }).first().waitFor({
      timeout: 30_000,
    });
    await page.locator('.activitybar [aria-label^="TLS"]').first().waitFor({ timeout: 60_000 });
  });

  await check(
    "a probe from the panel is answered by the bundled CLI (no tlsprobe, no deno on PATH), " +
      "never by the workspace's tlsprobe.path",
    async () => {
      await page.locator('.activitybar [aria-label^="TLS"]').first().click();
      const frame = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
      const target = frame.locator("#target");
      await target.waitFor({ timeout: 30_000 });
      await target.fill(`localhost:${server.port}`);
      await target.press("Enter");
      const version = (await frame.locator("#r-version").textContent({ timeout: 90_000 }))?.trim();
      const cipher = (await frame.locator("#r-cipher").textContent())?.trim();
      const cli = (await frame.locator("#r-cli").textContent())?.trim();
      const trust = (await frame.locator("#r-trust").textContent())?.trim();
      log("panel shows", version, cipher, cli, trust);
      assert(version === "TLSv1.3", `version ${version}`);
      assert(/^TLS_/.test(cipher ?? ""), `cipher ${cipher}`);
      assert(/^bundled tlsprobe \d+\.\d+\.\d+/.test(cli ?? ""), `answered by ${cli}`);
      assert(/^verified/.test(trust ?? ""), `trust ${trust}`);
      assert(!fs.existsSync(marker), "the workspace's own tlsprobe.path program ran");
      await page.screenshot({ path: path.join(outDir, "e2e-bundled-panel.png") });
    },
  );

  await check("TLS lint still marks ssl.CERT_NONE in Restricted Mode", async () => {
    await page.keyboard.press("Control+P");
    await input.waitFor({ state: "visible" });
    await input.fill("server.py");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "server.py" }).first()
      .waitFor();
    await page.keyboard.press("Enter");
    await page.locator(".monaco-editor .squiggly-error").first().waitFor({ timeout: 20_000 });
  });
} catch (e) {
  results.push(false);
  console.log(`FAIL harness: ${e instanceof Error ? e.stack : e}`);
} finally {
  await browser?.close().catch(() => {});
  await stop(cs);
  await stop(server?.child);
  if (process.env.KEEP_TMP !== "1") fs.rmSync(tmp, { recursive: true, force: true });
}
const passed = results.filter(Boolean).length;
const failed = results.length - passed;
if (process.env.TLSPROBE_E2E_BUNDLED_RESULT) {
  fs.writeFileSync(process.env.TLSPROBE_E2E_BUNDLED_RESULT, JSON.stringify({ passed, failed }));
}
log(`e2e (bundled): ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
