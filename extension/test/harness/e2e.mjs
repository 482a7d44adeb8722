// UI end-to-end test of the packaged extension: installs the .vsix into a
// fresh code-server (Light Modern; e2e_bundled.mjs runs in Dark Modern), runs
// "TLS: Probe Endpoint…" from the command palette and its keybinding against a
// local `tlsprobe serve`, reads the negotiated version and cipher from the
// webview's DOM (compared with the CLI's own report), checks the form's inline
// validation, the History tree (reopen, re-probe, copy as command line), Cancel
// from inside the view against a stalled server, a weak-suite openssl s_server
// (findings styled by severity), contrast in Light, Dark and both High Contrast
// themes, the output channel's lines, the status-bar item, the cipher-string
// hover against `openssl ciphers -v`, lint, and saves screenshots.
//
// Usage: node e2e.mjs <path-to-vsix>   (run_all.sh sets the environment)
// Prints one `PASS name` / `FAIL name: why` line per check, then writes the
// counts to $TLSPROBE_E2E_RESULT.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  cancelInView,
  checkContrast,
  cliWrapper,
  freePort,
  historyRows,
  log,
  menuPick,
  openWorkbench,
  outputChannelRuns,
  retryWithCaFile,
  setColorTheme,
  startOpensslServer,
  startTlsServer,
  stop,
  waitForPort,
} from "./code_server.mjs";
import {
  cancelScan,
  scanFromHistory,
  scanInTheme,
  scanKnownServer,
  scanSilentTimesOut,
  scanTableFitsNarrow,
  startScanServer,
} from "./scan_steps.mjs";

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
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tlsprobe-e2e-"));
// The installed extension runs the CLI through this wrapper (tlsprobe.path).
const tlsprobeBin = cliWrapper(tmp, repo);
const ws = path.join(tmp, "workspace");
fs.mkdirSync(ws);
fs.writeFileSync(path.join(ws, "notes.md"), "# Shopping\n\n- bread\n- milk\n");
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
  let page;
  ({ cs, browser, page } = await openWorkbench({
    tmp,
    vsix,
    ws,
    settings: {
      "tlsprobe.caFile": path.join(repo, "certs/ca.crt"),
      // code-server gives the extension host a PATH resolved from the login
      // shell, not ours: name the CLI by the setting (a wrapper running the
      // repository's CLI). The PATH and repository routes are covered by
      // tests/extension/cli_client_test.ts and the integration tests.
      "tlsprobe.path": tlsprobeBin,
      "tlsprobe.timeout": 30000,
      "workbench.colorTheme": "Default Light Modern",
    },
    viewport: { width: 1400, height: 860 },
  }));
  currentPage = page;
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
    execFileSync(tlsprobeBin, [
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
      // Our input box: host:port. The first command activates the extension, which on a
      // loaded machine (load 15–20) has taken over 10 s.
      await page.locator(".quick-input-widget", { hasText: "host:port" })
        .waitFor({
          timeout: 60_000,
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

  const frame = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
  // The History tree view (below the panel, same container).
  const rows = historyRows(page);
  const historyPane = page.locator(".pane", {
    has: page.locator(".pane-header", { hasText: /^\s*History/ }),
  });
  // Notifications the extension would show (any naming a probe target or tlsprobe).
  const toasts = page.locator(".notifications-toasts .notification-toast", {
    hasText: /127\.0\.0\.1|localhost|tlsprobe|host:port/,
  });

  await check(
    "Ctrl+Alt+P opens TLS: Probe Endpoint…",
    async () => {
      await page.locator(".monaco-workbench").click({ position: { x: 700, y: 400 } })
        .catch(() => {});
      await page.keyboard.press("Control+Alt+P");
      await page.locator(".quick-input-widget", { hasText: "host:port" }).waitFor({
        timeout: 10_000,
      });
      await page.keyboard.press("Escape");
    },
  );

  await check(
    "a typo in the target is answered next to the field: no probe, no history entry, no notification",
    async () => {
      await rows.first().waitFor({ timeout: 10_000 });
      const before = await rows.count();
      const target = frame.locator("#target");
      await target.fill("localhost:99999");
      await target.press("Enter");
      const msg = frame.locator("#target-error");
      await msg.waitFor({ state: "visible", timeout: 10_000 });
      const text = (await msg.textContent()) ?? "";
      assert(/^Not a host:port: localhost:99999\./.test(text), `message: ${text}`);
      assert((await target.getAttribute("aria-invalid")) === "true", "aria-invalid not set");
      assert(
        (await target.getAttribute("aria-describedby")) === "target-error",
        "the message is not the field's description",
      );
      await page.waitForTimeout(1500); // a probe, had one started, would show by now
      assert((await frame.locator("#running").count()) === 0, "a probe started");
      assert((await rows.count()) === before, "the typo went into the history");
      assert((await toasts.count()) === 0, "a notification was shown for a typo");
      await target.fill("x"); // typing clears the message
      await msg.waitFor({ state: "hidden", timeout: 5_000 });
      assert((await target.getAttribute("aria-invalid")) === null, "aria-invalid stays");
    },
  );

  await check(
    "the panel's form probes from the keyboard; the History tree marks the failure and reopens an earlier probe",
    async () => {
      const closed = await freePort();
      const target = frame.locator("#target");
      await target.fill(`127.0.0.1:${closed}`);
      await target.press("Enter"); // submits the form
      const error = frame.locator("#error");
      await error.waitFor({ timeout: 60_000 });
      const text = (await error.textContent()) ?? "";
      assert(text.startsWith("CONNECTION_REFUSED"), `error shown: ${text}`);
      await rows.nth(1).waitFor({ timeout: 10_000 });
      assert((await rows.count()) === 2, `the tree lists ${await rows.count()} probes, not 2`);
      const failed = rows.filter({ hasText: `127.0.0.1:${closed}` });
      assert((await failed.locator(".codicon-error").count()) === 1, "no error codicon");
      const earlier = rows.filter({ hasText: `localhost:${server.port}` });
      assert((await earlier.locator(".codicon-pass").count()) === 1, "no pass codicon");
      assert((await toasts.count()) === 0, "a notification was shown while the view is visible");
      await earlier.click();
      await frame.locator("#r-version").waitFor({ timeout: 10_000 });
      assert(
        ((await frame.locator("#result-target").textContent()) ?? "").startsWith(
          `localhost:${server.port}`,
        ),
        "the panel does not show the reopened probe",
      );
    },
  );

  await check(
    "Cancel inside the view stops a stalled probe promptly, kills the CLI, and the panel says cancelled",
    async () => {
      await cancelInView(page, frame);
    },
  );

  await check(
    "a probe that fails while the panel is hidden gets a notification with Show Output, Open Settings and Retry",
    async () => {
      // Accepts, waits 4 s, then closes: the probe fails after the panel was hidden.
      const closer = net.createServer((c) => setTimeout(() => c.destroy(), 4000)).listen(
        0,
        "127.0.0.1",
      );
      await new Promise((r) => closer.once("listening", r));
      const closerTarget = `127.0.0.1:${closer.address().port}`;
      const tls = page.locator('.activitybar [aria-label^="TLS"]').first();
      try {
        await frame.locator("#target").fill(closerTarget);
        await frame.locator("#target").press("Enter");
        await frame.locator("#cancel-probe").waitFor({ timeout: 15_000 });
        await tls.click(); // the active container's icon hides the side bar
        await frame.locator("#target").waitFor({ state: "hidden", timeout: 10_000 });
        const toast = page.locator(".notifications-toasts .notification-toast", {
          hasText: closerTarget,
        });
        await toast.waitFor({ timeout: 60_000 });
        const text = ((await toast.locator(".notification-list-item-message").textContent()) ?? "")
          .trim();
        log("notification:", text);
        assert(!text.includes("`"), `literal backticks: ${text}`);
        const buttons = await toast.locator(".monaco-button").allTextContents();
        for (const b of ["Show Output", "Open Settings", "Retry"]) {
          assert(buttons.some((t) => t.trim() === b), `no ${b} action: ${buttons}`);
        }
        await toast.hover();
        await toast.locator(".monaco-button", { hasText: "Show Output" }).first().click();
        await page.locator(".part.panel .monaco-editor .view-lines", { hasText: closerTarget })
          .first().waitFor({ timeout: 15_000 });
        await page.screenshot({ path: path.join(outDir, "e2e-hidden-notification.png") });
        await page.keyboard.press("Control+J"); // close the panel area again
      } finally {
        closer.close();
        if (!(await frame.locator("#target").isVisible().catch(() => false))) await tls.click();
        await frame.locator("#target").waitFor({ timeout: 10_000 });
      }
    },
  );

  await check(
    "the History tree's context menu re-probes an entry and copies it as a command line",
    async () => {
      const before = await rows.count();
      const row = rows.filter({ hasText: `localhost:${server.port}` }).first();
      await menuPick(page, row, "Copy as Command Line");
      const expected = `tlsprobe probe localhost:${server.port} --cafile ${
        path.join(repo, "certs/ca.crt")
      }`;
      // The command confirms a successful clipboard write in the status bar (a failed one
      // would be an error notification); then the page reads the clipboard itself.
      const said = page.locator(".statusbar-item", { hasText: "Copied: tlsprobe probe" });
      await said.first().waitFor({ timeout: 10_000 });
      const text = ((await said.first().textContent()) ?? "").trim();
      assert(text === `Copied: ${expected}`, `status bar: ${text}`);
      const copied = await page.evaluate(() => navigator.clipboard.readText()).catch((e) =>
        `(unreadable: ${e})`
      );
      log("clipboard:", copied);
      assert(copied === expected, `clipboard: ${copied}`);
      await menuPick(page, row, "Run Again");
      for (let i = 0; i < 600 && (await rows.count()) === before; i++) {
        await page.waitForTimeout(100);
      }
      assert((await rows.count()) === before + 1, "the re-probe was not added to the history");
      const version = (await frame.locator("#r-version").textContent({ timeout: 30_000 }))?.trim();
      assert(version === cliReport.handshake.version, `re-probe shows ${version}`);
      assert(
        ((await rows.first().textContent()) ?? "").includes(`localhost:${server.port}`),
        "the re-probe is not the newest row",
      );
      await page.screenshot({ path: path.join(outDir, "e2e-history-tree.png") });
    },
  );

  // The Scan view (scan_steps.mjs), before the weak-suite probe: the status-bar check expects
  // that probe to be the last entry.
  const scanServer = await startScanServer(repo);
  await check(
    "Scan from the panel: the version × suite table in the server's order, the weak suite and its finding coloured by severity, progress to 100 %, a scan row in History",
    async () => {
      const ms = await scanKnownServer(page, frame, rows, scanServer);
      await page.screenshot({ path: path.join(outDir, "e2e-scan-light.png") });
      log(`scan from the panel: ${ms} ms`);
    },
  );
  await check(
    "in a narrow side bar (250 px) the scan's suites table keeps every column in view: names wrap after - and _",
    async () => {
      const m = await scanTableFitsNarrow(frame, 250);
      log(
        `narrow scan table: side bar ${m.sideBar} px, table ${m.tableWidth} px in ${m.boxWidth} px`,
      );
    },
  );
  await check(
    "the History tree copies a scan as a tlsprobe scan command line and re-scans it",
    () => scanFromHistory(page, frame, rows, scanServer, path.join(repo, "certs/ca.crt")),
  );
  await check(
    "Cancel inside the view stops a scan of a silent server, kills the CLI, and the panel says cancelled",
    () => cancelScan(page, frame),
  );
  await check(
    "a scan of a listener that never answers ends with TIMEOUT in the panel within its bound",
    () => scanSilentTimesOut(frame, rows),
  );

  // A server that keeps to one weak suite: RSA key exchange, CBC, SHA-1.
  const { port: weakPort, stop: stopWeak } = await startOpensslServer([
    "-cert",
    path.join(repo, "certs/localhost.crt"),
    "-key",
    path.join(repo, "certs/localhost.key"),
    "-cipher",
    "AES128-SHA:@SECLEVEL=0",
    "-tls1_2",
  ]);
  const setTheme = (label) => setColorTheme(page, frame, label);
  /**
   * Collapses or expands the History pane and waits until it is so: a click
   * toggles, and on a loaded machine a blind second click could land before
   * the first took effect and leave the pane collapsed for every later check.
   */
  const setHistoryExpanded = async (want) => {
    const header = historyPane.locator(".pane-header").first();
    const expanded = async () => (await header.getAttribute("aria-expanded")) === "true";
    for (let attempt = 0; attempt < 5 && (await expanded()) !== want; attempt++) {
      await header.click();
      for (let t = 0; t < 20 && (await expanded()) !== want; t++) await page.waitForTimeout(100);
    }
    assert((await expanded()) === want, `the History pane did not ${want ? "expand" : "collapse"}`);
  };
  /** A screenshot with the History pane collapsed, so the panel shows whole. */
  const panelShot = async (name) => {
    await setHistoryExpanded(false);
    await page.waitForTimeout(400);
    // The findings (a weak suite's point) in view, the table above them.
    if (await frame.locator("#findings").count()) {
      await frame.locator("#findings").evaluate((el) => el.scrollIntoView({ block: "end" }));
      await page.waitForTimeout(200);
    }
    await page.screenshot({ path: path.join(outDir, name) });
    await setHistoryExpanded(true);
    await rows.first().waitFor({ timeout: 10_000 });
  };
  /** Selects a history row, waits for the panel to show it, measures its contrast. */
  const contrastOf = async (rowText, theme, waitFor) => {
    await rows.filter({ hasText: rowText }).first().click();
    await frame.locator(waitFor).waitFor({ timeout: 10_000 });
    await checkContrast(frame, theme);
  };

  // The weak suite's warning finding is styled by severity in the current theme:
  // the severity word in the theme's warning colour and a bar, not the body's colour.
  const severityStyled = async (theme) => {
    const warning = frame.locator("#findings li.finding-warning", {
      hasText: "no forward secrecy",
    });
    assert((await warning.count()) === 1, `${theme}: no warning finding about forward secrecy`);
    const [sevColour, bodyColour, bar] = await warning.evaluate((li) => [
      getComputedStyle(li.querySelector(".sev")).color,
      getComputedStyle(document.body).color,
      getComputedStyle(li).borderLeftColor,
    ]);
    assert(sevColour !== bodyColour, `${theme}: the severity is not coloured (${sevColour})`);
    assert(bar !== bodyColour, `${theme}: no severity bar (${bar})`);
    return [sevColour, bar];
  };

  await check(
    "a weak-suite server (AES128-SHA, TLS 1.2): findings styled by severity, the suite rated weak",
    async () => {
      await waitForPort(weakPort);
      await frame.locator("#target").fill(`localhost:${weakPort}`);
      await frame.locator("#target").press("Enter");
      const findings = frame.locator("#findings li");
      await findings.first().waitFor({ timeout: 60_000 });
      const warning = frame.locator("#findings li.finding-warning", {
        hasText: "no forward secrecy",
      });
      assert((await warning.count()) === 1, "no warning finding about forward secrecy");
      assert(/CBC/.test((await warning.textContent()) ?? ""), "the finding does not name CBC");
      const rating = ((await frame.locator("#r-rating").textContent()) ?? "").trim();
      assert(/^weak/.test(rating), `rating: ${rating}`);
      const [sevColour, bar] = await severityStyled("Light Modern");
      log("weak suite:", rating, "| warning colour", sevColour, "bar", bar);
      // The chain's SHA-256 with its copy button: the clipboard gets openssl's fingerprint.
      const fp = execFileSync("openssl", [
        "x509",
        "-noout",
        "-fingerprint",
        "-sha256",
        "-in",
        path.join(repo, "certs/localhost.crt"),
      ], { encoding: "utf8" }).trim().split("=")[1];
      await frame.locator('button[aria-label="Copy the SHA-256 fingerprint of the leaf"]').click();
      let copied = "";
      for (let i = 0; i < 30 && copied !== fp; i++) {
        await page.waitForTimeout(100);
        copied = await page.evaluate(() => navigator.clipboard.readText()).catch(() => "");
      }
      assert(copied === fp, `copied ${copied}, openssl says ${fp}`);
      await panelShot("e2e-weak-light.png");
    },
  );

  await check(
    "the panel is accessible: every control has a name, no token splits mid-word, tables scroll in their own box",
    async () => {
      const report = await frame.locator("body").evaluate(() => {
        const unnamed = [];
        for (const el of document.querySelectorAll("input, button, select, textarea, progress")) {
          const name = el.getAttribute("aria-label") ||
            (el.labels && [...el.labels].map((l) => l.textContent).join(" ").trim()) ||
            (el.tagName === "BUTTON" ? el.textContent.trim() : "");
          if (!name) unnamed.push(el.outerHTML.slice(0, 80));
        }
        // Each segment between <wbr>s of a cipher name sits on one line.
        const split = [];
        for (const id of ["r-cipher", "r-cipher-openssl", "result-target"]) {
          const el = document.getElementById(id);
          for (const n of el ? el.childNodes : []) {
            if (n.nodeType !== 3 || !n.textContent.trim()) continue;
            const r = document.createRange();
            r.selectNodeContents(n);
            const lines = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
            if (lines.size > 1) split.push(`${id}: ${n.textContent}`);
          }
        }
        const doc = document.scrollingElement;
        return {
          unnamed,
          split,
          overflow: doc.scrollWidth - doc.clientWidth,
          scrollers: [...document.querySelectorAll(".scroll")].map((s) =>
            getComputedStyle(s).overflowX
          ),
        };
      });
      log("a11y:", JSON.stringify(report));
      assert(report.unnamed.length === 0, `controls without a name: ${report.unnamed.join(" | ")}`);
      assert(report.split.length === 0, `split mid-word: ${report.split.join(" | ")}`);
      assert(report.overflow <= 0, `the panel scrolls sideways by ${report.overflow}px`);
      assert(
        report.scrollers.length > 0 && report.scrollers.every((o) => o === "auto"),
        `tables not in a scroll box: ${report.scrollers}`,
      );
    },
  );

  await check(
    "every text colour in the panel has AA contrast (4.5:1) in Light, Dark, High Contrast and High Contrast Light; the weak suite's findings are styled by severity in Light and Dark",
    async () => {
      const failedRow = rows.filter({ has: page.locator(".codicon-error") }).first();
      const failedText = ((await failedRow.locator(".label-name").textContent()) ?? "").trim();
      for (
        const [theme, shot] of [
          ["Light Modern", "e2e-panel-light.png"],
          ["Dark Modern", "e2e-panel-dark.png"],
          ["Dark High Contrast", "e2e-panel-hc.png"],
          ["Light High Contrast", "e2e-panel-hc-light.png"],
        ]
      ) {
        if (theme !== "Light Modern") await setTheme(theme);
        await contrastOf(`localhost:${weakPort}`, `${theme} (weak suite)`, "#findings");
        // Severity colours in Light and Dark; High Contrast themes keep text at full contrast.
        if (theme.endsWith("Modern")) {
          log(
            `${theme}: weak suite's warning styled`,
            (await severityStyled(theme)).join(" | bar "),
          );
          await scanInTheme(page, frame, rows, scanServer, theme);
        }
        await panelShot(shot);
        await contrastOf(failedText, `${theme} (error)`, "#error");
      }
      await setTheme("Light Modern");
      await rows.filter({ hasText: `localhost:${weakPort}` }).first().click();
    },
  );
  stopWeak();
  scanServer.stop();

  await check(
    "the tlsprobe output channel logs each CLI run with exit status and time",
    () => {
      const { runs, text } = outputChannelRuns(tmp);
      assert(runs.length >= 4, `${runs.length} probe runs logged:\n${text.slice(0, 2000)}`);
      assert(runs.some((l) => /\[info\].*→ exit 0 in \d+ ms \(setting\)/.test(l)), "no exit 0");
      assert(runs.some((l) => /\[warning\].*→ exit \d+ in \d+ ms/.test(l)), "no failed run");
      assert(runs.some((l) => /\[warning\].*→ CANCELLED in \d+ ms/.test(l)), "no cancelled run");
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
    "the status bar shows the last probe while a TLS-related file is open",
    async () => {
      const item = page.locator(".statusbar-item", { hasText: `localhost:${weakPort}` });
      await item.first().waitFor({ timeout: 10_000 });
      const text = ((await item.first().textContent()) ?? "").trim();
      assert(/TLSv1\.2/.test(text), `status bar: ${text}`);
      // Not for a file that has nothing to do with TLS.
      await page.keyboard.press("Control+P");
      await input.waitFor({ state: "visible" });
      await input.fill("notes.md");
      await page.locator(".quick-input-list .monaco-list-row", { hasText: "notes.md" }).first()
        .click();
      await page.locator(".tabs-container .tab.active", { hasText: "notes.md" }).waitFor({
        timeout: 10_000,
      });
      await item.first().waitFor({ state: "hidden", timeout: 10_000 });
      // Back to server.py's tab (the lint check reads its squiggles).
      await page.locator(".tabs-container .tab", { hasText: "server.py" }).first().click();
      await item.first().waitFor({ timeout: 10_000 });
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

  await check(
    "Light Modern: a server signed by another CA fails trust with the CLI's advice; Retry with a CA file… verifies it",
    async () => {
      // A second private CA and a localhost leaf it signs (X.509 v3, as webpki wants);
      // the workspace's setting trusts only certs/ca.crt.
      const dir = fs.mkdtempSync(path.join(tmp, "otherca-"));
      const f = (n) => path.join(dir, n);
      const ossl = (...a) => execFileSync("openssl", a, { stdio: "ignore" });
      ossl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        f("ca.key"),
        "-out",
        f("ca.crt"),
        "-subj",
        "/CN=tlsprobe e2e other CA",
        "-days",
        "2",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
      );
      fs.writeFileSync(
        f("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
      );
      ossl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        f("leaf.key"),
        "-out",
        f("leaf.csr"),
        "-subj",
        "/CN=localhost",
      );
      ossl(
        "x509",
        "-req",
        "-in",
        f("leaf.csr"),
        "-CA",
        f("ca.crt"),
        "-CAkey",
        f("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        f("leaf.ext"),
        "-out",
        f("leaf.crt"),
      );
      const otherPort = await freePort();
      const other = spawn("openssl", [
        "s_server",
        "-accept",
        `127.0.0.1:${otherPort}`,
        "-cert",
        f("leaf.crt"),
        "-key",
        f("leaf.key"),
        "-quiet",
      ], { stdio: ["pipe", "ignore", "ignore"], detached: true });
      try {
        await waitForPort(otherPort);
        await frame.locator("#target").fill(`localhost:${otherPort}`);
        await frame.locator("#target").press("Enter");
        const error = frame.locator("#error");
        await error.waitFor({ timeout: 60_000 });
        const advice = (await error.textContent()) ?? "";
        assert(
          /^CERT_UNKNOWN_ISSUER .*Retry with a CA file/.test(advice),
          `error shown: ${advice}`,
        );
        // The tree refreshes after the panel: wait for the mark, then count it.
        await setHistoryExpanded(true);
        await rows.first().locator(".codicon-error").waitFor({ timeout: 10_000 }).catch(() => {});
        assert(
          (await rows.first().locator(".codicon-error").count()) === 1,
          "the failed probe is not marked failed in the History tree",
        );
        await page.screenshot({ path: path.join(outDir, "e2e-trust-failure-light.png") });
        await retryWithCaFile(page, frame, f("ca.crt"));
        await frame.locator("#error").waitFor({ state: "detached", timeout: 60_000 });
        const trust = ((await frame.locator("#r-trust").textContent({ timeout: 60_000 })) ?? "")
          .trim();
        log("retried with the other CA:", trust);
        assert(/^verified/.test(trust), `trust ${trust}`);
      } finally {
        try {
          process.kill(-other.pid, "SIGKILL");
        } catch {
          // gone
        }
      }
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
