/**
 * How the side panel shows a scan (`tlsprobe scan --json`): the grade and
 * its reasons, the version × suite table in the server's order (marked when
 * the client's order wins) with strength colouring, the findings with
 * severity icons, groups, ALPN, SNI, the Mozilla profiles and the
 * certificate chains; and the scan's progress while it runs (from
 * `--progress json` lines). Escaped HTML, no scripts. No `vscode` import:
 * unit-tested under Deno.
 *
 * @module
 */
import { alpnText, type ScanReportBody } from "../../../core/report/scan.ts";
import type { CliEnvelope } from "./report.ts";
import { escapeHtml as esc, findingItem } from "./panel_model.ts";

/** A scan report as the CLI prints it (fields may be missing in an error envelope). */
export type ScanReport = CliEnvelope & Partial<ScanReportBody>;

/**
 * One `tlsprobe scan --progress json` line: handshakes done, planned in all,
 * the part, and the CLI's percent (which never falls; older CLIs send none).
 */
export interface ScanProgressLine {
  done: number;
  total: number;
  phase: string;
  percent?: number;
}

const isCount = (n: unknown): n is number =>
  typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

/**
 * Reads one stderr line of `tlsprobe scan --progress json`.
 *
 * @param line a line of the CLI's stderr
 * @returns the progress, or undefined when the line is not a progress line
 */
export function parseProgressLine(line: string): ScanProgressLine | undefined {
  const t = line.trim();
  if (!t.startsWith("{") || t.length > 1000) return undefined;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (
    !v || !isCount(v.done) || !isCount(v.total) || typeof v.phase !== "string"
  ) {
    return undefined;
  }
  const p: ScanProgressLine = {
    done: v.done,
    total: Math.max(v.total, v.done),
    phase: v.phase.slice(0, 100),
  };
  if (isCount(v.percent) && v.percent <= 100) p.percent = v.percent;
  return p;
}

/**
 * Whole percent done: 100 only for the CLI's last line (`done`); a running
 * scan whose handshakes so far all finished stays at 99 (the plan may still
 * add some). The CLI's own percent when it sends one (it never falls when the
 * plan's total is revised up); from an older CLI, `done / total`.
 *
 * @param p the progress
 * @returns 0–100
 */
export function progressPercent(p: ScanProgressLine): number {
  if (p.phase === "done") return 100;
  if (p.percent !== undefined) return Math.min(99, p.percent);
  return p.total > 0 ? Math.min(99, Math.floor((p.done * 100) / p.total)) : 0;
}

/**
 * The progress as one line of text: `42 % · TLSv1.2 suites · 21 of 50 handshakes`.
 *
 * @param p the progress
 * @returns plain text
 */
export function progressText(p: ScanProgressLine): string {
  return `${progressPercent(p)} % · ${p.phase} · ${p.done} of ${p.total} handshakes`;
}

/**
 * The running scan's progress: a determinate bar and its text.
 *
 * @param p the last progress line, if one came yet
 * @param what the bar's accessible name ("Scanning host:port…"), already escaped
 * @returns HTML
 */
export function renderScanProgress(
  p: ScanProgressLine | undefined,
  what: string,
): string {
  if (!p) {
    return `<progress aria-label="${what}"></progress>` +
      `<div class="dim" id="scan-progress">starting…</div>`;
  }
  const pct = progressPercent(p);
  // The bar shows the percent, not done of total: a revised total must not move it back.
  return `<progress aria-label="${what}" value="${pct}" max="100"></progress>` +
    `<div class="dim" id="scan-progress" data-percent="${pct}">${esc(progressText(p))}</div>`;
}

/**
 * A suite's name, escaped, that may wrap after its separators (`-`, `_`) and
 * nowhere else: in a narrow side bar the name takes two lines and the bits
 * and strength columns stay in view.
 */
function suiteName(name: string): string {
  return esc(name).replace(/([-_])/g, "$1<wbr>");
}

/** The CSS class of a suite's rating (the probe view's colours). */
function ratingClass(rating: string | null): string {
  return rating === "insecure" ? "bad" : rating === "weak" ? "warn" : rating ? "good" : "dim";
}

/** A grade's class: A good, B a warning, anything lower bad. */
function gradeClass(grade: string): string {
  return grade.startsWith("A") ? "good" : grade === "B" ? "warn" : "bad";
}

/**
 * One line for the history list.
 *
 * @param target what was scanned
 * @param r the report
 * @returns plain text
 */
export function scanSummary(target: string, r: ScanReport | undefined): string {
  if (r?.error) return `${target}: ${r.error.code}`;
  const accepted = (r?.versions ?? []).filter((v) => v.accepted).map((v) => v.version);
  return `${target}: scan, grade ${r?.grade?.grade ?? "?"} (${accepted.join(", ") || "none"})`;
}

function orderText(serverOrder: boolean | null, count: number): string {
  if (serverOrder === true) return `<span class="dim">server order</span>`;
  if (serverOrder === false) {
    return `<span class="warn order-client">client's order wins</span> <span class="dim">(listed in registry order)</span>`;
  }
  return count > 1 ? `<span class="dim">order unknown</span>` : "";
}

/**
 * Renders a scan report.
 *
 * @param r the report
 * @returns HTML (escaped, no scripts)
 */
export function renderScan(r: ScanReport): string {
  const parts: string[] = [];
  const grade = r.grade?.grade ?? "-";
  parts.push(
    `<p id="scan-grade">Grade <b class="${gradeClass(grade)}">${
      esc(grade)
    }</b> <span class="dim">· ${r.handshakes ?? 0} handshakes in ${r.elapsedMs ?? 0} ms${
      r.interrupted ? " · interrupted" : ""
    }</span></p>`,
  );
  const reasons = r.grade?.reasons ?? [];
  if (reasons.length) {
    parts.push(
      `<ul class="grade-reasons" id="scan-grade-reasons" aria-label="Why this grade">${
        reasons.map((x) => `<li>${esc(x)}</li>`).join("")
      }</ul>`,
    );
  }
  const accepted = (r.versions ?? []).filter((v) => v.accepted);
  const rows: string[] = [];
  for (const v of accepted) {
    const ver = esc(v.version);
    rows.push(
      `<tr class="version" data-version="${ver}"><th scope="rowgroup" colspan="4" class="wrap">${ver} ${
        orderText(v.serverOrder, v.suites.length)
      }</th></tr>`,
    );
    v.suites.forEach((s, i) => {
      const cls = ratingClass(s.rating);
      rows.push(
        `<tr class="suite" data-version="${ver}"><td class="dim">${i + 1}</td>` +
          `<td class="${cls} name" data-rating="${esc(s.rating ?? "")}">${
            suiteName(s.openssl ?? s.iana)
          }</td>` +
          `<td>${s.bits ?? "?"}</td><td class="${cls}">${esc(s.rating ?? "unrated")}</td></tr>`,
      );
    });
    const extra = [
      v.groups.length ? `groups: ${v.groups.join(", ")}` : "",
      v.dhBits.length ? `DHE ${v.dhBits.join(", ")} bits` : "",
      v.signatureSchemes?.length ? `${v.signatureSchemes.length} signature schemes` : "",
    ].filter(Boolean);
    if (extra.length) {
      rows.push(
        `<tr><td></td><td colspan="3" class="dim wrap">${esc(extra.join(" · "))}</td></tr>`,
      );
    }
    if (v.error) {
      rows.push(
        `<tr><td></td><td colspan="3" class="warn wrap">${
          esc(`${v.error.code}: ${v.error.message}`)
        }</td></tr>`,
      );
    }
  }
  parts.push(
    `<div class="scroll"><table class="suites" id="scan-suites" aria-label="Suites accepted per version">` +
      `<tr><th>#</th><th>suite</th><th>bits</th><th>strength</th></tr>${
        rows.join("")
      }</table></div>`,
  );
  const refused = (r.versions ?? []).filter((v) => !v.accepted).map((v) => v.version);
  if (refused.length || r.sslv2 !== undefined) {
    parts.push(
      `<p class="dim">Not accepted: ${
        esc([...(r.sslv2 ? [] : ["SSLv2"]), ...refused].join(", ") || "—")
      }${r.sslv2 ? ` · <span class="bad">SSLv2 accepted</span>` : ""}</p>`,
    );
  }
  const findings = r.findings ?? [];
  parts.push(
    `<h3>Findings</h3><ul class="findings" id="scan-findings">${
      findings.length
        ? findings.map((f) => findingItem(f.severity, f.rule, f.message, f.reference)).join("")
        : `<li class="good">No finding</li>`
    }</ul>`,
  );
  const summary: string[] = [];
  if (r.alpn) {
    summary.push(`ALPN: ${esc(alpnText(r.alpn) || "none accepted")}`);
  }
  if (r.sni) {
    summary.push(
      `Without SNI: ${esc(r.sni.withoutSni)}; wrong SNI: ${esc(r.sni.wrongSni)}`,
    );
  }
  const cc = r.clientCertificate;
  if (cc?.requested) {
    summary.push(
      `Client certificate: ${
        cc.required === true
          ? "required"
          : cc.required === false
          ? "requested, not required"
          : "requested"
      }${cc.caNames.length ? `; CAs named: ${esc(cc.caNames.join("; "))}` : ""}`,
    );
  }
  if (summary.length) {
    parts.push(
      `<ul class="plain" id="scan-summary">${summary.map((x) => `<li>${x}</li>`).join("")}</ul>`,
    );
  }
  const profiles = r.profiles ?? [];
  if (profiles.length) {
    parts.push(
      `<h3>Profiles</h3><ul class="plain" id="scan-profiles">${
        profiles.map((p) =>
          `<li><span class="${p.compliant ? "good" : "warn"}">${esc(p.name)}: ${
            p.compliant ? "compliant" : "not compliant"
          }</span>${p.reasons.length ? ` <span class="dim">${esc(p.reasons[0])}</span>` : ""}</li>`
        ).join("")
      }</ul>`,
    );
  }
  const certs = r.certificates ?? [];
  if (certs.length) {
    parts.push(
      `<h3>Certificates</h3><ol class="chain" id="scan-chains">${
        certs.map((c) =>
          `<li><div class="subject">${esc(c.asked.toUpperCase())}: ${esc(c.subject)}</div>` +
          `<div>Issuer: ${esc(c.issuer)}${
            c.chain.length > 1
              ? ` <span class="dim">(${c.chain.length} certificates sent)</span>`
              : ""
          }</div>` +
          (c.sans.length
            ? `<div>Names: ${esc(c.sans.join(", "))}${
              c.nameMatches === false ? ` <span class="bad">(no match)</span>` : ""
            }</div>`
            : "") +
          `<div>Key: ${
            esc(`${c.key.type} ${c.key.bits ?? c.key.curve ?? ""}`.trim())
          }, signed with ${esc(c.signatureAlgorithm)}</div>` +
          `<div>Expires: ${esc(c.notAfter.slice(0, 10))}</div></li>`
        ).join("")
      }</ol>`,
    );
  }
  return parts.join("");
}
