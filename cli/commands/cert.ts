/**
 * `tlsprobe cert FILE|HOST:PORT`: explain a certificate and its chain, and
 * `--check-name NAME` answers as Twisted's `check_server_certificate.py`
 * does (`OK: <Certificate …>` / `BAD: reason`).
 *
 * @module
 */
import { type CommandSpec, type Invocation, option } from "../args.ts";
import { TlsprobeError } from "../../core/errors.ts";
import { readFileBytes } from "../../core/net/pem.ts";
import { fetchRemoteChain } from "../../core/net/cert_remote.ts";
import {
  clientTarget,
  jsonOption,
  parseServerName,
  starttlsOptions,
  starttlsRequest,
  timeoutOption,
} from "../options.ts";
import { parseStarttlsUrl } from "../../core/starttls/mod.ts";
import { certificateRepr, findingLines, renderCertificates } from "../../core/report/cert_text.ts";
import { envelope } from "../../core/report/envelope.ts";
import { decodeCertificate, isMalformed } from "../../core/x509/decode.ts";
import { inspectCertificates, type Inspection, inspectionToJson } from "../../core/x509/inspect.ts";
import { readCertificates } from "../../core/x509/pem.ts";
import { EXIT_CHECK_FAILED } from "../exit_codes.ts";
import { out, printJson, styles } from "../output.ts";

interface CertFlags {
  servername?: string;
  checkName?: string;
  cafile?: string;
  verbose?: boolean;
  json?: boolean;
  timeout: number;
  starttls?: string;
  xmppHost?: string;
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

/** `tlsprobe cert`. */
export const command: CommandSpec = {
  name: "cert",
  summary: "Explain a certificate and its chain (PEM, DER or a bundle); check a name",
  args: [{
    name: "target",
    help: "a certificate file (PEM, DER, bundle), - for standard input, or HOST:PORT",
  }],
  options: [
    option(
      "--servername <name>",
      "the name to check the leaf against (shown, not enforced); SNI for HOST:PORT",
      { parse: parseServerName },
    ),
    option(
      "--check-name <name>",
      "answer OK: <Certificate …> or BAD: <reason> for NAME (exit status 0 / 1)",
      { parse: parseServerName },
    ),
    option(
      "-a, --cafile <file>",
      "roots (PEM) to anchor the chain view in; with HOST:PORT --check-name, the only CAs trusted",
    ),
    timeoutOption("bound on each network phase (HOST:PORT)"),
    ...starttlsOptions("HOST[:PORT]"),
    option("-v, --verbose", "the full view: every field of every certificate"),
    jsonOption(),
  ],
  epilog: `
The chain view checks each link: issuer name, key identifiers, the issuer's
signature (RSA, RSA-PSS, ECDSA, Ed25519), validity and the CA flag. It is a
view, not a trust decision (use tlsprobe connect for that).

Examples:
  tlsprobe cert certs/localhost.pem
  tlsprobe cert -v --cafile certs/ca.crt certs/localhost.crt
  tlsprobe cert --check-name localhost certs/localhost.crt
  tlsprobe cert --check-name example.com example.com:443
  cat chain.pem | tlsprobe cert -`,
  run: (inv) => runCert(inv),
};

async function runCert(inv: Invocation): Promise<number> {
  const target = inv.args[0] as string;
  const flags = inv.flags as unknown as CertFlags;
  const url = parseStarttlsUrl(target) !== undefined;
  const remote = target !== "-" && !(await isFile(target)) &&
    (url || HOST_PORT.test(target) || (!!starttlsRequest(flags) && /^[\w.-]+$/.test(target)));
  let bytes: Uint8Array;
  let source: object;
  let trustError: TlsprobeError | undefined;
  // The CA file is read first: a broken one is found before any connection.
  let roots;
  if (flags.cafile) {
    const rootBytes = await readFileBytes(flags.cafile, "CA file");
    roots = [];
    for (const der of readCertificates(rootBytes)) roots.push(await decodeCertificate(der));
  }
  if (remote) {
    const { host, port, starttls } = clientTarget(target, undefined, flags);
    const fetched = await fetchRemoteChain({
      host,
      port,
      serverName: flags.servername,
      checkName: flags.checkName,
      caFile: flags.cafile,
      timeoutMs: flags.timeout,
      starttls,
    });
    bytes = fetched.bytes;
    source = fetched.source;
    trustError = fetched.trustError;
  } else {
    bytes = await readFileBytes(target, "certificate file");
    source = target === "-" ? { stdin: true } : { file: target };
  }
  const now = new Date();
  const name = flags.checkName ?? flags.servername;
  // The name check stays on the strict decoder; the explanation shows every
  // certificate as far as it can be read, with its findings.
  const tolerant = flags.checkName === undefined;
  const result = await inspectCertificates(bytes, { now, roots, name, tolerant });

  if (flags.checkName !== undefined) return checkName(result, flags, source, trustError);
  // A malformed certificate is shown as far as it can be read, then reported
  // as CERT_INVALID (runAction prints it, inside the JSON body with --json).
  const malformed = result.malformed ? malformedError(result) : undefined;
  inv.body = { source, ...inspectionToJson(result) };
  if (flags.json) {
    if (malformed) throw malformed;
    printJson(envelope("cert", inv.body));
    return 0;
  }
  const s = styles();
  for (
    const line of renderCertificates(result.chain, result.report, {
      verbose: flags.verbose,
      now,
      identity: result.identity,
      fromServer: remote,
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
  if (malformed) throw malformed;
  return 0;
}

/** `CERT_INVALID` naming how many certificates are malformed and the first violation. */
function malformedError(result: Inspection): TlsprobeError {
  const all = [...result.chain, ...result.unused];
  const bad = all.filter(isMalformed);
  const first = bad[0].findings.find((f) => f.severity !== "info")!;
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
): number {
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
  return ok ? 0 : EXIT_CHECK_FAILED;
}
