/**
 * `tlsprobe certs init DIR`: a local CA, a server certificate and a client
 * certificate, in the book's layout (the certs Makefile, `www.cnf`,
 * `cat www.crt www.key > www.pem`), made with WebCrypto; no openssl needed.
 *
 * @module
 */
import { jsonOption } from "../options.ts";
import { type CommandSpec, option, UsageError } from "../args.ts";
import { TlsprobeError } from "../../core/errors.ts";
import { envelope } from "../../core/report/envelope.ts";
import { keyLine, namesLine } from "../../core/report/cert_text.ts";
import { certificateToJson } from "../../core/x509/decode.ts";
import { generatePki, KEY_KINDS, type KeyKind } from "../../core/x509/generate.ts";
import { out, printJson } from "../output.ts";
import { writeFileNoFollow } from "../../core/net/files.ts";

interface InitFlags {
  name: string[];
  ip: string[];
  key: KeyKind;
  days: number;
  force?: boolean;
  json?: boolean;
}

function parseDays(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 36500) {
    throw new UsageError(
      `Days ${JSON.stringify(value)} is not a number from 1 to 36500.`,
    );
  }
  return n;
}

const init: CommandSpec = {
  name: "init",
  summary: "Make ca.crt/ca.key, localhost.{crt,key,pem} and client.{crt,key,pem} in DIR",
  args: [{ name: "dir", help: "directory to write to (made if missing)" }],
  options: [
    option("--name <name>", "a DNS name of the server (repeatable; default: localhost)", {
      repeat: true,
    }),
    option("--ip <address>", "an IP address of the server (repeatable)", { repeat: true }),
    option("--key <type>", "key type of all three certificates", {
      choices: KEY_KINDS,
      default: "ecdsa-p256",
    }),
    option("--days <n>", "validity of the server and client certificates, in days", {
      parse: parseDays,
      default: "825",
    }),
    option("--force", "replace files that exist (regular files only; never through a link)"),
    jsonOption(),
  ],
  epilog: `
Without --name and --ip the server certificate is for localhost, 127.0.0.1
and ::1. The CA is valid for at least ten years. Private keys (*.key, and the
*.pem bundles, which hold certificate then key) are written with mode 0600.
FOR TESTING ONLY: never trust this CA beyond your own machine.

Examples:
  tlsprobe certs init ./pki
  tlsprobe certs init --name localhost --name app.test --ip 127.0.0.1 --key rsa2048 ./pki
  tlsprobe serve --cert ./pki/localhost.pem
  tlsprobe connect -a ./pki/ca.crt localhost 1060`,
  run: ({ args, flags }) => runInit(args[0] as string, flags as unknown as InitFlags),
};

/** `tlsprobe certs`. */
export const command: CommandSpec = {
  name: "certs",
  summary: "Make certificates for testing: a local CA, a server and a client",
  subcommands: [init],
};

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function runInit(dir: string, flags: InitFlags): Promise<void> {
  const pki = await generatePki({
    names: flags.name,
    ips: flags.ip,
    key: flags.key,
    days: flags.days,
    now: new Date(),
  });
  const path = (name: string) => `${dir.replace(/\/+$/, "") || "/"}/${name}`;
  try {
    await Deno.mkdir(dir, { recursive: true });
    if (!flags.force) {
      const present = [];
      for (const f of pki.files) if (await exists(path(f.name))) present.push(f.name);
      if (present.length) {
        throw new TlsprobeError(
          "BAD_INPUT",
          `${dir} already holds ${present.join(", ")}; pass --force to overwrite`,
          { present },
        );
      }
    }
    // Nothing is written when any name is a link or not a regular file.
    for (const f of pki.files) {
      const st = await Deno.lstat(path(f.name)).catch(() => undefined);
      if (st && (st.isSymlink || !st.isFile)) {
        throw new TlsprobeError(
          "BAD_INPUT",
          `${path(f.name)} is ${
            st.isSymlink ? "a symbolic link" : "not a regular file"
          }; refusing to replace it (remove it first)`,
          { path: path(f.name) },
        );
      }
    }
    // Each file is created new in DIR and renamed into place: never written
    // through a symbolic link, and --force replaces only regular files.
    for (const f of pki.files) {
      await writeFileNoFollow(dir, f.name, f.content, {
        mode: f.secret ? 0o600 : 0o644,
        replace: flags.force,
      });
    }
  } catch (e) {
    if (e instanceof TlsprobeError) throw e;
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      throw new TlsprobeError("PERMISSION", `Cannot write to ${dir}: permission denied`, {
        raw: String(e),
      });
    }
    throw new TlsprobeError("BAD_INPUT", `Cannot write to ${dir}: ${(e as Error).message}`, {
      raw: String(e),
    });
  }
  if (flags.json) {
    printJson(envelope("certs init", {
      dir,
      files: pki.files.map((f) => ({ name: f.name, path: path(f.name), secret: f.secret })),
      ca: certificateToJson(pki.ca),
      server: certificateToJson(pki.server),
      client: certificateToJson(pki.client),
    }));
    return;
  }
  // "RSA 2048-bit keys", "ECDSA P-256 keys"
  const keys = keyLine(pki.ca).replace(/ (\d+) bits$/, " $1-bit");
  out(`Made a local PKI in ${dir} (${keys} keys; for testing only, never trust it):`);
  out(`  ca.crt, ca.key            CA       ${pki.ca.subject.rfc2253}, until ${pki.ca.notAfter}`);
  out(
    `  localhost.{crt,key,pem}   server   ${namesLine(pki.server)}, until ${pki.server.notAfter}`,
  );
  out(`  client.{crt,key,pem}      client   ${pki.client.subject.rfc2253}`);
  out(`Keys and .pem bundles are mode 0600. Try:`);
  out(`  tlsprobe serve --cert ${path("localhost.pem")}`);
  out(`  tlsprobe connect -a ${path("ca.crt")} localhost 1060`);
}
