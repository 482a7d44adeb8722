/**
 * Ground truth for scanner tests, made without the scanner: every suite this
 * OpenSSL can offer is offered alone by `openssl s_client` with the version
 * pinned; what completes is what the server accepts.
 *
 * Cost: one client process per suite and version, so the processes are made
 * cheap (s_client loads no trust store: `-no-CAfile -no-CApath -no-CAstore`,
 * which halves its CPU; gnutls-cli reads the one sample CA instead of the
 * system's), run through one pool per test process ({@link CLIENTS} at once,
 * shared by every truth running in it), and the lists of suites each client
 * can offer are read once per process.
 *
 * @module
 */
import { GNUTLS_LISTENS, type Peer, ROOT, run, startOnFreePort } from "./process.ts";
import { scanTarget } from "../../core/net/scan.ts";
import type { ScanResult } from "../../core/scan/model.ts";

/**
 * Scans a local test server that holds the sample `localhost` certificate:
 * SNI localhost, the sample CA trusted, 30 s per handshake. Generous: the
 * scan's handshakes queue at a serial server (s_server answers one
 * connection at a time), and on a CPU shared by the whole suite a queued one
 * took over 10 s, which cut a version's enumeration short (its `error`).
 *
 * @param port the server's port on 127.0.0.1
 * @returns the scan
 */
export function scanLocalhost(port: number): Promise<ScanResult> {
  return scanTarget({
    host: "127.0.0.1",
    port,
    serverName: "localhost",
    timeoutMs: 30_000,
    now: new Date(),
    caFile: ROOT + "certs/ca.crt",
  });
}

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
 * Client processes (s_client, gnutls-cli) at once in this test process, across
 * every truth being made: enough to keep a serial server (s_server handles one
 * connection at a time) busy while the next clients start.
 */
export const CLIENTS = 8;

/** Slots of the process-wide pool of client processes. */
let free = CLIENTS;
const waiting: (() => void)[] = [];

/** Runs `f` when one of the {@link CLIENTS} slots is free. */
async function limited<R>(f: () => Promise<R>): Promise<R> {
  if (free > 0) free--;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await f();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else free++;
  }
}

/** Memoises an async function of a string (the suite lists: one process per run, not per test). */
function once<R>(f: (k: string) => Promise<R>): (k: string) => Promise<R> {
  const memo = new Map<string, Promise<R>>();
  return (k) => {
    let p = memo.get(k);
    if (!p) {
      p = f(k);
      memo.set(k, p);
    }
    return p;
  };
}

/**
 * The suites this OpenSSL can offer at a version (OpenSSL names).
 *
 * @param version `TLSv1` … `TLSv1.3`
 * @returns the names
 */
export const offerable: (version: string) => Promise<string[]> = once(offerableNow);

async function offerableNow(version: string): Promise<string[]> {
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
}

/**
 * One s_client handshake at a pinned version offering `suite` (a list, or
 * every suite when absent).
 *
 * @returns the suite the session was established with (null when none was);
 *   `refused`: the server answered with a handshake_failure alert (40), the
 *   alert TLS servers send when none of the offered suites is acceptable
 */
async function handshakeWith(
  o: TruthOptions,
  version: string,
  suite?: string,
): Promise<{ chosen: string | null; refused: boolean }> {
  const args = [
    "s_client",
    // The truth verifies nothing: reading the system's trust store would double the process's CPU.
    "-no-CAfile",
    "-no-CApath",
    "-no-CAstore",
    "-connect",
    `127.0.0.1:${o.port}`,
    FLAGS[version],
    ...PROVIDERS,
  ];
  if (o.servername) args.push("-servername", o.servername);
  if (o.cert) args.push("-cert", o.cert, "-key", o.key ?? o.cert);
  if (version === "TLSv1.3") {
    if (suite) args.push("-ciphersuites", suite);
  } else {
    args.push("-cipher", `${suite ?? "ALL:COMPLEMENTOFALL"}:@SECLEVEL=0`);
  }
  const r = await limited(() => run("openssl", args, { stdin: "" }));
  // The version is pinned by the flag; "New, X" names the suite's minimum version, not the session's.
  const m = /New, \S+, Cipher is (\S+)/.exec(r.stdout);
  const chosen = m && m[1] !== "(NONE)" ? m[1] : null;
  return { chosen, refused: chosen === null && /SSL alert number 40\b/.test(r.stderr) };
}

async function handshake(o: TruthOptions, version: string, suite?: string): Promise<string | null> {
  return (await handshakeWith(o, version, suite)).chosen;
}

/**
 * The suites of `candidates` the server accepts when each is offered alone,
 * found with fewer handshakes than one per suite (most of a truth's suites
 * are refused). Offer the candidates left: a session names one suite the
 * server accepts (it chose it; offered alone it chooses it again), which
 * leaves the list; a handshake_failure alert from the server means it
 * accepts none of them (a TLS server picks any acceptable suite offered:
 * acceptance of one suite does not depend on the others offered with it).
 * Any other failure proves nothing, so the candidates left are then offered
 * one by one, as before. Four lists run at once.
 */
async function acceptedAlone(
  o: TruthOptions,
  version: string,
  candidates: string[],
): Promise<string[]> {
  const parts = 4;
  const lists = Array.from(
    { length: parts },
    (_, i) => candidates.filter((_, j) => j % parts === i),
  ).filter((l) => l.length > 0);
  const found = await Promise.all(lists.map(async (list) => {
    const out: string[] = [];
    let left = [...list];
    while (left.length > 0) {
      const r = await handshakeWith(o, version, left.join(":"));
      if (r.chosen !== null && left.includes(r.chosen)) {
        out.push(r.chosen);
        left = left.filter((s) => s !== r.chosen);
        continue;
      }
      if (r.refused) break;
      // Not a plain refusal (or a suite that was not offered): one by one.
      const alone = await Promise.all(left.map((s) => handshake(o, version, s)));
      out.push(...left.filter((_, i) => alone[i] !== null));
      break;
    }
    return out;
  }));
  return found.flat();
}

/**
 * For each version, the set of suites (OpenSSL names) the server completes a
 * handshake with when offered alone (TLS 1.0–1.2: found by elimination,
 * {@link acceptedAlone}).
 *
 * @param o where and how to connect
 * @returns version name → accepted suite names (empty when the version is refused)
 */
export async function groundTruth(o: TruthOptions): Promise<Map<string, Set<string>>> {
  const versions = o.versions ?? ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
  const truth = new Map<string, Set<string>>();
  // The version with everything offered first; only accepted versions are split by suite.
  const open = await Promise.all(versions.map((v) => handshake(o, v)));
  await Promise.all(versions.map(async (v, i) => {
    truth.set(v, new Set());
    if (open[i] === null) return;
    const offer = await offerable(v);
    let accepted: string[];
    if (v === "TLSv1.3") {
      // Its five suites: each alone.
      const alone = await Promise.all(offer.map((s) => handshake(o, v, s)));
      accepted = offer.filter((_, j) => alone[j] !== null);
    } else {
      accepted = await acceptedAlone(o, v, offer);
    }
    for (const s of accepted) truth.get(v)!.add(s);
  }));
  return truth;
}

/**
 * Starts `gnutls-serv` with the sample localhost certificate on a free port
 * (again on another when the port was taken before it bound it).
 *
 * @param args extra arguments (`--priority …`)
 * @returns the running peer with its port
 */
export function startGnutlsServer(args: string[] = []): Promise<Peer> {
  return startOnFreePort("gnutls-serv", (port) => [
    "-p",
    String(port),
    ...args,
    "--x509certfile",
    ROOT + "certs/localhost.crt",
    "--x509keyfile",
    ROOT + "certs/localhost.key",
  ], GNUTLS_LISTENS);
}

/** gnutls-cli's version keyword per version name. */
const GNUTLS_VERSIONS: Record<string, string> = {
  "TLSv1": "VERS-TLS1.0",
  "TLSv1.1": "VERS-TLS1.1",
  "TLSv1.2": "VERS-TLS1.2",
  "TLSv1.3": "VERS-TLS1.3",
};

/** Key exchange tokens of gnutls suite names and their priority keywords (longest first). */
const GNUTLS_KX: [string, string][] = [
  ["ECDHE_ECDSA_", "ECDHE-ECDSA"],
  ["ECDHE_RSA_", "ECDHE-RSA"],
  ["DHE_RSA_", "DHE-RSA"],
  ["DHE_DSS_", "DHE-DSS"],
  ["DH_ANON_", "ANON-DH"],
  ["ECDH_ANON_", "ANON-ECDH"],
  ["RSA_", "RSA"],
];

/** One suite gnutls-cli can offer: its code, the lowest version, and its priority keywords. */
export interface GnutlsSuite {
  code: number;
  name: string;
  /** 0x0301 … 0x0304. */
  minVersion: number;
  cipher: string;
  kx?: string;
  mac: string;
}

const RANK: Record<string, number> = {
  "SSL3.0": 0x0301,
  "TLS1.0": 0x0301,
  "TLS1.1": 0x0302,
  "TLS1.2": 0x0303,
  "TLS1.3": 0x0304,
};

/**
 * The suites this gnutls-cli can offer without credentials of another kind
 * (PSK, SRP and GOST left out), from `gnutls-cli --list`, each with the
 * priority keywords that offer it alone.
 *
 * @returns the suites
 */
export function gnutlsSuites(): Promise<GnutlsSuite[]> {
  return gnutlsSuitesOnce("");
}

const gnutlsSuitesOnce = once(async (): Promise<GnutlsSuite[]> => {
  const r = await run("gnutls-cli", ["--list"]);
  const out: GnutlsSuite[] = [];
  for (const m of r.stdout.matchAll(/^(TLS_\w+)\s+0x([0-9a-f]{2}), 0x([0-9a-f]{2})\s+(\S+)$/gim)) {
    const [, name, hi, lo, min] = m;
    if (/PSK|SRP|GOST/.test(name) || !(min in RANK)) continue;
    const code = parseInt(hi + lo, 16);
    let rest = name.slice(4);
    let kx: string | undefined;
    if (RANK[min] < 0x0304) {
      const k = GNUTLS_KX.find(([t]) => rest.startsWith(t));
      if (!k) continue;
      kx = k[1];
      rest = rest.slice(k[0].length);
    }
    let cipher: string;
    let mac: string;
    const aead = /^(.*(?:GCM|CCM|CCM_8|POLY1305))(?:_SHA\d+)?$/.exec(rest);
    if (aead) {
      cipher = aead[1];
      mac = "AEAD";
    } else {
      const i = rest.lastIndexOf("_");
      cipher = rest.slice(0, i);
      mac = rest.slice(i + 1);
    }
    cipher = cipher.replaceAll("_", "-").replace("3DES-EDE-CBC", "3DES-CBC");
    out.push({ code, name, minVersion: RANK[min], cipher, kx, mac });
  }
  return out;
});

const VERSION_CODES: Record<string, number> = {
  "TLSv1": 0x0301,
  "TLSv1.1": 0x0302,
  "TLSv1.2": 0x0303,
  "TLSv1.3": 0x0304,
};

/**
 * The suites gnutls-cli can offer at a version (codes).
 *
 * @param suites from {@link gnutlsSuites}
 * @param version `TLSv1` … `TLSv1.3`
 * @returns the codes
 */
export function gnutlsOfferable(suites: GnutlsSuite[], version: string): Set<number> {
  const v = VERSION_CODES[version];
  return new Set(
    suites.filter((s) =>
      v === 0x0304 ? s.minVersion === 0x0304 : s.minVersion <= v && s.minVersion < 0x0304
    )
      .map((s) => s.code),
  );
}

/**
 * One gnutls-cli handshake with a priority string.
 *
 * @returns whether it completed, its session description (`(TLS1.2-X.509)-(kx)-(sig)-(cipher)…`),
 *   and `refused`: the server answered with a handshake_failure alert (40)
 */
async function gnutlsSession(
  port: number,
  priority: string,
  servername?: string,
): Promise<{ completed: boolean; description: string; refused: boolean }> {
  // --insecure: nothing is verified; the one sample CA is read instead of the system's store.
  const args = ["--insecure", "--x509cafile", ROOT + "certs/ca.crt", "-p", String(port)];
  args.push("--priority", priority);
  if (servername) args.push("--sni-hostname", servername);
  const r = await limited(() => run("gnutls-cli", [...args, "127.0.0.1"], { stdin: "" }));
  const text = r.stdout + r.stderr;
  const completed = /Handshake was completed/.test(text);
  return {
    completed,
    description: /- Description: (.*)/.exec(text)?.[1] ?? "",
    refused: !completed && /Received alert \[40\]/.test(text),
  };
}

async function gnutlsHandshake(
  port: number,
  priority: string,
  servername?: string,
): Promise<boolean> {
  return (await gnutlsSession(port, priority, servername)).completed;
}

/**
 * Ground truth by gnutls-cli: for each version, the suites it can offer that
 * the server accepts when each is offered alone
 * (`--priority NONE:+VERS-…:+cipher:+kx:+mac:…`); at TLS 1.0–1.2 found by
 * elimination within each key exchange and MAC.
 *
 * @param o where to connect, versions
 * @returns version name → accepted suite codes
 */
export async function gnutlsTruth(
  o: { port: number; servername?: string; versions?: string[] },
): Promise<Map<string, Set<number>>> {
  const suites = await gnutlsSuites();
  const versions = o.versions ?? ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
  const tail = ":+COMP-NULL:+SIGN-ALL:+GROUP-ALL:+CTYPE-X509";
  const priorityOf = (version: string, list: GnutlsSuite[]) => {
    const words = new Set<string>();
    for (const s of list) {
      words.add(s.cipher);
      words.add(s.mac);
      if (s.kx) words.add(s.kx);
    }
    return `NONE:+${GNUTLS_VERSIONS[version]}:${[...words].map((w) => "+" + w).join(":")}${tail}`;
  };
  const at = (version: string) => {
    const codes = gnutlsOfferable(suites, version);
    return suites.filter((s) => codes.has(s.code));
  };
  // The version with all its suites first; only open versions are split by suite.
  const open = await Promise.all(
    versions.map((v) => gnutlsHandshake(o.port, priorityOf(v, at(v)), o.servername)),
  );
  const truth = new Map<string, Set<number>>();
  const alone = async (v: string, list: GnutlsSuite[]) => {
    const ok = await Promise.all(
      list.map((s) => gnutlsHandshake(o.port, priorityOf(v, [s]), o.servername)),
    );
    return list.filter((_, i) => ok[i]);
  };
  /**
   * Elimination, as for s_client ({@link acceptedAlone}), over suites of one
   * key exchange and one MAC: their priority words then offer exactly those
   * suites, and the cipher in the session's description names the one chosen.
   */
  const eliminate = async (v: string, list: GnutlsSuite[]) => {
    const out: GnutlsSuite[] = [];
    let left = [...list];
    while (left.length > 0) {
      const r = await gnutlsSession(o.port, priorityOf(v, left), o.servername);
      const chosen = r.completed ? left.filter((s) => r.description.includes(`(${s.cipher})`)) : [];
      if (chosen.length === 1) {
        out.push(chosen[0]);
        left = left.filter((s) => s !== chosen[0]);
        continue;
      }
      if (r.refused) break;
      // Not a plain refusal, or a session this cannot attribute: one by one.
      out.push(...await alone(v, left));
      break;
    }
    return out;
  };
  await Promise.all(versions.map(async (v, i) => {
    truth.set(v, new Set());
    if (!open[i]) return;
    let accepted: GnutlsSuite[];
    if (v === "TLSv1.3") {
      accepted = await alone(v, at(v));
    } else {
      const groups = Map.groupBy(at(v), (s) => `${s.kx} ${s.mac}`);
      accepted = (await Promise.all([...groups.values()].map((g) => eliminate(v, g)))).flat();
    }
    for (const s of accepted) truth.get(v)!.add(s.code);
  }));
  return truth;
}
