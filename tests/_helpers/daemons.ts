/**
 * Real STARTTLS servers for the integration tests, each started on loopback
 * ephemeral ports with a private configuration directory (never the
 * system's), stopped by PID in `finally`; and the openssl s_client oracle.
 *
 * Each starter returns null with a printed reason when its package is absent.
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeTestPki, removeTestPki, type TestPki } from "./pki.ts";
import { startTlsprobe, tlsprobe } from "./process.ts";

/** A running daemon. */
export interface Daemon {
  /** Ports by protocol (`imap`, `pop3`, …). */
  ports: Record<string, number>;
  /** The private directory (config, logs, data). */
  dir: string;
  /** Stops the daemon (by PID) and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** The certificate files a daemon serves. */
export interface ServedCert {
  /** The leaf, PEM. */
  crt: string;
  /** Its key, PEM. */
  key: string;
  /** The CA, PEM, for verifying clients. */
  ca: string;
}

/** Whether a file exists (the daemon's binary). */
export function has(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** What each daemon needs: files that must exist, a system user, and its Debian packages. */
const NEEDS = {
  dovecot: {
    files: [() => "/usr/sbin/dovecot", () => "/usr/lib/dovecot/managesieve-login"],
    packages: "dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-managesieved",
  },
  postgres: { files: [() => postgresBin()], user: "postgres", packages: "postgresql" },
  slapd: {
    files: [() => "/usr/sbin/slapd", () => "/etc/ldap/schema/core.schema"],
    packages: "slapd",
  },
  vsftpd: { files: [() => "/usr/sbin/vsftpd"], packages: "vsftpd" },
  mariadb: {
    files: [() => ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"].find(has)],
    user: "mysql",
    packages: "mariadb-server",
  },
  prosody: { files: [() => "/usr/bin/prosody"], user: "prosody", packages: "prosody" },
  postfix: {
    files: [() => "/usr/sbin/postfix", () => "/usr/lib/postfix/sbin/master"],
    user: "postfix",
    packages: "postfix",
  },
  inspircd: {
    files: [() => "/usr/sbin/inspircd", () => "/usr/lib/inspircd/modules/m_starttls.so"],
    user: "irc",
    packages: "inspircd",
  },
  ngircd: { files: [() => "/usr/sbin/ngircd"], user: "irc", packages: "ngircd" },
  inn: {
    files: [() => "/usr/lib/news/bin/nnrpd", () => "/usr/lib/news/bin/makehistory"],
    user: "news",
    // Its postinst needs a domain when the hostname has none: .ci/run sets one.
    packages: "inn2",
  },
} satisfies Record<
  string,
  { files: (() => string | undefined)[]; user?: string; packages: string }
>;

const told = new Set<string>();

/**
 * Why a daemon's tests cannot run here, or undefined when they can. Checked
 * synchronously, so a test file can pass it to `Deno.test({ ignore })`: a
 * missing package is a counted skip with its reason printed, never a pass.
 *
 * @param daemon a key of the table above (`dovecot`, `postfix`, …)
 * @returns the reason (`skip: postfix not installed (apt-get install postfix)`),
 *   printed the first time it is asked for
 */
export function missing(daemon: keyof typeof NEEDS): string | undefined {
  const need: { files: (() => string | undefined)[]; user?: string; packages: string } =
    NEEDS[daemon];
  const ok = need.files.every((f) => {
    const path = f();
    return path !== undefined && has(path);
  }) && (need.user === undefined || userId(need.user) !== undefined);
  if (ok) return undefined;
  const why = `skip: ${daemon} not installed (apt-get install ${need.packages})`;
  if (!told.has(daemon)) console.log(why);
  told.add(daemon);
  return why;
}

/** Ports free right now on 127.0.0.1 (the kernel's ephemeral choice). */
export function freePorts(n: number): number[] {
  const ls = Array.from({ length: n }, () => Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  const ports = ls.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of ls) l.close();
  return ports;
}

/**
 * What a daemon logs when a port it was given is taken (Dovecot, PostgreSQL,
 * slapd, vsftpd, MariaDB, Prosody, Postfix, INN, InspIRCd, ngIRCd): another
 * process bound it between {@link freePorts} and the daemon's bind.
 */
export const PORT_TAKEN =
  /Address already in use|EADDRINUSE|errno=98|could not bind|can'?not bind|can't bind|Failed to open server port/i;

/**
 * Waits until every port accepts a TCP connection, or throws after `ms`, or
 * at once when a port was taken by another process before the daemon bound
 * it: its log says so ({@link PORT_TAKEN}), or (given the daemon) what
 * listens there is no socket of the daemon's processes; or when the daemon
 * has exited.
 *
 * @param ports the ports
 * @param ms the bound
 * @param log the daemon's log so far, for the error and for {@link PORT_TAKEN}
 * @param daemon the daemon's process (spawnDaemon's), whose sockets must be the listeners
 */
export async function waitForPorts(
  ports: number[],
  ms: number,
  log?: () => string,
  daemon?: { pid: number; exited: () => boolean },
): Promise<void> {
  const deadline = Date.now() + ms;
  const failed = (why: string) => new Error(`${why}\n${log?.() ?? ""}`);
  const taken = () => log && PORT_TAKEN.test(log());
  for (const port of ports) {
    while (true) {
      if (taken()) throw failed(`a port of ${ports.join(", ")} was taken (Address already in use)`);
      if (daemon?.exited()) throw failed(`the daemon exited before port ${port} opened`);
      try {
        const c = await Deno.connect({ hostname: "127.0.0.1", port });
        c.close();
      } catch {
        if (Date.now() > deadline) throw failed(`port ${port} did not open within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (daemon && !listensIn(port, daemon.pid)) {
        throw failed(`port ${port} was taken by another process (Address already in use)`);
      }
      break;
    }
  }
  if (taken()) throw failed(`a port of ${ports.join(", ")} was taken (Address already in use)`);
}

/**
 * Whether the socket listening on 127.0.0.1:port (Linux's /proc/net/tcp)
 * belongs to the process `pid` or one of its descendants; true when /proc
 * cannot tell.
 */
function listensIn(port: number, pid: number): boolean {
  let table: string;
  try {
    table = Deno.readTextFileSync("/proc/net/tcp");
  } catch {
    return true;
  }
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes = new Set<string>();
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address, state 0A (LISTEN), inode
    if (f[1] === local && f[3] === "0A") inodes.add(f[9]);
  }
  if (!inodes.size) return true; // closed again meanwhile: the next check decides
  const seen = new Set<number>();
  const visit = (p: number): boolean => {
    if (seen.has(p)) return false;
    seen.add(p);
    try {
      for (const e of Deno.readDirSync(`/proc/${p}/fd`)) {
        const target = Deno.readLinkSync(`/proc/${p}/fd/${e.name}`);
        const m = /^socket:\[(\d+)\]$/.exec(target);
        if (m && inodes.has(m[1])) return true;
      }
    } catch { /* gone, or a descriptor closed while read */ }
    let children: number[] = [];
    try {
      children = Deno.readTextFileSync(`/proc/${p}/task/${p}/children`).trim().split(/\s+/)
        .filter(Boolean).map(Number);
    } catch { /* gone */ }
    return children.some(visit);
  };
  return visit(pid);
}

/**
 * Starts a daemon again, on other free ports, while its start fails because
 * a port it was given was taken meanwhile ({@link PORT_TAKEN}); at most three
 * attempts.
 *
 * @param start one attempt (which picks its ports and stops what it started when it fails)
 * @returns what the first good attempt returned
 */
export async function onFreshPorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await start();
    } catch (e) {
      if (attempt >= 3 || !PORT_TAKEN.test(String(e))) throw e;
    }
  }
}

/** Runs a command, throwing with its output when it fails. */
export async function sh(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<string> {
  const r = await new Deno.Command(cmd, { args, ...opts, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}):\n${text}`);
  return text;
}

/** Sends SIGTERM, then SIGKILL after `ms`, to a PID; waits until it is gone. */
export async function killPid(pid: number, ms = 3000): Promise<void> {
  const alive = () => {
    try {
      Deno.kill(pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  };
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + ms;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive()) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

/**
 * Starts a daemon in the foreground as our child (output to `log`), so it is
 * stopped by its PID.
 *
 * @param cmd the program
 * @param args its arguments (with its "stay in the foreground" flag)
 * @param log a file for its output
 * @returns a stop function (SIGTERM, then SIGKILL) and the exit status promise
 */
export async function spawnDaemon(
  cmd: string,
  args: string[],
  log: string,
  opts: { env?: Record<string, string>; cwd?: string; uid?: number; gid?: number } = {},
): Promise<{ pid: number; stop: () => Promise<void>; exited: () => boolean }> {
  const file = await Deno.open(log, { write: true, create: true, append: true });
  file.close();
  if (opts.uid !== undefined) await Deno.chown(log, opts.uid, opts.gid ?? null);
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", 'exec "$0" "$@" >>"$TLSPROBE_DAEMON_LOG" 2>&1', cmd, ...args],
    env: { ...opts.env, TLSPROBE_DAEMON_LOG: log },
    cwd: opts.cwd,
    uid: opts.uid,
    gid: opts.gid,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  return {
    pid: child.pid,
    exited: () => done,
    stop: async () => {
      if (done) return;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 5000);
      await status;
      clearTimeout(t);
    },
  };
}

/** Reads a PID file, waiting for it to appear. */
export async function readPid(path: string, ms = 10_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (true) {
    try {
      const n = Number((await Deno.readTextFile(path)).trim());
      if (n > 0) return n;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`no PID in ${path}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A private directory readable by the daemons' own users (they drop root). */
export async function daemonDir(prefix: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: `tlsprobe-${prefix}-` });
  await Deno.chmod(dir, 0o755);
  return dir;
}

/** Copies the served certificate and key into `dir` (key 0600, owned as given). */
export async function installCert(
  dir: string,
  cert: ServedCert,
): Promise<{ crt: string; key: string; ca: string }> {
  const crt = `${dir}/server.crt`, key = `${dir}/server.key`, ca = `${dir}/ca.crt`;
  await Deno.copyFile(cert.crt, crt);
  await Deno.copyFile(cert.ca, ca);
  await Deno.writeFile(key, await Deno.readFile(cert.key), { mode: 0o600 });
  await Deno.chmod(key, 0o600);
  return { crt, key, ca };
}

/** What openssl s_client negotiated over STARTTLS. */
export interface OpensslView {
  version: string;
  cipher: string;
  leafPem: string;
}

/**
 * Runs `openssl s_client -starttls PROTO` against 127.0.0.1:PORT.
 *
 * @param protocol the openssl -starttls name
 * @param port the port
 * @param extra more s_client arguments (e.g. -name, -xmpphost)
 * @returns version, suite and the leaf certificate's PEM
 */
export async function opensslStarttls(
  protocol: string,
  port: number,
  extra: string[] = [],
): Promise<OpensslView> {
  // stdin at EOF: s_client completes the handshake, prints it, and quits.
  const child = new Deno.Command("openssl", {
    args: [
      "s_client",
      "-starttls",
      protocol,
      "-connect",
      `127.0.0.1:${port}`,
      "-servername",
      "localhost",
      ...extra,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return sClientView(await child.output(), `-starttls ${protocol}`);
}

/** What s_client printed: the negotiated version, suite and leaf, or an error quoting it. */
function sClientView(out: Deno.CommandOutput, what: string): OpensslView {
  const text = new TextDecoder().decode(out.stdout);
  const m = /New, (TLSv[\d.]+|SSLv3), Cipher is (\S+)/.exec(text);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(text);
  if (!m || !pem) {
    throw new Error(
      `openssl s_client ${what} did not complete:\n${text}\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return { version: m[1], cipher: m[2], leafPem: pem[0] };
}

/**
 * openssl s_client as the independent TLS client after a plaintext dialogue
 * the test drives itself, for servers whose dialogue `-starttls` cannot
 * follow (OpenSSL 3.0's IRC loop gives up at the first NOTICE, which
 * InspIRCd always sends first). The test's connection is relayed to s_client
 * through a loopback listener once `dialogue` has returned.
 *
 * @param port the server's port
 * @param dialogue speaks the plaintext part on the connection (bounded by `ms`)
 * @param ms the overall bound
 * @returns version, suite and the leaf certificate's PEM, as s_client saw them
 */
export async function opensslAfter(
  port: number,
  dialogue: (conn: Deno.TcpConn) => Promise<void>,
  ms = 15_000,
): Promise<OpensslView> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const relay = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, ms);
  try {
    await dialogue(conn);
    const child = new Deno.Command("openssl", {
      args: [
        "s_client",
        "-connect",
        `127.0.0.1:${(relay.addr as Deno.NetAddr).port}`,
        "-servername",
        "localhost",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const peer = await relay.accept();
    // Either side's end ends both copies (s_client quits after the handshake).
    const ends = () => {
      for (const c of [peer, conn]) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    };
    const pipes = Promise.all([
      peer.readable.pipeTo(conn.writable, { preventClose: true }).catch(() => {}).finally(ends),
      conn.readable.pipeTo(peer.writable, { preventClose: true }).catch(() => {}).finally(ends),
    ]);
    const out = await child.output();
    ends();
    await pipes;
    return sClientView(out, "(after the test's own plaintext dialogue)");
  } finally {
    clearTimeout(timer);
    relay.close();
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

/**
 * Reads from `conn` until the text read so far matches `re` (for a test's
 * own plaintext dialogue), or throws quoting what came.
 *
 * @param conn the connection
 * @param re what to wait for
 * @returns the text read
 */
export async function readUntil(conn: Deno.Conn, re: RegExp): Promise<string> {
  const buf = new Uint8Array(4096);
  let text = "";
  while (!re.test(text)) {
    // Whole reads are safe: after agreeing, a server waits for the ClientHello.
    const n = await conn.read(buf);
    if (n === null) throw new Error(`closed before ${re}: ${JSON.stringify(text)}`);
    text += new TextDecoder().decode(buf.subarray(0, n));
    if (text.length > 65536) throw new Error(`no ${re} in 64 KiB: ${text.slice(0, 400)}`);
  }
  return text;
}

/** What `tlsprobe probe --starttls --json` reported. */
export interface ProbeView {
  version: string;
  cipher: string;
  openssl: string | null;
  leafPem: string;
  starttls: { protocol: string; banner: string; capabilities: string[] };
  json: Record<string, unknown>;
}

/**
 * Runs `tlsprobe probe --starttls PROTO --json` against 127.0.0.1:PORT.
 *
 * @param protocol the protocol
 * @param port the port
 * @param caFile the CA to trust
 * @param extra more arguments
 * @returns what it reported
 */
export async function probeStarttls(
  protocol: string,
  port: number,
  caFile: string,
  extra: string[] = [],
): Promise<ProbeView> {
  const r = await tlsprobe([
    "probe",
    "--json",
    "--starttls",
    protocol,
    "-a",
    caFile,
    "--servername",
    "localhost",
    `127.0.0.1:${port}`,
    ...extra,
  ]);
  let j;
  try {
    j = JSON.parse(r.stdout);
  } catch {
    throw new Error(`probe printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  if (j.outcome !== "ok") throw new Error(`probe failed: ${JSON.stringify(j.error)}`);
  return {
    version: j.handshake.version,
    cipher: j.handshake.cipher.iana,
    openssl: j.handshake.cipher.openssl,
    leafPem: j.certificates[0].pem,
    starttls: j.starttls,
    json: j,
  };
}

/**
 * Asserts that tlsprobe's probe and openssl s_client saw the same handshake
 * on the same server — version, suite (IANA or OpenSSL name), leaf — that the
 * leaf is the one served, that the dialogue was `protocol` and that rustls
 * verified the chain.
 *
 * @param ours what `probe --starttls --json` reported
 * @param theirs what s_client printed
 * @param servedCrt the served leaf's PEM file
 * @param protocol the STARTTLS protocol
 */
export async function assertSameHandshake(
  ours: ProbeView,
  theirs: OpensslView,
  servedCrt: string,
  protocol: string,
): Promise<void> {
  assert.equal(ours.version, theirs.version);
  assert.ok(
    theirs.cipher === ours.cipher || theirs.cipher === ours.openssl,
    `${theirs.cipher} vs ${ours.cipher}`,
  );
  assert.equal(pemBody(ours.leafPem), pemBody(theirs.leafPem));
  assert.equal(pemBody(ours.leafPem), pemBody(await Deno.readTextFile(servedCrt)));
  assert.equal(ours.starttls.protocol, protocol);
  assert.equal((ours.json.trust as { verified: boolean }).verified, true);
}

/**
 * Registers one test against a real daemon: skipped (counted, reason
 * printed) when its package is absent; otherwise a test PKI, the daemon
 * serving its localhost certificate, `fn`, and both stopped in `finally`.
 *
 * @param name the test's name
 * @param daemon the daemon's key in the table of what each needs
 * @param start its starter
 * @param fn the steps, given the test context, the running daemon and the PKI
 */
export function daemonTest(
  name: string,
  daemon: keyof typeof NEEDS,
  start: (cert: ServedCert) => Promise<Daemon | null>,
  fn: (t: Deno.TestContext, d: Daemon, pki: TestPki) => Promise<void>,
): void {
  Deno.test({ name, ignore: missing(daemon) !== undefined }, async (t) => {
    const pki = await makeTestPki();
    const started = await start({ crt: pki.localhostCrt, key: pki.localhostKey, ca: pki.caCrt });
    try {
      assert.ok(started, `${daemon} is installed but did not start`);
      await fn(t, started, pki);
    } finally {
      await started?.stop();
      await removeTestPki(pki);
    }
  });
}

/**
 * Runs `tlsprobe connect --starttls PROTO` to localhost:PORT and holds a
 * conversation under TLS from its standard input, one turn at a time: each
 * turn's text is sent once the previous answer has arrived. For servers that
 * would not answer input that ends at once (Postfix holds replies while more
 * input is pending, InspIRCd registers after the read, Prosody drops a stream
 * whose input ended).
 *
 * @param protocol the STARTTLS protocol
 * @param port the server's port
 * @param caFile the CA to trust
 * @param turns what to send, and what to wait for in the output after it
 * @param extra more `connect` arguments (before the host)
 * @returns everything the client printed
 */
export async function converse(
  protocol: string,
  port: number,
  caFile: string,
  turns: [string, RegExp][],
  extra: string[] = [],
): Promise<string> {
  const client = await startTlsprobe(
    [
      "connect",
      "-t",
      protocol,
      "-a",
      caFile,
      "--timeout",
      "10",
      ...extra,
      "localhost",
      String(port),
    ],
    /Connected to host 'localhost'/,
  );
  try {
    for (const [text, answer] of turns) {
      await client.write(text);
      await client.waitFor(answer, 13_000);
    }
    return client.output();
  } finally {
    await client.stop();
  }
}

/** Normalises PEM for comparison (line endings, trailing space). */
export function pemBody(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
}

/**
 * Dovecot with IMAP, POP3, LMTP and ManageSieve on ephemeral loopback ports,
 * STARTTLS with the given certificate.
 *
 * @param cert the certificate to serve
 * @returns the daemon, or null (reason printed) when Dovecot is not installed
 */
export function startDovecot(cert: ServedCert): Promise<Daemon | null> {
  return onFreshPorts(() => startDovecotOnce(cert));
}

/** One attempt of {@link startDovecot}, on ports free when it starts. */
async function startDovecotOnce(cert: ServedCert): Promise<Daemon | null> {
  if (missing("dovecot")) return null;
  const dir = await daemonDir("dovecot");
  const c = await installCert(dir, cert);
  const [imap, pop3, lmtp, sieve] = freePorts(4);
  const conf = `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/log
protocols = imap pop3 lmtp sieve
listen = 127.0.0.1
ssl = yes
ssl_cert = <${c.crt}
ssl_key = <${c.key}
default_internal_user = dovecot
default_login_user = dovenull
mail_location = mbox:${dir}/mail
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=${dir}/home
}
service imap-login {
  inet_listener imap {
    port = ${imap}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${pop3}
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtp}
  }
}
service managesieve-login {
  inet_listener sieve {
    port = ${sieve}
  }
}
`;
  await Deno.writeTextFile(`${dir}/dovecot.conf`, conf);
  await Deno.mkdir(`${dir}/run`);
  await Deno.mkdir(`${dir}/state`);
  const d = await spawnDaemon(
    "/usr/sbin/dovecot",
    ["-F", "-c", `${dir}/dovecot.conf`],
    `${dir}/out`,
  );
  const stop = async () => {
    await d.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPorts(
      [imap, pop3, lmtp, sieve],
      15_000,
      () => readLog(`${dir}/out`) + readLog(`${dir}/log`),
      d,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { ports: { imap, pop3, lmtp, sieve }, dir, stop };
}

function readLog(path: string): string {
  try {
    return Deno.readTextFileSync(path).slice(-4000);
  } catch {
    return "";
  }
}

/**
 * PostgreSQL (initdb into a private directory, then `postgres` on an
 * ephemeral loopback port with ssl=on), run as the `postgres` user.
 *
 * @param cert the certificate to serve
 * @returns the daemon, or null (reason printed) when PostgreSQL is not installed
 */
export function startPostgres(cert: ServedCert): Promise<Daemon | null> {
  return onFreshPorts(() => startPostgresOnce(cert));
}

/** One attempt of {@link startPostgres}, on ports free when it starts. */
async function startPostgresOnce(cert: ServedCert): Promise<Daemon | null> {
  if (missing("postgres")) return null;
  const bin = postgresBin()!;
  const uid = userId("postgres")!;
  const dir = await daemonDir("postgres");
  const c = await installCert(dir, cert);
  await sh("chown", ["-R", "postgres:postgres", dir]);
  const [port] = freePorts(1);
  const asPg = { uid: uid.uid, gid: uid.gid };
  const init = await new Deno.Command(`${bin}/initdb`, {
    args: ["-D", `${dir}/data`, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
    ...asPg,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!init.success) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`initdb failed: ${new TextDecoder().decode(init.stderr)}`);
  }
  const d = await spawnDaemon(
    `${bin}/postgres`,
    [
      "-D",
      `${dir}/data`,
      "-k",
      dir,
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-c",
      "ssl=on",
      "-c",
      `ssl_cert_file=${c.crt}`,
      "-c",
      `ssl_key_file=${c.key}`,
      "-c",
      "fsync=off",
    ],
    `${dir}/log`,
    asPg,
  );
  const stop = async () => {
    await d.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPorts([port], 20_000, () => readLog(`${dir}/log`), d);
  } catch (e) {
    await stop();
    throw e;
  }
  return { ports: { postgres: port }, dir, stop };
}

/** The directory of PostgreSQL's server binaries (any installed version). */
function postgresBin(): string | undefined {
  try {
    for (const e of Deno.readDirSync("/usr/lib/postgresql")) {
      const b = `/usr/lib/postgresql/${e.name}/bin`;
      if (has(`${b}/postgres`) && has(`${b}/initdb`)) return b;
    }
  } catch { /* none */ }
  return undefined;
}

/** A user's uid and gid from /etc/passwd, or undefined. */
export function userId(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const f = line.split(":");
      if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch { /* none */ }
  return undefined;
}

/**
 * OpenLDAP's slapd with no database (the root DSE answers the StartTLS
 * extended operation) on an ephemeral loopback port.
 *
 * @param cert the certificate to serve
 * @returns the daemon, or null (reason printed) when slapd is not installed
 */
export function startSlapd(cert: ServedCert): Promise<Daemon | null> {
  return onFreshPorts(() => startSlapdOnce(cert));
}

/** One attempt of {@link startSlapd}, on ports free when it starts. */
async function startSlapdOnce(cert: ServedCert): Promise<Daemon | null> {
  if (missing("slapd")) return null;
  const dir = await daemonDir("slapd");
  const c = await installCert(dir, cert);
  const [port] = freePorts(1);
  await Deno.writeTextFile(
    `${dir}/slapd.conf`,
    [
      "include /etc/ldap/schema/core.schema",
      `pidfile ${dir}/slapd.pid`,
      `argsfile ${dir}/slapd.args`,
      `TLSCertificateFile ${c.crt}`,
      `TLSCertificateKeyFile ${c.key}`,
      "",
    ].join("\n"),
  );
  // -d 0: stay in the foreground (our child), log nothing extra.
  const d = await spawnDaemon("/usr/sbin/slapd", [
    "-d",
    "0",
    "-f",
    `${dir}/slapd.conf`,
    "-h",
    `ldap://127.0.0.1:${port}/`,
  ], `${dir}/log`);
  const stop = async () => {
    await d.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPorts([port], 15_000, () => readLog(`${dir}/log`), d);
  } catch (e) {
    await stop();
    throw e;
  }
  return { ports: { ldap: port }, dir, stop };
}

/**
 * vsftpd with anonymous login (an empty root) and AUTH TLS on an ephemeral
 * loopback port.
 *
 * @param cert the certificate to serve
 * @returns the daemon, or null (reason printed) when vsftpd is not installed
 */
export function startVsftpd(cert: ServedCert): Promise<Daemon | null> {
  return onFreshPorts(() => startVsftpdOnce(cert));
}

/** One attempt of {@link startVsftpd}, on ports free when it starts. */
async function startVsftpdOnce(cert: ServedCert): Promise<Daemon | null> {
  if (missing("vsftpd")) return null;
  const dir = await daemonDir("vsftpd");
  const c = await installCert(dir, cert);
  await Deno.mkdir(`${dir}/empty`);
  const [port] = freePorts(1);
  await Deno.writeTextFile(
    `${dir}/vsftpd.conf`,
    [
      "listen=YES",
      "listen_ipv6=NO",
      "listen_address=127.0.0.1",
      `listen_port=${port}`,
      "background=NO",
      "anonymous_enable=YES",
      `anon_root=${dir}/empty`,
      "no_anon_password=YES",
      "allow_anon_ssl=YES",
      "local_enable=NO",
      "ssl_enable=YES",
      `rsa_cert_file=${c.crt}`,
      `rsa_private_key_file=${c.key}`,
      `secure_chroot_dir=${dir}/empty`,
      "seccomp_sandbox=NO",
      "xferlog_enable=NO",
      "",
    ].join("\n"),
  );
  const d = await spawnDaemon("/usr/sbin/vsftpd", [`${dir}/vsftpd.conf`], `${dir}/log`);
  const stop = async () => {
    await d.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPorts([port], 15_000, () => readLog(`${dir}/log`), d);
  } catch (e) {
    await stop();
    throw e;
  }
  return { ports: { ftp: port }, dir, stop };
}

/**
 * MariaDB with an empty data directory (`--skip-grant-tables`: no
 * install step) and TLS, on an ephemeral loopback port.
 *
 * @param cert the certificate to serve
 * @returns the daemon, or null (reason printed) when mariadb-server is not installed
 */
export function startMariadb(cert: ServedCert): Promise<Daemon | null> {
  return onFreshPorts(() => startMariadbOnce(cert));
}

/** One attempt of {@link startMariadb}, on ports free when it starts. */
async function startMariadbOnce(cert: ServedCert): Promise<Daemon | null> {
  if (missing("mariadb")) return null;
  const bin = ["/usr/sbin/mariadbd", "/usr/sbin/mysqld"].find(has)!;
  const dir = await daemonDir("mariadb");
  const c = await installCert(dir, cert);
  await Deno.mkdir(`${dir}/data`);
  await sh("chown", ["-R", "mysql:mysql", dir]);
  const [port] = freePorts(1);
  const d = await spawnDaemon(bin, [
    "--no-defaults",
    `--datadir=${dir}/data`,
    "--user=mysql",
    "--bind-address=127.0.0.1",
    `--port=${port}`,
    `--socket=${dir}/sock`,
    `--pid-file=${dir}/pid`,
    "--skip-grant-tables",
    `--ssl-cert=${c.crt}`,
    `--ssl-key=${c.key}`,
    "--skip-log-bin",
    "--innodb-buffer-pool-size=16M",
  ], `${dir}/log`);
  const stop = async () => {
    await d.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPorts([port], 30_000, () => readLog(`${dir}/log`), d);
  } catch (e) {
    await stop();
    throw e;
  }
  return { ports: { mysql: port }, dir, stop };
}

/**
 * Prosody serving the domain `localhost`, client-to-server and
 * server-to-server streams with STARTTLS, on ephemeral loopback ports.
 *
 * @param cert the certificate to serve
 * @returns the daemon (ports `xmpp`, `xmpp-server`), or null when prosody is not installed
 */
export function startProsody(cert: ServedCert): Promise<Daemon | null> {
  return onFreshPorts(() => startProsodyOnce(cert));
}

/** One attempt of {@link startProsody}, on ports free when it starts. */
async function startProsodyOnce(cert: ServedCert): Promise<Daemon | null> {
  if (missing("prosody")) return null;
  const dir = await daemonDir("prosody");
  const c = await installCert(dir, cert);
  await Deno.mkdir(`${dir}/data`);
  await sh("chown", ["-R", "prosody:prosody", dir]);
  const [c2s, s2s] = freePorts(2);
  await Deno.writeTextFile(
    `${dir}/prosody.cfg.lua`,
    `pidfile = "${dir}/prosody.pid"
data_path = "${dir}/data"
interfaces = { "127.0.0.1" }
c2s_ports = { ${c2s} }
s2s_ports = { ${s2s} }
c2s_direct_tls_ports = {}
s2s_direct_tls_ports = {}
http_ports = {}
https_ports = {}
log = { { levels = { min = "warn" }, to = "console" } }
modules_enabled = { "tls", "saslauth", "disco", "dialback" }
modules_disabled = { "posix" }
ssl = { certificate = "${c.crt}", key = "${c.key}" }
certificates = "${dir}"
VirtualHost "localhost"
`,
  );
  const d = await spawnDaemon(
    "/usr/bin/prosody",
    ["--config", `${dir}/prosody.cfg.lua`, "-F"],
    `${dir}/log`,
  );
  const stop = async () => {
    await d.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPorts([c2s, s2s], 20_000, () => readLog(`${dir}/log`), d);
  } catch (e) {
    await stop();
    throw e;
  }
  return { ports: { xmpp: c2s, "xmpp-server": s2s }, dir, stop };
}

/**
 * Postfix: the full master (with the services smtpd talks to: anvil, tlsmgr,
 * proxymap, cleanup, trivial-rewrite, postlogd) from a private configuration
 * directory with its own queue and data directories, smtpd on an ephemeral
 * loopback port offering STARTTLS (`smtpd_tls_security_level = may`).
 *
 * Started with `postfix -c DIR start` (the master detaches and leads its own
 * process group), stopped with `postfix -c DIR stop` and then by the master's
 * PID.
 *
 * @param cert the certificate to serve
 * @returns the daemon (port `smtp`), or null (reason printed) when postfix is not installed
 */
export function startPostfix(cert: ServedCert): Promise<Daemon | null> {
  return onFreshPorts(() => startPostfixOnce(cert));
}

/** One attempt of {@link startPostfix}, on ports free when it starts. */
async function startPostfixOnce(cert: ServedCert): Promise<Daemon | null> {
  if (missing("postfix")) return null;
  const dir = await daemonDir("postfix");
  const c = await installCert(dir, cert);
  const conf = `${dir}/conf`;
  for (const d of [conf, `${dir}/queue`, `${dir}/data`]) await Deno.mkdir(d);
  await sh("chown", ["postfix", `${dir}/data`]);
  const [port] = freePorts(1);
  await Deno.writeTextFile(
    `${conf}/main.cf`,
    [
      "compatibility_level = 3.6",
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      "inet_interfaces = 127.0.0.1",
      "inet_protocols = ipv4",
      "myhostname = localhost",
      "mydestination =",
      // No table that would need proxymap or the system's aliases.
      "local_recipient_maps =",
      "alias_maps =",
      "alias_database =",
      `smtpd_tls_cert_file = ${c.crt}`,
      `smtpd_tls_key_file = ${c.key}`,
      "smtpd_tls_security_level = may",
      `maillog_file_prefixes = ${dir}`,
      `maillog_file = ${dir}/log`,
      "",
    ].join("\n"),
  );
  // Only the smtp listener is on the network; the rest are UNIX sockets in the
  // private queue directory. No chroot (the queue is not set up for one).
  await Deno.writeTextFile(
    `${conf}/master.cf`,
    [
      `127.0.0.1:${port} inet n - n - - smtpd`,
      "postlog unix-dgram n - n - 1 postlogd",
      "anvil unix - - n - 1 anvil",
      "tlsmgr unix - - n 1000? 1 tlsmgr",
      "proxymap unix - - n - - proxymap",
      "cleanup unix n - n - 0 cleanup",
      "rewrite unix - - n - - trivial-rewrite",
      "",
    ].join("\n"),
  );
  const stop = async () => {
    const pid = await postfixMaster(dir, conf);
    await new Deno.Command("/usr/sbin/postfix", {
      args: ["-c", conf, "stop"],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => {});
    // Still there (stop waits 5 s at most)? Only if it is still our master.
    if (pid && await postfixMaster(dir, conf) === pid) await killPid(pid, 2000);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    // `start` runs `postfix check` (which creates the queue's subdirectories)
    // and waits until the master has initialised.
    await sh("/usr/sbin/postfix", ["-c", conf, "start"]);
    await waitForPorts([port], 15_000, () => readLog(`${dir}/log`));
  } catch (e) {
    await stop();
    throw new Error(`postfix did not start: ${(e as Error).message}\n${readLog(`${dir}/log`)}`);
  }
  return { ports: { smtp: port }, dir, stop };
}

/** The PID of the Postfix master running from `conf`, if it is running. */
async function postfixMaster(dir: string, conf: string): Promise<number | undefined> {
  try {
    const pid = Number((await Deno.readTextFile(`${dir}/queue/pid/master.pid`)).trim());
    const env = await Deno.readTextFile(`/proc/${pid}/environ`);
    return env.split("\0").includes(`MAIL_CONFIG=${conf}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * INN's reader daemon, nnrpd, standing alone (`-D -f`: it listens itself and
 * stays our child) on an ephemeral loopback port, from a private `inn.conf`
 * (`INNCONF`) whose every path is in a private directory: an active file with
 * one group, an empty tradindexed overview built by `makehistory -O`, and
 * STARTTLS with the given certificate. No innd: reading needs none.
 *
 * @param cert the certificate to serve
 * @returns the daemon (port `nntp`), or null (reason printed) when inn2 is not installed
 */
export function startInn(cert: ServedCert): Promise<Daemon | null> {
  return onFreshPorts(() => startInnOnce(cert));
}

/** One attempt of {@link startInn}, on ports free when it starts. */
async function startInnOnce(cert: ServedCert): Promise<Daemon | null> {
  if (missing("inn")) return null;
  const bin = "/usr/lib/news/bin";
  const dir = await daemonDir("inn");
  const c = await installCert(dir, cert);
  for (const d of ["etc", "db", "run", "log", "tmp", "spool", "overview"]) {
    await Deno.mkdir(`${dir}/${d}`);
  }
  const [port] = freePorts(1);
  const paths = ["etc", "db", "run", "log", "tmp", "spool", "overview"]
    .map((d) => `path${d}: ${dir}/${d}`);
  await Deno.writeTextFile(
    `${dir}/etc/inn.conf`,
    [
      // A domain of its own: INN refuses to start when it cannot make one up.
      "domain: localdomain",
      "pathhost: localhost",
      'mta: "/bin/false %s"',
      "pathnews: /usr/lib/news",
      `pathbin: ${bin}`,
      ...paths,
      `pathincoming: ${dir}/spool/incoming`,
      `pathoutgoing: ${dir}/spool/outgoing`,
      `patharchive: ${dir}/spool/archive`,
      "ovmethod: tradindexed",
      "hismethod: hisv6",
      "enableoverview: true",
      // Readers are refused above a load average of 16 by default: never here.
      "nnrpdloadlimit: 0",
      `tlscertfile: ${c.crt}`,
      `tlskeyfile: ${c.key}`,
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(
    `${dir}/etc/readers.conf`,
    'auth "local" {\n  hosts: "127.0.0.1"\n  default: "<local>"\n}\n' +
      'access "local" {\n  users: "<local>"\n  newsgroups: "*"\n  access: R\n}\n',
  );
  await Deno.writeTextFile(
    `${dir}/etc/storage.conf`,
    "method tradspool {\n  newsgroups: *\n  class: 0\n}\n",
  );
  await Deno.writeTextFile(`${dir}/db/active`, "local.test 0000000000 0000000001 y\n");
  await Deno.writeTextFile(`${dir}/db/newsgroups`, "local.test\tA group for tlsprobe's tests.\n");
  // nnrpd serves each client as news, which must read the key at STARTTLS.
  await sh("chown", ["-R", "news:news", dir]);
  const env = { INNCONF: `${dir}/etc/inn.conf` };
  const news = userId("news")!;
  // nnrpd refuses readers ("400 NNTP server unavailable") without an overview.
  await new Deno.Command(`${bin}/makehistory`, {
    args: ["-O", "-x"],
    env,
    uid: news.uid,
    gid: news.gid,
    stdout: "null",
    stderr: "null",
  }).output();
  const d = await spawnDaemon(
    `${bin}/nnrpd`,
    ["-D", "-f", "-b", "127.0.0.1", "-p", String(port)],
    `${dir}/log/out`,
    { env },
  );
  const stop = async () => {
    await d.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPorts([port], 15_000, () => readLog(`${dir}/log/out`), d);
  } catch (e) {
    await stop();
    throw e;
  }
  return { ports: { nntp: port }, dir, stop };
}

/**
 * InspIRCd 3 with its `starttls` module (the IRCv3 `tls` capability) on an
 * ephemeral loopback port, run as `irc` in the foreground (`--nofork`).
 *
 * @param cert the certificate to serve
 * @returns the daemon (port `irc`), or null (reason printed) when inspircd is not installed
 */
export function startInspircd(cert: ServedCert): Promise<Daemon | null> {
  return onFreshPorts(() => startInspircdOnce(cert));
}

/** One attempt of {@link startInspircd}, on ports free when it starts. */
async function startInspircdOnce(cert: ServedCert): Promise<Daemon | null> {
  if (missing("inspircd")) return null;
  const dir = await daemonDir("inspircd");
  const c = await installCert(dir, cert);
  const [port] = freePorts(1);
  await Deno.writeTextFile(
    `${dir}/inspircd.conf`,
    [
      '<server name="irc.localhost" description="tlsprobe test" network="tlsprobe">',
      '<admin name="tlsprobe" nick="tlsprobe" email="tlsprobe@localhost">',
      `<bind address="127.0.0.1" port="${port}" type="clients">`,
      // No DNS: a CI machine's resolver must not slow registration down.
      '<connect name="main" allow="*" timeout="60" localmax="100" globalmax="100" resolvehostnames="no">',
      `<pid file="${dir}/inspircd.pid">`,
      `<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="${dir}/log">`,
      '<module name="ssl_gnutls">',
      '<module name="cap">',
      '<module name="starttls">',
      `<sslprofile name="tls" provider="gnutls" certfile="${c.crt}" keyfile="${c.key}" hash="sha256">`,
      '<starttls provider="tls">',
      "",
    ].join("\n"),
  );
  await sh("chown", ["-R", "irc:irc", dir]);
  const irc = userId("irc")!;
  const d = await spawnDaemon(
    "/usr/sbin/inspircd",
    [`--config=${dir}/inspircd.conf`, "--nofork"],
    `${dir}/out`,
    { cwd: dir, uid: irc.uid, gid: irc.gid },
  );
  const stop = async () => {
    await d.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPorts(
      [port],
      15_000,
      () => readLog(`${dir}/out`) + readLog(`${dir}/log`),
      d,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { ports: { irc: port }, dir, stop };
}

/**
 * ngIRCd (26 in Debian 12: no STARTTLS at all) on an ephemeral loopback
 * port, in the foreground (`-n`), dropping to `irc`.
 *
 * @returns the daemon (port `irc`), or null (reason printed) when ngircd is not installed
 */
export function startNgircd(): Promise<Daemon | null> {
  return onFreshPorts(() => startNgircdOnce());
}

/** One attempt of {@link startNgircd}, on ports free when it starts. */
async function startNgircdOnce(): Promise<Daemon | null> {
  if (missing("ngircd")) return null;
  const dir = await daemonDir("ngircd");
  const [port] = freePorts(1);
  await Deno.writeTextFile(
    `${dir}/ngircd.conf`,
    [
      "[Global]",
      "Name = irc.localhost",
      "Info = tlsprobe test",
      "Listen = 127.0.0.1",
      `Ports = ${port}`,
      `PidFile = ${dir}/ngircd.pid`,
      "ServerUID = irc",
      "ServerGID = irc",
      "[Options]",
      "PAM = no",
      "Ident = no",
      "DNS = no",
      "",
    ].join("\n"),
  );
  await sh("chown", ["-R", "irc:irc", dir]);
  const d = await spawnDaemon("/usr/sbin/ngircd", ["-n", "-f", `${dir}/ngircd.conf`], `${dir}/out`);
  const stop = async () => {
    await d.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPorts([port], 15_000, () => readLog(`${dir}/out`), d);
  } catch (e) {
    await stop();
    throw e;
  }
  return { ports: { irc: port }, dir, stop };
}
