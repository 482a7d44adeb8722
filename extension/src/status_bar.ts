/**
 * The status-bar item: the last probe's outcome (`$(pass) host:port TLSv1.3`
 * or `$(error) host:port CODE`), shown while a TLS-related file is the active
 * editor; a click opens the panel on that probe.
 *
 * @module
 */
import * as vscode from "vscode";
import { entryFailure, type PanelModel, summary } from "./pure/panel_model.ts";
import { isTlsRelated } from "./pure/lint_rules.ts";
import { COMMANDS } from "./constants.ts";

/** Text, tooltip and codicon of the status-bar item for a model (undefined: nothing to show). */
export function statusText(model: PanelModel): { text: string; tooltip: string } | undefined {
  const last = model.entries[0];
  if (!last) return undefined;
  const failure = entryFailure(last);
  return {
    text: `${failure ? "$(error)" : "$(pass)"} ${summary(last)}`,
    tooltip: `Last TLS probe: ${summary(last)}${failure ? ` — ${failure.message}` : ""}`,
  };
}

/**
 * Creates the status-bar item and keeps it in step with the model and the active editor.
 *
 * @param context subscriptions
 * @param model reads the panel's model
 * @returns a function to call after every model change
 */
export function registerStatusBar(
  context: vscode.ExtensionContext,
  model: () => PanelModel,
): () => void {
  const item = vscode.window.createStatusBarItem(
    "tlsprobe.lastProbe",
    vscode.StatusBarAlignment.Left,
    10,
  );
  item.name = "TLS: last probe";
  const refresh = () => {
    const doc = vscode.window.activeTextEditor?.document;
    const shown = statusText(model());
    const related = doc !== undefined &&
      isTlsRelated(doc.languageId, doc.fileName, doc.getText().slice(0, 65_536));
    if (!shown || !related) {
      item.hide();
      return;
    }
    const last = model().entries[0];
    item.text = shown.text;
    item.tooltip = shown.tooltip;
    item.accessibilityInformation = { label: shown.tooltip };
    item.command = {
      command: COMMANDS.historyShow,
      title: "Show in the panel",
      arguments: [last.id],
    };
    item.show();
  };
  context.subscriptions.push(
    item,
    vscode.window.onDidChangeActiveTextEditor(refresh),
    vscode.workspace.onDidSaveTextDocument(refresh),
  );
  refresh();
  return refresh;
}
