/**
 * The CLI's own declarative argument parser (no npm dependency: importing
 * `commander` cost ~65 ms of every start).
 *
 * A verb is a {@link CommandSpec}: its positional arguments, its options and a
 * `run` function that returns the exit status. Declare an option with
 * {@link option}, in commander's familiar spelling:
 *
 * ```ts ignore
 * option("-a, --cafile <file>", "trust only the CA certificates in FILE (PEM)")
 * option("--timeout <seconds>", "overall bound", { parse: parseTimeout, default: "10" })
 * option("--name <name>", "a DNS name (repeatable)", { repeat: true })
 * option("--no-sni", "send no server_name extension")   // flags.sni: true unless given
 * option("--key <type>", "key type", { choices: KEY_KINDS, default: "ecdsa-p256" })
 * ```
 *
 * `<value>` takes a value, `[value]` nothing special (same as `<value>`), no
 * brackets makes a boolean. The flag key is the long name in camelCase
 * (`--check-name` → `flags.checkName`). A `default` is written as the user
 * would type it: it goes through `parse` like a given value, and `--help`
 * shows it once (`default: 10`), unless the help text already says "default".
 * `parse` throws a {@link UsageError} (or a `TlsprobeError`) for a bad value:
 * the run stops before any connection with exit status 2.
 *
 * Parsing: `--opt value`, `--opt=value`, `-o value`, `-ovalue`, grouped short
 * booleans (`-vj`), `--` ends options; options may come after positionals.
 *
 * @module
 */
import { TlsprobeError } from "../core/errors.ts";

/** A bad command line: one line on stderr, exit status 2. */
export class UsageError extends Error {
  /** @param message what is wrong, as a sentence */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One option of a verb. */
export interface OptionSpec {
  /** Long name without dashes (`cafile`, `no-sni`). */
  long: string;
  /** Short letter without dash (`a`), if any. */
  short?: string;
  /** The value's name in help (`file`); absent for a boolean. */
  value?: string;
  /** One line of help. */
  help: string;
  /** Turns the given text into the value; throws {@link UsageError} when bad. */
  parse?: (value: string) => unknown;
  /** The default, spelt as typed on the command line (parsed like a value). */
  default?: string;
  /** Collect every occurrence into an array. */
  repeat?: boolean;
  /** The allowed values. */
  choices?: readonly string[];
  /** The option must be given. */
  required?: boolean;
  /** Left out of `--help` (still parsed). */
  hidden?: boolean;
}

/** Extra properties of {@link option}. */
export type OptionExtra = Omit<OptionSpec, "long" | "short" | "value" | "help">;

/**
 * Declares an option in commander's spelling.
 *
 * @param flags `-a, --cafile <file>`, `--json`, `--no-sni`
 * @param help one line of help
 * @param extra parse, default, repeat, choices, required
 * @returns the option
 * @example
 * ```ts
 * import { option } from "./args.ts";
 * const o = option("-a, --cafile <file>", "trust only FILE");
 * if (o.short !== "a" || o.long !== "cafile" || o.value !== "file") throw new Error();
 * ```
 */
export function option(flags: string, help: string, extra: OptionExtra = {}): OptionSpec {
  const m = /^(?:-([A-Za-z0-9]),\s*)?--([A-Za-z0-9][A-Za-z0-9-]*)(?:\s+[<[]([^>\]]+)[>\]])?$/
    .exec(flags.trim());
  if (!m) throw new Error(`Bad option declaration ${JSON.stringify(flags)}`);
  return { long: m[2], short: m[1], value: m[3], help, ...extra };
}

/** One positional argument. */
export interface ArgSpec {
  /** Its name in help (`host[:port]`). */
  name: string;
  /** One line of help. */
  help: string;
  /** May be left out (only the last ones). */
  optional?: boolean;
  /** Turns the text into the value; throws {@link UsageError} when bad. */
  parse?: (value: string) => unknown;
  /** The last argument only: takes every remaining positional, as an array. */
  variadic?: boolean;
}

/** What a verb's `run` receives. */
export interface Invocation {
  /** The verb's full name (`probe`, `certs init`). */
  command: string;
  /** Positional arguments, parsed, in declaration order (missing optional ones undefined). */
  args: unknown[];
  /** Options by camelCase key (defaults applied). */
  flags: Record<string, unknown>;
  /** Keys of the options given on the command line (not defaulted). */
  given: Set<string>;
  /**
   * The report so far: when `run` throws, `--json` prints the error inside
   * this body (set it as soon as there is something to show).
   */
  body?: object;
}

/** A verb, or a group of verbs (`subcommands`). */
export interface CommandSpec {
  /** The verb (`probe`). */
  name: string;
  /** One line for `tlsprobe --help`. */
  summary: string;
  /** A longer description for the verb's own help (default: summary). */
  description?: string;
  /** Positional arguments. */
  args?: ArgSpec[];
  /** Options (`--help` is added). */
  options?: OptionSpec[];
  /** Text after the options in help (examples, notes). */
  epilog?: string;
  /** Nested verbs (`certs init`). */
  subcommands?: CommandSpec[];
  /** The `command` of its JSON envelope, when not the verb's full name (`policy`). */
  jsonName?: string;
  /** Does the work and returns the exit status (undefined: 0). */
  run?: (inv: Invocation) => Promise<number | void> | number | void;
}

/** camelCase key of a long option: `check-name` → `checkName`, `no-sni` → `sni`. */
export function optionKey(long: string): string {
  const base = long.startsWith("no-") ? long.slice(3) : long;
  return base.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function label(o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : ""}--${o.long}${o.value ? ` <${o.value}>` : ""}`;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
  }
  return d[a.length][b.length];
}

/** "(Did you mean --cafile?)" when a known word is close. */
function suggest(word: string, known: string[]): string {
  const best = known
    .map((k) => [k, editDistance(word, k)] as const)
    .filter(([k, d]) => d <= Math.max(2, Math.floor(k.length / 3)) && d < k.length - 1)
    .sort((x, y) => x[1] - y[1])[0];
  return best ? ` (Did you mean ${best[0]}?)` : "";
}

function applyValue(
  o: OptionSpec,
  text: string,
  flags: Record<string, unknown>,
  given: boolean,
): void {
  const key = optionKey(o.long);
  if (o.choices && !o.choices.includes(text)) {
    throw new UsageError(
      `option '${label(o)}' argument ${JSON.stringify(text)} is invalid: choose one of ${
        o.choices.join(", ")
      }`,
    );
  }
  let v: unknown = text;
  if (o.parse) {
    try {
      v = o.parse(text);
    } catch (e) {
      if (e instanceof TlsprobeError) throw e;
      const why = e instanceof Error ? e.message : String(e);
      throw new UsageError(
        `option '${label(o)}' argument ${JSON.stringify(text)} is invalid. ${why}`,
      );
    }
  }
  if (o.repeat) {
    flags[key] = given && Array.isArray(flags[key]) ? [...(flags[key] as unknown[]), v] : [v];
  } else flags[key] = v;
}

/**
 * Parses a verb's arguments (after the verb's name).
 *
 * @param spec the verb
 * @param argv its arguments
 * @returns positional values, flags and which flags were given; or `"help"`
 * @throws {UsageError} unknown option, missing value or argument, bad value
 */
export function parseArgs(
  spec: CommandSpec,
  argv: string[],
): { args: unknown[]; flags: Record<string, unknown>; given: Set<string> } | "help" {
  const options = spec.options ?? [];
  const flags: Record<string, unknown> = {};
  const given = new Set<string>();
  const positional: string[] = [];
  const byLong = new Map(options.map((o) => [o.long, o]));
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short!, o]));
  const take = (o: OptionSpec, inline: string | undefined, i: number): number => {
    const key = optionKey(o.long);
    if (!o.value) {
      if (inline !== undefined) throw new UsageError(`option '${label(o)}' takes no value`);
      flags[key] = !o.long.startsWith("no-");
      given.add(key);
      return i;
    }
    let text = inline;
    if (text === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`option '${label(o)}' argument missing`);
      text = argv[++i];
    }
    applyValue(o, text, flags, given.has(key));
    given.add(key);
    return i;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a === "-h" || a === "--help") return "help";
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const o = byLong.get(name);
      if (!o) {
        throw new UsageError(
          `unknown option '${a.slice(0, eq < 0 ? undefined : eq)}'${
            suggest(`--${name}`, [...byLong.keys()].map((k) => `--${k}`))
          }`,
        );
      }
      i = take(o, eq < 0 ? undefined : a.slice(eq + 1), i);
    } else if (a.length > 1 && a.startsWith("-") && !/^-\d/.test(a)) {
      // -x, -xVALUE, -vj (grouped booleans)
      for (let k = 1; k < a.length; k++) {
        const o = byShort.get(a[k]);
        if (!o) throw new UsageError(`unknown option '-${a[k]}'`);
        if (o.value) {
          const rest = a.slice(k + 1);
          i = take(o, rest === "" ? undefined : rest.replace(/^=/, ""), i);
          break;
        }
        i = take(o, undefined, i);
      }
    } else positional.push(a);
  }
  for (const o of options) {
    const key = optionKey(o.long);
    if (given.has(key)) continue;
    if (o.required) throw new UsageError(`required option '${label(o)}' not specified`);
    if (o.long.startsWith("no-")) flags[key] = true;
    else if (o.default !== undefined) applyValue(o, o.default, flags, false);
    else if (o.repeat) flags[key] = [];
  }
  const specArgs = spec.args ?? [];
  const needed = specArgs.filter((s) => !s.optional).length;
  if (positional.length < needed) {
    throw new UsageError(`missing required argument '${specArgs[positional.length].name}'`);
  }
  const variadic = specArgs[specArgs.length - 1]?.variadic === true;
  if (!variadic && positional.length > specArgs.length) {
    throw new UsageError(
      `too many arguments: expected ${specArgs.length}, got ${positional.length} ` +
        `(${positional.map((p) => JSON.stringify(p)).join(" ")})`,
    );
  }
  const parseArg = (s: ArgSpec, v: string | undefined): unknown => {
    if (v === undefined || !s.parse) return v;
    try {
      return s.parse(v);
    } catch (e) {
      if (e instanceof TlsprobeError) throw e;
      throw new UsageError(
        `argument '${s.name}' ${JSON.stringify(v)} is invalid. ${
          e instanceof Error ? e.message : String(e)
        }`,
      );
    }
  };
  const args = specArgs.map((s, i) =>
    s.variadic ? positional.slice(i).map((v) => parseArg(s, v)) : parseArg(s, positional[i])
  );
  return { args, flags, given };
}

function wrap(text: string, width: number, indent: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join("\n" + " ".repeat(indent));
}

/**
 * Two columns for help: labels, then text wrapped at 100 columns.
 *
 * @param rows label and text
 * @returns lines
 */
export function table(rows: Array<[string, string]>): string[] {
  const width = Math.min(30, Math.max(...rows.map(([l]) => l.length)));
  return rows.map(([l, h]) => {
    const pad = width + 4;
    const first = l.length > width ? `  ${l}\n${" ".repeat(pad)}` : `  ${l.padEnd(width)}  `;
    return first + wrap(h, Math.max(40, 100 - pad), pad);
  });
}

function optionHelp(o: OptionSpec): string {
  const notes = [];
  if (o.choices) notes.push(`one of: ${o.choices.join(", ")}`);
  if (o.default !== undefined && !/default/i.test(o.help)) notes.push(`default: ${o.default}`);
  return notes.length ? `${o.help} (${notes.join("; ")})` : o.help;
}

/**
 * The help text of a verb (or of the program, given the top-level spec).
 *
 * @param spec the verb
 * @param path the words before it (`tlsprobe`, `tlsprobe certs`)
 * @returns the text, ending with a newline
 */
export function helpText(spec: CommandSpec, path: string): string {
  const full = `${path} ${spec.name}`.trim();
  const lines: string[] = [];
  const args = (spec.args ?? []).map((a) => a.optional ? `[${a.name}]` : `<${a.name}>`);
  const subs = spec.subcommands ?? [];
  lines.push(
    `Usage: ${full} ${subs.length ? "[options] <command>" : ["[options]", ...args].join(" ")}`,
  );
  lines.push("", wrap(spec.description ?? spec.summary, 98, 0));
  if (spec.args?.length) {
    lines.push("", "Arguments:", ...table(spec.args.map((a) => [a.name, a.help])));
  }
  const opts = (spec.options ?? []).filter((o) => !o.hidden);
  lines.push(
    "",
    "Options:",
    ...table([
      ...opts.map((o) => [label(o), optionHelp(o)] as [string, string]),
      ["-h, --help", "print this help and exit"],
    ]),
  );
  if (subs.length) {
    lines.push(
      "",
      "Commands:",
      ...table(subs.map((s) => {
        const a = (s.args ?? []).map((x) => x.optional ? `[${x.name}]` : `<${x.name}>`);
        return [[s.name, ...(s.subcommands?.length ? ["..."] : a)].join(" "), s.summary];
      })),
    );
  }
  if (spec.epilog) lines.push("", spec.epilog.replace(/^\n+|\n+$/g, ""));
  return lines.join("\n") + "\n";
}

/** Where a command line leads: the verb to run and its parsed arguments, or help to print. */
export type Resolution =
  | { kind: "help"; text: string }
  | { kind: "run"; spec: CommandSpec; invocation: Invocation };

/**
 * Walks the verbs (`certs init DIR` → the `init` spec) and parses the rest.
 *
 * @param spec the verb the arguments start after
 * @param argv the arguments after it
 * @param path the words before it, for help (`tlsprobe`)
 * @returns what to do
 * @throws {UsageError} for an unknown verb or a bad argument
 */
export function resolve(spec: CommandSpec, argv: string[], path: string): Resolution {
  const full = `${path} ${spec.name}`.trim();
  if (spec.subcommands?.length) {
    const first = argv[0];
    if (first === undefined || first === "-h" || first === "--help" || first === "help") {
      const target = first === "help" && argv[1]
        ? spec.subcommands.find((s) => s.name === argv[1])
        : undefined;
      return { kind: "help", text: helpText(target ?? spec, target ? full : path) };
    }
    const sub = spec.subcommands.find((s) => s.name === first);
    if (!sub) {
      throw new UsageError(
        `unknown command '${first}' for '${full}'${
          suggest(first, spec.subcommands.map((s) => s.name))
        }`,
      );
    }
    return resolve(sub, argv.slice(1), full);
  }
  const parsed = parseArgs(spec, argv);
  if (parsed === "help") return { kind: "help", text: helpText(spec, path) };
  return {
    kind: "run",
    spec,
    invocation: { command: full.replace(/^tlsprobe /, ""), ...parsed },
  };
}
