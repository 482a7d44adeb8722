/**
 * Finds the OpenSSL cipher string under the cursor in one line of source or
 * configuration (a string literal, or the value of a cipher directive), and
 * renders an expansion as a Markdown table for hovers. No `vscode` import:
 * unit-tested under Deno.
 *
 * @module
 */

/** A cipher string found in a line: its text and where it sits. */
export interface CipherSpan {
  text: string;
  /** Index of the first character in the line. */
  start: number;
  /** Index one past the last character. */
  end: number;
  /** Whether a directive or key names it as a cipher setting. */
  byContext: boolean;
}

/**
 * Keys and directives whose value is a cipher string, in any of the supported
 * languages: Python `set_ciphers(`, Node `ciphers:`, Go `CipherSuites`,
 * nginx `ssl_ciphers`, Apache `SSLCipherSuite`, HAProxy
 * `ssl-default-bind-ciphers` / `ciphers`, OpenSSL config `CipherString`,
 * curl/openssl `--ciphers` / `-cipher`, and generic `ciphers =` / `ciphers:`.
 */
const CONTEXT =
  /(set_ciphers|ciphers?|cipher_?suites?|ciphersuites|ssl_ciphers|sslciphersuite|proxyciphersuite|ssl-default-(?:bind|server)-ciphers(?:uites)?|cipherstring|ssl_cipher_list|tls_ciphers)["']?\s*(?:[:=(]|\s)\s*$/i;

/** Tokens that only occur in cipher strings (keywords, aliases and names). */
const KEYWORD =
  /^(?:HIGH|MEDIUM|LOW|DEFAULT|COMPLEMENTOFDEFAULT|ALL|COMPLEMENTOFALL|[ak]?[eE]?NULL|[ak]?RSA|[ak]?DHE?|[ak]?ECDHE?|EECDH|EDH|ECDSA|DSS|PSK|[ak]?PSK|SRP|aGOST\w*|kGOST\w*|GOST\w*|AES(?:128|256)?|AESGCM|AESCCM(?:8)?|ARIA(?:128|256|GCM)?|CAMELLIA(?:128|256)?|CHACHA20|3DES|DES|RC4|RC2|IDEA|SEED|MD5|SHA1?|SHA256|SHA384|TLSv1(?:\.[0-3])?|SSLv3|SUITEB\d*|eNULL|aNULL|EXP(?:ORT)?|[A-Z0-9]+(?:-[A-Z0-9]+)+|TLS_[A-Z0-9_]+|@STRENGTH|@SECLEVEL=\d)$/;

/** A cipher directive and its bare value (group 3): nginx, Apache, HAProxy, INI/TOML, shell flags. */
const DIRECTIVE =
  /(?:^|[\s{;])(ssl_ciphers|ssl_conf_command\s+Ciphersuites|SSLCipherSuite|SSLProxyCipherSuite|ssl-default-(?:bind|server)-ciphers(?:uites)?|ciphers(?:uites)?|CipherString|Ciphersuites|cipher_?suites?|-cipher|--ciphers?)(?![\w-])(\s*[=:]?\s*|\s+)([^\s;#'"`][^;#'"`]*)/gi;

/** Characters a cipher string is made of. */
const CIPHER_CHAR = /[A-Za-z0-9_+\-.=@!:, ]/;

/**
 * Whether `s` reads as an OpenSSL cipher string: every element (split on `:`,
 * `,` or spaces, `+`-joined) is a cipher keyword or suite name, and the
 * string is not a single plain word unless a directive named it.
 *
 * @param s the candidate text
 * @param byContext whether a cipher directive or key names the value
 * @returns true when hovers should expand it
 */
export function looksLikeCipherString(s: string, byContext: boolean): boolean {
  const t = s.trim();
  if (t.length === 0 || t.length > 2000) return false;
  const elements = t.split(/[:, ]+/).filter((e) => e.length > 0);
  if (elements.length === 0) return false;
  for (const el of elements) {
    // "DEFAULT@SECLEVEL=2": a directive may follow an element without a colon.
    for (const piece of el.replace(/^[!+-]/, "").split(/(?=@)/)) {
      if (piece.startsWith("@")) {
        if (!KEYWORD.test(piece)) return false;
        continue;
      }
      for (const part of piece.split("+")) {
        if (!KEYWORD.test(part)) return false;
      }
    }
  }
  if (byContext) return true;
  // Outside a cipher directive, a lone word such as "RSA" or "DEFAULT" is too
  // common to be worth a hover: ask for an operator, a list, or a suite name.
  return /[:+!@,]/.test(t) || /^[A-Z0-9]+(?:-[A-Z0-9]+){2,}$/.test(t) ||
    /^TLS_/.test(t);
}

function quotedSpans(line: string): Array<{ start: number; end: number }> {
  const spans: Array<{ start: number; end: number }> = [];
  let i = 0;
  while (i < line.length) {
    const q = line[i];
    if (q === '"' || q === "'" || q === "`") {
      let j = i + 1;
      while (j < line.length && line[j] !== q) {
        if (line[j] === "\\") j++;
        j++;
      }
      if (j >= line.length) break;
      spans.push({ start: i + 1, end: j });
      i = j + 1;
    } else {
      i++;
    }
  }
  return spans;
}

/**
 * Finds the cipher string at character `col` of `line`: the quoted literal
 * that contains it, else the bare value of a cipher directive
 * (`ssl_ciphers HIGH:!aNULL;`, `SSLCipherSuite …`, `ciphers = …`).
 *
 * @param line one line of text
 * @param col a character index in the line
 * @returns the span, or undefined when the cursor is not on a cipher string
 * @example
 * ```ts
 * import { findCipherStringAt } from "./cipher_locate.ts";
 * const s = findCipherStringAt("ctx.set_ciphers('ECDH+AES128')", 20);
 * console.assert(s?.text === "ECDH+AES128");
 * ```
 */
export function findCipherStringAt(
  line: string,
  col: number,
): CipherSpan | undefined {
  for (const q of quotedSpans(line)) {
    if (col < q.start - 1 || col > q.end) continue;
    const text = line.slice(q.start, q.end);
    const byContext = CONTEXT.test(line.slice(0, q.start - 1));
    if (!looksLikeCipherString(text, byContext)) return undefined;
    return { text, start: q.start, end: q.end, byContext };
  }
  // A bare directive value: nginx, Apache, HAProxy, INI/TOML without quotes,
  // shell `-cipher X`. The value runs to `;`, `#` or the end of the line.
  for (const m of line.matchAll(DIRECTIVE)) {
    const valueStart = m.index! + m[0].length - m[3].length;
    let value = m[3].replace(/\s+$/, "");
    // HAProxy puts further options after the value on a `bind` line, and a
    // shell command further arguments after `-cipher X`: keep the first word.
    if (
      /\s/.test(value) &&
      (/^-|^ciphers/i.test(m[1]) ||
        ![...value].every((c) => CIPHER_CHAR.test(c)))
    ) {
      value = value.split(/\s+/)[0];
    }
    const valueEnd = valueStart + value.length;
    if (col < valueStart || col > valueEnd) continue;
    if (![...value].every((c) => CIPHER_CHAR.test(c))) return undefined;
    if (!looksLikeCipherString(value, true)) return undefined;
    return { text: value, start: valueStart, end: valueEnd, byContext: true };
  }
  return undefined;
}

/**
 * Every cipher string a line sets: quoted literals and bare values that a
 * cipher directive or key names (`set_ciphers('…')`, `ssl_ciphers …;`,
 * `SSLCipherSuite …`, `ciphers: '…'`). Literals that merely look like cipher
 * strings are left out (lint speaks only where the setting is certain).
 *
 * @param line one line of text
 * @returns the spans, in line order
 * @example
 * ```ts
 * import { findCipherStrings } from "./cipher_locate.ts";
 * const [s] = findCipherStrings("ssl_ciphers HIGH:!aNULL;");
 * console.assert(s.text === "HIGH:!aNULL");
 * ```
 */
export function findCipherStrings(line: string): CipherSpan[] {
  const starts = [
    ...quotedSpans(line).map((q) => q.start),
    ...[...line.matchAll(DIRECTIVE)].map((m) => m.index! + m[0].length - m[3].length),
  ];
  const out: CipherSpan[] = [];
  for (const col of starts) {
    const span = findCipherStringAt(line, col);
    if (span?.byContext && !out.some((o) => o.start === span.start)) out.push(span);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** The fields of one expanded suite the hover shows. */
export interface SuiteRow {
  name: string;
  version: string;
  kx: string;
  au: string;
  enc: string;
  mac: string;
  rating?: unknown;
}

function ratingText(r: unknown): string {
  if (r === undefined || r === null) return "";
  if (typeof r === "string") return r;
  if (typeof r === "object") {
    const o = r as Record<string, unknown>;
    const level = o.level ?? o.grade ?? o.rating ?? o.name;
    return level === undefined ? "" : String(level);
  }
  return String(r);
}

function cell(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(
    /[`*_<>[\]]/g,
    "\\$&",
  );
}

/**
 * Renders an expansion as a Markdown table (name, version, Kx, Au, Enc, Mac,
 * rating), in OpenSSL's order, under a title naming the string and version.
 *
 * @param cipherString the string that was expanded
 * @param rows the suites, in order
 * @param opensslVersion the OpenSSL version whose semantics were used
 * @returns Markdown
 */
export function renderSuitesMarkdown(
  cipherString: string,
  rows: SuiteRow[],
  opensslVersion: string,
): string {
  const title = `**OpenSSL ${cell(opensslVersion)} cipher string** \`${
    cipherString.replace(/`/g, "'")
  }\` → ${rows.length} suite${rows.length === 1 ? "" : "s"}`;
  if (rows.length === 0) {
    return `${title}\n\nNo cipher suite matches this string.`;
  }
  const lines = [
    "| Name | Version | Kx | Au | Enc | Mac | Rating |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) =>
      `| ${cell(r.name)} | ${cell(r.version)} | ${cell(r.kx)} | ${cell(r.au)} | ${cell(r.enc)} | ${
        cell(r.mac)
      } | ${cell(ratingText(r.rating))} |`
    ),
  ];
  return `${title}\n\n${lines.join("\n")}`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Renders an expansion as an HTML table for the "Expand Cipher String" view.
 *
 * @param cipherString the string that was expanded
 * @param rows the suites, in order
 * @param opensslVersion the OpenSSL version whose semantics were used
 * @returns HTML (escaped, no scripts)
 */
export function renderSuitesHtml(
  cipherString: string,
  rows: SuiteRow[],
  opensslVersion: string,
): string {
  const head = `<h2>OpenSSL ${esc(opensslVersion)} cipher string <code>${
    esc(cipherString)
  }</code>: ${rows.length} suite${rows.length === 1 ? "" : "s"}</h2>`;
  if (rows.length === 0) {
    return `${head}<p>No cipher suite matches this string.</p>`;
  }
  const body = rows.map((r) =>
    `<tr><td>${esc(r.name)}</td><td>${esc(r.version)}</td><td>${esc(r.kx)}</td><td>${
      esc(r.au)
    }</td><td>${esc(r.enc)}</td><td>${esc(r.mac)}</td><td>${esc(ratingText(r.rating))}</td></tr>`
  ).join("");
  return `${head}<div class="scroll" tabindex="0" role="region" aria-label="Suites"><table class="suites"><thead><tr><th scope="col">Name</th><th scope="col">Version</th>` +
    `<th scope="col">Kx</th><th scope="col">Au</th><th scope="col">Enc</th><th scope="col">Mac</th>` +
    `<th scope="col">Rating</th></tr></thead><tbody>${body}</tbody></table></div>`;
}
