/**
 * TLS lint as diagnostics with quick fixes: runs the pure rules of
 * `pure/lint_rules.ts` on open documents and turns their fixes into code
 * actions.
 *
 * @module
 */
import * as vscode from "vscode";
import { dialectOf, type LintFinding, lintText } from "./pure/lint_rules.ts";
import { CONFIG, setting } from "./constants.ts";

/** The diagnostics' `source`. */
export const LINT_SOURCE = "tlsprobe";

const SEVERITY: Record<LintFinding["severity"], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

function findingsOf(doc: vscode.TextDocument): LintFinding[] {
  const dialect = dialectOf(doc.languageId, doc.fileName);
  if (!dialect || doc.lineCount > 20_000) return [];
  return lintText(doc.getText(), dialect);
}

function rangeOf(f: LintFinding): vscode.Range {
  return new vscode.Range(f.line, f.start, f.line, f.end);
}

/**
 * Keeps TLS lint diagnostics up to date for open documents.
 *
 * @param context the extension context (subscriptions)
 * @returns the diagnostic collection
 */
export function registerLint(
  context: vscode.ExtensionContext,
): vscode.DiagnosticCollection {
  const collection = vscode.languages.createDiagnosticCollection("tlsprobe");
  const refresh = (doc: vscode.TextDocument) => {
    if (!setting<boolean>(CONFIG.lintEnabled, true)) {
      collection.delete(doc.uri);
      return;
    }
    const diags = findingsOf(doc).map((f) => {
      const d = new vscode.Diagnostic(
        rangeOf(f),
        f.message,
        SEVERITY[f.severity],
      );
      d.source = LINT_SOURCE;
      d.code = f.rule;
      return d;
    });
    collection.set(doc.uri, diags);
  };
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  context.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(refresh),
    vscode.workspace.onDidChangeTextDocument((e) => {
      const key = e.document.uri.toString();
      clearTimeout(timers.get(key));
      timers.set(key, setTimeout(() => refresh(e.document), 250));
    }),
    vscode.workspace.onDidCloseTextDocument((d) => collection.delete(d.uri)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("tlsprobe.lint")) {
        vscode.workspace.textDocuments.forEach(refresh);
      }
    }),
    vscode.languages.registerCodeActionsProvider(
      { scheme: "*" },
      new LintQuickFixes(),
      {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
      },
    ),
  );
  vscode.workspace.textDocuments.forEach(refresh);
  return collection;
}

/** Offers each finding's fix as a preferred quick fix. */
class LintQuickFixes implements vscode.CodeActionProvider {
  provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range,
    ctx: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const ours = ctx.diagnostics.filter((d) => d.source === LINT_SOURCE);
    if (ours.length === 0) return [];
    const findings = findingsOf(doc);
    const actions: vscode.CodeAction[] = [];
    for (const d of ours) {
      const f = findings.find((x) => x.rule === d.code && rangeOf(x).isEqual(d.range));
      if (!f?.fix) continue;
      const action = new vscode.CodeAction(
        `${f.fix.title} (${f.rule})`,
        vscode.CodeActionKind.QuickFix,
      );
      action.diagnostics = [d];
      action.isPreferred = true;
      action.edit = new vscode.WorkspaceEdit();
      action.edit.replace(doc.uri, d.range, f.fix.replacement);
      actions.push(action);
    }
    return actions;
  }
}
