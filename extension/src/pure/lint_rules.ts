/**
 * TLS lint: well-known insecure TLS settings in Python, Node, Deno, shell,
 * nginx and Apache, each with a rule id, why it matters, and a quick fix. No
 * `vscode` import: unit-tested under Deno, adapted to diagnostics and code
 * actions by `lint_provider.ts`.
 *
 * @module
 */

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

/** Elements of a cipher string that admit broken or unauthenticated suites. */
const WEAK_CIPHER_ELEMENT =
  /^(?:ALL|COMPLEMENTOFALL|LOW|EXP|EXPORT|NULL|eNULL|aNULL|RC4|RC2|DES|3DES|MD5|SEED|IDEA|ADH|AECDH|[A-Z0-9-]*(?:RC4|NULL|DES-CBC|EXP|ANON|MD5)[A-Z0-9-]*)$/;

/** The replacement offered for weak cipher strings: forward secrecy + AEAD only. */
export const SAFE_CIPHER_STRING = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20";

/**
 * The elements of a cipher string that enable weak suites (those not
 * removed with `!` or `-`, and not an `ALL` that is then stripped of the
 * weak families).
 *
 * @param s an OpenSSL cipher string
 * @returns the weak elements, in order
 */
export function weakCipherElements(s: string): string[] {
  const elements = s.split(/[:, ]+/).filter(Boolean);
  const removed = new Set(
    elements.filter((e) => e.startsWith("!") || e.startsWith("-")).map((e) => e.slice(1)),
  );
  const weak: string[] = [];
  for (const el of elements) {
    if (/^[!-]/.test(el)) continue;
    const bare = el.replace(/^\+/, "");
    for (const part of bare.split("+")) {
      if (!WEAK_CIPHER_ELEMENT.test(part)) continue;
      // "ALL:!aNULL:!eNULL:!LOW:!EXP:!RC4:!MD5:!3DES" is how people tame ALL.
      if (
        (part === "ALL" || part === "COMPLEMENTOFALL") &&
        ["aNULL", "eNULL"].every((x) => removed.has(x) || removed.has("NULL"))
      ) {
        continue;
      }
      if (removed.has(part)) continue;
      weak.push(part);
    }
  }
  return weak;
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
    id: "py-weak-ciphers",
    dialects: ["python"],
    severity: "warning",
    pattern: /\bset_ciphers\s*\(\s*(["'])([^"']*)\1/,
    when: (m) => weakCipherElements(m[2]).length > 0,
    why: (m) =>
      `set_ciphers('${m[2]}') enables weak suites (${
        weakCipherElements(m[2]).join(", ")
      }): broken ciphers, no authentication or no encryption. Prefer forward-secret AEAD suites.`,
    fix: (m) => ({
      title: `Use '${SAFE_CIPHER_STRING}'`,
      replacement: m[0].replace(m[2], SAFE_CIPHER_STRING),
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
export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

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
