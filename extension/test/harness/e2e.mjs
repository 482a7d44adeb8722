// UI end-to-end test of the packaged extension: installs the .vsix into a
// fresh code-server, runs "TLS: Probe Endpoint…" from the command palette
// against a local `tlsprobe serve`, reads the negotiated version and cipher
// from the webview's DOM (compared with the CLI's own report), checks the
// cipher-string hover against `openssl ciphers -v`, and saves screenshots.
//
// Usage: node e2e.mjs <path-to-vsix>   (run_all.sh sets the environment)
// Prints one `PASS name` / `FAIL name: why` line per check, then writes the
// counts to $TLSPROBE_E2E_RESULT.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
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
const vsix = path.resolve(
  process.argv[2] ?? path.join(repo, "extension/out/tlsprobe.vsix"),
);
const outDir = path.resolve(
  process.env.TLSPROBE_TEST_OUTPUT ?? path.join(repo, "test-output"),
);
fs.mkdirSync(outDir, { recursive: true });

const results = [];
async function check(name, f) {
  try {
    await f();
    results.push({ name, ok: true });
    console.log(`PASS ${name}`);
    return true;
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e instanceof Error ? e.message : e}`);
    const shot = path.join(outDir, `e2e-fail-${results.length}.png`);
    await currentPage?.screenshot({ path: shot }).catch(() => {});
    console.log(`  screenshot of the failure: ${shot}`);
    return false;
  }
}
async function debugShot(name) {
  if (process.env.E2E_DEBUG) {
    await currentPage?.screenshot({
      path: path.join(outDir, `debug-${name}.png`),
    });
  }
}
/** PIDs of live processes whose command line mentions `needle` (Linux /proc). */
function processesWith(needle) {
  const pids = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, "utf8");
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      if (cmd.includes(needle) && stat[stat.lastIndexOf(")") + 2] !== "Z") pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tlsprobe-e2e-"));
// The installed extension runs the CLI through this wrapper (tlsprobe.path).
const bin = path.join(tmp, "bin");
fs.mkdirSync(bin);
fs.writeFileSync(
  path.join(bin, "tlsprobe"),
  `#!/bin/sh\nexec deno run --quiet -A --env-file='${repo}/cli/runtime.env' --config '${repo}/deno.json' '${repo}/cli/main.ts' "$@"\n`,
  { mode: 0o755 },
);
const ws = path.join(tmp, "workspace");
fs.mkdirSync(ws);
fs.writeFileSync(
  path.join(ws, "server.py"),
  "import ssl\n\nctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\n" +
    "ctx.set_ciphers('ECDH+AES128')\n" +
    "ctx.verify_mode = ssl.CERT_NONE\n",
);

let server;
let cs;
let currentPage;
let browser;
try {
  server = await startTlsServer(repo);
  const port = await freePort();
  const baseArgs = prepare(tmp, port, {
    "tlsprobe.caFile": path.join(repo, "certs/ca.crt"),
    // code-server gives the extension host a PATH resolved from the login
    // shell, not ours: name the CLI by the setting (a wrapper running the
    // repository's CLI). The PATH and repository routes are covered by
    // tests/extension/cli_client_test.ts and the integration tests.
    "tlsprobe.path": path.join(bin, "tlsprobe"),
    "tlsprobe.timeout": 30000,
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
  cs = await startCodeServer({
    port,
    baseArgs,
    extraArgs: [ws],
    logFile: path.join(tmp, "code-server.log"),
  });
  browser = await launchChromium();
  const page = await browser.newPage({
    viewport: { width: 1400, height: 860 },
  });
  currentPage = page;
  page.on("pageerror", (e) => log("[pageerror]", e.message));
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  const input = page.locator(".quick-input-widget input");

  await check(
    "the installed extension shows its TLS view container",
    async () => {
      await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
      await page.locator('.activitybar [aria-label^="TLS"]').first().waitFor({
        timeout: 60_000,
      });
    },
  );

  // The CLI's own report, to compare the panel with.
  const cliReport = JSON.parse(
    execFileSync(path.join(bin, "tlsprobe"), [
      "probe",
      `localhost:${server.port}`,
      "--cafile",
      path.join(repo, "certs/ca.crt"),
      "--json",
    ], { encoding: "utf8" }),
  );

  await check(
    "TLS: Probe Endpoint… from the palette shows version and cipher in the panel",
    async () => {
      await page.locator(".monaco-workbench").click({
        position: { x: 700, y: 400 },
      }).catch(
        () => {},
      );
      await page.keyboard.press("F1");
      await input.waitFor({ state: "visible" });
      await input.fill(">TLS: Probe Endpoint");
      await page.locator(".quick-input-list .monaco-list-row", {
        hasText: "Probe Endpoint",
      })
        .first()
        .waitFor();
      await page.keyboard.press("Enter");
      // Our input box: host:port.
      await page.locator(".quick-input-widget", { hasText: "host:port" })
        .waitFor({
          timeout: 10_000,
        });
      await input.fill(`localhost:${server.port}`);
      await debugShot("1-target");
      await page.keyboard.press("Enter");
      await page.waitForTimeout(3000);
      await debugShot("2-after-enter");
      const frame = page.frameLocator("iframe.webview.ready").frameLocator(
        "#active-frame",
      );
      const version = (await frame.locator("#r-version").textContent({ timeout: 60_000 }))
        ?.trim();
      const cipher = (await frame.locator("#r-cipher").textContent({ timeout: 5_000 }))
        ?.trim();
      log("panel shows", version, cipher);
      assert(
        cliReport.outcome === "ok",
        `the CLI's own probe failed: ${JSON.stringify(cliReport.error)}`,
      );
      assert(
        version === cliReport.handshake.version,
        `version ${version} != CLI ${cliReport.handshake.version}`,
      );
      assert(
        cipher === cliReport.handshake.cipher.iana,
        `cipher ${cipher} != CLI ${cliReport.handshake.cipher.iana}`,
      );
      await page.screenshot({ path: path.join(outDir, "e2e-panel.png") });
    },
  );

  await check(
    "the panel's form probes from the keyboard and its history reopens an earlier probe",
    async () => {
      const frame = page.frameLocator("iframe.webview.ready").frameLocator(
        "#active-frame",
      );
      const closed = await freePort();
      const target = frame.locator("#target");
      await target.fill(`127.0.0.1:${closed}`);
      await target.press("Enter"); // submits the form
      const error = frame.locator("#error");
      await error.waitFor({ timeout: 60_000 });
      const text = (await error.textContent()) ?? "";
      assert(text.startsWith("CONNECTION_REFUSED"), `error shown: ${text}`);
      const items = frame.locator("button.history-item");
      assert((await items.count()) === 2, "the history lists both probes");
      const earlier = items.nth(1);
      await earlier.focus();
      await page.keyboard.press("Enter");
      await frame.locator("#r-version").waitFor({ timeout: 10_000 });
      assert(
        (await frame.locator("button.history-item").nth(1).getAttribute(
          "aria-current",
        )) === "true",
        "the reopened probe is not marked current",
      );
    },
  );

  await check(
    "Cancel on the progress notification stops a stalled probe and kills the CLI",
    async () => {
      // A TCP server that accepts and never answers: the probe waits for a ServerHello.
      const stall = net.createServer(() => {}).listen(0, "127.0.0.1");
      await new Promise((r) => stall.once("listening", r));
      const stallTarget = `127.0.0.1:${stall.address().port}`;
      try {
        const before = await page.frameLocator("iframe.webview.ready").frameLocator("#active-frame")
          .locator("button.history-item").count();
        await page.keyboard.press("F1");
        await input.waitFor({ state: "visible" });
        await input.fill(">TLS: Probe Endpoint");
        await page.locator(".quick-input-list .monaco-list-row", { hasText: "Probe Endpoint" })
          .first().waitFor();
        await page.keyboard.press("Enter");
        await page.locator(".quick-input-widget", { hasText: "host:port" }).waitFor();
        await input.fill(stallTarget);
        await page.keyboard.press("Enter");
        const toast = page.locator(".notifications-toasts .notification-toast", {
          hasText: `probing ${stallTarget}`,
        });
        await toast.waitFor({ timeout: 15_000 });
        // The CLI is running now (deno … probe <target>).
        let pids = [];
        for (let i = 0; i < 100 && pids.length === 0; i++) {
          pids = processesWith(stallTarget);
          if (pids.length === 0) await page.waitForTimeout(100);
        }
        assert(pids.length > 0, "no CLI process for the probe was found");
        await toast.hover();
        await toast.locator(".monaco-button, a.monaco-button", { hasText: "Cancel" }).first()
          .click();
        await toast.waitFor({ state: "detached", timeout: 10_000 });
        for (let i = 0; i < 50 && processesWith(stallTarget).length > 0; i++) {
          await page.waitForTimeout(100);
        }
        assert(processesWith(stallTarget).length === 0, "the CLI still runs after Cancel");
        const frame = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
        await frame.locator("#running").waitFor({ state: "detached", timeout: 5_000 });
        const after = await frame.locator("button.history-item").count();
        assert(
          after === before,
          `a cancelled probe was added to the history (${before} -> ${after})`,
        );
      } finally {
        stall.close();
      }
    },
  );

  await check(
    "the hover on ECDH+AES128 lists what openssl ciphers -v lists",
    async () => {
      await page.keyboard.press("Escape");
      await page.keyboard.press("Control+P");
      await input.waitFor({ state: "visible" });
      await input.fill("server.py");
      await page.locator(".quick-input-list .monaco-list-row", {
        hasText: "server.py",
      }).first()
        .waitFor();
      await page.keyboard.press("Enter");
      // The token span of the string literal (innermost span holding it).
      const word = page.locator(
        ".monaco-editor .view-lines .view-line span span",
        {
          hasText: "ECDH+AES128",
        },
      ).last();
      await word.waitFor({ timeout: 20_000 });
      const expected = execFileSync("openssl", ["ciphers", "ECDH+AES128"], {
        encoding: "utf8",
      })
        .trim().split(":");
      const hover = page.locator(
        ".monaco-hover-content, .monaco-hover .hover-contents",
        {
          hasText: "cipher string",
        },
      ).first();
      // Point at the string; if the pointer hover does not show, put the
      // cursor in the string (Go to Line 4:22) and ask for the hover from the
      // keyboard (editor.action.showHover, Ctrl+K Ctrl+I).
      const box = await word.boundingBox();
      if (box?.width) {
        await page.mouse.move(
          box.x + box.width / 2 - 3,
          box.y + box.height / 2,
        );
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      }
      try {
        await hover.waitFor({ timeout: 4_000 });
      } catch {
        await page.keyboard.press("Control+G");
        await input.waitFor({ state: "visible" });
        await input.fill(":4:22");
        await page.keyboard.press("Enter");
        await page.keyboard.press("Control+K");
        await page.keyboard.press("Control+I");
        await hover.waitFor({ timeout: 10_000 });
      }
      const text = (await hover.textContent({ timeout: 5_000 })) ?? "";
      for (const name of expected) {
        assert(text.includes(name), `hover lacks ${name}`);
      }
      assert(
        text.includes(`${expected.length} suites`),
        "hover count differs from openssl",
      );
      await page.waitForTimeout(500); // let the hover finish fading in
      await page.screenshot({ path: path.join(outDir, "e2e-hover.png") });
    },
  );

  await check(
    "TLS lint marks ssl.CERT_NONE with an error squiggle and a problem",
    async () => {
      await page.locator(".monaco-editor .squiggly-error").first().waitFor({
        timeout: 15_000,
      });
      // The Problems view (Ctrl+Shift+M) names the rule.
      await page.keyboard.press("Control+Shift+M");
      const row = page.locator(".markers-panel .monaco-list-row", {
        hasText: "py-cert-none",
      });
      await row.first().waitFor({ timeout: 10_000 });
      const text = (await row.first().textContent()) ?? "";
      assert(
        /CERT_NONE accepts any certificate/.test(text),
        `problem row: ${text}`,
      );
      await page.screenshot({ path: path.join(outDir, "e2e-problems.png") });
    },
  );
} catch (e) {
  results.push({ name: "harness", ok: false });
  console.log(`FAIL harness: ${e instanceof Error ? e.stack : e}`);
} finally {
  try {
    await browser?.close();
  } catch {
    // closed
  }
  await stop(cs);
  await stop(server?.child);
  if (process.env.KEEP_TMP !== "1") {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
if (process.env.TLSPROBE_E2E_RESULT) {
  fs.writeFileSync(
    process.env.TLSPROBE_E2E_RESULT,
    JSON.stringify({ passed, failed }),
  );
}
log(`e2e: ${passed} passed, ${failed} failed; screenshots in ${outDir}`);
process.exit(failed === 0 ? 0 : 1);
