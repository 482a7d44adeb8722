/**
 * The side panel's model (latest probe and a history of recent ones) and the
 * HTML it renders into the webview. Rendering happens here, in the extension
 * host, as escaped HTML with no scripts or inline handlers, so the webview's
 * CSP stays `default-src 'none'` with one nonce'd script. No `vscode` import:
 * unit-tested under Deno.
 *
 * @module
 */
import {
  type CliError,
  nameText,
  parseTarget,
  type ProbeReport,
  type ReportCertificate,
} from "./report.ts";
import {
  renderScan,
  renderScanProgress,
  type ScanProgressLine,
  type ScanReport,
  scanSummary,
} from "./scan_view.ts";

/** What the user asked for: the form's fields. */
export interface ProbeRequest {
  /** `scan` runs `tlsprobe scan`; a probe otherwise. */
  kind?: "probe" | "scan";
  target: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  alpn?: string;
  serverName?: string;
  /** `tlsprobe --starttls` protocol (from an `smtp://`, `imap://`… URL). */
  starttls?: string;
}

/** One probe in the history. */
export interface ProbeEntry {
  id: number;
  request: ProbeRequest;
  /** ISO time the probe started. */
  startedAt: string;
  durationMs: number;
  /** The CLI's report (also present for failures the CLI reported itself). */
  report?: ProbeReport;
  /** The CLI's scan report, for a scan. */
  scan?: ScanReport;
  /** The failure: the CLI's `error`, or the extension's own (spawn, timeout, format). */
  error?: CliError;
  /** Which CLI answered (`bundled tlsprobe 0.1.0`, `PATH tlsprobe 0.1.0`…). */
  cli?: string;
}

/** How many probes the history keeps. */
export const HISTORY_LIMIT = 20;

/** The panel's state. */
export interface PanelModel {
  entries: ProbeEntry[];
  selectedId?: number;
  running?: ProbeRequest;
  /** The running scan's last progress line (`tlsprobe scan --progress json`). */
  progress?: ScanProgressLine;
  /** The last probe the user cancelled (shown until the next probe or selection). */
  cancelled?: ProbeRequest;
  nextId: number;
}

/** A fresh, empty model. */
export function emptyModel(): PanelModel {
  return { entries: [], nextId: 1 };
}

/**
 * Adds a finished probe at the head of the history, selects it, and drops the
 * oldest beyond {@link HISTORY_LIMIT}.
 *
 * @param model the current model
 * @param entry the probe, without its id
 * @returns a new model
 */
export function addEntry(
  model: PanelModel,
  entry: Omit<ProbeEntry, "id">,
): PanelModel {
  const id = model.nextId;
  const entries = [{ ...entry, id }, ...model.entries].slice(0, HISTORY_LIMIT);
  return { entries, selectedId: id, nextId: id + 1, running: undefined };
}

/**
 * Drops one probe from the history (the selection moves to the latest).
 *
 * @param model the current model
 * @param id the probe's id
 * @returns a new model
 */
export function removeEntry(model: PanelModel, id: number): PanelModel {
  const entries = model.entries.filter((e) => e.id !== id);
  const selectedId = model.selectedId === id ? entries[0]?.id : model.selectedId;
  return { ...model, entries, selectedId };
}

/**
 * The entry the panel shows: the selected one, else the latest.
 *
 * @param model the model
 * @returns the entry, or undefined when there is none
 */
export function selectedEntry(model: PanelModel): ProbeEntry | undefined {
  return model.entries.find((e) => e.id === model.selectedId) ??
    model.entries[0];
}

/**
 * Escapes text for HTML element content and double-quoted attributes.
 *
 * @param s any text
 * @returns the escaped text
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function row(label: string, value: string, id?: string): string {
  const attr = id ? ` id="${id}"` : "";
  return `<tr><th scope="row">${escapeHtml(label)}</th><td${attr}>${value}</td></tr>`;
}

/**
 * Escapes a long token (a cipher suite name, a host name) and lets it wrap
 * only after its separators (`_`, `.`, `:`, `/`, `,`), never inside a word.
 *
 * @param v the token
 * @returns HTML
 */
export function token(v: unknown): string {
  return text(v).replace(/([_./,]|:(?!\/))/g, "$1<wbr>");
}

function text(v: unknown): string {
  return v === undefined || v === null || v === "" ? "—" : escapeHtml(String(v));
}

/**
 * Days from `now` until `iso` (negative once past), or undefined for a bad date.
 *
 * @param iso an ISO 8601 time
 * @param now the current time
 * @returns whole days, rounded down
 */
export function daysUntil(
  iso: string | undefined,
  now: Date,
): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return undefined;
  return Math.floor((t - now.getTime()) / 86_400_000);
}

function expiry(cert: ReportCertificate, now: Date): string {
  const days = daysUntil(cert.notAfter, now);
  if (days === undefined) return text(cert.notAfter);
  const date = escapeHtml(cert.notAfter!.slice(0, 10));
  if (days < 0) {
    return `<span class="bad">expired ${date} (${-days} days ago)</span>`;
  }
  const cls = days < 30 ? "warn" : "good";
  return `<span class="${cls}">${date} (in ${days} days)</span>`;
}

function keyText(cert: ReportCertificate): string {
  const k = cert.key;
  if (!k) return "—";
  return escapeHtml(
    [k.type, k.bits ? `${k.bits} bits` : k.curve].filter(Boolean).join(" "),
  );
}

/** A certificate's findings (malformed encodings), one line each. */
function findingsHtml(c: ReportCertificate): string {
  return (c.findings ?? []).map((f) => {
    const cls = f.severity === "error" ? "bad" : f.severity === "warning" ? "warn" : "dim";
    const line = `${f.severity} ${f.rule}: ${f.message}${f.clause ? ` [${f.clause}]` : ""}`;
    return `<div class="finding ${cls}">${escapeHtml(line)}</div>`;
  }).join("");
}

/**
 * Renders a certificate chain with names, key, expiry and the decoder's
 * findings.
 *
 * @param certs the chain, leaf first
 * @param now the current time
 * @returns HTML
 */
export function renderChain(
  certs: ReportCertificate[],
  now: Date,
  opts: { copyButtons?: boolean } = {},
): string {
  if (certs.length === 0) return "";
  const items = certs.map((c, i) => {
    const names = [...(c.sans?.dns ?? []), ...(c.sans?.ip ?? [])];
    const which = i === 0 ? "the leaf" : `certificate ${i + 1}`;
    // A copy button (panel only: the certificate page runs no script) after a long value.
    const copy = (label: string, value: string | undefined) =>
      opts.copyButtons && value
        ? ` <button type="button" class="secondary copy" data-action="copy" data-value="${
          escapeHtml(value)
        }" aria-label="Copy the ${label} of ${which}">Copy</button>`
        : "";
    const from = c.notBefore ? `${escapeHtml(c.notBefore.slice(0, 10))} – ` : "";
    return `<li><div class="subject">${i === 0 ? "Leaf" : `#${i}`}: ${
      text(nameText(c.subject))
    }</div>` +
      `<div>Issuer: ${text(nameText(c.issuer))}</div>` +
      (names.length ? `<div>Names: ${escapeHtml(names.join(", "))}</div>` : "") +
      `<div>Key: ${keyText(c)}${
        c.signatureAlgorithm ? `, signed with ${escapeHtml(c.signatureAlgorithm)}` : ""
      }</div><div>Valid: ${from}${expiry(c, now)}</div>` +
      (c.serialNumber
        ? `<div>Serial: <span class="mono">${token(c.serialNumber)}</span>${
          copy("serial number", c.serialNumber)
        }</div>`
        : "") +
      (c.sha256
        ? `<div>SHA-256: <span class="mono">${token(c.sha256)}</span>${
          copy("SHA-256 fingerprint", c.sha256)
        }</div>`
        : "") +
      findingsHtml(c) + `</li>`;
  });
  return `<h3>Certificate chain</h3><ol class="chain">${items.join("")}</ol>`;
}

/**
 * What went wrong with a probe, if anything: the extension's or the CLI's
 * error, else a refused trust or a name that does not match (the CLI reports
 * those as data with exit status 1, and they must not look like success).
 *
 * @param entry the probe
 * @returns the failure, or undefined when the probe succeeded
 */
export function entryFailure(entry: ProbeEntry): CliError | undefined {
  const r = entry.report;
  const e = entry.error ?? r?.error ?? entry.scan?.error;
  if (e) return e;
  if (r?.trust?.verified === false) {
    const code = r.trust.code ?? "CERT_INVALID";
    const message = r.trust.message ??
      "The server's certificate was not verified";
    // The CLI words its advice for its own flags; the panel's is the CA file option.
    const advice = code === "CERT_UNKNOWN_ISSUER" && !/CA file \(|--cafile/.test(message)
      ? ": give the CA certificate that signed it (Retry with a CA file…, or CA file under Options)"
      : "";
    return { code, message: message + advice };
  }
  if (r?.identity?.matched === false) {
    return {
      code: "CERT_NAME_MISMATCH",
      message: r.identity.reason ||
        `The certificate does not name ${r.identity.hostname}.`,
    };
  }
  return undefined;
}

const SEVERITY_MARK: Record<string, { glyph: string; cls: string }> = {
  error: { glyph: "✖", cls: "bad" },
  warning: { glyph: "⚠", cls: "warn" },
  info: { glyph: "ℹ", cls: "dim" },
};

/**
 * One finding, styled by severity: a mark, the severity in words (read by
 * screen readers, not only shown by colour), the rule and the message.
 *
 * @param severity `error`, `warning` or `info`
 * @param rule the finding's rule id
 * @param message why
 * @param reference where it is explained (an RFC, a CVE), if any
 * @returns an `<li>`
 */
export function findingItem(
  severity: string,
  rule: string,
  message: string,
  reference?: string,
): string {
  const mark = SEVERITY_MARK[severity] ?? SEVERITY_MARK.info;
  return `<li class="finding-${escapeHtml(severity)}">` +
    `<span class="sev ${mark.cls}"><span aria-hidden="true">${mark.glyph}</span> ${
      escapeHtml(severity)
    }</span> <b>${escapeHtml(rule)}</b> ${escapeHtml(message)}${
      reference ? ` <span class="dim">[${escapeHtml(reference)}]</span>` : ""
    }</li>`;
}

/** The registry's rating of the negotiated suite, coloured by how bad it is. */
function ratingHtml(rating: string | null | undefined, reason: string | null | undefined): string {
  if (!rating) return "—";
  const cls = rating === "insecure" ? "bad" : rating === "weak" ? "warn" : "good";
  return `<span class="${cls}">${escapeHtml(rating)}</span>${
    reason ? ` <span class="dim">(${escapeHtml(reason)})</span>` : ""
  }`;
}

function renderError(e: CliError): string {
  return `<div class="error" role="alert" id="error"><span class="code">${
    escapeHtml(e.code)
  }</span> ${escapeHtml(e.message)}</div>`;
}

/**
 * Renders one probe: the negotiated parameters table, the identity and trust
 * results, the chain with expiry, or the CLI's friendly error and code.
 *
 * @param entry the probe
 * @param now the current time (for expiry)
 * @returns HTML (escaped, no scripts)
 */
export function renderEntry(entry: ProbeEntry, now: Date): string {
  const r = entry.report;
  const head = `<h2 id="result-target">${token(entry.request.target)}${
    entry.request.kind === "scan" ? ` <span class="dim">scan</span>` : ""
  }</h2>`;
  const error = entryFailure(entry);
  const parts = [head];
  if (error) parts.push(renderError(error));
  const actions: string[] = [];
  if (
    error &&
    /^CERT_(UNKNOWN_ISSUER|INVALID|BAD_SIGNATURE|CA_AS_LEAF)/.test(error.code)
  ) {
    actions.push(
      `<button type="button" class="secondary" id="retry-ca" data-action="retryWithCa" data-id="${entry.id}">Retry with a CA file…</button>`,
    );
  }
  if (r || entry.scan) {
    actions.push(
      `<button type="button" class="secondary" id="show-json" data-action="showJson" data-id="${entry.id}">Show raw JSON</button>`,
    );
  }
  if (actions.length) {
    parts.push(`<div class="actions">${actions.join(" ")}</div>`);
  }
  if (entry.scan && !entry.scan.error) parts.push(renderScan(entry.scan));
  const h = r?.handshake;
  if (h) {
    const c = h.cipher ?? {};
    const leaf = r?.certificates?.[0];
    const id = r?.identity;
    const trust = r?.trust;
    // null: the name could not be checked; the CLI says so with a reason.
    const matched = id?.matched === undefined || id.matched === null
      ? "—"
      : id.matched
      ? `<span class="good">matches ${text(id.hostname)}</span>${
        id.rule ? ` <span class="dim">(${escapeHtml(id.rule)})</span>` : ""
      }`
      : `<span class="bad">does not match ${text(id.hostname)}</span>`;
    // null: trust could not be checked (e.g. a suite rustls refuses), which is not "not verified".
    const verified = !trust
      ? "—"
      : trust.verified === null
      ? `<span class="dim">not checked</span>${trust.code ? ` (${escapeHtml(trust.code)})` : ""}`
      : trust.verified
      ? `<span class="good">verified</span> <span class="dim">(${
        token(trust.caFile ?? trust.store)
      })</span>`
      : `<span class="bad">not verified</span>${trust.code ? ` (${escapeHtml(trust.code)})` : ""}`;
    const rows = [
      row("Version", text(h.version), "r-version"),
      row("Cipher (IANA)", token(c.iana), "r-cipher"),
      row("Cipher (OpenSSL)", token(c.openssl), "r-cipher-openssl"),
      row("Cipher bits", text(c.bits)),
      row("Rating", ratingHtml(c.rating, c.ratingReason), "r-rating"),
      row("Group", text(h.group?.name), "r-group"),
      row("Server key", leaf ? keyText(leaf) : "—", "r-key"),
      row("ALPN", text(h.alpn)),
      row(
        "Client certificate",
        clientCertText(h.clientCertificateRequested, entry.request),
        "r-client-cert",
      ),
      row("Address", token(r?.target?.address)),
      row("SNI", token(r?.target?.serverName)),
      row("Names", matched, "r-identity"),
      row("Trust", verified, "r-trust"),
    ];
    parts.push(
      `<div class="scroll"><table class="result" aria-label="Negotiated parameters">${
        rows.join("")
      }</table></div>`,
    );
    if (r?.certificates) parts.push(renderChain(r.certificates, now, { copyButtons: true }));
    if (r?.findings?.length) {
      parts.push(
        `<h3>Findings</h3><ul class="findings" id="findings">${
          r.findings.map((f) => findingItem(f.severity, f.rule, f.message)).join("")
        }</ul>`,
      );
    }
  }
  parts.push(
    `<p class="dim" id="r-meta">${
      escapeHtml(entry.startedAt.replace("T", " ").slice(0, 19))
    } UTC · ${Math.round(entry.durationMs)} ms${
      entry.cli ? ` · <span id="r-cli">${escapeHtml(entry.cli)}</span>` : ""
    }</p>`,
  );
  return parts.join("");
}

/**
 * One line summarising a probe, for the history list.
 *
 * @param entry the probe
 * @returns plain text
 */
export function summary(entry: ProbeEntry): string {
  if (entry.request.kind === "scan") {
    return entry.error
      ? `${entry.request.target}: ${entry.error.code}`
      : scanSummary(entry.request.target, entry.scan);
  }
  const e = entryFailure(entry);
  if (e) return `${entry.request.target}: ${e.code}`;
  const h = entry.report?.handshake;
  return `${entry.request.target}: ${h?.version ?? "?"} ${h?.cipher?.iana ?? ""}`.trim();
}

/**
 * Renders the result area of the panel: a running notice, the selected
 * probe, or a hint.
 *
 * @param model the model
 * @param now the current time
 * @returns HTML
 */
export function renderResult(model: PanelModel, now: Date): string {
  if (model.running) {
    const what = `${model.running.kind === "scan" ? "Scanning" : "Probing"} ${
      escapeHtml(model.running.target)
    }…`;
    const bar = model.running.kind === "scan"
      ? renderScanProgress(model.progress, what)
      : `<progress aria-label="${what}"></progress>`;
    return `<div id="running" class="running">${bar}` +
      `<div class="row"><span role="status" class="grow">${what}</span>` +
      `<button type="button" class="secondary" id="cancel-probe" data-action="cancel">Cancel</button>` +
      `</div></div>`;
  }
  const cancelled = model.cancelled
    ? `<p role="status" id="cancelled" class="notice">${
      model.cancelled.kind === "scan" ? "Scan" : "Probe"
    } of ${escapeHtml(model.cancelled.target)} cancelled.</p>`
    : "";
  const entry = selectedEntry(model);
  if (!entry) {
    return cancelled ||
      `<p class="dim">Enter host:port and press Probe, or run “TLS: Probe Endpoint…”.</p>`;
  }
  return cancelled + renderEntry(entry, now);
}

/**
 * Whether the server asked for a client certificate, which CAs it named, and
 * whether the form sent one.
 *
 * @param requested the report's `handshake.clientCertificateRequested`
 * @param request the form's fields (`certFile`)
 * @returns HTML
 */
export function clientCertText(
  requested: { caNames: string[] } | false | null | undefined,
  request: { certFile?: string },
): string {
  const sent = request.certFile
    ? ` <span class="dim">(sent ${escapeHtml(request.certFile)})</span>`
    : "";
  if (requested === undefined || requested === null) return `—${sent}`;
  if (requested === false) return `not requested${sent}`;
  const cas = requested.caNames.length
    ? `; CAs named: ${requested.caNames.map(escapeHtml).join("; ")}`
    : "; no CA named";
  return `requested${cas}${sent}`;
}

/**
 * Why a target typed in the form cannot be probed, or undefined when it can.
 * The same parser as the command line's (`parseTarget`).
 *
 * @param target the form's Host:port field
 * @returns a message for next to the field
 */
export function targetProblem(target: string | undefined): string | undefined {
  const t = target?.trim() ?? "";
  if (!t) return "Enter host:port, for example example.com:443.";
  if (parseTarget(t)) return undefined;
  return `Not a host:port: ${t.length > 60 ? t.slice(0, 60) + "…" : t}. ` +
    "Enter host:port, [ipv6]:port or a URL such as https://example.com.";
}

/**
 * Text for a notification: backticks would show literally there, so
 * backticked words get typographic quotes instead.
 *
 * @param s a message
 * @returns the message without backticks
 */
export function plainMessage(s: string): string {
  return s.replace(/`([^`]*)`/g, "“$1”").replaceAll("`", "");
}
