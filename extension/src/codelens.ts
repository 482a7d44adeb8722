/**
 * The "Probe TLS" CodeLens above `https://host[:port]` URLs.
 *
 * @module
 */
import * as vscode from "vscode";
import { findHttpsUrls } from "./pure/urls.ts";
import { formatTarget } from "./pure/report.ts";
import { COMMANDS, CONFIG, setting } from "./constants.ts";

/** Provides one lens per https URL, running `TLS: Probe Endpoint…` on it. */
export class ProbeCodeLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!setting<boolean>(CONFIG.codeLensEnabled, true)) return [];
    return findHttpsUrls(doc.getText()).map((u) => {
      const target = formatTarget(u);
      return new vscode.CodeLens(
        new vscode.Range(u.line, u.start, u.line, u.start),
        {
          title: `Probe TLS ${u.starttls ? `${u.starttls} ` : ""}${target}`,
          command: COMMANDS.probe,
          arguments: [{ target, ...(u.starttls ? { starttls: u.starttls } : {}) }],
        },
      );
    });
  }
}
