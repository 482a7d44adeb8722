/**
 * `tlsprobe probe HOST[:PORT]`: the book's `test_tls.py` client. Observes the
 * handshake with the inspection client (any server, TLS 1.0–1.3), checks
 * trust through the runtime (rustls), prints the dotted report or JSON.
 *
 * @module
 */
import { type CommandSpec, type Invocation, option } from "../args.ts";
import { configureTrust } from "../../core/net/trust.ts";
import { EXIT_CHECK_FAILED } from "../exit_codes.ts";
import { out, printJson, styles } from "../output.ts";
import {
  clientTarget,
  jsonOption,
  parseAlpn,
  parsePort,
  parseServerName,
  starttlsOptions,
  timeoutOption,
} from "../options.ts";

interface ProbeFlags {
  cafile?: string;
  cert?: string;
  key?: string;
  ciphers?: string;
  protocol: string;
  groups?: string;
  alpn?: string[];
  servername?: string;
  sni: boolean;
  timeout: number;
  verbose?: boolean;
  json?: boolean;
  policy?: string;
  starttls?: string;
  xmppHost?: string;
}

/** `tlsprobe probe`. */
export const command: CommandSpec = {
  name: "probe",
  summary: "Handshake with a TLS server and report what was negotiated (the book's test_tls.py)",
  args: [
    { name: "host[:port]", help: "server to probe (port 443 by default; [::1]:PORT for IPv6)" },
    {
      name: "port",
      help: "TCP port, as test_tls.py takes it",
      optional: true,
      parse: (v) => String(parsePort(v)),
    },
  ],
  options: [
    option("-a, --cafile <file>", "trust only the CA certificates in FILE (PEM)"),
    option("-c, --cert <file>", "client certificate for the verified connection (PEM)"),
    option("--key <file>", "the client certificate's private key, if not in --cert"),
    option(
      "-C, --ciphers <list>",
      "offer only these suites (OpenSSL or IANA names, colon-separated)",
    ),
    option(
      "-p, --protocol <version>",
      "offer SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, or a MIN:MAX range",
      { default: "TLSv1:TLSv1.3" },
    ),
    option("--groups <list>", "offer these groups, key share for the first (e.g. P-256:x25519)"),
    option("--alpn <list>", "offer these ALPN protocols (comma-separated)", { parse: parseAlpn }),
    option("--servername <name>", "send NAME as SNI and match the certificate against it", {
      parse: parseServerName,
    }),
    option("--no-sni", "send no server_name extension"),
    timeoutOption("bound on connect and on each read"),
    option(
      "--policy <name|file>",
      "offer only what the policy allows (-p, -C, --groups narrow it) and check the result",
    ),
    ...starttlsOptions(),
    option("-v, --verbose", "print the certificate chain decoded (and the STARTTLS transcript)"),
    jsonOption(),
  ],
  epilog: `
The handshake is observed by tlsprobe's own inspection client, so TLS 1.0/1.1
and legacy suites are seen too (marked insecure); trust is decided by rustls
through a second, verified connection, which such servers cannot have.

Examples:
  tlsprobe probe -a certs/ca.crt localhost:1060
  tlsprobe probe -a certs/ca.crt '[::1]:1060'
  tlsprobe probe -p TLSv1.2 -C ECDHE-RSA-AES128-GCM-SHA256 example.com
  tlsprobe probe --groups X25519MLKEM768 --json example.com
  tlsprobe probe --starttls smtp mail.example.com:587
  tlsprobe probe --policy python-default-client -a certs/ca.crt localhost:1060`,
  run: (inv) => runProbe(inv),
};

/**
 * The probe's working modules, loaded once the trust store is chosen (start-up:
 * see README, Speed).
 */
async function loadProbeModules() {
  const [{ envelope }, { probe }, { loadCaFile, loadCertifiedKey }, offer, { renderProbeText }] =
    await Promise.all([
      import("../../core/report/envelope.ts"),
      import("../../core/net/probe.ts"),
      import("../../core/net/pem.ts"),
      import("../../core/handshake/offer.ts"),
      import("../../core/report/probe_text.ts"),
    ]);
  return { envelope, probe, loadCaFile, loadCertifiedKey, ...offer, renderProbeText };
}

async function runProbe(inv: Invocation): Promise<number> {
  const flags = inv.flags as unknown as ProbeFlags;
  // The trust store is chosen first: that starts the runtime's one-time TLS
  // set-up on another thread (core/net/trust.ts), which then overlaps the
  // loading of the probe's own modules. A CA file that cannot be read is
  // reported below, after the other values, as it always was.
  configureTrust({ caFile: flags.cafile }).catch(() => {});
  const {
    envelope,
    probe,
    loadCaFile,
    loadCertifiedKey,
    parseCipherList,
    parseGroupList,
    parseProtocols,
    renderProbeText,
  } = await loadProbeModules();
  const { starttls, ...t } = clientTarget(
    inv.args[0] as string,
    inv.args[1] as string | undefined,
    flags,
  );
  // Every value is checked before any connection is made.
  const protocolGiven = inv.given.has("protocol");
  const versions = parseProtocols(flags.protocol);
  const cipherSuites = flags.ciphers ? parseCipherList(flags.ciphers) : undefined;
  const groups = flags.groups ? parseGroupList(flags.groups) : undefined;
  // The policy machinery loads only with --policy (start-up: see README, Speed).
  const pol = flags.policy ? await loadPolicyModules() : undefined;
  const rp = pol ? await pol.loadResolvedPolicy(flags.policy!) : undefined;
  // Files too: a broken CA file or client key is the caller's error, found
  // before the server is contacted.
  if (flags.cafile) await loadCaFile(flags.cafile);
  if (flags.cert) await loadCertifiedKey(flags.cert, flags.key);
  const options = {
    ...t,
    serverName: flags.sni === false ? null : flags.servername,
    caFile: flags.cafile,
    certFile: flags.cert,
    keyFile: flags.key,
    cipherSuites,
    groups,
    alpn: flags.alpn,
    timeoutMs: flags.timeout,
    now: new Date(),
    starttls,
    transcript: flags.verbose,
  };
  const r = pol && rp
    ? await pol.probeUnderPolicy({ ...options, versions: protocolGiven ? versions : undefined }, rp)
    : { ...(await probe({ ...options, versions })), evaluation: undefined };
  const evaluation = r.evaluation;
  inv.body = evaluation ? { ...r.body, policy: evaluation } : r.body;
  const s = styles();
  if (r.error) {
    // With a policy, a refused handshake is a verdict too.
    if (pol && evaluation && !flags.json) {
      for (const line of pol.renderEvaluation(evaluation, s)) out(line);
    }
    throw r.error;
  }
  if (flags.json) printJson(envelope("probe", inv.body));
  else {
    out("");
    for (const line of renderProbeText(r.body, { verbose: flags.verbose })) out(line);
    if (pol && evaluation) { for (const line of pol.renderEvaluation(evaluation, s)) out(line); }
    out("");
  }
  const failed = r.body.trust?.verified === false || r.body.identity?.matched === false ||
    evaluation?.verdict === "fail";
  return failed ? EXIT_CHECK_FAILED : 0;
}

async function loadPolicyModules() {
  const [{ loadResolvedPolicy }, { renderEvaluation }, { probeUnderPolicy }] = await Promise.all([
    import("../policy_load.ts"),
    import("../../core/report/policy_text.ts"),
    import("../../core/net/probe_policy.ts"),
  ]);
  return { loadResolvedPolicy, renderEvaluation, probeUnderPolicy };
}
