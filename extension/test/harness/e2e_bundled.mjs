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
  cancelInView,
  checkContrast,
  checker,
  freePort,
  historyRows,
  launchChromium,
  log,
  menuPick,
  outputChannelRuns,
  prepare,
  retryWithCaFile,
  setColorTheme,
  startCodeServer,
  startTlsServer,
  stop,
  tools,
} from "./code_server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../..");
const vsix = path.resolve(process.argv[2] ?? "");
const outDir = path.resolve(
  process.env.TLSPROBE_TEST_OUTPUT ?? path.join(repo, "test-output"),
);
fs.mkdirSync(outDir, { recursive: true });

let page;
const checks = checker(outDir, "e2e-bundled", () => page);
const { check, results } = checks;
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
fs.writeFileSync(evil, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`, {
  mode: 0o755,
});
fs.writeFileSync(
  path.join(ws, ".vscode", "settings.json"),
  JSON.stringify({ "tlsprobe.path": evil }, null, 2),
);
fs.writeFileSync(
  path.join(ws, "server.py"),
  "import ssl\n\nctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\n" +
    "ctx.verify_mode = ssl.CERT_NONE\n",
);

fs.writeFileSync(
  path.join(ws, "data.json"),
  JSON.stringify({ name: "unrelated", items: [1, 2, 3] }, null, 2),
);

/** The extension host's log lines that say an extension was activated. */
function activations(id) {
  const logs = path.join(tmp, "user-data", "logs");
  const lines = [];
  for (const f of fs.readdirSync(logs, { recursive: true })) {
    if (!String(f).endsWith("exthost.log")) continue;
    for (
      const l of fs.readFileSync(path.join(logs, String(f)), "utf8").split("\n")
    ) {
      if (l.includes(`_doActivateExtension ${id},`)) lines.push(l);
    }
  }
  return lines;
}

let server;
let cs;
let browser;
try {
  assert(
    fs.existsSync(vsix),
    `no package at ${vsix}: run deno task dist --target linux-x64`,
  );
  server = await startTlsServer(repo);
  const port = await freePort();
  const baseArgs = prepare(tmp, port, {
    "tlsprobe.timeout": 60000,
    "workbench.colorTheme": "Default Dark Modern",
    "security.workspace.trust.enabled": true,
    "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.emptyWindow": false,
  });
  const { node, entry } = tools();
  log("installing", vsix);
  execFileSync(node, [
    entry,
    ...baseArgs,
    "--install-extension",
    vsix,
    "--force",
  ], {
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
  await page.goto(
    `http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`,
    {
      waitUntil: "domcontentloaded",
      timeout: 120_000,
    },
  );
  const input = page.locator(".quick-input-widget input");

  await check(
    "the workspace opens in Restricted Mode with the extension's view",
    async () => {
      await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
      await page.locator(".statusbar-item", { hasText: "Restricted Mode" })
        .first().waitFor({
          timeout: 120_000,
        });
      await page.locator('.activitybar [aria-label^="TLS"]').first().waitFor({
        timeout: 60_000,
      });
    },
  );

  await check(
    "opening an unrelated JSON file does not activate the extension",
    async () => {
      await page.keyboard.press("Control+P");
      await input.waitFor({ state: "visible" });
      await input.fill("data.json");
      await page.locator(".quick-input-list .monaco-list-row", {
        hasText: "data.json",
      }).first()
        .waitFor();
      await page.keyboard.press("Enter");
      await page.locator(".monaco-editor .view-lines", { hasText: "unrelated" })
        .first().waitFor({
          timeout: 30_000,
        });
      // The JSON language features activate for the file; tlsprobe must not.
      for (
        let i = 0;
        i < 300 && activations("vscode.json-language-features").length === 0;
        i++
      ) {
        await page.waitForTimeout(100);
      }
      assert(
        activations("vscode.json-language-features").length > 0,
        "the JSON file never opened",
      );
      await page.waitForTimeout(3000);
      const ours = activations("tlsprobe.tlsprobe");
      assert(ours.length === 0, `activated: ${ours.join(" | ")}`);
    },
  );

  await check(
    "a trust failure shows the CLI's advice; Retry with a CA file… is answered by the bundled CLI " +
      "(no tlsprobe, no deno on PATH), " +
      "never by the workspace's tlsprobe.path",
    async () => {
      await page.locator('.activitybar [aria-label^="TLS"]').first().click();
      const frame = page.frameLocator("iframe.webview.ready").frameLocator(
        "#active-frame",
      );
      const target = frame.locator("#target");
      await target.waitFor({ timeout: 30_000 });
      await target.fill(`localhost:${server.port}`);
      await target.press("Enter");
      // No CA given: the server's private CA is unknown, and the panel says so as a failure,
      // with the CLI's advice and a one-click retry.
      const error = frame.locator("#error");
      await error.waitFor({ timeout: 90_000 });
      const advice = (await error.textContent()) ?? "";
      assert(/^CERT_UNKNOWN_ISSUER .*Retry with a CA file/.test(advice), `error shown: ${advice}`);
      assert(
        (await historyRows(page).first().locator(".codicon-error").count()) === 1,
        "the failed probe is not marked failed in the History tree",
      );
      await page.screenshot({ path: path.join(outDir, "e2e-bundled-trust-failure.png") });
      await retryWithCaFile(page, frame, path.join(repo, "certs", "ca.crt"));
      await frame.locator("#error").waitFor({ state: "detached", timeout: 90_000 });
      const version = (await frame.locator("#r-version").textContent({ timeout: 90_000 }))
        ?.trim();
      const cipher = (await frame.locator("#r-cipher").textContent())?.trim();
      const cli = (await frame.locator("#r-cli").textContent())?.trim();
      const trust = (await frame.locator("#r-trust").textContent())?.trim();
      log("panel shows", version, cipher, cli, trust);
      assert(version === "TLSv1.3", `version ${version}`);
      assert(/^TLS_/.test(cipher ?? ""), `cipher ${cipher}`);
      assert(
        /^bundled tlsprobe \d+\.\d+\.\d+/.test(cli ?? ""),
        `answered by ${cli}`,
      );
      assert(/^verified/.test(trust ?? ""), `trust ${trust}`);
      assert(
        !fs.existsSync(marker),
        "the workspace's own tlsprobe.path program ran",
      );
      await page.screenshot({
        path: path.join(outDir, "e2e-bundled-panel-dark.png"),
      });
    },
  );

  await check(
    "Dark Modern: Cancel inside the view stops a stalled probe and the panel says cancelled",
    async () => {
      const frame = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
      await cancelInView(page, frame);
    },
  );

  await check(
    "Dark Modern: Run Again from the History tree's context menu, answered by the bundled CLI",
    async () => {
      const frame = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
      const rows = historyRows(page);
      const before = await rows.count();
      const verified = rows.filter({ has: page.locator(".codicon-pass") }).first();
      await menuPick(page, verified, "Run Again");
      for (let i = 0; i < 900 && (await rows.count()) === before; i++) {
        await page.waitForTimeout(100);
      }
      assert((await rows.count()) === before + 1, "the re-probe was not added to the history");
      assert((await rows.first().locator(".codicon-pass").count()) === 1, "the re-probe failed");
      const trust = (await frame.locator("#r-trust").textContent({ timeout: 30_000 }))?.trim();
      const cli = (await frame.locator("#r-cli").textContent())?.trim();
      assert(/^verified/.test(trust ?? ""), `trust ${trust}`);
      assert(/^bundled tlsprobe/.test(cli ?? ""), `answered by ${cli}`);
    },
  );

  await check(
    "every text colour in the panel has AA contrast (4.5:1) in Dark and Light",
    async () => {
      const frame = page.frameLocator("iframe.webview.ready").frameLocator(
        "#active-frame",
      );
      await page.keyboard.press("Escape"); // nothing left open from an earlier check
      // A failed probe too, so the error styles are measured.
      const closed = await freePort();
      await frame.locator("#target").fill(`127.0.0.1:${closed}`);
      await frame.locator("#target").press("Enter");
      await frame.locator("#error").waitFor({ timeout: 90_000 });
      await checkContrast(frame, "Dark Modern");
      // Back to the successful probe (history), then switch the theme in user settings. The
      // pointer may rest on the tree, where the new row's tooltip would cover the next click:
      // move it away and let the hover close first.
      await page.mouse.move(900, 300);
      await page.locator(".context-view .hover-contents").waitFor({
        state: "hidden",
        timeout: 5_000,
      }).catch(() => {});
      await historyRows(page).nth(1).click();
      await frame.locator("#r-version").waitFor();
      await setColorTheme(page, frame, "Light Modern");
      await checkContrast(frame, "Light Modern");
      await page.screenshot({
        path: path.join(outDir, "e2e-bundled-panel-light.png"),
      });
      await historyRows(page).nth(0).click();
      await frame.locator("#error").waitFor();
      await checkContrast(frame, "Light Modern (error)");
    },
  );

  await check(
    "the tlsprobe output channel logs each CLI run with exit status and time",
    () => {
      const { runs, text } = outputChannelRuns(tmp);
      assert(runs.length >= 3, `${runs.length} probe runs logged:\n${text.slice(0, 2000)}`);
      assert(runs.some((l) => /\[warning\].*→ exit 1 in \d+ ms \(bundled\)/.test(l)), "no exit 1");
      assert(runs.some((l) => /\[info\].*→ exit 0 in \d+ ms \(bundled\)/.test(l)), "no exit 0");
    },
  );

  await check(
    "TLS lint still marks ssl.CERT_NONE in Restricted Mode",
    async () => {
      await page.keyboard.press("Control+P");
      await input.waitFor({ state: "visible" });
      await input.fill("server.py");
      await page.locator(".quick-input-list .monaco-list-row", {
        hasText: "server.py",
      }).first()
        .waitFor();
      await page.keyboard.press("Enter");
      await page.locator(".monaco-editor .squiggly-error").first().waitFor({
        timeout: 20_000,
      });
    },
  );
} catch (e) {
  results.push(false);
  console.log(`FAIL harness: ${e instanceof Error ? e.stack : e}`);
} finally {
  await browser?.close().catch(() => {});
  await stop(cs);
  await stop(server?.child);
  if (process.env.KEEP_TMP !== "1") {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
process.exit(checks.write("TLSPROBE_E2E_BUNDLED_RESULT") === 0 ? 0 : 1);
