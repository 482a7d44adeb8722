/**
 * `tlsprobe cert FILE|HOST:PORT`: explain a certificate and its chain, and
 * `--check-name NAME` answers as Twisted's `check_server_certificate.py`
 * does (`OK: <Certificate …>` / `BAD: reason`).
 *
 * @module
 */
import type { Command } from "commander";
import { TlsprobeError } from "../../core/errors.ts";
import { readFileBytes } from "../../core/net/pem.ts";
import { fetchCertificates } from "../../core/net/probe.ts";
import { connectVerified } from "../../core/net/tls_client.ts";
import { parseTimeout } from "../options.ts";
import { certificateRepr, findingLines, renderCertificates } from "../../core/report/cert_text.ts";
import { envelope } from "../../core/report/envelope.ts";
import { decodeCertificate, isMalformed } from "../../core/x509/decode.ts";
import { inspectCertificates, type Inspection, inspectionToJson } from "../../core/x509/inspect.ts";
import { readCertificates } from "../../core/x509/pem.ts";
import { EXIT_CHECK_FAILED, EXIT_CODES } from "../exit_codes.ts";
import { out, printError, printJson, styles } from "../output.ts";

interface CertFlags {
  servername?: string;
  checkName?: string;
  cafile?: string;
  verbose?: boolean;
  json?: boolean;
  timeout: number;
}

/** `host:port` or `[v6]:port`, when the argument is not an existing file. */
const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[^\s/\\:]+):\d{1,5}$/;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/** Adds `cert` to the program. */
export function register(program: Command): void {
  program
    .command("cert")
    .description("Explain a certificate and its chain (PEM, DER or a bundle); check a name")
    .argument(
      "<target>",
      "a certificate file (PEM, DER, bundle), - for standard input, or HOST:PORT",
    )
    .option(
      "--servername <name>",
      "the name to check the leaf against (shown, not enforced); SNI for HOST:PORT",
    )
    .option(
      "--check-name <name>",
      "answer OK: <Certificate …> or BAD: <reason> for NAME (exit status 0 / 1)",
    )
    .option(
      "-a, --cafile <file>",
      "roots (PEM) to anchor the chain view in; with HOST:PORT --check-name, the only CAs trusted",
    )
    .option("--timeout <seconds>", "bound on each network phase (HOST:PORT)", parseTimeout, 10_000)
    .option("-v, --verbose", "the full view: every field of every certificate")
    .option("--json", "print one JSON object instead of text")
    .addHelpText(
      "after",
      `
The chain view checks each link: issuer name, key identifiers, the issuer's
signature (RSA, RSA-PSS, ECDSA, Ed25519), validity and the CA flag. It is a
view, not a trust decision (use tlsprobe connect for that).

Examples:
  tlsprobe cert certs/localhost.pem
  tlsprobe cert -v --cafile certs/ca.crt certs/localhost.crt
  tlsprobe cert --check-name localhost certs/localhost.crt`,
    )
    .action(async (target: string, flags: CertFlags) => {
      await runCert(target, flags);
    });
}

async function runCert(target: string, flags: CertFlags): Promise<void> {
  const remote = !(await isFile(target)) && HOST_PORT.test(target);
  let bytes: Uint8Array;
  let source: object;
  let trustError: TlsprobeError | undefined;
  if (remote) {
    // The server's chain as sent, read by the project's handshake engine (any
    // version, TLS 1.3 included); trust, when a name is checked, by rustls.
    const { host, port } = splitHostPort(target);
    const serverName = flags.checkName ?? flags.servername;
    const fetched = await fetchCertificates({ host, port, serverName, timeoutMs: flags.timeout });
    if (fetched.certificates.length === 0) {
      throw new TlsprobeError("PEER_MALFORMED", `${target} sent no certificate`, { target });
    }
    bytes = concat(fetched.certificates);
    source = { host, port, address: fetched.address, serverName: serverName ?? host };
    if (flags.checkName !== undefined) {
      try {
        const vc = await connectVerified({
          host,
          port,
          serverName: flags.checkName,
          caFile: flags.cafile,
          timeoutMs: flags.timeout,
        });
        vc.conn.close();
      } catch (e) {
        if (!(e instanceof TlsprobeError)) throw e;
        trustError = e;
      }
    }
  } else {
    bytes = target === "-"
      ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
      : await readFileBytes(target, "certificate file");
    source = target === "-" ? { stdin: true } : { file: target };
  }
  let roots;
  if (flags.cafile) {
    const rootBytes = await readFileBytes(flags.cafile, "CA file");
    roots = [];
    for (const der of readCertificates(rootBytes)) roots.push(await decodeCertificate(der));
  }
  const now = new Date();
  const name = flags.checkName ?? flags.servername;
  // The name check stays on the strict decoder; the explanation shows every
  // certificate as far as it can be read, with its findings.
  const tolerant = flags.checkName === undefined;
  const result = await inspectCertificates(bytes, { now, roots, name, tolerant });

  if (flags.checkName !== undefined) {
    checkName(result, flags, source, trustError);
    return;
  }
  const malformed = result.malformed ? malformedError(result) : undefined;
  if (malformed) Deno.exitCode = EXIT_CODES.CERT_INVALID;
  if (flags.json) {
    printJson(envelope("cert", { source, ...inspectionToJson(result) }, malformed?.toJSON()));
    return;
  }
  const s = styles();
  for (
    const line of renderCertificates(result.chain, result.report, {
      verbose: flags.verbose,
      now,
      identity: result.identity,
    })
  ) {
    out(/^(Certificate|Chain) /.test(line) ? s.bold(line) : line);
  }
  if (result.unused.length) {
    out("");
    out(`Not on the leaf's path (${result.unused.length}):`);
    for (const c of result.unused) {
      out(`  ${c.subject.rfc2253}`);
      for (const line of findingLines(c)) out(`  ${line}`);
    }
  }
  if (malformed) printError(malformed, { json: false, verbose: false });
}

/** `CERT_INVALID` naming how many certificates are malformed and the first violation. */
function malformedError(result: Inspection): TlsprobeError {
  const all = [...result.chain, ...result.unused];
  const bad = all.filter(isMalformed);
  const first = bad[0].findings.find((f) => f.severity !== "low")!;
  return new TlsprobeError(
    "CERT_INVALID",
    `${bad.length} of ${all.length} certificate${all.length === 1 ? " is" : "s are"} malformed ` +
      `(${first.rule}: ${first.message}); shown as far as it can be read, each violation a finding`,
    { field: first.field, ...(first.offset !== undefined ? { offset: first.offset } : {}) },
  );
}

/** Twisted's `check_server_certificate.py` answer. */
function checkName(
  result: Inspection,
  flags: CertFlags,
  source: object,
  trustError?: TlsprobeError,
): void {
  const m = result.identity!;
  const leaf = result.chain[0];
  const ok = m.matched && !trustError;
  if (flags.json) {
    printJson(
      envelope("cert", {
        source,
        check: { name: flags.checkName, ok },
        identity: m,
        trust: trustError ? { verified: false, error: trustError.toJSON() } : undefined,
        certificate: { subject: leaf.subject.rfc2253, sha256: leaf.sha256 },
      }),
    );
  } else if (ok) {
    out(`OK: ${certificateRepr(leaf)}`);
  } else if (!m.matched) {
    out(`BAD: No service reference ID could be validated against certificate: ${m.reason}`);
  } else {
    out(`BAD: ${trustError!.code}: ${trustError!.message}`);
  }
  if (!ok) Deno.exitCode = EXIT_CHECK_FAILED;
}

function splitHostPort(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(":");
  return {
    host: target.slice(0, i).replace(/^\[(.*)\]$/, "$1"),
    port: Number(target.slice(i + 1)),
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
