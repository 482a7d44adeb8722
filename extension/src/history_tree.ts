/**
 * The probe history as a native TreeView (`tlsprobe.history`), in the TLS
 * container below the panel's form: one row per probe with a pass/fail
 * codicon, a click shows it in the panel, and the context menu re-probes,
 * copies the command line, removes one entry or clears all.
 *
 * @module
 */
import * as vscode from "vscode";
import { entryFailure, type ProbeEntry, summary } from "./pure/panel_model.ts";
import { HISTORY_VIEW_ID } from "./constants.ts";

/** The context value of a history row (package.json's `view/item/context` menus test it). */
export const HISTORY_ITEM_CONTEXT = "tlsprobe.historyEntry";

/** Provides the history rows from the panel's model. */
export class HistoryTreeProvider implements vscode.TreeDataProvider<ProbeEntry> {
  static readonly viewType = HISTORY_VIEW_ID;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly entries: () => ProbeEntry[]) {}

  /** Re-reads the model (call after every model change). */
  refresh(): void {
    this.changed.fire();
  }

  /** Rows are top-level (needed by TreeView.reveal). */
  getParent(): undefined {
    return undefined;
  }

  getChildren(element?: ProbeEntry): ProbeEntry[] {
    return element ? [] : this.entries();
  }

  getTreeItem(entry: ProbeEntry): vscode.TreeItem {
    const failure = entryFailure(entry);
    const item = new vscode.TreeItem(entry.request.target);
    item.id = String(entry.id);
    const what = summary(entry).slice(entry.request.target.length + 2);
    // A scan says so once: its summary starts "scan, grade …", a failed one's with the code.
    const scanMark = entry.request.kind === "scan" && !what.startsWith("scan") ? "scan · " : "";
    item.description = `${scanMark}${what}`;
    item.iconPath = failure
      ? new vscode.ThemeIcon("error", new vscode.ThemeColor("testing.iconFailed"))
      : new vscode.ThemeIcon("pass", new vscode.ThemeColor("testing.iconPassed"));
    const when = entry.startedAt.replace("T", " ").slice(0, 19);
    item.tooltip = `${summary(entry)}\n${when} UTC · ${Math.round(entry.durationMs)} ms` +
      (failure ? `\n${failure.message}` : "");
    item.accessibilityInformation = {
      label: `${failure ? "Failed" : "Passed"}: ${summary(entry)}`,
    };
    item.contextValue = HISTORY_ITEM_CONTEXT;
    item.command = {
      command: "tlsprobe.history.show",
      title: "Show in the panel",
      arguments: [entry],
    };
    return item;
  }
}
