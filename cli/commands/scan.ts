/**
 * `tlsprobe scan HOST[:PORT] …`: everything each server accepts (versions,
 * suites and their order, groups, signature schemes, certificates, ALPN,
 * features) and the verdicts, as text grouped by version or JSON (one object;
 * JSON lines with several targets). The work is `core/net/scan.ts`.
 *
 * @module
 */
import { type CommandSpec, type Invocation, option, UsageError } from "../args.ts";
import { TlsprobeError } from "../../core/errors.ts";
import { envelope } from "../../core/report/envelope.ts";
import { renderScanText, scanReportBody } from "../../core/report/scan.ts";
import { DEFAULT_CONCURRENCY, Limiter, scanTarget } from "../../core/net/scan.ts";
import type { ScanResult } from "../../core/scan/model.ts";
import type { ScanProgress } from "../../core/scan/progress.ts";
import { EXIT_CHECK_FAILED, EXIT_CODES } from "../exit_codes.ts";
import { err, out, styles } from "../output.ts";
import { clientTarget, parseServerName, parseTimeout, starttlsOptions } from "../options.ts";
import { stopSignals } from "../stop_signals.ts";
import { withAdvice } from "../advice.ts";

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
  progress?: "json";
  starttls?: string;
  xmppHost?: string;
}

/** Largest `--targets` file read. */
const MAX_TARGETS_FILE = 1 << 20;

function parseProgress(value: string): "json" {
  if (value !== "json") {
    throw new UsageError(`Progress format ${JSON.stringify(value)} is not known: use json.`);
  }
  return value;
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 256) {
    throw new UsageError(`Concurrency ${JSON.stringify(value)} is not a number from 1 to 256.`);
  }
  return n;
}

/** `tlsprobe scan`. */
export const command: CommandSpec = {
  name: "scan",
  summary:
    "Enumerate what TLS servers accept (versions, suites, groups, certificates) and grade them",
  description: "Enumerate what TLS servers accept: versions, every cipher suite per version and " +
    "the server's order, groups, DHE sizes, signature schemes, certificates per key type, ALPN, " +
    "SNI behaviour and features; then weaknesses, Mozilla profiles and a grade.",
  args: [
    {
      name: "host[:port]...",
      help: "servers to scan (port 443 by default; [::1]:PORT for IPv6)",
      optional: true,
      variadic: true,
    },
  ],
  options: [
    option(
      "--targets <file>",
      "read more targets from FILE, one HOST[:PORT] per line (# comments)",
    ),
    option("-a, --cafile <file>", "trust the CA certificates in FILE for the trust verdict"),
    option("-c, --cert <file>", "client certificate for the trust check (PEM)"),
    option("--key <file>", "the client certificate's private key, if not in --cert"),
    option(
      "-p, --protocol <version>",
      "try only SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, or a MIN:MAX range (default: all)",
    ),
    option("--servername <name>", "send NAME as SNI and match the certificate against it", {
      parse: parseServerName,
    }),
    option("--no-sni", "send no server_name extension"),
    option("--timeout <seconds>", "bound on each handshake, in seconds", {
      parse: parseTimeout,
      default: "5",
    }),
    option(
      "--concurrency <n>",
      "handshakes in flight per target; four times that across targets",
      { parse: parseConcurrency, default: String(DEFAULT_CONCURRENCY) },
    ),
    option("--policy <name|file>", "judge each server by this policy (exit 1 when one fails)"),
    option("--json", "print one JSON object (JSON lines with several targets)"),
    option("-q, --quiet", "no progress bar on stderr"),
    option(
      "--progress <format>",
      'progress for programs: "json" writes one JSON line per handshake on stderr, ' +
        '{"target","done","total","phase","percent"} (total: handshakes planned, revised as the ' +
        "scan goes; percent: never falls, 100 only on the last line)",
      { parse: parseProgress },
    ),
    ...starttlsOptions("every handshake"),
  ],
  epilog: `
Handshakes are cut as soon as the ServerHello (or the alert) is read; suites
are found by elimination (offer all, remove the chosen one, repeat). The
grade rules are in the README.

Examples:
  tlsprobe scan -a certs/ca.crt localhost:4433
  tlsprobe scan --json example.com:443 example.org
  tlsprobe scan --targets hosts.txt --policy mozilla-intermediate`,
  run: (inv) => runScan(inv),
};

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
  const { readFileText } = await import("../../core/net/pem.ts");
  const text = await readFileText(file, "targets file");
  return text.split(/\r?\n/).map((l) => l.replace(/#.*/, "").trim()).filter(Boolean);
}

function progressBar(total: number): {
  update: (i: number, p: ScanProgress) => void;
  finish: (i: number) => void;
  clear: () => void;
} {
  const on = Deno.stderr.isTerminal();
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
    // Floors, so the bar shows 100 % only when every target has finished.
    const n = Math.floor(frac * width);
    const line = `\r[${"#".repeat(n)}${"-".repeat(width - n)}] ${Math.floor(frac * 100)}% ${
      label.slice(0, 40)
    }\x1b[K`;
    Deno.stderr.writeSync(enc.encode(line));
  };
  return {
    update(i, p) {
      state.set(i, p.percent / 100);
      draw(`${p.phase} (${p.done}/${p.total} handshakes)`);
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

/** One `--progress json` line on stderr. */
function progressLine(target: string, p: ScanProgress): void {
  try {
    err(
      JSON.stringify({ target, done: p.done, total: p.total, phase: p.phase, percent: p.percent }),
    );
  } catch {
    // stderr closed: progress is not worth failing the scan for
  }
}

async function runScan(inv: Invocation): Promise<number> {
  const flags = inv.flags as unknown as ScanFlags;
  const specs = [
    ...(inv.args[0] as string[]),
    ...(flags.targets ? await readTargets(flags.targets) : []),
  ];
  if (!specs.length) throw new UsageError("No target: give HOST[:PORT] or --targets FILE");
  // Every value is checked before any connection is made.
  // Each target may be a STARTTLS URL (smtp://…, imap://…) with its own protocol.
  const targets = specs.map((s) => clientTarget(s, undefined, flags));
  // The version parser brings the OpenSSL cipher-string engine: loaded only for -p.
  const versions = flags.protocol
    ? (await import("../../core/handshake/offer.ts")).parseProtocols(flags.protocol)
    : undefined;
  const policy = flags.policy
    ? await (await import("../policy_load.ts")).loadResolvedPolicy(flags.policy)
    : undefined;
  const stop = stopSignals();
  const global = new Limiter(flags.concurrency * 4);
  const bar = !flags.quiet && Deno.stderr.isTerminal() ? progressBar(targets.length) : undefined;
  const results: (ScanResult | undefined)[] = new Array(targets.length);
  const st = styles();
  let printed = 0;
  // Print in target order as results arrive.
  const flush = () => {
    while (printed < results.length && results[printed]) {
      const r = results[printed]!;
      bar?.clear();
      if (flags.json) {
        const e = r.error && !r.versions.some((v) => v.accepted) ? r.error : undefined;
        const obj = envelope(
          "scan",
          scanReportBody(r),
          e ? { code: e.code, message: e.message, detail: e.detail ?? {} } : undefined,
        );
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
    while (next < targets.length && !stop.signal.aborted) {
      const i = next++;
      const t = targets[i];
      results[i] = await scanTarget({
        host: t.host,
        port: t.port,
        serverName: flags.sni === false ? null : flags.servername,
        timeoutMs: flags.timeout,
        concurrency: flags.concurrency,
        globalLimiter: global,
        versions,
        caFile: flags.cafile,
        certFile: flags.cert,
        keyFile: flags.key,
        policy,
        signal: stop.signal,
        starttls: t.starttls,
        onProgress: bar || flags.progress
          ? (p) => {
            bar?.update(i, p);
            if (flags.progress === "json") progressLine(specs[i], p);
          }
          : undefined,
        now: new Date(),
      });
      bar?.finish(i);
      flush();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(4, targets.length) }, worker));
  } finally {
    stop.dispose();
    bar?.clear();
  }
  const all = results.filter((r): r is ScanResult => !!r);
  const failed = all.find((r) => r.error && !r.versions.some((v) => v.accepted));
  const interrupted = stop.exitCode();
  if (interrupted !== undefined) {
    if (!flags.json) err("tlsprobe: interrupted; the results above are partial");
    return interrupted;
  }
  if (failed?.error) {
    if (!flags.json) {
      const s = styles("stderr");
      const e = withAdvice(
        new TlsprobeError(failed.error.code, failed.error.message, failed.error.detail ?? {}),
        (command.options ?? []).map((o) => o.long),
      );
      err(`${s.red("tlsprobe: error")} ${s.bold(e.code)}: ${e.message}`);
    }
    return EXIT_CODES[failed.error.code];
  }
  return all.some((r) => r.policy?.verdict === "fail") ? EXIT_CHECK_FAILED : 0;
}
