/**
 * `tlsprobe`: the command-line front end. It parses arguments (`args.ts`),
 * calls core, renders text or JSON and maps error codes to exit statuses. It
 * holds no TLS logic of its own.
 *
 * @module
 */
import { isTlsprobeError, TlsprobeError } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import { type CommandSpec, type Invocation, resolve, table, UsageError } from "./args.ts";
import { EXIT_CODES, EXIT_INTERNAL, EXIT_USAGE } from "./exit_codes.ts";
import { withAdvice } from "./advice.ts";
import { COMMANDS } from "./commands/mod.ts";
import { err, isBrokenPipe, out, printError } from "./output.ts";

/** The conventional status of a process whose reader went away (128 + SIGPIPE). */
export const EXIT_BROKEN_PIPE = 141;

const PROGRAM_HELP = () => {
  const verbs = table([
    ...COMMANDS.map((c) =>
      [`${c.name} ${c.usage.replace(/^\[options\] ?/, "")}`.trim(), c.summary] as [string, string]
    ),
    ["help [command]", "print the help of a command"],
  ]);
  return `Usage: tlsprobe [options] <command> [arguments]

A TLS workbench: connect and report what was negotiated, serve TLS for testing clients, explain
certificates and OpenSSL cipher strings.

Options:
  -V, --version  print the version and exit
  -h, --help     print this help and exit

Commands:
${verbs.join("\n")}

Run 'tlsprobe <command> --help' for its options and examples.

Exit status:
  0   success
  1   a check failed (certificate verification, name, policy)
  2   usage error or bad input (unknown option, missing file, malformed value)
  3   network error (refused, DNS, timeout, reset)
  4   TLS error (protocol version, handshake failure, peer not speaking TLS)
  70  internal error (a bug in tlsprobe)
  130, 143  interrupted (SIGINT, SIGTERM)

Environment:
  NO_COLOR   disables colour in text output
`;
};

/** Any thrown value as a coded error (`INTERNAL` for a bug). */
export function toTlsprobeError(e: unknown): TlsprobeError {
  if (isTlsprobeError(e)) return e;
  if (e instanceof UsageError) return new TlsprobeError("USAGE", e.message);
  return new TlsprobeError(
    "INTERNAL",
    `Internal error: ${e instanceof Error ? e.message : String(e)} (please report this)`,
    { raw: e instanceof Error ? e.stack : String(e) },
  );
}

/**
 * Runs a verb and returns its exit status: the one place where a thrown error
 * becomes a printed error (text on stderr, or the JSON envelope with the body
 * so far) and a status. A closed stdout ends the run quietly.
 *
 * @param spec the verb
 * @param inv its parsed arguments
 * @returns the exit status
 */
export async function runAction(spec: CommandSpec, inv: Invocation): Promise<number> {
  try {
    return (await spec.run!(inv)) ?? 0;
  } catch (e) {
    if (isBrokenPipe(e)) return EXIT_BROKEN_PIPE;
    const error = withAdvice(toTlsprobeError(e), (spec.options ?? []).map((o) => o.long));
    try {
      printError(error, {
        json: !!inv.flags.json,
        verbose: !!inv.flags.verbose,
        command: spec.jsonName ?? inv.command,
        body: inv.body,
      });
    } catch (e2) {
      if (isBrokenPipe(e2)) return EXIT_BROKEN_PIPE;
      throw e2;
    }
    return EXIT_CODES[error.code] ?? EXIT_INTERNAL;
  }
}

/** SIGINT ends the run with status 130, SIGTERM with 143 (128 + the signal). */
function exitOnSignals(): void {
  const on = (sig: Deno.Signal, status: number) => {
    try {
      Deno.addSignalListener(sig, () => Deno.exit(status));
    } catch {
      // Not every platform has every signal (Windows: SIGINT and SIGBREAK only).
    }
  };
  on("SIGINT", 130);
  on("SIGTERM", 143);
}

function usageError(message: string, verb?: string): number {
  err(`tlsprobe: error: ${message} (see 'tlsprobe ${verb ? verb + " " : ""}--help')`);
  return EXIT_USAGE;
}

/**
 * Runs the CLI with the given arguments and returns the exit status.
 *
 * @param args the arguments, without the program name
 * @returns the exit status
 */
export async function main(args: string[]): Promise<number> {
  try {
    return await dispatch(args);
  } catch (e) {
    if (isBrokenPipe(e)) return EXIT_BROKEN_PIPE;
    throw e;
  }
}

async function dispatch(args: string[]): Promise<number> {
  let [verb, ...rest] = args;
  if (verb === undefined || verb === "-h" || verb === "--help") {
    out(PROGRAM_HELP().trimEnd());
    return 0;
  }
  if (verb === "-V" || verb === "--version") {
    out(VERSION);
    return 0;
  }
  if (verb === "help") {
    if (rest.length === 0) {
      out(PROGRAM_HELP().trimEnd());
      return 0;
    }
    [verb, ...rest] = [...rest, "--help"];
  }
  const entry = COMMANDS.find((c) => c.name === verb);
  if (!entry) {
    return usageError(
      verb.startsWith("-") ? `unknown option '${verb}'` : `unknown command '${verb}'`,
    );
  }
  const { command } = await entry.load();
  // `ciphers` takes OpenSSL-style options (-v, -V, -tls1_2, -ciphersuites VAL, ...)
  // and parses its own arguments, as openssl does.
  // It does no I/O but its own output and ends in milliseconds, so it binds no
  // signal handlers (their set-up is a measurable part of its start-up): a
  // signal ends it the default way, which a shell reports as 128 + N too.
  if (command.run && !command.options && !command.args) {
    return runAction(command, { command: verb, args: rest, flags: {}, given: new Set() });
  }
  let resolution;
  try {
    resolution = resolve(command, rest, "tlsprobe");
  } catch (e) {
    if (e instanceof UsageError) {
      const sub = command.subcommands?.find((c) => c.name === rest[0]);
      return usageError(e.message, sub ? `${verb} ${sub.name}` : verb);
    }
    const error = toTlsprobeError(e);
    printError(error, { json: rest.includes("--json"), verbose: false, command: verb });
    return EXIT_CODES[error.code] ?? EXIT_INTERNAL;
  }
  if (resolution.kind === "help") {
    out(resolution.text.trimEnd());
    return 0;
  }
  // `serve` stops itself on a signal (listeners closed, a summary printed),
  // and so does `scan` (it prints what it found so far); every other verb
  // ends at once with the conventional status.
  if (verb !== "serve" && verb !== "scan") exitOnSignals();
  return runAction(resolution.spec, resolution.invocation);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
