/**
 * Ground truth for scanner tests, made without the scanner: every suite this
 * OpenSSL can offer is offered alone by `openssl s_client` with the version
 * pinned; what completes is what the server accepts.
 *
 * @module
 */
import { type Peer, ROOT, run, startPeer } from "./process.ts";

/** s_client's version flag per version name. */
const FLAGS: Record<string, string> = {
  "TLSv1": "-tls1",
  "TLSv1.1": "-tls1_1",
  "TLSv1.2": "-tls1_2",
  "TLSv1.3": "-tls1_3",
};

/** OpenSSL's legacy provider too, so RC4, SEED, IDEA can be offered where built. */
const PROVIDERS = ["-provider", "legacy", "-provider", "default"];

/**
 * The suites this OpenSSL can offer at a version (OpenSSL names).
 *
 * @param version `TLSv1` … `TLSv1.3`
 * @returns the names
 */
export async function offerable(version: string): Promise<string[]> {
  if (version === "TLSv1.3") {
    const r = await run("openssl", [
      "ciphers",
      "-s",
      "-tls1_3",
      "-ciphersuites",
      "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256",
      "-tls1_3",
    ]);
    return r.stdout.trim().split(":").filter((n) => n.startsWith("TLS_"));
  }
  const r = await run("openssl", [
    "ciphers",
    ...PROVIDERS,
    "-s",
    FLAGS[version],
    "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
  ]);
  return r.stdout.trim().split(":").filter((n) => n && !n.startsWith("TLS_"));
}

/** Options of the client side of the ground truth. */
export interface TruthOptions {
  port: number;
  servername?: string;
  /** Client certificate and key (for servers that require one). */
  cert?: string;
  key?: string;
  /** Versions to establish (default TLS 1.0 to 1.3). */
  versions?: string[];
  /** s_client processes at once. */
  concurrency?: number;
}

async function handshake(o: TruthOptions, version: string, suite?: string): Promise<string | null> {
  const args = ["s_client", "-connect", `127.0.0.1:${o.port}`, FLAGS[version], ...PROVIDERS];
  if (o.servername) args.push("-servername", o.servername);
  if (o.cert) args.push("-cert", o.cert, "-key", o.key ?? o.cert);
  if (version === "TLSv1.3") {
    if (suite) args.push("-ciphersuites", suite);
  } else {
    args.push("-cipher", `${suite ?? "ALL:COMPLEMENTOFALL"}:@SECLEVEL=0`);
  }
  const r = await run("openssl", args, { stdin: "" });
  // The version is pinned by the flag; "New, X" names the suite's minimum version, not the session's.
  const m = /New, \S+, Cipher is (\S+)/.exec(r.stdout);
  return m && m[1] !== "(NONE)" ? m[1] : null;
}

async function pool<T, R>(items: T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  }));
  return out;
}

/**
 * For each version, the set of suites (OpenSSL names) the server completes a
 * handshake with when offered alone.
 *
 * @param o where and how to connect
 * @returns version name → accepted suite names (empty when the version is refused)
 */
export async function groundTruth(o: TruthOptions): Promise<Map<string, Set<string>>> {
  const versions = o.versions ?? ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
  const truth = new Map<string, Set<string>>();
  // The version with everything offered first; only accepted versions are split by suite.
  const open = await pool(versions, o.concurrency ?? 6, (v) => handshake(o, v));
  const jobs: { v: string; s: string }[] = [];
  for (let i = 0; i < versions.length; i++) {
    truth.set(versions[i], new Set());
    if (open[i] === null) continue;
    for (const s of await offerable(versions[i])) jobs.push({ v: versions[i], s });
  }
  const res = await pool(jobs, o.concurrency ?? 6, (j) => handshake(o, j.v, j.s));
  jobs.forEach((j, i) => {
    if (res[i] !== null) truth.get(j.v)!.add(j.s);
  });
  return truth;
}

/** A free TCP port on 127.0.0.1 (for servers that cannot take port 0). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Waits until something accepts connections on 127.0.0.1:port. */
export async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      if (Date.now() > end) throw new Error(`nothing listens on ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts `gnutls-serv` with the sample localhost certificate on a free port.
 *
 * @param args extra arguments (`--priority …`)
 * @returns the running peer with its port
 */
export async function startGnutlsServer(args: string[] = []): Promise<Peer> {
  const port = freePort();
  const p = await startPeer("gnutls-serv", [
    "-p",
    String(port),
    ...args,
    "--x509certfile",
    ROOT + "certs/localhost.crt",
    "--x509keyfile",
    ROOT + "certs/localhost.key",
  ], { ready: /listening/i });
  await waitForPort(port);
  return { ...p, port };
}
