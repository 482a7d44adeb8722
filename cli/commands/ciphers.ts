/**
 * `tlsprobe ciphers [options] [STRING]`: expands an OpenSSL cipher string with
 * the same standard output and exit status as `openssl ciphers` (OpenSSL 3.0)
 * for the same arguments, plus `--explain` (each suite's rating and why) and
 * `--json`.
 *
 * Its arguments are parsed the way OpenSSL's apps parse them (single-dash long
 * options, `-opt=value`, options before the string, `--` ends options), so
 * `cli/main.ts` hands them to {@link runCiphers} untouched.
 *
 * @module
 */
import type { CommandSpec } from "../args.ts";
import { isTlsprobeError } from "../../core/errors.ts";
import {
  expandCipherString,
  type ExpandOptions,
  formatCiphers,
  opensslCipherName,
  type ProtocolName,
} from "../../core/openssl/mod.ts";
import type { CipherRating, CipherSuite } from "../../core/registry/cipher_suites.ts";
import { envelope } from "../../core/report/envelope.ts";
import { EXIT_CODES } from "../exit_codes.ts";
import { styles, writeAllSync } from "../output.ts";

const encoder = new TextEncoder();
const write = (s: string) => writeAllSync(Deno.stdout, encoder.encode(s));
const writeErr = (s: string) => writeAllSync(Deno.stderr, encoder.encode(s));

const USAGE = `Usage: tlsprobe ciphers [options] [cipher]

  Same output and exit status as \`openssl ciphers\` (OpenSSL 3.0).

General options:
 -help               Display this summary

Output options:
 -v                  Verbose listing of the SSL/TLS ciphers
 -V                  Even more verbose
 -stdname            Show standard cipher names
 -convert val        Convert standard name into OpenSSL name
 --explain           After the list, each suite's security rating and why
 --json              One JSON object (schemaVersion, suites with ratings)

Cipher specification options:
 -s                  Only supported ciphers
 -tls1               Ciphers compatible with TLS1
 -tls1_1             Ciphers compatible with TLS1.1
 -tls1_2             Ciphers compatible with TLS1.2
 -tls1_3             Ciphers compatible with TLS1.3
 -psk                Include ciphersuites requiring PSK
 -srp                (deprecated) Include ciphersuites requiring SRP
 -ciphersuites val   Configure the TLSv1.3 ciphersuites to use

Parameters:
 cipher              Cipher string to decode (optional)
`;

/** Options of `openssl ciphers`: name -> takes a value. */
const OPTIONS: Record<string, boolean> = {
  help: false,
  v: false,
  V: false,
  stdname: false,
  convert: true,
  s: false,
  tls1: false,
  tls1_1: false,
  tls1_2: false,
  tls1_3: false,
  psk: false,
  srp: false,
  ciphersuites: true,
  provider: true,
  "provider-path": true,
  explain: false,
  json: false,
};

/** Parsed arguments of the verb. */
export interface CiphersArgs {
  v: boolean;
  V: boolean;
  stdname: boolean;
  s: boolean;
  psk: boolean;
  srp: boolean;
  explain: boolean;
  json: boolean;
  help: boolean;
  convert?: string;
  ciphersuites?: string;
  protocol?: ProtocolName;
  cipher?: string;
}

/**
 * Parses arguments like OpenSSL's `opt_next()`: options first, each `-name`
 * or `--name`, values as the next argument or after `=`.
 *
 * @param args the arguments after `ciphers`
 * @returns the parsed arguments, or the usage error text for stderr
 */
export function parseCiphersArgs(args: string[]): CiphersArgs | { error: string } {
  const a: CiphersArgs = {
    v: false,
    V: false,
    stdname: false,
    s: false,
    psk: false,
    srp: false,
    explain: false,
    json: false,
    help: false,
  };
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-")) break;
    if (arg === "--") {
      i++;
      break;
    }
    let name = arg.slice(arg.startsWith("--") ? 2 : 1);
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!(name in OPTIONS)) return { error: `ciphers: Unknown option: -${name}\n` };
    if (OPTIONS[name]) {
      if (value === undefined) {
        if (i + 1 >= args.length) return { error: `ciphers: Option -${name} needs a value\n` };
        value = args[++i];
      }
    } else if (value !== undefined) {
      return { error: `ciphers: Option -${name} does not take a value\n` };
    }
    switch (name) {
      case "help":
        a.help = true;
        return a;
      case "v":
        a.v = true;
        break;
      case "V":
        a.V = true;
        break;
      case "stdname":
        a.stdname = true;
        break;
      case "convert":
        a.convert = value;
        break;
      case "s":
        a.s = true;
        break;
      case "tls1":
        a.protocol = "TLSv1";
        break;
      case "tls1_1":
        a.protocol = "TLSv1.1";
        break;
      case "tls1_2":
        a.protocol = "TLSv1.2";
        break;
      case "tls1_3":
        a.protocol = "TLSv1.3";
        break;
      case "psk":
        a.psk = true;
        break;
      case "srp":
        a.srp = true;
        break;
      case "ciphersuites":
        a.ciphersuites = value;
        break;
      case "explain":
        a.explain = true;
        break;
      case "json":
        a.json = true;
        break;
      case "provider":
        // Only the default provider is modelled (legacy would enable SEED and IDEA).
        if (value !== "default") {
          return { error: `ciphers: tlsprobe models -provider default only, not ${value}\n` };
        }
        break;
      default:
        // -provider-path changes nothing for the default provider.
        break;
    }
  }
  const rest = args.slice(i);
  if (rest.length > 1) return { error: "" };
  if (rest.length === 1) a.cipher = rest[0];
  return a;
}

const RATINGS: CipherRating[] = ["recommended", "secure", "weak", "insecure", "signaling"];

function summary(suites: CipherSuite[]): Record<CipherRating, number> {
  const counts = Object.fromEntries(RATINGS.map((r) => [r, 0])) as Record<CipherRating, number>;
  for (const s of suites) counts[s.rating]++;
  return counts;
}

function explain(suites: CipherSuite[]): string {
  const st = styles("stdout");
  const paint: Record<CipherRating, (s: string) => string> = {
    recommended: st.green,
    secure: st.green,
    weak: st.yellow,
    insecure: st.red,
    signaling: st.dim,
  };
  const width = Math.max(0, ...suites.map((s) => (s.openssl ?? s.iana).length));
  let out = "\n";
  for (const s of suites) {
    const name = (s.openssl ?? s.iana).padEnd(width);
    out += `${name}  ${paint[s.rating](s.rating.padEnd(11))}  ${s.ratingReason}\n`;
  }
  const c = summary(suites);
  const parts = RATINGS.filter((r) => c[r] > 0).map((r) => `${c[r]} ${r}`);
  out += `${suites.length} suite${suites.length === 1 ? "" : "s"}: ${parts.join(", ") || "none"}\n`;
  return out;
}

function suiteJson(s: CipherSuite) {
  return {
    code: s.code,
    iana: s.iana,
    openssl: s.openssl ?? null,
    definedIn: s.definedIn,
    kx: s.kx,
    au: s.au,
    enc: s.enc,
    bits: s.bits,
    mac: s.mac,
    aead: s.aead,
    pfs: s.pfs,
    rating: s.rating,
    ratingReason: s.ratingReason,
  };
}

/** What the verb prints and its exit status. */
export interface CiphersOutcome {
  stdout: string;
  stderr: string;
  status: number;
}

/**
 * Computes the verb's output without printing it: the same standard output
 * and exit status as `openssl ciphers` for the same arguments (OpenSSL's
 * status: 0, or 1 on any error; with `--json`, the project's status for the
 * error code).
 *
 * @param args the arguments after `ciphers`
 * @returns stdout, stderr and the exit status
 */
export function ciphersCommand(args: string[]): CiphersOutcome {
  const parsed = parseCiphersArgs(args);
  if ("error" in parsed) {
    return { stdout: "", stderr: parsed.error + "ciphers: Use -help for summary.\n", status: 1 };
  }
  const a = parsed;
  // Like openssl, help goes to stderr.
  if (a.help) return { stdout: "", stderr: USAGE, status: 0 };
  if (a.convert !== undefined) {
    return {
      stdout: `OpenSSL cipher name: ${opensslCipherName(a.convert)}\n`,
      stderr: "",
      status: 0,
    };
  }
  const opts: ExpandOptions = {
    ...(a.ciphersuites !== undefined ? { ciphersuites: a.ciphersuites } : {}),
    ...(a.s
      ? {
        supportedOnly: true,
        psk: a.psk,
        srp: a.srp,
        ...(a.protocol ? { protocols: [a.protocol] } : {}),
      }
      : {}),
  };
  let result;
  try {
    result = expandCipherString(a.cipher, opts);
  } catch (e) {
    if (!isTlsprobeError(e)) throw e;
    if (a.json) {
      const body = envelope("ciphers", {}, e.toJSON());
      return {
        stdout: JSON.stringify(body, null, 2) + "\n",
        stderr: "",
        status: EXIT_CODES[e.code],
      };
    }
    const head = e.detail.field === "ciphersuites"
      ? "Error setting TLSv1.3 ciphersuites"
      : "Error in cipher list";
    const queue = Array.isArray(e.detail.openssl)
      ? e.detail.openssl.map((line) => `${line}\n`).join("")
      : "";
    return { stdout: "", stderr: `${head}\n${queue}tlsprobe: ${e.message}\n`, status: 1 };
  }
  if (a.json) {
    const body = envelope("ciphers", {
      input: a.cipher ?? null,
      ciphersuites: a.ciphersuites ?? null,
      opensslVersion: "3.0",
      supportedOnly: a.s,
      securityLevel: result.securityLevel,
      names: result.ciphers.map((c) => c.name),
      suites: result.suites.map(suiteJson),
      summary: summary(result.suites),
    });
    return { stdout: JSON.stringify(body, null, 2) + "\n", stderr: "", status: 0 };
  }
  // With -v and an empty -s list, openssl prints nothing at all; without -v, one newline.
  let stdout = formatCiphers(result.ciphers, { v: a.v, V: a.V, stdname: a.stdname });
  if (a.explain) stdout += explain(result.suites);
  return { stdout, stderr: "", status: 0 };
}

/**
 * Runs the verb: prints its output and returns the exit status.
 *
 * @param args the arguments after `ciphers`
 * @returns the exit status
 */
export function runCiphers(args: string[]): number {
  const r = ciphersCommand(args);
  if (r.stdout) write(r.stdout);
  if (r.stderr) writeErr(r.stderr);
  return r.status;
}

/**
 * `tlsprobe ciphers`: no declared options, so `cli/main.ts` hands it the
 * arguments untouched and OpenSSL-style options reach {@link runCiphers}.
 */
export const command: CommandSpec = {
  name: "ciphers",
  summary: "Expand an OpenSSL cipher string exactly as `openssl ciphers` does (OpenSSL 3.0)",
  run: ({ args }) => runCiphers(args as string[]),
};
