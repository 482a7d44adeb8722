// UI end-to-end test of "TLS: Start Test Lab" in the packaged extension: a
// fresh code-server (Light Modern, then Dark Modern) starts the lab from the
// command palette; the Test Lab tree lists every endpoint with its address and
// the port range; probing the "expired" row shows CERT_EXPIRED in the panel,
// probing "good" (in Dark Modern) verifies; Copy Address fills the clipboard;
// Open Lab Index Page opens a tab for the index port;
// a second Start reveals the running lab; Stop ends the child and closes its
// ports; a base port in use (tlsprobe.lab.basePort) shows the CLI's coded
// error in the view; reloading the window (deactivate) stops a running lab.
//
// Usage: node e2e_lab.mjs <path-to-vsix>   (run_all.sh sets the environment)
// Prints one `PASS name` / `FAIL name: why` line per check, then writes the
// counts to $TLSPROBE_E2E_LAB_RESULT.
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  checker,
  cliWrapper,
  freePort,
  log,
  menuPick,
  openWorkbench,
  processesWith,
  QUIET_SETTINGS,
  setColorTheme,
  stop,
} from "./code_server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../..");
const vsix = path.resolve(process.argv[2] ?? path.join(repo, "extension/out/tlsprobe.vsix"));
const outDir = path.resolve(process.env.TLSPROBE_TEST_OUTPUT ?? path.join(repo, "test-output"));
fs.mkdirSync(outDir, { recursive: true });

let currentPage;
const checks = checker(outDir, "e2e-lab", () => currentPage);
const { check } = checks;
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, "127.0.0.1", () => {
      c.destroy();
      resolve(true);
    }).on("error", () => resolve(false));
  });
}

/** PIDs of running `tlsprobe serve --lab` processes (the extension's children). */
const labPids = () => processesWith("serve\0--lab\0--port");
const seen = new Set();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tlsprobe-e2e-lab-"));
const ws = path.join(tmp, "workspace");
fs.mkdirSync(ws);
fs.writeFileSync(path.join(ws, "notes.md"), "# Lab notes\n");
const before = new Set(labPids());

let cs;
let browser;
try {
  const settings = {
    "tlsprobe.path": cliWrapper(tmp, repo),
    "tlsprobe.timeout": 30000,
    "workbench.colorTheme": "Default Light Modern",
  };
  /** Rewrites both settings files (code-server watches them). */
  const setSettings = (extra) => {
    for (const scope of ["User", "Machine"]) {
      fs.writeFileSync(
        path.join(tmp, "user-data", scope, "settings.json"),
        JSON.stringify({ ...QUIET_SETTINGS, ...settings, ...extra }, null, 2),
      );
    }
  };
  let page;
  ({ cs, browser, page } = await openWorkbench({
    tmp,
    vsix,
    ws,
    settings,
    viewport: { width: 1400, height: 1000 },
  }));
  currentPage = page;
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  const input = page.locator(".quick-input-widget input");
  const frame = page.frameLocator("iframe.webview.ready").frameLocator(
    "#active-frame",
  );
  const labPane = page.locator(".pane", {
    has: page.locator(".pane-header", { hasText: /Test Lab/ }),
  });
  const labRows = labPane.locator(".monaco-list-row");
  // A row's accessible name starts with the case's name and a colon.
  const rowNamed = (name) => labPane.locator(`.monaco-list-row[aria-label^="${name}: "]`);

  /** Runs a command from the palette by its title. */
  const palette = async (title) => {
    await page.keyboard.press("F1");
    await input.waitFor({ state: "visible" });
    await input.fill(`>${title}`);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: title })
      .first()
      .waitFor({ timeout: 30_000 });
    await page.keyboard.press("Enter");
  };

  /** Clicks a row's inline action (shown on hover), else picks it from the context menu. */
  const rowAction = async (row, label) => {
    await row.hover();
    const button = row.locator(`.action-label[aria-label^="${label}"]`);
    if (await button.count()) await button.first().click();
    else await menuPick(page, row, label);
  };

  let index; // { base, hi, count } as the view shows them
  const started = await check(
    "TLS: Start Test Lab from the palette lists ≥ 21 endpoints with addresses and the port range",
    async () => {
      await page.locator('.activitybar [aria-label^="TLS"]').first().waitFor({
        timeout: 60_000,
      });
      await palette("TLS: Start Test Lab");
      await rowNamed("expired").waitFor({ timeout: 120_000 });
      const header = ((await labPane.locator(".pane-header").textContent()) ?? "").trim();
      const m = header.match(
        /running on 127\.0\.0\.1 ports (\d+)–(\d+) \((\d+) endpoints\)/,
      );
      assert(m, `the view's header says: ${header}`);
      index = { base: Number(m[1]), hi: Number(m[2]), count: Number(m[3]) };
      assert(index.count >= 21, `${index.count} endpoints served`);
      // The tree renders only the rows on screen; every row knows the list's length.
      const size = Number(await labRows.first().getAttribute("aria-setsize"));
      assert(size >= 22, `the tree has ${size} rows (index page + endpoints)`);
      const expired = ((await rowNamed("expired").textContent()) ?? "").replace(
        /\s+/g,
        " ",
      );
      assert(
        /expired\s*127\.0\.0\.1:\d+ · reject CERT_EXPIRED/.test(expired),
        `the expired row says: ${expired}`,
      );
      for (const p of labPids()) if (!before.has(p)) seen.add(p);
      assert(seen.size >= 1, "no tlsprobe serve --lab process");
      assert(
        await accepts(index.base),
        `the index port ${index.base} is closed`,
      );
      log(
        `lab: ports ${index.base}–${index.hi}, ${index.count} endpoints, ${size} rows`,
      );
      await page.screenshot({ path: path.join(outDir, "e2e-lab-light.png") });
    },
  );

  // Without a running lab the other checks can only time out.
  if (!started) {
    throw new Error("the lab did not start; the remaining checks were skipped");
  }

  await check(
    "probing the expired endpoint from its row fills the panel and shows CERT_EXPIRED as a failure",
    async () => {
      const row = rowNamed("expired");
      const address = ((await row.textContent()) ?? "").match(/127\.0\.0\.1:\d+/)[0];
      await rowAction(row, "Probe in Panel");
      const error = frame.locator("#error");
      await error.waitFor({ timeout: 90_000 });
      const text = ((await error.textContent()) ?? "").trim();
      assert(/^CERT_EXPIRED\b/.test(text), `error shown: ${text}`);
      const shown = ((await frame.locator("#result-target").textContent()) ?? "").trim();
      assert(
        shown.startsWith(address),
        `the panel shows ${shown}, not ${address}`,
      );
      let target = "";
      for (let i = 0; i < 25 && target !== address; i++) {
        target = await frame.locator("#target").inputValue();
        if (target !== address) await page.waitForTimeout(200);
      }
      assert(
        target === address,
        `the form's target is ${target}, not ${address}`,
      );
      await page.screenshot({
        path: path.join(outDir, "e2e-lab-expired-light.png"),
      });
    },
  );

  await check(
    "Copy Address puts the endpoint's host:port on the clipboard",
    async () => {
      const row = rowNamed("good");
      const address = ((await row.textContent()) ?? "").match(/127\.0\.0\.1:\d+/)[0];
      await menuPick(page, row, "Copy Address");
      await page.locator(".statusbar", { hasText: `Copied: ${address}` })
        .waitFor({
          timeout: 10_000,
        });
      const copied = await page.evaluate(() => navigator.clipboard.readText())
        .catch(() => "");
      assert(copied === address, `clipboard: ${copied}`);
    },
  );

  await check(
    "in Dark Modern, probing the good endpoint verifies",
    async () => {
      await setColorTheme(page, frame, "Dark Modern");
      await rowAction(rowNamed("good"), "Probe in Panel");
      await frame.locator("#error").waitFor({
        state: "detached",
        timeout: 90_000,
      });
      const trust = ((await frame.locator("#r-trust").textContent({ timeout: 90_000 })) ??
        "")
        .trim();
      const version = ((await frame.locator("#r-version").textContent()) ?? "")
        .trim();
      log("good endpoint:", version, trust);
      assert(/^verified/.test(trust), `trust: ${trust}`);
      assert(/^TLSv1\.[23]/.test(version), `version: ${version}`);
      await page.screenshot({
        path: path.join(outDir, "e2e-lab-good-dark.png"),
      });
    },
  );

  await check("Open Lab Index Page opens a browser tab for the lab's index port", async () => {
    const opened = page.context().waitForEvent("page", { timeout: 20_000 });
    await menuPick(page, rowNamed("expired"), "Open Lab Index Page");
    // code-server asks before opening an external site.
    const open = page.locator(".monaco-dialog-box .monaco-button", { hasText: /^Open$/ });
    await open.click({ timeout: 10_000 }).catch(() => {});
    const tab = await opened;
    const url = tab.url();
    log("index page tab:", url);
    await tab.close().catch(() => {});
    // Desktop VS Code opens the URL itself; code-server maps a loopback URL to its own port
    // proxy (/proxy/PORT/, plain HTTP), so here only the port it opens can be checked.
    assert(
      url === `https://127.0.0.1:${index.base}/` || url.endsWith(`/proxy/${index.base}/`),
      `opened ${url}, not the index page on port ${index.base}`,
    );
  });

  await check(
    "a second Start while running reveals the lab and starts no other",
    async () => {
      const pids = labPids().filter((p) => !before.has(p));
      await palette("TLS: Start Test Lab");
      await page.waitForTimeout(2000);
      const now = labPids().filter((p) => !before.has(p));
      assert(now.length === pids.length, `lab processes ${pids} -> ${now}`);
      await rowNamed("good").waitFor({ timeout: 5_000 });
    },
  );

  await check(
    "TLS: Stop Test Lab ends the child and closes every port",
    async () => {
      await palette("TLS: Stop Test Lab");
      await labPane.locator(".welcome-view-content", { hasText: "stopped" })
        .waitFor({
          timeout: 20_000,
        });
      for (let i = 0; i < 50 && labPids().some((p) => seen.has(p)); i++) {
        await page.waitForTimeout(200);
      }
      assert(!labPids().some((p) => seen.has(p)), "the lab process still runs");
      const open = [];
      for (let p = index.base; p <= index.hi; p++) {
        if (await accepts(p)) open.push(p);
      }
      assert(open.length === 0, `ports still open: ${open}`);
      const header = ((await labPane.locator(".pane-header").textContent()) ?? "").trim();
      assert(/stopped/.test(header), `the view's header says: ${header}`);
    },
  );

  await check(
    "a base port in use (tlsprobe.lab.basePort) shows the CLI's coded error in the view",
    async () => {
      // Hold one endpoint's port of a free range.
      const base = await freePort();
      const holder = net.createServer().listen(base + 3, "127.0.0.1");
      await new Promise((r, j) => holder.once("listening", r).once("error", j));
      try {
        setSettings({ "tlsprobe.lab.basePort": base });
        await page.waitForTimeout(1500); // the settings file watcher
        await palette("TLS: Start Test Lab");
        const row = labRows.filter({ hasText: "USAGE" });
        await row.waitFor({ timeout: 90_000 });
        const text = ((await row.textContent()) ?? "").replace(/\s+/g, " ");
        assert(
          new RegExp(`Port ${base + 3} is already in use`).test(text),
          `row: ${text}`,
        );
        await page.screenshot({
          path: path.join(outDir, "e2e-lab-port-in-use-dark.png"),
        });
        // This lab's own command line (its base port): other labs on the machine are not
        // ours. It prints its error, then exits: give a loaded machine 5 s for the exit.
        const ours = () => processesWith(`serve\0--lab\0--port\0${base}\0`);
        for (let t = 0; t < 50 && ours().length > 0; t++) await page.waitForTimeout(100);
        assert(ours().length === 0, `a lab process is left: ${ours()}`);
      } finally {
        holder.close();
        setSettings({});
        await page.keyboard.press("Escape"); // the error notification
      }
    },
  );

  await check("a tlsprobe.path that is not a program shows CLI_NOT_FOUND in the view", async () => {
    try {
      setSettings({ "tlsprobe.path": path.join(tmp, "no-such-tlsprobe") });
      await page.waitForTimeout(1500); // the settings file watcher
      await palette("TLS: Start Test Lab");
      const row = labRows.filter({ hasText: "CLI_NOT_FOUND" });
      await row.waitFor({ timeout: 30_000 });
      const text = ((await row.textContent()) ?? "").replace(/\s+/g, " ");
      assert(/no-such-tlsprobe/.test(text), `row: ${text}`);
    } finally {
      setSettings({});
      await page.keyboard.press("Escape");
    }
  });

  await check(
    "reloading the window (deactivate) stops a running lab",
    async () => {
      await page.waitForTimeout(1500);
      await palette("TLS: Start Test Lab");
      await rowNamed("expired").waitFor({ timeout: 120_000 });
      const pids = labPids().filter((p) => !before.has(p));
      assert(pids.length >= 1, "no lab process");
      pids.forEach((p) => seen.add(p));
      await palette("Developer: Reload Window");
      for (let i = 0; i < 100 && labPids().some((p) => pids.includes(p)); i++) {
        await new Promise((r) => setTimeout(r, 200));
      }
      assert(
        !labPids().some((p) => pids.includes(p)),
        "the lab outlived its extension host",
      );
    },
  );
} catch (e) {
  checks.results.push(false);
  console.log(`FAIL harness: ${e instanceof Error ? e.stack : e}`);
} finally {
  await browser?.close().catch(() => {});
  await stop(cs);
  // A lab the extension started and did not stop (a failed check): kill it by PID.
  for (const p of labPids()) {
    if (!before.has(p)) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // gone
      }
    }
  }
  if (process.env.KEEP_TMP !== "1") {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
process.exit(checks.write("TLSPROBE_E2E_LAB_RESULT") === 0 ? 0 : 1);
