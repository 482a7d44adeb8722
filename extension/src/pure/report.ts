/**
 * The part of the CLI's `--json` contract the extension reads (see
 * DESIGN.md, "Output contract"), and the checks applied before anything is
 * shown. No `vscode` import: unit-tested under Deno.
 *
 * The report's types are core's own (`import type`: nothing of core is
 * bundled for them), so they cannot drift from what the CLI emits.
 *
 * @module
 */
import type { ErrorDetail } from "../../../core/errors.ts";
import type { Evaluation } from "../../../core/policy/evaluate.ts";
import type { ProbeBody } from "../../../core/report/probe.ts";
import { parseStarttlsUrl, STARTTLS_URL_SCHEMES } from "../../../core/starttls/mod.ts";

export type {
  Finding,
  ProbeCertificate,
  ProbeCipher,
  ProbeHandshake,
} from "../../../core/report/probe.ts";

/**
 * JSON schema versions of the CLI output this extension understands, per
 * command (`scan` is at 2 since its findings joined the one severity scale;
 * every other command, and an output without a command, at 1).
 */
export const SUPPORTED_SCHEMA_VERSIONS: Readonly<Record<string, readonly number[]>> = {
  scan: [2],
  "*": [1],
};

/**
 * An error to show: the CLI's `{code, message, detail}` (core's `JsonError`),
 * or one of the extension's own (`CLI_NOT_FOUND`, …).
 */
export interface CliError {
  /** A stable code. */
  code: string;
  /** One line for a person. */
  message: string;
  /** Structured detail, from the CLI. */
  detail?: ErrorDetail;
}

/**
 * The head of every `--json` output that {@link parseCliJson} checks (core's
 * `Envelope`; `tool` and `command` are not relied upon).
 */
export interface CliEnvelope {
  /** The JSON contract's version. */
  schemaVersion: number;
  /** The CLI that wrote it. */
  tool?: { name?: string; version?: string };
  /** The subcommand. */
  command?: string;
  /** `error` when the command failed. */
  outcome: "ok" | "error";
  /** Why, when it failed. */
  error?: CliError;
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

/**
 * One certificate as the panel shows it: from `probe` (core's
 * `ProbeCertificate`, names as strings) or from `cert --json` (decoded names).
 */
export interface ReportCertificate {
  /** A string (`probe`) or the decoded name (`cert`: `{ rfc2253, readable }`). */
  subject?: string | DistinguishedName;
  /** The issuer, in the same form. */
  issuer?: string | DistinguishedName;
  /** DNS and IP subject alternative names. */
  sans?: { dns?: string[]; ip?: string[] };
  /** Start of validity (ISO 8601). */
  notBefore?: string;
  /** End of validity (ISO 8601). */
  notAfter?: string;
  /** SHA-256 fingerprint. */
  sha256?: string;
  /** Serial number, upper-case hex. */
  serialNumber?: string;
  /** The certificate's signature algorithm. */
  signatureAlgorithm?: string;
  /** Key type and size or curve (null when it does not apply). */
  key?: { type?: string; bits?: number | null; curve?: string | null };
  /** Violations the decoder found (`cert --json`, `probe --json`; absent when none). */
  findings?: { rule: string; severity: string; message: string; clause?: string }[];
}

/**
 * The probe report, `tlsprobe probe HOST:PORT --json`: the envelope and
 * core's report body (absent when the CLI failed before probing), with the
 * policy verdict under `--policy`.
 */
export type ProbeReport = CliEnvelope & Partial<ProbeBody> & { policy?: Evaluation };

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
  const command = typeof value.command === "string" ? value.command : "*";
  const supported = Object.hasOwn(SUPPORTED_SCHEMA_VERSIONS, command)
    ? SUPPORTED_SCHEMA_VERSIONS[command]
    : SUPPORTED_SCHEMA_VERSIONS["*"];
  if (!supported.includes(version)) {
    throw new ReportFormatError(
      `tlsprobe speaks JSON schema version ${version}${
        command === "*" ? "" : ` for ${command}`
      }; this extension understands ` +
        `${supported.join(", ")}. Update the extension or the CLI so they match.`,
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
): { host: string; port: number; starttls?: string } | undefined {
  let s = input.trim();
  // smtp://, imap://, ldap://, postgres://…: core's parser gives the protocol and its port.
  try {
    const u = parseStarttlsUrl(s);
    if (u) {
      // And the extension's own host check: nothing that could read as an option.
      const t = parseTarget(formatTarget(u));
      return t ? { ...t, starttls: u.protocol } : undefined;
    }
  } catch {
    return undefined;
  }
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

/** URL schemes that name a STARTTLS protocol, and their ports: core's table. */
export { STARTTLS_URL_SCHEMES };

/**
 * Formats a target for the command line and for display (`[::1]:443`).
 *
 * @param t host and port
 * @returns `host:port`
 */
export function formatTarget(t: { host: string; port: number }): string {
  return t.host.includes(":") ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}
