/**
 * `tlsprobe`: the command-line front end. It parses arguments, calls core,
 * renders text or JSON and maps error codes to exit statuses. It holds no TLS
 * logic of its own.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { isTlsprobeError, TlsprobeError } from "../core/errors.ts";
import { VERSION } from "../core/version.ts";
import { EXIT_CODES, EXIT_INTERNAL, EXIT_USAGE } from "./exit_codes.ts";
import { COMMANDS } from "./commands/mod.ts";
import { printError } from "./output.ts";

/**
 * Builds the program with its subcommands registered: only `verb`'s when it
 * names one (so a run loads only the code it needs), else all of them.
 *
 * @param verb the first argument, if any
 * @returns the program
 */
export async function buildProgram(verb?: string): Promise<Command> {
  const program = new Command("tlsprobe")
    .description(
      "A TLS workbench: connect and report what was negotiated, serve TLS for testing " +
        "clients, explain certificates and OpenSSL cipher strings.",
    )
    .version(VERSION, "-V, --version", "print the version and exit")
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      `
Exit status:
  0   success
  1   a check failed (certificate verification, name, policy)
  2   usage error or bad input (unknown option, missing file, malformed value)
  3   network error (refused, DNS, timeout, reset)
  4   TLS error (protocol version, handshake failure, peer not speaking TLS)
  70  internal error (a bug in tlsprobe)

Environment:
  NO_COLOR   disables colour in text output`,
    );
  const wanted = COMMANDS.filter((c) => c.name === verb);
  for (const c of wanted.length ? wanted : COMMANDS) (await c.load()).register(program);
  return program;
}

/** Turns commander's own failures into one line and the usage exit status. */
function configure(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput({
    writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
    outputError: (s, write) => write(s.startsWith("error:") ? `tlsprobe: ${s}` : s),
  });
  for (const sub of cmd.commands) configure(sub);
}

/**
 * Runs the CLI with the given arguments and returns the exit status.
 *
 * @param args the arguments, without the program name
 * @returns the exit status
 */
export async function main(args: string[]): Promise<number> {
  // `ciphers` takes OpenSSL-style options (-v, -V, -tls1_2, -ciphersuites VAL, ...)
  // that commander cannot parse; it parses its own arguments.
  if (args[0] === "ciphers") {
    const { runCiphers } = await import("./commands/ciphers.ts");
    return runCiphers(args.slice(1));
  }
  const program = await buildProgram(args[0]);
  configure(program);
  let status = 0;
  try {
    await program.parseAsync(args, { from: "user" });
    status = typeof Deno.exitCode === "number" ? Deno.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors.
      if (
        e.code === "commander.helpDisplayed" || e.code === "commander.version" ||
        e.code === "commander.help"
      ) {
        return 0;
      }
      return EXIT_USAGE;
    }
    const json = args.includes("--json");
    const err = isTlsprobeError(e) ? e : new TlsprobeError(
      "INTERNAL",
      `Internal error: ${e instanceof Error ? e.message : String(e)} (please report this)`,
      { raw: e instanceof Error ? e.stack : String(e) },
    );
    printError(err, { json, verbose: args.includes("--verbose") });
    status = EXIT_CODES[err.code] ?? EXIT_INTERNAL;
  }
  return status;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
