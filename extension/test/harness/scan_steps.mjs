// The Scan view's workbench steps (used by e2e.mjs): a scan of an openssl s_server with a
// known configuration from the panel's Scan button (the version × suite table in the server's
// order, the weak suite and its finding coloured by severity, the progress reaching 100 %, the
// History tree's scan row, copy as command line and re-scan), Cancel in the middle of a scan,
// a listener that never answers ending with TIMEOUT, and the styles in a given theme.
import net from "node:net";
import path from "node:path";
import { cancelInView, checkContrast, log, menuPick, startOpensslServer } from "./code_server.mjs";

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** What the server below accepts, in its order (-serverpref), per version. */
export const SCAN_EXPECTED = {
  "TLSv1.3": ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"],
  "TLSv1.2": ["ECDHE-RSA-AES128-GCM-SHA256", "AES128-SHA"],
};

/**
 * Starts `openssl s_server` with TLS 1.2 (ECDHE-RSA-AES128-GCM-SHA256, then the weak
 * AES128-SHA) and TLS 1.3 (AES-128-GCM, then ChaCha20), the server's order deciding.
 */
export async function startScanServer(repo) {
  const { port, stop } = await startOpensslServer([
    "-cert",
    path.join(repo, "certs/localhost.crt"),
    "-key",
    path.join(repo, "certs/localhost.key"),
    "-cipher",
    "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0",
    "-ciphersuites",
    "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
    "-serverpref",
    "-no_tls1",
    "-no_tls1_1",
  ]);
  return { port, target: `localhost:${port}`, stop };
}

/** Records, inside the webview, every percent the scan's progress text shows. */
async function recordProgress(frame) {
  await frame.locator("body").evaluate(() => {
    const seen = [];
    globalThis.__scanProgress = seen;
    const note = () => {
      const v = document.getElementById("scan-progress")?.dataset.percent;
      if (v !== undefined && v !== "" && seen.at(-1) !== v) seen.push(v);
    };
    new MutationObserver(note).observe(document.getElementById("result"), {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
  return () => frame.locator("body").evaluate(() => globalThis.__scanProgress.map(Number));
}

/** The suites table as the panel shows it: suites per version, and the version headers. */
function readTable(frame) {
  return frame.locator("#scan-suites").evaluate((t) => {
    const suites = {};
    for (const tr of t.querySelectorAll("tr.suite")) {
      (suites[tr.dataset.version] ??= []).push(tr.cells[1].textContent.trim());
    }
    const heads = [...t.querySelectorAll("tr.version")].map((tr) => tr.textContent.trim());
    return { suites, heads };
  });
}

/**
 * The weak suite's cell and its warning finding are coloured by severity (not the body's
 * colour), the finding with its bar; returns the colours for the log.
 */
export async function scanSeverityStyled(frame, theme) {
  const finding = frame.locator("#scan-findings li.finding-warning", { hasText: "AES128-SHA" });
  assert((await finding.count()) === 1, `${theme}: no warning finding naming AES128-SHA`);
  const [sev, body, bar] = await finding.evaluate((li) => [
    getComputedStyle(li.querySelector(".sev")).color,
    getComputedStyle(document.body).color,
    getComputedStyle(li).borderLeftColor,
  ]);
  assert(sev !== body, `${theme}: the finding's severity is not coloured (${sev})`);
  assert(bar !== body, `${theme}: the finding has no severity bar (${bar})`);
  const cell = frame.locator('#scan-suites td[data-rating="weak"]', { hasText: "AES128-SHA" });
  assert((await cell.count()) === 1, `${theme}: AES128-SHA is not rated weak in the table`);
  const [cellColour, warnColour] = await cell.evaluate((td) => [
    getComputedStyle(td).color,
    getComputedStyle(td.closest("body").querySelector(".sev.warn") ?? td).color,
  ]);
  assert(cellColour !== body, `${theme}: the weak suite is not coloured (${cellColour})`);
  assert(cellColour === warnColour, `${theme}: weak ${cellColour} is not the warning colour`);
  return [sev, bar, cellColour];
}

/**
 * Scans the known server from the panel's Scan button; checks the table, the colouring, the
 * progress (to 100 %), and the History tree's row. Returns the scan's wall time in ms.
 */
export async function scanKnownServer(page, frame, rows, server) {
  const before = await rows.count();
  const progress = await recordProgress(frame);
  await frame.locator("#target").fill(server.target);
  const t0 = Date.now();
  await frame.locator("#scan-button").click();
  await frame.locator("#running #scan-progress").waitFor({ timeout: 15_000 });
  await frame.locator("#scan-suites").waitFor({ timeout: 120_000 });
  const ms = Date.now() - t0;
  const { suites, heads } = await readTable(frame);
  log("scan table:", JSON.stringify(suites), "|", heads.join(" | "), `| ${ms} ms`);
  assert(
    JSON.stringify(suites) === JSON.stringify(SCAN_EXPECTED),
    `the table lists ${JSON.stringify(suites)}, not ${JSON.stringify(SCAN_EXPECTED)}`,
  );
  assert(heads.every((h) => /server order/.test(h)), `order not marked: ${heads.join(" | ")}`);
  const seen = await progress();
  log("scan progress seen (percent):", seen.join(" "));
  // 100 % once, at the end; before it the bar moved through several values below.
  assert(seen.at(-1) === 100, `the progress did not end at 100 %: ${seen.join(" ")}`);
  assert(seen.indexOf(100) === seen.length - 1, `100 % before the end: ${seen.join(" ")}`);
  assert(new Set(seen).size >= 5, `too few progress steps: ${seen.join(" ")}`);
  const grade = ((await frame.locator("#scan-grade").textContent()) ?? "").trim();
  assert(/^Grade A\b/.test(grade), `grade: ${grade}`);
  const reasons = (await frame.locator("#scan-grade-reasons li").allTextContents()).join(" | ");
  assert(/AES128-SHA/.test(reasons), `grade reasons: ${reasons}`);
  await scanSeverityStyled(frame, "Light Modern");
  for (let i = 0; i < 50 && (await rows.count()) === before; i++) await page.waitForTimeout(100);
  assert((await rows.count()) === before + 1, "the scan was not added to the history");
  const row = rows.first();
  const rowText = (await row.textContent()) ?? "";
  assert(
    rowText.includes(server.target) && /scan, grade A \(TLSv1\.3, TLSv1\.2\)/.test(rowText) &&
      !/scan · scan/.test(rowText),
    `row: ${rowText}`,
  );
  assert((await row.locator(".codicon-pass").count()) === 1, "the scan row has no pass codicon");
  return ms;
}

/** Copy as Command Line gives the scan's line; Run Again from the tree scans again. */
export async function scanFromHistory(page, frame, rows, server, caFile) {
  const row = rows.filter({ hasText: server.target }).first();
  await menuPick(page, row, "Copy as Command Line");
  const expected = `tlsprobe scan ${server.target} --cafile ${caFile}`;
  const said = page.locator(".statusbar-item", { hasText: "Copied: tlsprobe scan" });
  await said.first().waitFor({ timeout: 10_000 });
  const text = ((await said.first().textContent()) ?? "").trim();
  assert(text === `Copied: ${expected}`, `status bar: ${text}`);
  const before = await rows.count();
  await menuPick(page, row, "Run Again");
  await frame.locator("#running #scan-progress").waitFor({ timeout: 15_000 });
  for (let i = 0; i < 1200 && (await rows.count()) === before; i++) {
    await page.waitForTimeout(100);
  }
  assert((await rows.count()) === before + 1, "the re-scan was not added to the history");
  const first = (await rows.first().textContent()) ?? "";
  assert(first.includes(server.target) && /scan, grade A/.test(first), `newest row: ${first}`);
  const { suites } = await readTable(frame);
  assert(JSON.stringify(suites) === JSON.stringify(SCAN_EXPECTED), "the re-scan's table differs");
}

/** Cancel in the middle of a scan of a silent listener (the shared Cancel steps). */
export function cancelScan(page, frame) {
  return cancelInView(page, frame, { scan: true });
}

/**
 * A scan of a listener that accepts and never answers ends in the panel with TIMEOUT, within
 * the CLI's per-handshake bound (5 s with the e2e's tlsprobe.timeout) plus start-up margin.
 */
export async function scanSilentTimesOut(frame, rows) {
  const silent = net.createServer(() => {}).listen(0, "127.0.0.1");
  await new Promise((r) => silent.once("listening", r));
  const target = `127.0.0.1:${silent.address().port}`;
  try {
    await frame.locator("#target").fill(target);
    const t0 = Date.now();
    await frame.locator("#scan-button").click();
    const error = frame.locator("#error");
    await error.waitFor({ timeout: 5_000 + 15_000 });
    const ms = Date.now() - t0;
    const text = ((await error.textContent()) ?? "").trim();
    log(`silent scan: ${text.slice(0, 120)} after ${ms} ms`);
    assert(/^TIMEOUT\b/.test(text), `error shown: ${text}`);
    const row = rows.first();
    const rowText = (await row.textContent()) ?? "";
    assert(rowText.includes(target) && /scan · TIMEOUT/.test(rowText), `history row: ${rowText}`);
    assert((await row.locator(".codicon-error").count()) === 1, "no error codicon on its row");
    return ms;
  } finally {
    silent.close();
  }
}

/**
 * In a narrow side bar (the panel's body held to `width` px, about the side bar's smallest
 * useful width) every column of the suites table stays in view: the suite names wrap after
 * their separators and the table's box does not scroll. Returns the widths for the log.
 */
export async function scanTableFitsNarrow(frame, width = 250) {
  await frame.locator("#scan-suites").waitFor({ timeout: 10_000 });
  const m = await frame.locator("#scan-suites").evaluate((table, w) => {
    const body = document.body;
    const was = body.style.width;
    body.style.width = `${w}px`;
    try {
      const box = table.closest(".scroll") ?? table.parentElement;
      const right = box.getBoundingClientRect().right;
      const cells = [...table.querySelectorAll("tr.suite td")];
      return {
        sideBar: globalThis.innerWidth,
        boxWidth: box.clientWidth,
        tableWidth: table.scrollWidth,
        scrolls: box.scrollWidth > box.clientWidth + 1,
        hidden: cells.filter((td) => td.getBoundingClientRect().right > right + 1)
          .map((td) => td.textContent),
        names: [...table.querySelectorAll("tr.suite td.name")].map((td) => td.textContent),
      };
    } finally {
      body.style.width = was;
    }
  }, width);
  assert(
    !m.scrolls && m.hidden.length === 0,
    `at ${width} px the suites table scrolls or hides cells: ${JSON.stringify(m)}`,
  );
  // The names kept their text (the breaks are <wbr>, not characters).
  assert(
    m.names.every((n) => /^[A-Z0-9_-]+$/.test(n)),
    `names changed: ${m.names.join(" ")}`,
  );
  return m;
}

/** In the current theme: the scan's colours (severity) and every text's contrast. */
export async function scanInTheme(page, frame, rows, server, theme) {
  await rows.filter({ hasText: server.target }).first().click();
  await frame.locator("#scan-findings").waitFor({ timeout: 10_000 });
  await checkContrast(frame, `${theme} (scan)`);
  const colours = await scanSeverityStyled(frame, theme);
  log(`${theme}: scan's weak suite and finding styled`, colours.join(" | "));
  await page.waitForTimeout(100);
}
