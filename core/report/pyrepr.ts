/**
 * Python-style `repr()` of strings and bytes, as the book's scripts print
 * them (`Listening at interface '' and port 1060`, `b'Simple is better…'`).
 *
 * @module
 */

/**
 * Python's `repr()` of a `str`.
 *
 * @param s the string
 * @returns the quoted form, e.g. `'localhost'`
 * @example
 * ```ts
 * import { pyStrRepr } from "./pyrepr.ts";
 * console.assert(pyStrRepr("") === "''");
 * ```
 */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + quote;
}

/**
 * Python's `repr()` of `bytes`: printable ASCII as is, the rest escaped.
 *
 * @param b the bytes
 * @returns the `b'…'` form
 * @example
 * ```ts
 * import { pyBytesRepr } from "./pyrepr.ts";
 * console.assert(pyBytesRepr(new TextEncoder().encode("hi\n")) === "b'hi\\n'");
 * ```
 */
export function pyBytesRepr(b: Uint8Array): string {
  let hasSingle = false, hasDouble = false;
  for (const c of b) {
    if (c === 0x27) hasSingle = true;
    if (c === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27;
  let out = "b" + String.fromCharCode(quote);
  for (const c of b) {
    if (c === 0x5c) out += "\\\\";
    else if (c === quote) out += "\\" + String.fromCharCode(c);
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c < 0x20 || c >= 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += String.fromCharCode(c);
  }
  return out + String.fromCharCode(quote);
}

/**
 * The book's dotted layout: `title.ljust(36, '.') + ' ' + words`.
 *
 * @param title the left column
 * @param words the values, joined by spaces
 * @returns one line (not wrapped)
 * @example
 * ```ts
 * import { dotted } from "./pyrepr.ts";
 * console.assert(dotted("Peer certificate", "provided") ===
 *   "Peer certificate.................... provided");
 * ```
 */
export function dotted(title: string, ...words: unknown[]): string {
  return title.padEnd(36, ".") + " " + words.map(String).join(" ");
}

/**
 * Wraps a line as Python's `textwrap.fill(text, width, subsequent_indent='    ',
 * break_long_words=False, break_on_hyphens=False)` does, which is how
 * `test_tls.py` prints its dotted lines; leading spaces of the first line stay.
 *
 * @param text one line
 * @param width the wrap width (70, Python's default)
 * @returns the wrapped lines
 * @example
 * ```ts
 * import { fill } from "./pyrepr.ts";
 * console.assert(fill("a b", 2).join("|") === "a|    b");
 * ```
 */
export function fill(text: string, width = 70): string[] {
  const lead = /^\s*/.exec(text)![0];
  const words = text.slice(lead.length).split(" ").filter((w) => w !== "");
  if (words.length === 0) return [lead];
  words[0] = lead + words[0];
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    const indent = lines.length ? "    " : "";
    if (line && (indent + line + " " + w).length > width) {
      lines.push(indent + line);
      line = w;
    } else {
      line = line ? line + " " + w : w;
    }
  }
  lines.push((lines.length ? "    " : "") + line);
  return lines;
}
