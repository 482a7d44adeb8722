/**
 * Independent TLS clients for the lab engine's tests: `openssl s_client` and
 * `gnutls-cli`, each sending one line and waiting for its echo, with what
 * they report about the session (version, suite, temporary key).
 *
 * @module
 */
import type { TlsprobeError } from "../../core/errors.ts";
import type { LabServerConfig, LabSessionInfo } from "../../core/handshake/server.ts";
import { serveLabEngine } from "../../core/net/lab_server.ts";
import { type CertifiedKey, loadCertifiedKey } from "../../core/net/pem.ts";
import { ROOT, withoutSystemTrust } from "./process.ts";

/** What a client run showed. */
export interface ClientRun {
  /** The protocol the client reports (`TLSv1.2`; gnutls: `TLS1.2`). */
  version?: string;
  /** The suite the client reports (OpenSSL name; gnutls: its description). */
  cipher?: string;
  /** s_client's `Server Temp Key` line. */
  tempKey?: string;
  /** The line came back. */
  echoed: boolean;
  /** Everything printed (for failure messages). */
  output: string;
}

async function converse(
  cmd: string,
  args: string[],
  done: (text: string) => boolean,
  timeoutMs: number,
  prelude = "",
): Promise<string> {
  const child = new Deno.Command(cmd, {
    args: withoutSystemTrust(cmd, args),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let wake: () => void = () => {};
  const pump = async (s: ReadableStream<Uint8Array>) => {
    const d = new TextDecoder();
    for await (const c of s) {
      text += d.decode(c, { stream: true });
      wake();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const writer = child.stdin.getWriter();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  try {
    const exited = child.status.then(() => true);
    if (prelude) {
      // s_client reads its standard input only once the handshake is done, and
      // acts on a command letter only when it starts a read (the rest of that
      // read is dropped): send the ping once it has said it acted on the
      // command, however long the handshake takes on a busy machine (a fixed
      // wait here let the ping join the command's read and vanish). The
      // timer above bounds the wait.
      await writer.write(new TextEncoder().encode(prelude)).catch(() => {});
      while (!/KEYUPDATE|RENEGOTIATING/.test(text)) {
        const more = new Promise<boolean>((r) => wake = () => r(false));
        if (await Promise.race([more, exited])) break;
      }
    }
    await writer.write(new TextEncoder().encode("ping-lab\n")).catch(() => {});
    while (!done(text)) {
      const more = new Promise<boolean>((r) => wake = () => r(false));
      if (await Promise.race([more, exited])) break;
    }
    await writer.close().catch(() => {});
    await child.status;
    await pumps;
    return text;
  } finally {
    clearTimeout(timer);
  }
}

const ECHO = /\nping-lab\r?\n/;

/**
 * s_client's output from its session line ("New, …" / "Reused, …") on, where
 * the echo appears; a TLS 1.3 NewSessionTicket block may follow the echo.
 */
function afterSession(t: string): string {
  const i = t.search(/^(New|Reused), /m);
  return i < 0 ? "" : t.slice(i);
}

/**
 * Runs `openssl s_client` against 127.0.0.1:port with extra arguments.
 *
 * @param port the lab server's port
 * @param args e.g. `["-tls1_2", "-cipher", "AES128-SHA"]`
 * @param timeoutMs kill after this
 * @param prelude lines to send before the ping (s_client commands such as `K\n`, a KeyUpdate)
 * @returns what it showed
 */
export async function sClientEcho(
  port: number,
  args: string[],
  timeoutMs = 20_000,
  prelude = "",
): Promise<ClientRun> {
  const output = await converse(
    "openssl",
    ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", ...args],
    (t) => /Cipher is/.test(t) && ECHO.test(afterSession(t)),
    timeoutMs,
    prelude,
  );
  const after = afterSession(output);
  const newLine = /New, (\S+), Cipher is (\S+)/.exec(output);
  return {
    // "New, <version>, Cipher is <suite>" names the suite's own version before
    // TLS 1.3; the SSL-Session block (absent without a TLS 1.3 ticket) the session's.
    version: /Protocol\s*:\s*(\S+)/.exec(output)?.[1] ?? newLine?.[1],
    cipher: /Cipher\s*:\s*(\S+)/.exec(output)?.[1] ?? newLine?.[2],
    tempKey: /Server Temp Key: ([^\n]+)/.exec(output)?.[1],
    echoed: ECHO.test(after) || /\nping-lab\r?\n[^]*$/.test(after),
    output,
  };
}

/**
 * Runs `gnutls-cli` (no certificate check) against 127.0.0.1:port with a priority string.
 *
 * @param port the lab server's port
 * @param priority the GnuTLS priority string
 * @param timeoutMs kill after this
 * @returns what it showed (`cipher` is the session description)
 */
export async function gnutlsEcho(
  port: number,
  priority: string,
  timeoutMs = 20_000,
): Promise<ClientRun> {
  const output = await converse(
    "gnutls-cli",
    ["--insecure", "--port", String(port), "--priority", priority, "127.0.0.1"],
    (t) => /Description:/.test(t) && ECHO.test(t),
    timeoutMs,
  );
  const desc = /Description: (\S+)/.exec(output)?.[1];
  return {
    version: desc ? /^\((TLS1\.\d)/.exec(desc)?.[1] : undefined,
    cipher: desc,
    echoed: ECHO.test(output),
    output,
  };
}

/** A lab-engine server started by a test. */
export interface TestLabServer {
  port: number;
  /** Each session's negotiated parameters, in order. */
  infos: LabSessionInfo[];
  /** Each client's failure, in order. */
  errors: TlsprobeError[];
  /** Stops the server and waits for it. */
  stop(): Promise<void>;
}

/**
 * Starts the lab engine on an ephemeral loopback port, echoing, with the
 * committed RSA localhost certificate (and any extra identities).
 *
 * @param config versions, suites, groups, preference
 * @param opts extra certificates (or `only` these), and the per-client timeout
 * @returns the running server
 */
export async function startLabEngine(
  config: Omit<LabServerConfig, "identities">,
  opts: { extra?: CertifiedKey[]; only?: CertifiedKey[]; timeoutMs?: number } = {},
): Promise<TestLabServer> {
  const rsa = await loadCertifiedKey(`${ROOT}certs/localhost.crt`, `${ROOT}certs/localhost.key`);
  const stop = new AbortController();
  const infos: LabSessionInfo[] = [];
  const errors: TlsprobeError[] = [];
  let ready!: (p: number) => void;
  const port = new Promise<number>((r) => ready = r);
  const server = serveLabEngine({
    host: "127.0.0.1",
    port: 0,
    certified: opts.only ?? [rsa, ...(opts.extra ?? [])],
    config,
    mode: { kind: "echo" },
    timeoutMs: opts.timeoutMs ?? 20_000,
    signal: stop.signal,
  }, {
    listening: ({ port }) => ready(port),
    handshake: (_c, i) => infos.push(i),
    clientError: (_c, e) => errors.push(e),
  });
  return {
    port: await port,
    infos,
    errors,
    stop: async () => {
      stop.abort();
      await server;
    },
  };
}
