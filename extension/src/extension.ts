/**
 * Entry point: wires the panel, commands, hovers, lint and CodeLens. The
 * logic lives in the modules it registers (and in the CLI and the core).
 *
 * @module
 */
import * as vscode from "vscode";
import { PanelProvider } from "./panel/panel_provider.ts";
import { cancelProbe, type CommandDeps, findCli, registerCommands, runProbe } from "./commands.ts";
import { LabController } from "./lab_tree.ts";
import type { LabIndex } from "./pure/lab_view.ts";
import { HistoryTreeProvider } from "./history_tree.ts";
import { registerStatusBar } from "./status_bar.ts";
import { CIPHER_SELECTOR, CipherHoverProvider } from "./hover.ts";
import { registerLint } from "./lint_provider.ts";
import { ProbeCodeLensProvider } from "./codelens.ts";
import { findCipherStringAt } from "./pure/cipher_locate.ts";
import { setCliLogger } from "./cli_client.ts";
import type { PanelModel, ProbeEntry, ProbeRequest } from "./pure/panel_model.ts";

/** What `activate` returns: read by the integration tests. */
export interface TlsprobeApi {
  /** The side panel's current model. */
  panelModel(): PanelModel;
  /** Runs a probe as the panel's form would. */
  probe(request: ProbeRequest): Promise<ProbeEntry | undefined>;
  /** The running test lab's index, if any. */
  labIndex(): LabIndex | undefined;
}

/** The test lab, stopped by {@link deactivate}. */
let lab: LabController | undefined;

/**
 * Activates the extension.
 *
 * @param context the extension context
 * @returns the extension's API
 */
export function activate(context: vscode.ExtensionContext): TlsprobeApi {
  const deps: CommandDeps = {
    context,
    panel: undefined as unknown as PanelProvider,
  };
  let onModelChange = () => {};
  const panel = new PanelProvider(
    context.extensionUri,
    context.workspaceState,
    (req) => {
      void runProbe(deps, req);
    },
    cancelProbe,
    () => onModelChange(),
  );
  deps.panel = panel;
  // The history as a native tree below the panel's form; the status bar's last probe.
  const history = new HistoryTreeProvider(() => panel.model.entries);
  const historyView = vscode.window.createTreeView(HistoryTreeProvider.viewType, {
    treeDataProvider: history,
  });
  const refreshStatus = registerStatusBar(context, () => panel.model);
  let shownId: number | undefined;
  onModelChange = () => {
    history.refresh();
    refreshStatus();
    // The tree's selection follows the probe the panel shows (without taking focus).
    const shown = panel.model.entries.find((e) => e.id === panel.model.selectedId);
    if (shown && shown.id !== shownId && historyView.visible) {
      void historyView.reveal(shown, { select: true, focus: false });
    }
    shownId = shown?.id;
  };
  context.subscriptions.push(
    historyView,
    vscode.window.registerWebviewViewProvider(PanelProvider.viewType, panel, {
      webviewOptions: { retainContextWhenHidden: true },
    }),
    vscode.languages.registerHoverProvider(
      CIPHER_SELECTOR,
      new CipherHoverProvider(),
    ),
    vscode.languages.registerCodeLensProvider(
      [{ scheme: "file" }, { scheme: "untitled" }],
      new ProbeCodeLensProvider(),
    ),
  );
  // "Expand Cipher String" in the context menu only where a cipher string is under the cursor.
  const updateCipherContext = (editor: vscode.TextEditor | undefined) => {
    const pos = editor?.selection.active;
    const found = editor && pos
      ? findCipherStringAt(editor.document.lineAt(pos.line).text, pos.character) !== undefined
      : false;
    void vscode.commands.executeCommand("setContext", "tlsprobe.cipherStringAtCursor", found);
  };
  context.subscriptions.push(
    vscode.window.onDidChangeTextEditorSelection((e) => updateCipherContext(e.textEditor)),
    vscode.window.onDidChangeActiveTextEditor(updateCipherContext),
  );
  updateCipherContext(vscode.window.activeTextEditor);
  // Output channel "tlsprobe": every CLI run with its exit status and timing.
  const output = vscode.window.createOutputChannel("tlsprobe", { log: true });
  deps.output = output;
  context.subscriptions.push(output, { dispose: () => setCliLogger(undefined) });
  setCliLogger((level, line) => level === "info" ? output.info(line) : output.warn(line));
  // The test lab: its own tree in the TLS container; "probe" fills the panel's form.
  lab = new LabController(
    () => findCli(context),
    (target, caFile) => runProbe(deps, { target, caFile }),
  );
  deps.lab = lab;
  const labView = vscode.window.createTreeView(LabController.viewType, {
    treeDataProvider: lab,
  });
  lab.view = labView;
  labView.description = "stopped";
  context.subscriptions.push(labView, lab);
  registerCommands(deps);
  registerLint(context);
  return {
    panelModel: () => panel.model,
    probe: (request) => runProbe(deps, request),
    labIndex: () => lab?.index,
  };
}

/**
 * Stops the test lab's child process (and waits for it).
 *
 * @returns when the lab has ended
 */
export async function deactivate(): Promise<void> {
  await lab?.stop();
  lab = undefined;
}
