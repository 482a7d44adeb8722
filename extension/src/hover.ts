/**
 * Hovers for OpenSSL cipher strings in string literals and config values:
 * the expansion computed in-process by the core engine.
 *
 * @module
 */
import * as vscode from "vscode";
import { findCipherStringAt, renderSuitesMarkdown } from "./pure/cipher_locate.ts";
import { expand } from "./cipher_engine.ts";
import { CONFIG, setting } from "./constants.ts";

/** Languages and files whose strings may hold cipher strings. */
export const CIPHER_SELECTOR: vscode.DocumentSelector = [
  "python",
  "javascript",
  "javascriptreact",
  "typescript",
  "typescriptreact",
  "go",
  "yaml",
  "json",
  "jsonc",
  "toml",
  "ini",
  "properties",
  "shellscript",
  "dockerfile",
  "nginx",
  "apacheconf",
  "haproxy",
  { scheme: "file", pattern: "**/*.{conf,cfg,cnf}" },
  { scheme: "untitled", language: "plaintext" },
].map((s) => typeof s === "string" ? { language: s } : s);

/** Provides the cipher-string hover. */
export class CipherHoverProvider implements vscode.HoverProvider {
  provideHover(
    doc: vscode.TextDocument,
    pos: vscode.Position,
  ): vscode.Hover | undefined {
    const line = doc.lineAt(pos.line).text;
    const span = findCipherStringAt(line, pos.character);
    if (!span) return undefined;
    const version = setting<string>(CONFIG.opensslVersion, "3.0");
    const result = expand(span.text, version);
    const range = new vscode.Range(pos.line, span.start, pos.line, span.end);
    if (!result.ok) {
      // Only say "invalid" where a directive names the value a cipher string.
      if (!span.byContext) return undefined;
      const md = new vscode.MarkdownString();
      md.appendMarkdown(
        `**Not a valid OpenSSL ${version} cipher string** (${result.code})\n\n`,
      );
      md.appendText(result.message);
      return new vscode.Hover(md, range);
    }
    const md = new vscode.MarkdownString(
      renderSuitesMarkdown(span.text, result.rows, version),
    );
    return new vscode.Hover(md, range);
  }
}
