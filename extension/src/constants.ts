/**
 * Names shared by the extension's modules: command ids, the view id, and
 * configuration keys.
 *
 * @module
 */
import * as vscode from "vscode";

/** Command ids (titles live in package.json). */
export const COMMANDS = {
  probe: "tlsprobe.probe",
  expandCipherString: "tlsprobe.expandCipherString",
  showCertificate: "tlsprobe.showCertificate",
  clearHistory: "tlsprobe.clearHistory",
  setCliPath: "tlsprobe.setCliPath",
  cancelProbe: "tlsprobe.cancelProbe",
  historyShow: "tlsprobe.history.show",
  historyReprobe: "tlsprobe.history.reprobe",
  historyCopyCommand: "tlsprobe.history.copyCommand",
  historyRemove: "tlsprobe.history.remove",
  labStart: "tlsprobe.lab.start",
  labStop: "tlsprobe.lab.stop",
  labCopyAddress: "tlsprobe.lab.copyAddress",
  labProbe: "tlsprobe.lab.probe",
  labOpenIndex: "tlsprobe.lab.openIndex",
} as const;

/** The side panel's webview view id. */
export const PANEL_VIEW_ID = "tlsprobe.panel";

/** The history tree view's id. */
export const HISTORY_VIEW_ID = "tlsprobe.history";

/** The test lab's tree view id. */
export const LAB_VIEW_ID = "tlsprobe.lab";

/** Configuration keys under `tlsprobe.`. */
export const CONFIG = {
  path: "path",
  timeout: "timeout",
  caFile: "caFile",
  opensslVersion: "opensslVersion",
  lintEnabled: "lint.enabled",
  codeLensEnabled: "codeLens.enabled",
  labBasePort: "lab.basePort",
} as const;

/**
 * Reads a `tlsprobe.*` setting.
 *
 * @param key the key under `tlsprobe.`
 * @param fallback the value when unset
 * @returns the value
 */
export function setting<T>(key: string, fallback: T): T {
  return vscode.workspace.getConfiguration("tlsprobe").get<T>(key, fallback);
}
