/**
 * `tlsprobe connect HOST PORT`: the book's `safe_tls.py` client and Twisted's
 * echo client. Verifies the server (rustls decides), prints what arrives.
 *
 * @module
 */
import type { CommandSpec, Invocation } from "../args.ts";
import { option } from "../args.ts";
import { parseTarget } from "../../core/address.ts";
import { TlsprobeError } from "../../core/errors.ts";
import { envelope } from "../../core/report/envelope.ts";
import { pyBytesRepr, pyStrRepr } from "../../core/report/pyrepr.ts";
import { classifyNetError } from "../../core/net/classify.ts";
import {
  connectVerified,
  readWithDeadline,
  type VerifiedConnection,
} from "../../core/net/tls_client.ts";
import type { PolicyWatch } from "../../core/net/policy_client.ts";
import type { Evaluation } from "../../core/policy/mod.ts";
import { err, isBrokenPipe, out, printJson, styles } from "../output.ts";
import {
  jsonOption,
  parseAlpn,
  parsePort,
  parseServerName,
  starttlsOptions,
  starttlsRequest,
  timeoutOption,
} from "../options.ts";

interface ConnectFlags {
  cafile?: string;
  platformRoots?: boolean;
  servername?: string;
  cert?: string;
  key?: string;
  alpn?: string[];
  send?: string;
  raw?: boolean;
  timeout: number;
  json?: boolean;
  verbose?: boolean;
  policy?: string;
  starttls?: string;
  xmppHost?: string;
}

async function writeAll(vc: VerifiedConnection, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await vc.conn.write(data.subarray(off));
}

/** `tlsprobe connect`. */
/** How long the peer must stay silent after our data before we close our side. */
const QUIET_MS = 250;

export const command: CommandSpec = {
  name: "connect",
  summary:
    "Connect with TLS, verify the server, print what it sends (the book's safe_tls.py client)",
  args: [
    { name: "host", help: "host name or IP address to connect to ([::1] or ::1 for IPv6)" },
    { name: "port", help: "TCP port (1-65535)", parse: parsePort },
  ],
  options: [
    option("-a, --cafile <file>", "trust only the CA certificates in FILE (PEM)"),
    option("--platform-roots", "with -a, trust the platform's root CAs as well"),
    option("--servername <name>", "verify the certificate for NAME and send it as SNI", {
      parse: parseServerName,
    }),
    option("-c, --cert <file>", "present this client certificate (PEM; may hold the key)"),
    option("--key <file>", "the client certificate's private key, if not in --cert"),
    option("--alpn <list>", "offer these ALPN protocols (comma-separated)", { parse: parseAlpn }),
    option(
      "--send <text>",
      "send TEXT after the handshake (default: what standard input holds, if redirected)",
    ),
    option("--raw", "print received bytes as they are, instead of b'…' reprs"),
    timeoutOption("bound on connect, handshake and each read"),
    option(
      "--policy <name|file>",
      "refuse to exchange data when the session breaks the policy (checked on the way)",
    ),
    ...starttlsOptions(),
    jsonOption(),
    option("-v, --verbose", "say what was trusted and negotiated; show raw runtime errors"),
  ],
  epilog: `
Trust: without -a the platform's root CAs are trusted; with -a only FILE is
(the book's semantics), unless --platform-roots is given too.

Examples:
  tlsprobe connect -a certs/ca.crt localhost 1060
  tlsprobe connect --servername example.com -a ca.crt 127.0.0.1 8443
  tlsprobe connect -a certs/ca.crt '[::1]' 1060
  echo hello | tlsprobe connect -a certs/ca.crt localhost 1060
  tlsprobe connect -t imap -a ca.crt --send $'a1 CAPABILITY\r\n' mail.example.com 143
  tlsprobe connect --policy mozilla-intermediate -a certs/ca.crt localhost 1060

With --policy the connection passes through a watcher on loopback that reads the
server's ServerHello: the runtime's TLS client (rustls) cannot be told a policy's
versions or suites, so a session that breaks the policy is cut before any data.`,
  run: (inv) => runConnect(inv),
};

async function loadPolicyParts() {
  const [client, policy, load, text] = await Promise.all([
    import("../../core/net/policy_client.ts"),
    import("../../core/policy/mod.ts"),
    import("../policy_load.ts"),
    import("../../core/report/policy_text.ts"),
  ]);
  return {
    connectUnderPolicy: client.connectUnderPolicy,
    runtimeLimits: policy.runtimeLimits,
    loadResolvedPolicy: load.loadResolvedPolicy,
    renderEvaluation: text.renderEvaluation,
  };
}

async function runConnect(inv: Invocation): Promise<number> {
  let renderEvaluation: (ev: Evaluation) => string[] = () => [];
  const flags = inv.flags as unknown as ConnectFlags;
  const { host } = parseTarget(inv.args[0] as string, String(inv.args[1]));
  const port = inv.args[1] as number;
  const chunks: Uint8Array[] = [];
  let sent = 0;
  let vc: VerifiedConnection | undefined;
  let address: string | undefined;
  const watch: PolicyWatch = {};
  let closeWatcher: (() => void) | undefined;
  const report = () => {
    const received = chunks.map((c) => ({
      text: new TextDecoder().decode(c),
      base64: btoa(String.fromCharCode(...c)),
    }));
    return {
      target: {
        host,
        port,
        address: watch.address ?? address,
        serverName: flags.servername ?? host,
        starttls: flags.starttls ? vc?.starttls?.protocol ?? flags.starttls : null,
      },
      ...(vc?.starttls
        ? {
          starttls: {
            protocol: vc.starttls.protocol,
            banner: vc.starttls.banner,
            capabilities: vc.starttls.capabilities,
            ...(flags.verbose ? { transcript: vc.starttls.transcript } : {}),
          },
        }
        : {}),
      trust: vc ? { verified: true, ...vc.trust } : { verified: false },
      handshake: vc ? { alpn: vc.alpn, ...(watch.negotiated ?? {}) } : undefined,
      ...(watch.evaluation ? { policy: watch.evaluation } : {}),
      clientCertificate: !!flags.cert,
      sentBytes: sent,
      receivedBytes: chunks.reduce((n, c) => n + c.length, 0),
      received,
      timings: vc?.timings,
    };
  };
  try {
    // The policy machinery (and the X.509 decoder it pulls in) loads only for --policy.
    const withPolicy = flags.policy ? await loadPolicyParts() : undefined;
    const rp = withPolicy ? await withPolicy.loadResolvedPolicy(flags.policy!) : undefined;
    if (withPolicy && rp) {
      renderEvaluation = (ev) => withPolicy.renderEvaluation(ev, styles("stderr"));
      for (const n of withPolicy.runtimeLimits(rp.policy, "client")) err(`note: ${n}`);
    }
    const starttls = starttlsRequest(flags);
    const options = {
      starttls,
      host,
      port,
      serverName: flags.servername,
      caFile: flags.cafile,
      platformRoots: flags.platformRoots,
      certFile: flags.cert,
      keyFile: flags.key,
      alpn: flags.alpn,
      timeoutMs: flags.timeout,
      onTcpConnected: (remote: Deno.NetAddr) => {
        address = remote.hostname;
      },
    };
    // -v reads the ServerHello on the way (the runtime reports only ALPN), as
    // --policy does, through the loopback watcher.
    const watchForVerbose = flags.verbose;
    if (rp || watchForVerbose) {
      const parts = withPolicy ?? await loadPolicyParts();
      const pc = await parts.connectUnderPolicy(options, rp, watch);
      closeWatcher = pc.close;
      vc = pc.vc;
    } else {
      vc = await connectVerified(options);
    }
    // Said only once the server's certificate and name have been verified.
    if (!flags.json) out(`Connected to host ${pyStrRepr(host)} and port ${port}`);
    if (flags.verbose && !flags.json && vc.starttls) {
      for (const e of vc.starttls.transcript) err(`${e.from}: ${e.text}`);
      err(`STARTTLS (${vc.starttls.protocol}) done; TLS from here on`);
    }
    if (flags.verbose && !flags.json) {
      const t = vc.trust;
      const store = t.caFile
        ? `CA file ${t.caFile} (${t.caCount} certificate${t.caCount === 1 ? "" : "s"})${
          t.store.startsWith("platform") ? " and the platform roots" : ""
        }`
        : `the platform roots${
          t.platformBundle ? ` (${t.platformBundle}, ${t.platformCount})` : ""
        }`;
      err(
        `Verified ${vc.serverName} against ${store}${
          t.exact ? "" : " plus Deno's bundled Mozilla roots"
        }`,
      );
      err(`ALPN: ${vc.alpn ?? "none"}`);
      const n = watch.negotiated;
      if (n) {
        err(
          `Negotiated ${n.version} ${n.cipher.openssl ?? n.cipher.iana}${
            n.group ? `, key exchange ${n.group}` : ""
          }`,
        );
      } else if (vc.negotiated) {
        err(`Negotiated ${vc.negotiated.version} ${vc.negotiated.cipher}`);
      } else {
        err(
          "Negotiated version and suite: not shown (-c and --starttls connect without the watcher)",
        );
      }
    }
    if (watch.evaluation && !flags.json) {
      for (const line of renderEvaluation(watch.evaluation)) err(line);
    }
    const conn = vc;
    // Our close_notify goes out only once the peer has gone quiet: a server
    // that answers and closes at once (SMTP's QUIT) would otherwise close with
    // the close_notify unread, and its kernel's reset could discard the reply
    // before it is read here.
    let lastHeard = Date.now(), peerDone = false;
    const closeWhenQuiet = async () => {
      lastHeard = Date.now();
      while (!peerDone) {
        const wait = lastHeard + QUIET_MS - Date.now();
        if (wait <= 0) break;
        await new Promise((r) => setTimeout(r, wait));
      }
      if (!peerDone) await conn.conn.closeWrite();
    };
    const sender = (async () => {
      if (flags.send !== undefined) {
        const data = new TextEncoder().encode(flags.send);
        await writeAll(conn, data);
        sent += data.length;
        await closeWhenQuiet();
        return;
      }
      // Standard input is forwarded as it comes (a pipe, a file, a terminal).
      // It is never stat'ed: /dev/stdin needs more permission than the task
      // grants. An input that ends at once (/dev/null) sends nothing and
      // leaves the connection open in both directions.
      for await (const chunk of Deno.stdin.readable) {
        await writeAll(conn, chunk);
        sent += chunk.length;
      }
      if (sent > 0) await closeWhenQuiet();
    })().catch(() => {
      // A failed write shows up as a failed read below, with its cause.
    });
    const buf = new Uint8Array(16 * 1024);
    while (true) {
      const n = await readWithDeadline(conn, buf, flags.timeout);
      if (n === null) break;
      lastHeard = Date.now();
      const chunk = buf.slice(0, n);
      chunks.push(chunk);
      if (!flags.json) {
        if (flags.raw) await Deno.stdout.write(chunk);
        else out(pyBytesRepr(chunk));
      }
    }
    // The peer closed: whatever is still being sent (stdin) no longer matters.
    peerDone = true;
    void sender;
    try {
      conn.conn.close();
    } catch { /* closed */ }
    if (flags.json) printJson(envelope("connect", report()));
    return 0;
  } catch (e) {
    if (isBrokenPipe(e)) throw e;
    const error = e instanceof TlsprobeError ? e : classifyNetError(e, {
      host,
      port,
      phase: vc ? "data" : "connect",
    });
    if (error.code === "CHECK_FAILED" && watch.evaluation && !flags.json) {
      for (const line of renderEvaluation(watch.evaluation)) err(line);
    }
    try {
      vc?.conn.close();
    } catch { /* closed */ }
    inv.body = report();
    throw error;
  } finally {
    closeWatcher?.();
  }
}
