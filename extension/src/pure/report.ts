/**
 * The part of the CLI's `--json` contract the extension reads (see
 * DESIGN.md, "Output contract"), and the checks applied before anything is
 * shown. No `vscode` import: unit-tested under Deno.
 *
 * @module
 */

/** JSON schema versions of the CLI output this extension understands. */
export const SUPPORTED_SCHEMA_VERSIONS: readonly number[] = [1];

/** The error object every failing `--json` output carries. */
export interface CliError {
  code: string;
  message: string;
  detail?: Record<string, unknown>;
}

/** Common head of every `--json` output. */
export interface CliEnvelope {
  schemaVersion: number;
  tool?: { name?: string; version?: string };
  command?: string;
  outcome: "ok" | "error";
  error?: CliError;
}

/** A negotiated cipher suite. */
export interface ReportCipher {
  code?: number;
  iana?: string;
  openssl?: string;
  bits?: number;
  kx?: string;
  au?: string;
  enc?: string;
  mac?: string;
}

/** A decoded distinguished name, as `tlsprobe cert --json` gives it. */
export interface DistinguishedName {
  rfc2253?: string;
  readable?: string;
}

/**
 * A distinguished name as one line, whichever form the CLI gave.
 *
 * @param name a string or a decoded name
 * @returns the RFC 2253 form, or undefined
 */
export function nameText(
  name: string | DistinguishedName | undefined,
): string | undefined {
  if (name === undefined || name === null) return undefined;
  if (typeof name === "string") return name;
  return name.rfc2253 ?? name.readable;
}

/** One certificate of the chain the server sent. */
export interface ReportCertificate {
  /** A string (`probe`) or the decoded name (`cert`: `{ rfc2253, readable }`). */
  subject?: string | DistinguishedName;
  issuer?: string | DistinguishedName;
  sans?: { dns?: string[]; ip?: string[] };
  notBefore?: string;
  notAfter?: string;
  sha256?: string;
  key?: { type?: string; bits?: number; curve?: string };
}

/** A finding (policy or lint-like observation) attached to a report. */
export interface ReportFinding {
  rule: string;
  severity: string;
  message: string;
}

/** The probe report: `tlsprobe probe HOST:PORT --json`. */
export interface ProbeReport extends CliEnvelope {
  target?: {
    host?: string;
    port?: number;
    address?: string;
    serverName?: string;
  };
  handshake?: {
    version?: string;
    cipher?: ReportCipher;
    group?: { name?: string; bits?: number };
    alpn?: string | null;
  };
  certificates?: ReportCertificate[];
  identity?: { hostname?: string; matched?: boolean; rule?: string };
  trust?: {
    verified?: boolean;
    store?: string;
    caFile?: string;
    code?: string;
  };
  findings?: ReportFinding[];
}

/** Why a CLI output was not accepted. */
export class ReportFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportFormatError";
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parses one `--json` output of the CLI and checks its envelope: exactly one
 * JSON object, a supported `schemaVersion`, an `outcome`, and an `error`
 * with a `code` and a `message` when the outcome is an error.
 *
 * @param stdout everything the CLI printed on stdout
 * @returns the parsed envelope (the caller narrows it by command)
 * @throws ReportFormatError when the output is not a supported envelope
 * @example
 * ```ts
 * import { parseCliJson } from "./report.ts";
 * const r = parseCliJson('{"schemaVersion":1,"outcome":"ok"}');
 * console.assert(r.outcome === "ok");
 * ```
 */
export function parseCliJson(stdout: string): CliEnvelope {
  const text = stdout.trim();
  if (text === "") {
    throw new ReportFormatError("tlsprobe printed nothing on stdout");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ReportFormatError(
      `tlsprobe printed something that is not JSON: ${text.slice(0, 120)}`,
    );
  }
  if (!isObject(value)) {
    throw new ReportFormatError("tlsprobe's JSON output is not an object");
  }
  const version = value.schemaVersion;
  if (typeof version !== "number") {
    throw new ReportFormatError("tlsprobe's JSON output has no schemaVersion");
  }
  if (!SUPPORTED_SCHEMA_VERSIONS.includes(version)) {
    throw new ReportFormatError(
      `tlsprobe speaks JSON schema version ${version}; this extension understands ` +
        `${SUPPORTED_SCHEMA_VERSIONS.join(", ")}. Update the extension or the CLI so they match.`,
    );
  }
  if (value.outcome !== "ok" && value.outcome !== "error") {
    throw new ReportFormatError(
      `tlsprobe's JSON output has outcome ${String(value.outcome)}`,
    );
  }
  if (value.outcome === "error") {
    const e = value.error;
    if (
      !isObject(e) || typeof e.code !== "string" ||
      typeof e.message !== "string"
    ) {
      throw new ReportFormatError(
        "tlsprobe reported an error without a code and message",
      );
    }
  }
  return value as unknown as CliEnvelope;
}

/**
 * Splits `host:port`, `[v6]:port`, `host` or an `https://` URL into a target.
 *
 * @param input what the user typed
 * @param defaultPort the port when none is given
 * @returns host and port, or undefined when the input cannot be a target
 */
export function parseTarget(
  input: string,
  defaultPort = 443,
): { host: string; port: number } | undefined {
  let s = input.trim();
  const url = /^https?:\/\/([^/?#]+)/i.exec(s);
  if (url) {
    s = url[1].replace(/^[^@]*@/, "");
    if (!/:\d+$/.test(s.replace(/^\[[^\]]*\]/, ""))) {
      defaultPort = input.trim().toLowerCase().startsWith("http:") ? 80 : defaultPort;
    }
  }
  let host: string;
  let port = defaultPort;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1];
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?::(\d+))?$/.exec(s);
    if (!m) return undefined;
    host = m[1];
    if (m[2] !== undefined) port = Number(m[2]);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/**
 * Formats a target for the command line and for display (`[::1]:443`).
 *
 * @param t host and port
 * @returns `host:port`
 */
export function formatTarget(t: { host: string; port: number }): string {
  return t.host.includes(":") ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}
