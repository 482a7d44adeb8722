/**
 * TLS lint: well-known insecure TLS settings in Python, Node, Deno, shell,
 * nginx and Apache, each with a rule id, why it matters, and a quick fix.
 * Cipher strings are judged by what they expand to in the bundled OpenSSL
 * engine (`core/openssl`), classed by the registry's columns. No `vscode`
 * import: unit-tested under Deno, adapted to diagnostics and code actions by
 * `lint_provider.ts`.
 *
 * @module
 */
import { expandCipherString } from "../../../core/openssl/mod.ts";
import type { CipherSuite } from "../../../core/registry/cipher_suites.ts";
import { findCipherStrings } from "./cipher_locate.ts";

/** The families of files the rules know. */
export type Dialect = "python" | "js" | "go" | "shell" | "conf" | "data";

/** Severity, mapped to VS Code's DiagnosticSeverity by the provider. */
export type Severity = "error" | "warning" | "info";

/** A replacement for the matched text, offered as a quick fix. */
export interface LintFix {
  title: string;
  /** Text replacing the finding's range (empty: delete it). */
  replacement: string;
}

/** One finding in a document. */
export interface LintFinding {
  rule: string;
  severity: Severity;
  message: string;
  line: number;
  start: number;
  end: number;
  fix?: LintFix;
}

interface Rule {
  id: string;
  dialects: readonly Dialect[] | "all";
  severity: Severity;
  /** Matches on one line; the match (or group `hit`) is the finding's range. */
  pattern: RegExp;
  /** Why, shown in the diagnostic. */
  why: string | ((m: RegExpMatchArray) => string);
  fix?: (m: RegExpMatchArray) => LintFix | undefined;
  /** Extra condition on the match. */
  when?: (m: RegExpMatchArray, line: string) => boolean;
}

const OLD_PY_PROTOCOL: Record<string, string> = {
  PROTOCOL_SSLv2: "SSL 2.0",
  PROTOCOL_SSLv3: "SSL 3.0",
  PROTOCOL_SSLv23: "SSL 2.0/3.0 negotiation",
  PROTOCOL_TLSv1: "TLS 1.0",
  PROTOCOL_TLSv1_1: "TLS 1.1",
};

/** The replacement offered for weak cipher strings: forward secrecy + AEAD only. */
export const SAFE_CIPHER_STRING = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20";

/** A family of weak suites a cipher string can enable, worst first. */
interface WeakClass {
  label: string;
  severity: "error" | "warning";
  test: (s: CipherSuite) => boolean;
}

/** Judged on the registry's own columns (the same ones its ratings are derived from). */
const WEAK_CLASSES: readonly WeakClass[] = [
  { label: "NULL encryption", severity: "error", test: (s) => s.enc === "None" },
  { label: "anonymous (no authentication)", severity: "error", test: (s) => s.au === "None" },
  { label: "export-grade", severity: "error", test: (s) => s.export === true },
  { label: "RC4", severity: "error", test: (s) => s.enc === "RC4" },
  { label: "single DES", severity: "error", test: (s) => s.enc === "DES" },
  { label: "MD5 MAC", severity: "error", test: (s) => s.mac === "MD5" },
  { label: "3DES", severity: "warning", test: (s) => s.enc === "3DES" },
  {
    label: "64-bit block cipher",
    severity: "warning",
    test: (s) => /^(?:IDEA|RC2|GOST89|MAGMA)$/.test(s.enc),
  },
  { label: "no forward secrecy", severity: "warning", test: (s) => !s.pfs && s.kx !== "None" },
];

/** What a cipher string lets through, from the bundled OpenSSL engine's expansion. */
export interface CipherStringVerdict {
  /** Suites the string expands to (TLS 1.3 included). */
  total: number;
  /** The weak families present, worst first, with the suites (OpenSSL names) in each. */
  weak: { label: string; severity: "error" | "warning"; suites: string[] }[];
  /** The engine's error when OpenSSL would refuse the string. */
  error?: { code: string; message: string };
}

const verdicts = new Map<string, CipherStringVerdict>();

/**
 * Expands a cipher string with the bundled OpenSSL 3.0 engine (as
 * `openssl ciphers -v` would) and sorts the suites it enables into weak
 * families by the registry's columns: no regular expressions over the text,
 * so `RC4` in a string OpenSSL 3.0 cannot honour is no finding, and the
 * anonymous suite `ECDH+AES128` quietly includes is one.
 *
 * @param cipherString an OpenSSL cipher string
 * @returns the verdict (cached per string)
 */
export function judgeCipherString(cipherString: string): CipherStringVerdict {
  const cached = verdicts.get(cipherString);
  if (cached) return cached;
  let verdict: CipherStringVerdict;
  try {
    const { ciphers } = expandCipherString(cipherString, { version: "3.0" });
    const weak = WEAK_CLASSES.map((c) => ({
      label: c.label,
      severity: c.severity,
      suites: ciphers.filter((x) => c.test(x.suite)).map((x) => x.name),
    })).filter((w) => w.suites.length > 0);
    verdict = { total: ciphers.length, weak };
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    verdict = {
      total: 0,
      weak: [],
      error: {
        code: typeof err.code === "string" ? err.code : "BAD_INPUT",
        message: typeof err.message === "string" ? err.message : String(e),
      },
    };
  }
  if (verdicts.size > 500) verdicts.clear();
  verdicts.set(cipherString, verdict);
  return verdict;
}

function listSuites(names: string[]): string {
  return names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")}, …`;
}

/** The weak-cipher-string findings of one line. */
function cipherStringFindings(line: string, n: number): LintFinding[] {
  const out: LintFinding[] = [];
  for (const span of findCipherStrings(line)) {
    const v = judgeCipherString(span.text);
    if (v.error || v.weak.length === 0) continue;
    const parts = v.weak.map((w) => `${w.suites.length} ${w.label} (${listSuites(w.suites)})`);
    out.push({
      rule: "weak-cipher-string",
      severity: v.weak.some((w) => w.severity === "error") ? "error" : "warning",
      message: `'${span.text}' expands to ${v.total} suites in OpenSSL 3.0, including ${
        parts.join("; ")
      }. Prefer forward-secret AEAD suites.`,
      line: n,
      start: span.start,
      end: span.end,
      fix: { title: `Use '${SAFE_CIPHER_STRING}'`, replacement: SAFE_CIPHER_STRING },
    });
  }
  return out;
}

const RULES: Rule[] = [
  {
    id: "py-wrap-socket",
    dialects: ["python"],
    severity: "warning",
    pattern: /\bssl\.wrap_socket\s*\(/,
    why:
      "ssl.wrap_socket() checks neither the certificate nor the host name by default, and was removed in Python 3.12. Use an SSLContext from ssl.create_default_context() and pass server_hostname.",
    fix: () => ({
      title: "Use ssl.create_default_context().wrap_socket(…) (add server_hostname=…)",
      replacement: "ssl.create_default_context().wrap_socket(",
    }),
  },
  {
    id: "py-old-protocol",
    dialects: ["python"],
    severity: "warning",
    pattern: /\b(?:ssl\.)?(PROTOCOL_(?:SSLv2|SSLv3|SSLv23|TLSv1_1|TLSv1))\b/,
    why: (m) =>
      `${m[1]} pins ${
        OLD_PY_PROTOCOL[m[1]]
      }, which is deprecated (RFC 8996 for TLS 1.0/1.1, RFC 7568 for SSL 3.0). Use PROTOCOL_TLS_CLIENT (or PROTOCOL_TLS_SERVER) and set minimum_version = ssl.TLSVersion.TLSv1_2.`,
    fix: (m) => ({
      title: "Use PROTOCOL_TLS_CLIENT",
      replacement: m[0].replace(m[1], "PROTOCOL_TLS_CLIENT"),
    }),
  },
  {
    id: "py-cert-none",
    dialects: ["python"],
    severity: "error",
    pattern: /\b(?:ssl\.)?CERT_NONE\b/,
    why:
      "CERT_NONE accepts any certificate: anyone on the path can impersonate the server. Verify against a CA file instead (load_verify_locations).",
    fix: (m) => ({
      title: "Require a valid certificate (CERT_REQUIRED)",
      replacement: m[0].replace("CERT_NONE", "CERT_REQUIRED"),
    }),
  },
  {
    id: "py-check-hostname-off",
    dialects: ["python"],
    severity: "error",
    pattern: /\bcheck_hostname\s*=\s*False\b/,
    why:
      "check_hostname = False accepts a valid certificate for any other name, so any site with a certificate can impersonate this one (RFC 6125).",
    fix: (m) => ({
      title: "Check the host name (check_hostname = True)",
      replacement: m[0].replace("False", "True"),
    }),
  },
  {
    id: "node-reject-unauthorized",
    dialects: ["js"],
    severity: "error",
    pattern: /\brejectUnauthorized\s*:\s*false\b/,
    why:
      "rejectUnauthorized: false accepts any certificate: anyone on the path can impersonate the server. Pass the CA with the `ca` option instead.",
    fix: (m) => ({
      title: "Verify certificates (rejectUnauthorized: true)",
      replacement: m[0].replace("false", "true"),
    }),
  },
  {
    id: "node-tls-reject-env",
    dialects: "all",
    severity: "error",
    pattern: /\bNODE_TLS_REJECT_UNAUTHORIZED["']?\]?\s*[:=]\s*(["']?)0\1/,
    why:
      "NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate verification for every TLS connection of the Node process. Use NODE_EXTRA_CA_CERTS=<ca.pem> to trust a private CA.",
    fix: (m) => ({
      title: "Verify certificates (NODE_TLS_REJECT_UNAUTHORIZED=1)",
      replacement: m[0].replace(/0(["']?)$/, "1$1"),
    }),
  },
  {
    id: "node-secure-protocol",
    dialects: ["js"],
    severity: "warning",
    pattern:
      /\bsecureProtocol\s*:\s*(["'])(SSLv2_method|SSLv3_method|TLSv1_method|TLSv1_1_method)\1/,
    why: (m) =>
      `secureProtocol: '${
        m[2]
      }' pins a deprecated protocol version (RFC 8996, RFC 7568). Use minVersion: 'TLSv1.2'.`,
    fix: () => ({
      title: "Use minVersion: 'TLSv1.2'",
      replacement: "minVersion: 'TLSv1.2'",
    }),
  },
  {
    id: "deno-unsafe-ignore-cert",
    dialects: "all",
    severity: "error",
    pattern: /\s?--unsafely-ignore-certificate-errors(?:=[^\s"']*)?/,
    why:
      "--unsafely-ignore-certificate-errors turns off certificate verification in Deno. Trust a private CA with --cert <ca.pem> or DENO_CERT instead.",
    fix: () => ({
      title: "Remove --unsafely-ignore-certificate-errors",
      replacement: "",
    }),
  },
  {
    id: "deno-disable-hostname-verification",
    dialects: ["js"],
    severity: "error",
    pattern: /\bunsafelyDisableHostnameVerification\s*:\s*true\b/,
    why:
      "unsafelyDisableHostnameVerification: true accepts a valid certificate for any other name, so any site with a certificate can impersonate this one.",
    fix: (m) => ({
      title: "Verify the host name (remove the override)",
      replacement: m[0].replace("true", "false"),
    }),
  },
  {
    id: "nginx-old-protocols",
    dialects: ["conf"],
    severity: "warning",
    pattern: /^(\s*)ssl_protocols\s+([^;#]*)(;?)/,
    when: (m) => /(?:^|\s)(?:SSLv2|SSLv3|TLSv1|TLSv1\.1)(?=\s|$)/.test(m[2]),
    why: (m) =>
      `ssl_protocols enables ${
        m[2].split(/\s+/).filter((p) => /^(?:SSLv2|SSLv3|TLSv1|TLSv1\.1)$/.test(p)).join(", ")
      }, deprecated by RFC 8996 and RFC 7568. Keep TLSv1.2 and TLSv1.3.`,
    fix: (m) => ({
      title: "Use ssl_protocols TLSv1.2 TLSv1.3;",
      replacement: `${m[1]}ssl_protocols TLSv1.2 TLSv1.3;`,
    }),
  },
  {
    id: "apache-old-protocols",
    dialects: ["conf"],
    severity: "warning",
    pattern: /^(\s*)(SSLProtocol|SSLProxyProtocol)\s+([^#]*)/i,
    when: (m) => apacheOldProtocols(m[3]).length > 0,
    why: (m) =>
      `${m[2]} enables ${
        apacheOldProtocols(m[3]).join(", ")
      }, deprecated by RFC 8996 and RFC 7568. Use -all +TLSv1.2 +TLSv1.3.`,
    fix: (m) => ({
      title: `Use ${m[2]} -all +TLSv1.2 +TLSv1.3`,
      replacement: `${m[1]}${m[2]} -all +TLSv1.2 +TLSv1.3`,
    }),
  },
];

/**
 * The old protocol versions an Apache `SSLProtocol` value leaves enabled,
 * applying its `+`/`-` list left to right (`all` adds every version).
 *
 * @param value the directive's arguments
 * @returns the deprecated versions enabled
 */
export function apacheOldProtocols(value: string): string[] {
  const OLD = ["SSLv3", "TLSv1", "TLSv1.1"];
  const on = new Set<string>();
  for (const tok of value.trim().split(/\s+/).filter(Boolean)) {
    const sign = tok[0] === "-" ? "-" : "+";
    const name = tok.replace(/^[+-]/, "");
    const names = name.toLowerCase() === "all" ? [...OLD, "TLSv1.2", "TLSv1.3"] : [name];
    for (const n of names) sign === "-" ? on.delete(n) : on.add(n);
  }
  return OLD.filter((v) => on.has(v));
}

/** Every rule id, for documentation and tests. */
export const RULE_IDS: readonly string[] = [...RULES.map((r) => r.id), "weak-cipher-string"];

const COMMENT: Record<Dialect, RegExp> = {
  python: /^\s*#/,
  js: /^\s*(?:\/\/|\/?\*)/,
  go: /^\s*\/\//,
  shell: /^\s*#/,
  conf: /^\s*[#;]/,
  data: /^\s*[#;]/,
};

/**
 * Lints a document.
 *
 * @param text the whole document
 * @param dialect the family of the file (see {@link dialectOf})
 * @returns the findings, in document order
 * @example
 * ```ts
 * import { lintText } from "./lint_rules.ts";
 * const f = lintText("s = ssl.wrap_socket(sock)", "python");
 * console.assert(f[0].rule === "py-wrap-socket");
 * ```
 */
export function lintText(text: string, dialect: Dialect): LintFinding[] {
  const out: LintFinding[] = [];
  const lines = text.split(/\r?\n/);
  const rules = RULES.filter((r) => r.dialects === "all" || r.dialects.includes(dialect));
  lines.forEach((line, n) => {
    if (COMMENT[dialect].test(line)) return;
    out.push(...cipherStringFindings(line, n));
    for (const rule of rules) {
      const m = line.match(rule.pattern);
      if (!m || m.index === undefined) continue;
      if (rule.when && !rule.when(m, line)) continue;
      out.push({
        rule: rule.id,
        severity: rule.severity,
        message: typeof rule.why === "string" ? rule.why : rule.why(m),
        line: n,
        start: m.index,
        end: m.index + m[0].length,
        fix: rule.fix?.(m),
      });
    }
  });
  return out;
}

/**
 * The dialect of a document, from its VS Code language id and file name.
 * nginx, Apache and HAProxy files have no built-in language id, so `.conf`
 * files and well-known names count as `conf`.
 *
 * @param languageId VS Code's language id
 * @param fileName the path
 * @returns the dialect, or undefined when no rule applies
 */
export function dialectOf(
  languageId: string,
  fileName: string,
): Dialect | undefined {
  const base = fileName.replace(/\\/g, "/").split("/").pop() ?? "";
  if (languageId === "python") return "python";
  if (/^(?:java|type)script(?:react)?$/.test(languageId)) return "js";
  if (languageId === "go") return "go";
  if (
    languageId === "shellscript" || languageId === "dockerfile" ||
    /^\.env/.test(base)
  ) {
    return "shell";
  }
  if (
    ["nginx", "apacheconf", "haproxy", "ini", "properties"].includes(
      languageId,
    ) ||
    /\.(?:conf|cfg|htaccess)$/.test(base) || base === ".htaccess" ||
    /\/(?:sites-(?:available|enabled)|conf\.d|nginx|apache2|httpd)\//.test(
      fileName,
    )
  ) {
    return "conf";
  }
  if (["yaml", "json", "jsonc", "toml", "makefile"].includes(languageId)) {
    return "data";
  }
  return undefined;
}

/**
 * Whether a file is about TLS: a certificate or key, a server configuration,
 * or source or configuration that mentions TLS, SSL, ciphers or https URLs
 * (the status bar shows the last probe only for these).
 *
 * @param languageId VS Code's language id
 * @param fileName the path
 * @param head the start of the text (the first 64 KiB is plenty)
 * @returns true when the file is TLS-related
 */
export function isTlsRelated(languageId: string, fileName: string, head: string): boolean {
  if (/\.(?:pem|crt|cer|der|key|csr|p12|pfx)$/i.test(fileName)) return true;
  if (head.includes("-----BEGIN ")) return true;
  if (dialectOf(languageId, fileName) === undefined) return false;
  return /\b(?:ssl|tls|https:\/\/|cipher|certificate|ca_?file|x509)/i.test(head);
}
