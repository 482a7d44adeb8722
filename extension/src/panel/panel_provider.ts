/**
 * The "TLS" side panel: a webview view with the probe form, the running
 * probe's progress and Cancel button, and the selected probe's results. The
 * model lives here (and in workspace state, so the history, shown by the
 * tree view below, survives a reload); the HTML comes from the pure
 * renderers in `pure/panel_model.ts`.
 *
 * @module
 */
import * as vscode from "vscode";
import {
  emptyModel,
  escapeHtml,
  type PanelModel,
  type ProbeRequest,
  renderResult,
  targetProblem,
} from "../pure/panel_model.ts";
import { PANEL_VIEW_ID } from "../constants.ts";
import { progressPercent, progressText, type ScanProgressLine } from "../pure/scan_view.ts";
import { STARTTLS_PROTOCOLS } from "../../../core/starttls/mod.ts";

/** Messages from the webview. */
export type FromWebview =
  | { type: "ready" }
  | { type: "probe"; request: ProbeRequest }
  | { type: "scan"; request: ProbeRequest }
  | { type: "cancel" }
  | { type: "copy"; value: string }
  | { type: "browse"; field: "caFile" | "certFile" | "keyFile" }
  | { type: "retryWithCa"; id: number }
  | { type: "showJson"; id: number };

/** Messages to the webview. */
export type ToWebview =
  | {
    type: "state";
    result: string;
    running: boolean;
    form?: ProbeRequest;
  }
  | { type: "progress"; done: number; total: number; percent: number; text: string }
  | { type: "invalid"; field: "target"; message: string }
  | { type: "browsed"; field: string; path: string };

const STATE_KEY = "tlsprobe.panelModel";

/**
 * A nonce for the webview's script, from the platform's CSPRNG.
 *
 * @returns 24 base64 characters
 */
export function makeNonce(): string {
  const bytes = new Uint8Array(18);
  globalThis.crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/** Provides the side panel's webview view and owns the panel model. */
export class PanelProvider implements vscode.WebviewViewProvider {
  static readonly viewType = PANEL_VIEW_ID;
  private view?: vscode.WebviewView;
  private state: PanelModel;
  private pendingForm?: ProbeRequest;
  /** Whether the webview's script has said "ready" (messages before that are lost). */
  private scriptReady = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly memento: vscode.Memento,
    private readonly onProbe: (req: ProbeRequest) => void,
    private readonly onCancel: () => void = () => {},
    private readonly onChange: () => void = () => {},
  ) {
    this.state = memento.get<PanelModel>(STATE_KEY) ?? emptyModel();
    this.state.running = undefined;
  }

  /** The current model (read by tests through the extension's API). */
  get model(): PanelModel {
    return this.state;
  }

  /**
   * Replaces the model, saves it, and re-renders the view when visible.
   *
   * @param next the new model
   * @param form values to put in the form (the probe's request)
   */
  update(next: PanelModel, form?: ProbeRequest): void {
    this.state = next;
    if (form) this.pendingForm = form;
    void this.memento.update(STATE_KEY, {
      ...next,
      running: undefined,
      cancelled: undefined,
      progress: undefined,
    });
    this.render();
    this.onChange();
  }

  /**
   * Shows the running scan's progress: only the bar and its text change
   * (no save, no history refresh, focus stays where it is).
   *
   * @param p the CLI's last progress line
   */
  progress(p: ScanProgressLine): void {
    if (this.state.running?.kind !== "scan") return;
    // Never back: an older CLI's done/total falls when the plan grows.
    const before = this.state.progress;
    if (before && p.phase !== "done") {
      p = { ...p, percent: Math.max(progressPercent(before), progressPercent(p)) };
    }
    this.state = { ...this.state, progress: p };
    this.post({
      type: "progress",
      done: p.done,
      total: p.total,
      percent: progressPercent(p),
      text: progressText(p),
    });
  }

  /** Whether the panel is on screen (notifications are for when it is not). */
  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  /** Shows the panel (opening the TLS container). */
  async reveal(): Promise<void> {
    if (this.view) {
      this.view.show(true);
      return;
    }
    await vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.scriptReady = false;
    const media = vscode.Uri.joinPath(this.extensionUri, "media");
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview);
    view.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m));
    view.onDidDispose(() => {
      this.view = undefined;
    });
  }

  private async receive(m: FromWebview): Promise<void> {
    switch (m.type) {
      case "ready":
        this.scriptReady = true;
        this.render();
        break;
      case "probe":
      case "scan": {
        // A typo is answered next to the field: no probe, no history entry, no notification.
        const problem = targetProblem(m.request.target);
        if (problem) {
          this.post({ type: "invalid", field: "target", message: problem });
          break;
        }
        this.onProbe({ ...m.request, target: m.request.target.trim(), kind: m.type });
        break;
      }
      case "cancel":
        this.onCancel();
        break;
      case "copy":
        if (typeof m.value === "string" && m.value.length < 10_000) {
          await vscode.env.clipboard.writeText(m.value);
          vscode.window.setStatusBarMessage(`$(clippy) Copied: ${m.value}`, 4000);
        }
        break;
      case "retryWithCa": {
        // One click from a trust failure to a probe with a CA file.
        const entry = this.state.entries.find((e) => e.id === m.id);
        if (!entry) break;
        const picked = await vscode.window.showOpenDialog({
          title: "The CA certificate (PEM) that signed the server's certificate",
          canSelectMany: false,
          openLabel: "Retry with this CA",
          filters: { "PEM files": ["pem", "crt", "cer"], "All files": ["*"] },
        });
        if (picked?.[0]) {
          const request = { ...entry.request, caFile: picked[0].fsPath };
          this.pendingForm = request;
          this.onProbe(request);
        }
        break;
      }
      case "showJson": {
        const entry = this.state.entries.find((e) => e.id === m.id);
        if (!entry) break;
        const doc = await vscode.workspace.openTextDocument({
          language: "json",
          content: JSON.stringify(entry.report ?? entry.scan ?? { error: entry.error }, null, 2),
        });
        await vscode.window.showTextDocument(doc, { preview: true });
        break;
      }
      case "browse": {
        const picked = await vscode.window.showOpenDialog({
          canSelectMany: false,
          openLabel: "Select",
          filters: {
            "PEM files": ["pem", "crt", "cer", "key"],
            "All files": ["*"],
          },
        });
        if (picked?.[0]) {
          this.post({
            type: "browsed",
            field: m.field,
            path: picked[0].fsPath,
          });
        }
        break;
      }
    }
  }

  private post(m: ToWebview): void {
    void this.view?.webview.postMessage(m);
  }

  private render(): void {
    if (!this.view) return;
    // A form set while the script still loads (the view was just opened, e.g. by a
    // probe from the Test Lab tree) waits for its "ready".
    const form = this.scriptReady ? this.pendingForm : undefined;
    if (this.scriptReady) this.pendingForm = undefined;
    this.post({
      type: "state",
      result: renderResult(this.state, new Date()),
      running: this.state.running !== undefined,
      form,
    });
  }

  private html(webview: vscode.Webview): string {
    const nonce = makeNonce();
    const media = vscode.Uri.joinPath(this.extensionUri, "media");
    const css = webview.asWebviewUri(vscode.Uri.joinPath(media, "panel.css"));
    const js = webview.asWebviewUri(vscode.Uri.joinPath(media, "panel.js"));
    const csp = `default-src 'none'; style-src ${webview.cspSource}; ` +
      `script-src 'nonce-${nonce}';`;
    const field = (
      id: string,
      label: string,
      placeholder: string,
      browse = false,
    ) =>
      `<label for="${id}">${escapeHtml(label)}</label><div class="row">` +
      `<input id="${id}" name="${id}" type="text" placeholder="${escapeHtml(placeholder)}" ` +
      `spellcheck="false" autocomplete="off"${id === "target" ? ` aria-required="true"` : ""}>` +
      (browse
        ? `<button type="button" class="secondary browse" data-field="${id}" ` +
          `aria-label="Browse for ${escapeHtml(label)}">…</button>`
        : "") +
      `</div>`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${css}" rel="stylesheet">
<title>TLS probe</title>
</head>
<body>
<form id="probe-form" aria-label="Probe a TLS endpoint">
${field("target", "Host:port", "example.com:443")}
<div id="target-error" class="field-error" hidden></div>
<details id="options">
<summary>Options</summary>
${field("caFile", "CA file", "system store", true)}
${field("certFile", "Client certificate", "none", true)}
${field("keyFile", "Client key", "none", true)}
${field("alpn", "ALPN", "h2,http/1.1")}
${field("serverName", "SNI", "the host name")}
<label for="starttls">STARTTLS</label><div class="row"><select id="starttls" name="starttls">
<option value="">none: TLS from the start</option>
${STARTTLS_PROTOCOLS.map((p) => `<option value="${p}">${p}</option>`).join("\n")}
</select></div>
</details>
<div class="row"><button type="submit" id="probe-button">Probe</button>
<button type="button" id="scan-button" class="secondary" title="Enumerate every version, suite and group the server accepts, and grade it">Scan</button></div>
</form>
<section id="result" aria-live="polite" aria-label="Latest probe"></section>
<script nonce="${nonce}" src="${js}"></script>
</body>
</html>`;
  }
}
