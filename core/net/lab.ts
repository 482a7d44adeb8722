/**
 * `serve --lab`: the lab's servers. Writes the lab PKI (`core/lab/cases.ts`)
 * to a directory, serves an HTTPS index page on the base port (the runtime's
 * TLS, the good certificate) and each served case on its own port: through
 * `serve`'s accept loop and `node:tls` engine (`core/net/server.ts`), which
 * keep to versions, ALPN and client certificates, or through the lab engine
 * (`core/net/lab_server.ts`) for legacy versions, suites, weak DH and weak
 * certificates.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { LAB_CASES, type LabEndpoint, labHtml, type LabIndex, makeLabPki } from "../lab/cases.ts";
import { writeFileNoFollow } from "./files.ts";
import { serveTls } from "./server.ts";
import { serveLabEngine } from "./lab_server.ts";
import { dhParamsForBits } from "../handshake/dh_params.ts";

/** Lab options. */
export interface LabOptions {
  /** Interface to listen on. */
  host: string;
  /** Base port (the index page); cases on base+1, base+2, …; 0 picks free ports. */
  port: number;
  /** Where to write the PKI; a new temporary directory (removed at stop) when absent. */
  dir?: string;
  /** Per-client handshake and idle bound, ms. */
  timeoutMs: number;
  /** Stops the lab. */
  signal: AbortSignal;
  /** Each client's failure on a case's port (for a log). */
  onClientError?: (endpoint: string, error: TlsprobeError) => void;
}

/** A running lab. */
export interface RunningLab {
  /** What is served where (the index page's JSON). */
  index: LabIndex;
  /** Resolves when every server has stopped (after the signal aborts). */
  done: Promise<void>;
}

/**
 * Starts the lab: writes its PKI, listens on every port, and returns the
 * index once all are listening.
 *
 * @param opts host, base port, directory, timeout, stop signal
 * @returns the index and a promise for the stop
 * @throws {TlsprobeError} USAGE (a port in use), PERMISSION, BAD_INPUT (the directory)
 */
export async function startLab(opts: LabOptions): Promise<RunningLab> {
  const pki = await makeLabPki(new Date());
  const temp = opts.dir === undefined;
  const dir = opts.dir ?? await Deno.makeTempDir({ prefix: "tlsprobe-lab-" });
  try {
    await Deno.mkdir(dir, { recursive: true });
    for (const f of pki.files) {
      await writeFileNoFollow(dir, f.name, f.content, {
        mode: f.secret ? 0o600 : 0o644,
        replace: true,
      });
    }
  } catch (e) {
    if (e instanceof TlsprobeError) throw e;
    throw new TlsprobeError(
      "BAD_INPUT",
      `Cannot write the lab to ${dir}: ${(e as Error).message}`,
      {
        raw: String(e),
      },
    );
  }

  // One stop for everything: the caller's signal, or a failure to start.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal.addEventListener("abort", onAbort, { once: true });
  if (opts.signal.aborted) stop.abort(); // stopped while the PKI was being made
  const running: Promise<unknown>[] = [];
  const portFor = (i: number) => (opts.port === 0 ? 0 : opts.port + i);
  const good = pki.chains.good;
  try {
    if (opts.port !== 0 && opts.port + LAB_CASES.length > 65535) {
      throw new TlsprobeError(
        "USAGE",
        `Base port ${opts.port} leaves no room for ${LAB_CASES.length} ports above it`,
      );
    }
    const endpoints: LabEndpoint[] = [];
    let next = 1;
    for (const c of LAB_CASES) {
      const e: LabEndpoint = {
        name: c.name,
        port: null,
        expect: c.expect,
        ...(c.error ? { error: c.error } : {}),
        client: c.client,
        description: c.description,
        served: !!c.serve,
        engine: c.serve ? (c.serve.engine ? "lab" : "runtime") : null,
      };
      endpoints.push(e);
      if (!c.serve) continue;
      const s = c.serve;
      const chain = pki.chains[s.cert];
      let listening!: (port: number) => void;
      const ready = new Promise<number>((r) => listening = r);
      const x = s.engine;
      const served = x
        ? serveLabEngine({
          host: opts.host,
          port: portFor(next++),
          certified: [{
            cert: s.chain === "full" ? chain.full : chain.leaf,
            key: chain.key,
            chainLength: s.chain === "full" ? 2 : 1,
          }],
          config: {
            versions: x.versions,
            suites: x.suites,
            groups: x.groups ?? [0x001d, 0x0017, 0x0018],
            ...(x.dhBits ? { dh: dhParamsForBits(x.dhBits) } : {}),
            serverPreference: x.serverPreference,
          },
          mode: { kind: "greeting", text: `tlsprobe lab: ${c.name}\n` },
          timeoutMs: opts.timeoutMs,
          signal: stop.signal,
        }, {
          listening: ({ port }) => listening(port),
          clientError: (_c, err) => opts.onClientError?.(c.name, err),
        })
        : serveTls({
          host: opts.host,
          port: portFor(next++),
          certified: {
            cert: s.chain === "full" ? chain.full : chain.leaf,
            key: chain.key,
            chainLength: s.chain === "full" && chain.full !== chain.leaf ? 2 : 1,
          },
          alpn: s.alpn,
          mode: { kind: "greeting", text: `tlsprobe lab: ${c.name}\n` },
          timeoutMs: opts.timeoutMs,
          signal: stop.signal,
          versions: s.versions,
          clientAuth: s.clientCert ? { caCerts: [pki.caPem], mode: "require" } : undefined,
        }, {
          listening: ({ port }) => listening(port),
          connection: () => {},
          handshake: () => {},
          sent: () => {},
          received: () => {},
          closed: () => {},
          clientError: (_c, err) => opts.onClientError?.(c.name, err),
        });
      running.push(served);
      e.port = await Promise.race([ready, served.then(() => -1)]);
      if (e.port < 0) throw new TlsprobeError("INTERNAL", `The ${c.name} server stopped at once`);
    }
    const index: LabIndex = { host: opts.host, port: 0, ca: `${dir}/labca.crt`, dir, endpoints };
    let page!: (port: number) => void;
    const pageReady = new Promise<number>((r) => page = r);
    let server: Deno.HttpServer;
    try {
      server = Deno.serve({
        hostname: opts.host === "" ? "0.0.0.0" : opts.host,
        port: portFor(0),
        cert: good.full,
        key: good.key,
        signal: stop.signal,
        onListen: ({ port }) => page(port),
        onError: () => new Response("error", { status: 500 }),
      }, () =>
        new Response(labHtml(index), {
          headers: { "content-type": "text/html; charset=utf-8" },
        }));
    } catch (e) {
      throw new TlsprobeError(
        "USAGE",
        `Cannot listen on port ${portFor(0)} for the lab index: ${(e as Error).message}`,
        { raw: String(e) },
      );
    }
    running.push(server.finished);
    index.port = await pageReady;
    const done = Promise.allSettled(running).then(async () => {
      opts.signal.removeEventListener("abort", onAbort);
      if (temp) await Deno.remove(dir, { recursive: true }).catch(() => {});
    });
    return { index, done };
  } catch (e) {
    stop.abort();
    await Promise.allSettled(running);
    opts.signal.removeEventListener("abort", onAbort);
    if (temp) await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}
