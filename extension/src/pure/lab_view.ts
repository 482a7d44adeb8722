/**
 * The test lab as the extension sees it: the index `tlsprobe serve --lab
 * --json` prints (checked, typed), the status line ("running on 127.0.0.1
 * ports A–B") and each endpoint's row text. No `vscode` import: unit-tested
 * by Deno in `tests/extension/`.
 *
 * @module
 */
import type { LabEndpoint, LabIndex } from "../../../core/lab/cases.ts";
import { type CliError, parseCliJson, ReportFormatError } from "./report.ts";

export type { LabEndpoint, LabIndex };

/** What the lab printed first: its index, or the CLI's coded error. */
export type LabStart = { index: LabIndex } | { error: CliError };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads the lab's `--json` output: `{schemaVersion, lab: {host, port, ca, dir,
 * endpoints}}`, or the usual error envelope (`outcome: "error"`).
 *
 * @param text what the CLI printed on stdout (one object)
 * @returns the index, or the CLI's error
 * @throws ReportFormatError when it is neither
 * @example
 * ```ts
 * import { parseLabJson } from "./lab_view.ts";
 * const r = parseLabJson('{"schemaVersion":1,"lab":{"host":"127.0.0.1","port":8440,' +
 *   '"ca":"/t/labca.crt","dir":"/t","endpoints":[]}}');
 * console.assert("index" in r && r.index.port === 8440);
 * ```
 */
export function parseLabJson(text: string): LabStart {
  let value: unknown;
  try {
    value = JSON.parse(text.trim());
  } catch {
    throw new ReportFormatError(
      `tlsprobe serve --lab printed something that is not JSON: ${text.trim().slice(0, 120)}`,
    );
  }
  if (isObject(value) && value.outcome === "error") {
    // The CLI's own failure (a port in use, a bad option): the common envelope.
    const env = parseCliJson(text);
    return { error: env.error! };
  }
  if (!isObject(value) || typeof value.schemaVersion !== "number") {
    throw new ReportFormatError(
      "tlsprobe serve --lab's JSON output has no schemaVersion",
    );
  }
  if (value.schemaVersion !== 1) {
    throw new ReportFormatError(
      `tlsprobe serve --lab speaks JSON schema version ${value.schemaVersion}; this extension ` +
        "understands 1. Update the extension or the CLI so they match.",
    );
  }
  const lab = value.lab;
  if (
    !isObject(lab) || typeof lab.host !== "string" ||
    typeof lab.port !== "number" ||
    typeof lab.ca !== "string" || typeof lab.dir !== "string" ||
    !Array.isArray(lab.endpoints)
  ) {
    throw new ReportFormatError(
      "tlsprobe serve --lab's JSON output has no lab {host, port, ca, dir, endpoints}",
    );
  }
  const endpoints: LabEndpoint[] = [];
  for (const e of lab.endpoints as unknown[]) {
    if (
      !isObject(e) || typeof e.name !== "string" ||
      !(typeof e.port === "number" || e.port === null) ||
      (e.expect !== "connect" && e.expect !== "reject")
    ) {
      throw new ReportFormatError(
        `tlsprobe serve --lab listed an endpoint without name, port and expect: ${
          JSON.stringify(e).slice(0, 120)
        }`,
      );
    }
    // Fields the lab may add later are kept as they are.
    endpoints.push({
      ...e,
      description: typeof e.description === "string" ? e.description : "",
      client: typeof e.client === "string" ? e.client : "",
      served: e.served !== false && e.port !== null,
    } as LabEndpoint);
  }
  return { index: { ...(lab as unknown as LabIndex), endpoints } };
}

/**
 * The lowest and highest port the lab listens on (the index page and every
 * served endpoint).
 *
 * @param index the running lab
 * @returns `[lowest, highest]`
 */
export function labPortRange(index: LabIndex): [number, number] {
  const ports = [
    index.port,
    ...index.endpoints.flatMap((e) => e.port === null ? [] : [e.port]),
  ];
  return [Math.min(...ports), Math.max(...ports)];
}

/** `127.0.0.1:8441`, `[::1]:8441`. */
export function labAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The view's status line.
 *
 * @param index the running lab, or undefined when stopped
 * @returns `running on 127.0.0.1 ports 8440–8461 (21 endpoints)` or `stopped`
 */
export function labStatus(index: LabIndex | undefined): string {
  if (!index) return "stopped";
  const [lo, hi] = labPortRange(index);
  const served = index.endpoints.filter((e) => e.served).length;
  return `running on ${index.host} ports ${lo}–${hi} (${served} endpoints)`;
}

/** The index page's URL. */
export function labIndexUrl(index: LabIndex): string {
  return `https://${labAddress(index.host, index.port)}/`;
}

/** One endpoint's row: label, the short line beside it, and its tooltip. */
export interface LabRow {
  /** The case's name. */
  label: string;
  /** `127.0.0.1:8442 · reject CERT_EXPIRED` (or `not served`). */
  description: string;
  /** What it is and what a correct client does there. */
  tooltip: string;
  /** The address to copy and probe, when served. */
  address?: string;
}

/**
 * The text of an endpoint's row.
 *
 * @param index the running lab
 * @param e one of its endpoints
 * @returns the row's texts
 */
export function labRow(index: LabIndex, e: LabEndpoint): LabRow {
  const address = e.port === null ? undefined : labAddress(index.host, e.port);
  const verdict = e.expect === "connect" ? "connect" : `reject${e.error ? ` ${e.error}` : ""}`;
  return {
    label: e.name,
    description: address ? `${address} · ${verdict}` : `not served · ${e.client}`,
    tooltip: [
      `${e.name}${address ? ` — ${address}` : " (not served)"}`,
      e.description,
      `A correct client: ${e.client}${e.error ? ` [${e.error}]` : ""}`,
    ].filter(Boolean).join("\n"),
    address,
  };
}
