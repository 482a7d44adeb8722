/**
 * The CLI's own argument parser (`cli/args.ts`): commander's spellings, one
 * usage error per mistake, defaults shown once in help.
 */
import assert from "node:assert/strict";
import {
  type CommandSpec,
  helpText,
  option,
  parseArgs,
  resolve,
  UsageError,
} from "../../cli/args.ts";
import { parseTimeout } from "../../cli/options.ts";

const spec: CommandSpec = {
  name: "demo",
  summary: "a verb for tests",
  args: [{ name: "host" }, { name: "port", optional: true }].map((a) => ({ ...a, help: a.name })),
  options: [
    option("-a, --cafile <file>", "CA file"),
    option("-v, --verbose", "more"),
    option("-j, --json", "JSON"),
    option("--no-sni", "no SNI"),
    option("--name <name>", "a name (repeatable)", { repeat: true }),
    option("--key <type>", "key type", {
      choices: ["rsa2048", "ecdsa-p256"],
      default: "ecdsa-p256",
    }),
    option("--timeout <seconds>", "bound, in seconds", { parse: parseTimeout, default: "10" }),
  ],
};

function parsed(argv: string[]) {
  const r = parseArgs(spec, argv);
  assert.notEqual(r, "help");
  return r as Exclude<typeof r, "help">;
}

Deno.test("parseArgs() reads long, short, =value, grouped and repeated options anywhere", () => {
  const r = parsed(["h", "-vj", "--cafile=ca.pem", "--name", "a", "--name=b", "443", "--no-sni"]);
  assert.deepEqual(r.args, ["h", "443"]);
  assert.equal(r.flags.cafile, "ca.pem");
  assert.equal(r.flags.verbose, true);
  assert.equal(r.flags.json, true);
  assert.equal(r.flags.sni, false);
  assert.deepEqual(r.flags.name, ["a", "b"]);
  assert.equal(r.flags.timeout, 10_000, "the default goes through parse");
  assert.equal(r.flags.key, "ecdsa-p256");
  assert.deepEqual([...r.given].sort(), ["cafile", "json", "name", "sni", "verbose"]);
  const s = parsed(["-aca.pem", "--", "-x"]);
  assert.equal(s.flags.cafile, "ca.pem");
  assert.deepEqual(s.args, ["-x", undefined]);
  assert.equal(parsed(["h"]).flags.sni, true);
  assert.deepEqual(parsed(["h"]).flags.name, []);
});

Deno.test("parseArgs() gives one usage error per mistake", () => {
  const cases: Array<[string[], RegExp]> = [
    [["h", "--bogus"], /unknown option '--bogus'/],
    [["h", "--cafil", "x"], /Did you mean --cafile\?/],
    [["h", "-z"], /unknown option '-z'/],
    [["h", "--cafile"], /option '-a, --cafile <file>' argument missing/],
    [["h", "--verbose=yes"], /takes no value/],
    [["h", "--key", "dsa"], /choose one of rsa2048, ecdsa-p256/],
    [["h", "--timeout", "0x10"], /Timeout "0x10"/],
    [[], /missing required argument 'host'/],
    [["a", "b", "c"], /too many arguments/],
  ];
  for (const [argv, why] of cases) {
    assert.throws(
      () => parseArgs(spec, argv),
      (e) => e instanceof UsageError && why.test(e.message),
    );
  }
  assert.equal(parseArgs(spec, ["--help"]), "help");
});

Deno.test("helpText() shows every option, each default once, and the unit", () => {
  const h = helpText(spec, "tlsprobe");
  assert.match(h, /^Usage: tlsprobe demo \[options\] <host> \[port\]/);
  for (const l of ["-a, --cafile <file>", "--no-sni", "--name <name>", "-h, --help"]) {
    assert.ok(h.includes(l), l);
  }
  assert.match(h, /bound, in seconds \(default: 10\)/);
  assert.equal(h.match(/default: ecdsa-p256/g)?.length, 1);
  assert.doesNotMatch(h, /default: \[\]|10000/);
});

Deno.test("resolve() walks nested verbs and says which one is unknown", () => {
  const group: CommandSpec = { name: "certs", summary: "certs", subcommands: [spec] };
  const r = resolve(group, ["demo", "h"], "tlsprobe");
  assert.equal(r.kind, "run");
  if (r.kind === "run") assert.equal(r.invocation.command, "certs demo");
  assert.equal(resolve(group, [], "tlsprobe").kind, "help");
  assert.throws(() => resolve(group, ["dmeo"], "tlsprobe"), /unknown command 'dmeo'.*demo/);
});
