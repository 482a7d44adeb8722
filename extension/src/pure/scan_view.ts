/**
 * How the side panel shows a scan (`tlsprobe scan --json`): the grade, the
 * version × suite table in the server's order with strength colouring, the
 * findings with severity icons, the Mozilla profiles and the certificates.
 * Escaped HTML, no scripts. No `vscode` import: unit-tested under Deno.
 *
 * @module
 */
import type { Severity } from "../../../core/report/finding.ts";
import type { ScanReportBody } from "../../../core/report/scan.ts";
import type { CliEnvelope } from "./report.ts";

/** A scan report as the CLI prints it (fields may be missing in an error envelope). */
export type ScanReport = CliEnvelope & Partial<ScanReportBody>;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The CSS class of a suite's rating. */
function ratingClass(rating: string | null): string {
  return rating === "insecure" ? "bad" : rating === "weak" ? "warn" : rating ? "good" : "dim";
}

const ICONS: Record<Severity, string> = {
  error: "✖",
  warning: "▲",
  info: "ℹ",
};

const SEVERITY_CLASS: Record<Severity, string> = {
  error: "bad",
  warning: "warn",
  info: "dim",
};

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

/**
 * Renders a scan report.
 *
 * @param r the report
 * @returns HTML (escaped, no scripts)
 */
export function renderScan(r: ScanReport): string {
  const parts: string[] = [];
  const grade = r.grade?.grade ?? "-";
  const gclass = grade.startsWith("A") ? "good" : grade === "B" ? "warn" : "bad";
  parts.push(
    `<p id="scan-grade">Grade <b class="${gclass}">${esc(grade)}</b> <span class="dim">· ${
      r.handshakes ?? 0
    } handshakes in ${r.elapsedMs ?? 0} ms${r.interrupted ? " · interrupted" : ""}</span></p>`,
  );
  const accepted = (r.versions ?? []).filter((v) => v.accepted);
  const rows: string[] = [];
  for (const v of accepted) {
    const order = v.serverOrder === true
      ? "server order"
      : v.serverOrder === false
      ? "client order"
      : "";
    rows.push(
      `<tr><th scope="rowgroup" colspan="3">${esc(v.version)} <span class="dim">${
        esc(order)
      }</span></th></tr>`,
    );
    v.suites.forEach((s, i) => {
      rows.push(
        `<tr><td class="dim">${i + 1}</td><td class="${ratingClass(s.rating)}">${
          esc(s.openssl ?? s.iana)
        }</td><td>${s.bits ?? "?"}</td></tr>`,
      );
    });
    if (v.groups.length) {
      rows.push(
        `<tr><td></td><td colspan="2" class="dim">groups: ${esc(v.groups.join(", "))}</td></tr>`,
      );
    }
  }
  const refused = (r.versions ?? []).filter((v) => !v.accepted).map((v) => v.version);
  parts.push(
    `<div class="scroll"><table class="suites" id="scan-suites" aria-label="Suites accepted per version">` +
      `<tr><th>#</th><th>suite</th><th>bits</th></tr>${rows.join("")}</table></div>`,
  );
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
        ? findings.map((f) =>
          `<li class="${SEVERITY_CLASS[f.severity] ?? "dim"}"><span aria-label="${
            esc(f.severity)
          }">${ICONS[f.severity] ?? "•"}</span> ${esc(f.message)}${
            f.reference ? ` <span class="dim">[${esc(f.reference)}]</span>` : ""
          }</li>`
        ).join("")
        : `<li class="good">No finding</li>`
    }</ul>`,
  );
  const profiles = r.profiles ?? [];
  if (profiles.length) {
    parts.push(
      `<h3>Profiles</h3><ul class="findings">${
        profiles.map((p) =>
          `<li class="${p.compliant ? "good" : "warn"}">${esc(p.name)}: ${
            p.compliant ? "compliant" : "not compliant"
          }${p.reasons.length ? ` <span class="dim">${esc(p.reasons[0])}</span>` : ""}</li>`
        ).join("")
      }</ul>`,
    );
  }
  const certs = r.certificates ?? [];
  if (certs.length) {
    parts.push(
      `<h3>Certificates</h3><ol class="chain">${
        certs.map((c) =>
          `<li><div class="subject">${esc(c.asked.toUpperCase())}: ${esc(c.subject)}</div>` +
          `<div>Key: ${esc(`${c.key.type} ${c.key.bits ?? c.key.curve ?? ""}`.trim())}</div>` +
          `<div>Expires: ${esc(c.notAfter.slice(0, 10))}</div></li>`
        ).join("")
      }</ol>`,
    );
  }
  return parts.join("");
}
