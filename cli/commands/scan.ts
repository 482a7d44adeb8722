/**
 * `tlsprobe scan HOST[:PORT] …`: everything each server accepts (versions,
 * suites and their order, groups, signature schemes, certificates, ALPN,
 * features) and the verdicts, as text grouped by version or JSON (one object;
 * JSON lines with several targets). The work is `core/net/scan.ts`.
 *
 * @module
 */
import type { Command } from "commander";
import { isTlsprobeError, TlsprobeError } from "../../core/errors.ts";
import { envelope } from "../../core/report/envelope.ts";
import { renderScanText, scanReportBody } from "../../core/report/scan.ts";
import { parseProtocols } from "../../core/handshake/offer.ts";
import { DEFAULT_CONCURRENCY, Limiter, scanTarget } from "../../core/net/scan.ts";
import { readFileText } from "../../core/net/pem.ts";
import type { ScanResult } from "../../core/scan/model.ts";
import { loadResolvedPolicy } from "../policy_load.ts";
import { EXIT_CHECK_FAILED, EXIT_CODES } from "../exit_codes.ts";
import { err, out, printError, styles } from "../output.ts";
import { parseTimeout } from "../options.ts";
import { parseTarget } from "./probe.ts";

interface ScanFlags {
  targets?: string;
  cafile?: string;
  cert?: string;
  key?: string;
  protocol?: string;
  servername?: string;
  sni: boolean;
  timeout: number;
  concurrency: number;
  policy?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** Largest `--targets` file read. */
const MAX_TARGETS_FILE = 1 << 20;

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 256) {
    throw new TlsprobeError(
      "USAGE",
      `Concurrency ${JSON.stringify(value)} is not a number from 1 to 256`,
    );
  }
  return n;
}

/** Adds `scan` to the program. */
export function register(program: Command): void {
  program
    .command("scan")
    .description(
      "Enumerate what TLS servers accept (versions, suites and order, groups, signature " +
        "schemes, certificates, ALPN, features) and grade them",
    )
    .argument("[targets...]", "HOST[:PORT] to scan (port 443 by default)")
    .option("--targets <file>", "read more targets from FILE, one HOST[:PORT] per line")
    .option("-a, --cafile <file>", "trust the CA certificates in FILE for the trust verdict")
    .option("-c, --cert <file>", "client certificate for the trust check (PEM)")
    .option("--key <file>", "the client certificate's private key, if not in --cert")
    .option(
      "-p, --protocol <version>",
      "try only these versions: SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, or a MIN:MAX range",
    )
    .option("--servername <name>", "send NAME as SNI and match the certificate against it")
    .option("--no-sni", "send no server_name extension")
    .option("--timeout <seconds>", "bound on each handshake", parseTimeout, 5_000)
    .option(
      "--concurrency <n>",
      `handshakes in flight per target (default ${DEFAULT_CONCURRENCY}; four times that across targets)`,
      parseConcurrency,
      DEFAULT_CONCURRENCY,
    )
    .option("--policy <name|file>", "judge each server by this policy (exit 1 when one fails)")
    .option("--json", "print one JSON object (JSON lines with several targets)")
    .option("-q, --quiet", "no progress bar")
    .option("-v, --verbose", "print the raw runtime message of errors")
    .addHelpText(
      "after",
      `
Examples:
  tlsprobe scan -a certs/ca.crt localhost:4433
  tlsprobe scan --json example.com:443 example.org
  tlsprobe scan --targets hosts.txt --policy mozilla-intermediate`,
    )
    .action(async (targets: string[], flags: ScanFlags) => {
      await runScan(targets, flags);
    });
}

async function readTargets(file: string): Promise<string[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(file);
  } catch {
    throw new TlsprobeError("FILE_NOT_FOUND", `Targets file ${file} does not exist`);
  }
  if (!info.isFile) {
    throw new TlsprobeError("BAD_INPUT", `Targets file ${file} is not a regular file`);
  }
  if (info.size > MAX_TARGETS_FILE) {
    throw new TlsprobeError("BAD_INPUT", `Targets file ${file} is larger than 1 MiB`);
  }
  const text = await readFileText(file, "targets file");
  return text.split(/\r?\n/).map((l) => l.replace(/#.*/, "").trim()).filter(Boolean);
}

function progressBar(total: number): {
  update: (i: number, phase: string, handshakes: number) => void;
  finish: (i: number) => void;
  clear: () => void;
} {
  const on = Deno.stderr.isTerminal();
  const phases = ["versions", "cipher suites"];
  const state = new Map<number, number>();
  const enc = new TextEncoder();
  let last = 0;
  const draw = (label: string) => {
    if (!on) return;
    const now = Date.now();
    if (now - last < 50) return;
    last = now;
    let sum = 0;
    for (const v of state.values()) sum += v;
    const frac = Math.min(1, sum / total);
    const width = 30;
    const n = Math.round(frac * width);
    const line = `\r[${"#".repeat(n)}${"-".repeat(width - n)}] ${Math.round(frac * 100)}% ${
      label.slice(0, 40)
    }\x1b[K`;
    Deno.stderr.writeSync(enc.encode(line));
  };
  return {
    update(i, phase, handshakes) {
      const idx = phases.indexOf(phase);
      state.set(i, (idx < 0 ? 2 : idx) / 3);
      draw(`${phase} (${handshakes} handshakes)`);
    },
    finish(i) {
      state.set(i, 1);
      last = 0;
      draw("done");
    },
    clear() {
      if (on) Deno.stderr.writeSync(enc.encode("\r\x1b[K"));
    },
  };
}

async function runScan(args: string[], flags: ScanFlags): Promise<void> {
  try {
    const specs = [...args, ...(flags.targets ? await readTargets(flags.targets) : [])];
    if (!specs.length) {
      throw new TlsprobeError("USAGE", "No target: give HOST[:PORT] or --targets FILE");
    }
    const targets = specs.map((s) => parseTarget(s));
    const versions = flags.protocol ? parseProtocols(flags.protocol) : undefined;
    const policy = flags.policy ? await loadResolvedPolicy(flags.policy) : undefined;
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    Deno.addSignalListener("SIGINT", onSigint);
    const global = new Limiter(flags.concurrency * 4);
    const bar = !flags.quiet && Deno.stderr.isTerminal() ? progressBar(targets.length) : undefined;
    const results: (ScanResult | undefined)[] = new Array(targets.length);
    const st = styles("stdout");
    let printed = 0;
    // Print in target order as results arrive.
    const flush = () => {
      while (printed < results.length && results[printed]) {
        const r = results[printed]!;
        bar?.clear();
        if (flags.json) {
          const body = scanReportBody(r);
          const e = r.error && !r.versions.some((v) => v.accepted) ? r.error : undefined;
          const obj = envelope("scan", body, e ? { ...e, detail: e.detail ?? {} } : undefined);
          out(targets.length > 1 ? JSON.stringify(obj) : JSON.stringify(obj, null, 2));
        } else {
          if (printed > 0) out("");
          for (const line of renderScanText(r, st)) out(line);
        }
        printed++;
      }
    };
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const i = next++;
        const t = targets[i];
        results[i] = await scanTarget({
          ...t,
          serverName: flags.sni === false ? null : flags.servername,
          timeoutMs: flags.timeout,
          concurrency: flags.concurrency,
          globalLimiter: global,
          versions,
          caFile: flags.cafile,
          certFile: flags.cert,
          keyFile: flags.key,
          policy,
          signal: controller.signal,
          onProgress: bar ? (p) => bar.update(i, p.phase, p.handshakes) : undefined,
          now: new Date(),
        });
        bar?.finish(i);
        flush();
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(4, targets.length) }, worker));
    } finally {
      Deno.removeSignalListener("SIGINT", onSigint);
      bar?.clear();
    }
    const all = results.filter((r): r is ScanResult => !!r);
    const failed = all.find((r) => r.error && !r.versions.some((v) => v.accepted));
    if (controller.signal.aborted) {
      if (!flags.json) err("tlsprobe: interrupted; the results above are partial");
      Deno.exitCode = 130;
    } else if (failed?.error) {
      if (!flags.json) {
        const s = styles("stderr");
        err(`${s.red("tlsprobe: error")} ${s.bold(failed.error.code)}: ${failed.error.message}`);
      }
      Deno.exitCode = EXIT_CODES[failed.error.code];
    } else if (all.some((r) => r.policy?.verdict === "fail")) {
      Deno.exitCode = EXIT_CHECK_FAILED;
    }
  } catch (e) {
    const error = isTlsprobeError(e) ? e : new TlsprobeError(
      "INTERNAL",
      `Internal error: ${e instanceof Error ? e.message : String(e)} (please report this)`,
      { raw: e instanceof Error ? e.stack : String(e) },
    );
    printError(error, { json: !!flags.json, verbose: !!flags.verbose, command: "scan" });
    Deno.exitCode = EXIT_CODES[error.code];
  }
}
