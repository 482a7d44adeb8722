/**
 * `tlsprobe serve --lab`: starts the test lab (`core/net/lab.ts`), prints its
 * index (text, or one JSON object with `--json`), logs each client's failure
 * on stderr with `-v`, and runs until SIGINT/SIGTERM.
 *
 * @module
 */
import { UsageError } from "../args.ts";
import { labJson, labText } from "../../core/lab/cases.ts";
import { startLab } from "../../core/net/lab.ts";
import { err, out } from "../output.ts";
import { stopSignals } from "../stop_signals.ts";

/** The `serve` flags the lab reads. */
export interface LabFlags {
  host: string;
  port: number;
  labDir?: string;
  timeout: number;
  exitWithStdin?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** `serve` options that configure a single server, and so mean nothing with `--lab`. */
const SINGLE_SERVER_FLAGS: Record<string, string> = {
  cert: "--cert",
  key: "--key",
  echo: "--echo",
  alpn: "--alpn",
  once: "--once",
  protocol: "--protocol",
  clientCa: "--client-ca",
  verifyClient: "--verify-client",
  policy: "--policy",
  report: "--report",
  starttls: "--starttls",
  maxConnections: "--max-connections",
  ciphers: "--ciphers",
  groups: "--groups",
  dhparam: "--dhparam",
  serverPreference: "--server-preference",
};

/**
 * Runs the lab until stopped.
 *
 * @param flags the parsed `serve` flags
 * @returns the exit status (130/143 after SIGINT/SIGTERM)
 */
export async function runLab(flags: LabFlags & Record<string, unknown>): Promise<number> {
  const clash = Object.keys(SINGLE_SERVER_FLAGS).filter((k) => flags[k] !== undefined);
  if (clash.length) {
    throw new UsageError(
      `${clash.map((k) => SINGLE_SERVER_FLAGS[k]).join(", ")} cannot be used with --lab ` +
        "(each lab endpoint has its own fixed setup)",
    );
  }
  const stopper = stopSignals({ stdinEof: flags.exitWithStdin });
  try {
    const lab = await startLab({
      host: flags.host,
      port: flags.port,
      dir: flags.labDir,
      timeoutMs: flags.timeout,
      signal: stopper.signal,
      onClientError: flags.verbose
        ? (name, e) => err(`  ${name}: ${e.code}: ${e.message}`)
        : undefined,
    });
    if (flags.json) out(JSON.stringify(labJson(lab.index)));
    else for (const l of labText(lab.index)) out(l);
    await lab.done;
    return stopper.exitCode() ?? 0;
  } finally {
    stopper.dispose();
  }
}
