/**
 * The commands: each a small factory registered under the `tlsprobe.`
 * namespace by {@link registerCommands}. Probes and certificate decoding go
 * through the CLI (`cli_client.ts`); cipher strings through the bundled core
 * engine.
 *
 * @module
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  certificate,
  CliClientError,
  type CliCommand,
  commandLine,
  probe,
  resolveCli,
  scan,
} from "./cli_client.ts";
import { expand } from "./cipher_engine.ts";
import { findCipherStringAt, renderSuitesHtml } from "./pure/cipher_locate.ts";
import {
  addEntry,
  entryFailure,
  escapeHtml,
  plainMessage,
  type ProbeEntry,
  type ProbeRequest,
  removeEntry,
  renderChain,
} from "./pure/panel_model.ts";
import { formatTarget, parseTarget, type ReportCertificate } from "./pure/report.ts";
import { progressPercent, progressText, type ScanProgressLine } from "./pure/scan_view.ts";
import { COMMANDS, CONFIG, PANEL_VIEW_ID, setting } from "./constants.ts";
import { makeNonce, type PanelProvider } from "./panel/panel_provider.ts";
import type { LabController, LabNode } from "./lab_tree.ts";

/** What the commands need from the extension. */
export interface CommandDeps {
  context: vscode.ExtensionContext;
  panel: PanelProvider;
  /** The "tlsprobe" output channel (Show Output). */
  output?: vscode.OutputChannel;
  /** The test lab (its view and child process). */
  lab?: LabController;
}

/**
 * Finds the CLI. The `tlsprobe.path` setting counts only from user (or
 * remote machine) settings: a workspace must not choose the program the
 * extension runs. The repository route (`deno run cli/main.ts`) looks at the
 * workspace's folders only in a trusted workspace.
 */
export function findCli(context: vscode.ExtensionContext): CliCommand {
  const inspected = vscode.workspace.getConfiguration("tlsprobe").inspect<
    string
  >(CONFIG.path);
  return resolveCli({
    configuredPath: inspected?.globalValue ?? "",
    bundledDir: path.join(context.extensionUri.fsPath, "runtime"),
    searchRoots: [
      ...(vscode.workspace.isTrusted
        ? (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)
        : []),
      context.extensionUri.fsPath,
    ],
  });
}

/** The probe in flight: Cancel (in the view, or on the notification) aborts it. */
let inFlight: AbortController | undefined;

/** Cancels the running probe, if any (the panel's Cancel button). */
export function cancelProbe(): void {
  inFlight?.abort();
}

const SHOW_OUTPUT = "Show Output";
const OPEN_SETTINGS = "Open Settings";
const RETRY = "Retry";

/**
 * Tells the user about a failed probe with a notification, but only when the
 * panel (which shows the failure in place) is not on screen.
 */
function notifyFailure(deps: CommandDeps, req: ProbeRequest, message: string): void {
  if (deps.panel.visible) return;
  void vscode.window.showWarningMessage(
    plainMessage(`${req.target}: ${message}`),
    SHOW_OUTPUT,
    OPEN_SETTINGS,
    RETRY,
  ).then((pick) => {
    if (pick === SHOW_OUTPUT) deps.output?.show(true);
    else if (pick === OPEN_SETTINGS) {
      void vscode.commands.executeCommand("workbench.action.openSettings", "tlsprobe");
    } else if (pick === RETRY) void runProbe(deps, req);
  });
}

/**
 * Runs a probe through the CLI and records it in the history. Progress shows
 * in the panel (a progress bar and a Cancel button) and on the view's title;
 * when the panel is hidden, as a cancellable notification.
 *
 * @param deps context and panel
 * @param request the target and options
 * @returns the history entry, or undefined when cancelled
 */
export async function runProbe(
  deps: CommandDeps,
  request: ProbeRequest,
): Promise<ProbeEntry | undefined> {
  const { panel } = deps;
  const req: ProbeRequest = { ...request };
  if (!req.caFile) {
    const ca = setting<string>(CONFIG.caFile, "");
    if (ca) req.caFile = ca;
  }
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  let cli: CliCommand;
  try {
    cli = findCli(deps.context);
  } catch (e) {
    const err = e instanceof CliClientError ? e : new CliClientError("SPAWN", String(e));
    if (err.code === "CLI_NOT_FOUND") {
      void vscode.window.showErrorMessage(plainMessage(err.message), SET_PATH).then(
        (pick) => {
          if (pick === SET_PATH) {
            void vscode.commands.executeCommand(COMMANDS.setCliPath);
          }
        },
      );
    } else void vscode.window.showErrorMessage(plainMessage(err.message));
    panel.update(
      addEntry(panel.model, {
        request: req,
        startedAt,
        durationMs: 0,
        error: err.toCliError(),
      }),
    );
    void panel.reveal();
    return panel.model.entries[0];
  }
  // One probe at a time: a new one replaces the one in flight.
  inFlight?.abort();
  const abort = new AbortController();
  inFlight = abort;
  panel.update({ ...panel.model, running: req, cancelled: undefined, progress: undefined }, req);
  await panel.reveal();
  const scanning = req.kind === "scan";
  const probeTimeout = Math.max(1000, setting<number>(CONFIG.timeout, 15000));
  // A scan makes dozens of handshakes: give it four probe timeouts in all.
  const timeoutMs = scanning ? probeTimeout * 4 : probeTimeout;
  // A scan's progress (the CLI's --progress json lines): the panel's bar, and
  // the withProgress indicator's increments (which only go up).
  let report: vscode.Progress<{ message?: string; increment?: number }> | undefined;
  let shown = 0;
  const onProgress = (p: ScanProgressLine) => {
    if (abort.signal.aborted) return;
    panel.progress(p);
    const pct = progressPercent(p);
    report?.report({ message: progressText(p), increment: pct > shown ? pct - shown : undefined });
    shown = Math.max(shown, pct);
  };
  const work = async () => {
    try {
      if (scanning) {
        const run = await scan(cli, req, { timeoutMs, signal: abort.signal, onProgress });
        return { scan: run.result, cli: describeCli(cli, run.result.tool?.version) };
      }
      const run = await probe(cli, req, { timeoutMs, signal: abort.signal });
      return { report: run.result, cli: describeCli(cli, run.result.tool?.version) };
    } catch (e) {
      if (e instanceof CliClientError) return { error: e };
      return { error: new CliClientError("SPAWN", String(e)) };
    }
  };
  const title = `TLS: ${scanning ? "scanning" : "probing"} ${req.target}`;
  // The panel shows its own progress and Cancel; the view's title bar shows a
  // progress line too. Hidden panel: a notification with Cancel.
  const outcome = panel.visible
    ? await vscode.window.withProgress(
      { location: { viewId: PANEL_VIEW_ID }, title },
      (progress) => {
        report = progress;
        return work();
      },
    )
    : await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        report = progress;
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await work();
        } finally {
          sub.dispose();
        }
      },
    );
  if (inFlight === abort) inFlight = undefined;
  const failed = "error" in outcome ? outcome.error : undefined;
  if (failed?.code === "CANCELLED") {
    // Replaced by a newer probe: that one owns the panel now.
    if (panel.model.running === req) {
      panel.update({ ...panel.model, running: undefined, progress: undefined, cancelled: req });
    }
    return undefined;
  }
  panel.update(
    addEntry(panel.model, {
      request: req,
      startedAt,
      durationMs: Date.now() - t0,
      report: "report" in outcome ? outcome.report : undefined,
      scan: "scan" in outcome ? outcome.scan : undefined,
      error: failed?.toCliError(),
      cli: "cli" in outcome ? outcome.cli : undefined,
    }),
  );
  const entry = panel.model.entries[0];
  const failure = entryFailure(entry);
  if (failure) notifyFailure(deps, req, failure.message);
  return entry;
}

function probeCommand(deps: CommandDeps) {
  return async (
    arg?: Partial<ProbeRequest>,
  ): Promise<ProbeEntry | undefined> => {
    let target = arg?.target;
    if (!target) {
      const last = deps.panel.model.entries[0]?.request.target;
      target = await vscode.window.showInputBox({
        title: "TLS: Probe Endpoint",
        prompt: "host:port (or an https://, smtp://, imap://, ldap://, postgres://… URL)",
        placeHolder: "example.com:443",
        value: last,
        validateInput: (v) =>
          parseTarget(v) ? undefined : "Enter host:port, [ipv6]:port or an https:// URL",
      });
      if (!target) return undefined;
    }
    const parsed = parseTarget(target);
    if (!parsed) {
      void vscode.window.showErrorMessage(plainMessage(`Not a host:port: ${target}`));
      return undefined;
    }
    return await runProbe(deps, {
      ...arg,
      target: formatTarget(parsed),
      ...(parsed.starttls ? { starttls: parsed.starttls } : {}),
    });
  };
}

const SET_PATH = "Set tlsprobe.path…";

/** How the panel names the CLI that answered: `bundled tlsprobe 0.1.0`. */
function describeCli(cli: CliCommand, version: string | undefined): string {
  const where = {
    setting: "tlsprobe.path",
    PATH: "PATH",
    bundled: "bundled",
    repository: "repository",
  }[
    cli.source
  ];
  return `${where} tlsprobe ${version ?? "?"}`;
}

/**
 * Picks a tlsprobe executable and saves it as the user-level
 * `tlsprobe.path` (the universal package's way to a CLI).
 */
function setCliPathCommand(_deps: CommandDeps) {
  return async (): Promise<string | undefined> => {
    const picked = await vscode.window.showOpenDialog({
      title: "The tlsprobe executable (portable archive: the tlsprobe launcher)",
      canSelectFiles: true,
      canSelectFolders: false,
      canSelectMany: false,
      openLabel: "Use this tlsprobe",
    });
    const file = picked?.[0]?.fsPath;
    if (!file) return undefined;
    await vscode.workspace.getConfiguration("tlsprobe").update(
      CONFIG.path,
      file,
      vscode.ConfigurationTarget.Global,
    );
    void vscode.window.showInformationMessage(`tlsprobe.path is now ${file}.`);
    return file;
  };
}

function staticPage(
  title: string,
  body: string,
  extensionUri: vscode.Uri,
): vscode.WebviewPanel {
  const media = vscode.Uri.joinPath(extensionUri, "media");
  const panel = vscode.window.createWebviewPanel(
    "tlsprobe.view",
    title,
    vscode.ViewColumn.Beside,
    { enableScripts: false, localResourceRoots: [media] },
  );
  const css = panel.webview.asWebviewUri(
    vscode.Uri.joinPath(media, "panel.css"),
  );
  // No scripts at all on these pages; the nonce keeps the CSP uniform.
  const csp =
    `default-src 'none'; style-src ${panel.webview.cspSource}; script-src 'nonce-${makeNonce()}';`;
  panel.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link href="${css}" rel="stylesheet"><title>${escapeHtml(title)}</title></head>
<body>${body}</body></html>`;
  return panel;
}

function expandCommand(deps: CommandDeps) {
  return async (arg?: string): Promise<string | undefined> => {
    let text = typeof arg === "string" ? arg : undefined;
    const editor = vscode.window.activeTextEditor;
    if (!text && editor) {
      const sel = editor.selection;
      if (!sel.isEmpty) {
        text = editor.document.getText(sel).trim().replace(
          /^["'`]|["'`]$/g,
          "",
        );
      } else {
        const pos = sel.active;
        text = findCipherStringAt(
          editor.document.lineAt(pos.line).text,
          pos.character,
        )?.text;
      }
    }
    if (!text) {
      text = await vscode.window.showInputBox({
        title: "TLS: Expand Cipher String",
        prompt: "An OpenSSL cipher string",
        placeHolder: "ECDH+AES128",
      });
      if (!text) return undefined;
    }
    const version = setting<string>(CONFIG.opensslVersion, "3.0");
    const result = expand(text, version);
    if (!result.ok) {
      void vscode.window.showErrorMessage(
        plainMessage(`Not a valid OpenSSL ${version} cipher string: ${result.message}`),
      );
      return undefined;
    }
    const html = renderSuitesHtml(text, result.rows, version);
    staticPage(`Cipher string: ${text}`, html, deps.context.extensionUri);
    return html;
  };
}

function certificatesOf(result: Record<string, unknown>): ReportCertificate[] {
  const certs = result.certificates ?? result.certificate ?? result.chain;
  if (Array.isArray(certs)) return certs as ReportCertificate[];
  if (certs && typeof certs === "object") return [certs as ReportCertificate];
  return [];
}

function showCertificateCommand(deps: CommandDeps) {
  return async (arg?: vscode.Uri): Promise<unknown> => {
    let file: string | undefined;
    let tmp: string | undefined;
    const editor = vscode.window.activeTextEditor;
    if (arg instanceof vscode.Uri) {
      file = arg.fsPath;
    } else if (editor && !editor.selection.isEmpty) {
      const pem = editor.document.getText(editor.selection);
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tlsprobe-cert-"));
      file = path.join(tmp, "selection.pem");
      fs.writeFileSync(file, pem);
    } else if (
      editor && editor.document.uri.scheme === "file" &&
      (/\.(pem|crt|cer|der)$/i.test(editor.document.fileName) ||
        editor.document.getText().includes("-----BEGIN CERTIFICATE-----"))
    ) {
      file = editor.document.uri.fsPath;
    } else {
      // The active file is not a certificate: ask for one.
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: false,
        filters: {
          Certificates: ["pem", "crt", "cer", "der"],
          "All files": ["*"],
        },
      });
      file = picked?.[0]?.fsPath;
    }
    if (!file) return undefined;
    try {
      const cli = findCli(deps.context);
      const timeoutMs = setting<number>(CONFIG.timeout, 15000);
      const run = await certificate(cli, file, { timeoutMs });
      const r = run.result as unknown as Record<string, unknown>;
      if (run.result.outcome === "error") {
        void vscode.window.showErrorMessage(
          plainMessage(`${run.result.error!.code}: ${run.result.error!.message}`),
        );
        // A malformed certificate (CERT_INVALID) is still shown, with its findings.
        if (certificatesOf(r).length === 0) return run.result;
      }
      const body = `<h2>${escapeHtml(path.basename(file))}</h2>` +
        renderChain(certificatesOf(r), new Date()) +
        `<details><summary>JSON</summary><pre>${
          escapeHtml(JSON.stringify(r, null, 2))
        }</pre></details>`;
      staticPage(
        `Certificate: ${path.basename(file)}`,
        body,
        deps.context.extensionUri,
      );
      return run.result;
    } catch (e) {
      void vscode.window.showErrorMessage(
        plainMessage(e instanceof Error ? e.message : String(e)),
      );
      return undefined;
    } finally {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  };
}

function clearHistoryCommand(deps: CommandDeps) {
  return () => deps.panel.update({ entries: [], nextId: deps.panel.model.nextId });
}

/** A history row's entry: from the tree's context menu or click, or an id. */
function entryOf(deps: CommandDeps, arg: ProbeEntry | number | undefined): ProbeEntry | undefined {
  const id = typeof arg === "number" ? arg : arg?.id;
  return deps.panel.model.entries.find((e) => e.id === id);
}

function historyShowCommand(deps: CommandDeps) {
  return async (arg?: ProbeEntry | number) => {
    const entry = entryOf(deps, arg);
    if (!entry) return;
    deps.panel.update({ ...deps.panel.model, selectedId: entry.id, cancelled: undefined });
    await deps.panel.reveal();
  };
}

function historyReprobeCommand(deps: CommandDeps) {
  return (arg?: ProbeEntry | number) => {
    const entry = entryOf(deps, arg);
    return entry ? runProbe(deps, { ...entry.request }) : undefined;
  };
}

function historyCopyCommand(deps: CommandDeps) {
  return async (arg?: ProbeEntry | number): Promise<string | undefined> => {
    const entry = entryOf(deps, arg);
    if (!entry) return undefined;
    const line = commandLine(entry.request);
    try {
      await vscode.env.clipboard.writeText(line);
      vscode.window.setStatusBarMessage(`$(clippy) Copied: ${line}`, 4000);
    } catch (e) {
      void vscode.window.showErrorMessage(
        plainMessage(`Cannot write to the clipboard (${String(e)}): ${line}`),
      );
    }
    return line;
  };
}

function historyRemoveCommand(deps: CommandDeps) {
  return (arg?: ProbeEntry | number) => {
    const entry = entryOf(deps, arg);
    if (entry) deps.panel.update(removeEntry(deps.panel.model, entry.id));
  };
}

/**
 * Registers every command.
 *
 * @param deps context and panel
 */
export function registerCommands(deps: CommandDeps): void {
  const table: Record<
    string,
    (deps: CommandDeps) => (...args: never[]) => unknown
  > = {
    [COMMANDS.probe]: probeCommand,
    [COMMANDS.expandCipherString]: expandCommand,
    [COMMANDS.showCertificate]: showCertificateCommand,
    [COMMANDS.clearHistory]: clearHistoryCommand,
    [COMMANDS.cancelProbe]: () => cancelProbe,
    [COMMANDS.historyShow]: historyShowCommand,
    [COMMANDS.historyReprobe]: historyReprobeCommand,
    [COMMANDS.historyCopyCommand]: historyCopyCommand,
    [COMMANDS.historyRemove]: historyRemoveCommand,
    [COMMANDS.setCliPath]: setCliPathCommand,
    [COMMANDS.labStart]: (d) => () => d.lab?.start(),
    [COMMANDS.labStop]: (d) => () => d.lab?.stop(),
    [COMMANDS.labCopyAddress]: (d) => (node?: LabNode) => d.lab?.copyAddress(node),
    [COMMANDS.labProbe]: (d) => (node?: LabNode) => d.lab?.probeEndpoint(node),
    [COMMANDS.labOpenIndex]: (d) => () => d.lab?.openIndex(),
  };
  for (const [id, factory] of Object.entries(table)) {
    deps.context.subscriptions.push(
      vscode.commands.registerCommand(id, factory(deps)),
    );
  }
}
