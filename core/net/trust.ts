/**
 * Which certificates the runtime's TLS (rustls/webpki) trusts.
 *
 * The book's semantics: with a CA file, trust only that file; without one,
 * the platform's roots. Deno adds `caCerts` to a default root store, so the
 * default store itself must be chosen: when the process was started with
 * `DENO_TLS_CA_STORE=system` (the `tlsprobe` task and the compiled binary set
 * it through `cli/runtime.env`), the store is read lazily, at the first TLS
 * connection, from `SSL_CERT_FILE` — the platform bundle by default, or the CA
 * file alone. Started any other way, Deno's bundled Mozilla roots are always
 * trusted as well, and the trust report says so.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { loadCaFile } from "./pem.ts";

/** Where trust comes from, as reported. */
export interface TrustInfo {
  /** `platform`, `cafile`, `platform+cafile`; `mozilla…` when the runtime uses its bundled roots. */
  store: string;
  /** The CA file, if any. */
  caFile?: string;
  /** Certificates in the CA file. */
  caCount?: number;
  /** The platform bundle used, when the platform store is in use. */
  platformBundle?: string;
  /** Certificates in the platform bundle, when it could be counted. */
  platformCount?: number;
  /** Whether trust is exactly what was asked (false: the runtime adds roots of its own). */
  exact: boolean;
}

/** Trust as configured for the runtime, plus the PEM texts to pass as `caCerts`. */
export interface TrustConfig {
  /** What will be trusted, as reported. */
  info: TrustInfo;
  /** The CA file's certificates (PEM), for the runtime's `caCerts`. */
  caCerts?: string[];
}

const PLATFORM_BUNDLES = [
  "/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine
  "/etc/pki/tls/certs/ca-bundle.crt", // Fedora, RHEL
  "/etc/ssl/ca-bundle.pem", // openSUSE
  "/etc/ssl/cert.pem", // macOS, BSDs
];

let configured: string | undefined;

async function countCerts(path: string): Promise<number | undefined> {
  try {
    const text = await Deno.readTextFile(path);
    return text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
  } catch {
    return undefined;
  }
}

async function platformBundle(): Promise<string | undefined> {
  const fromEnv = Deno.env.get("SSL_CERT_FILE");
  if (fromEnv) return fromEnv;
  for (const p of PLATFORM_BUNDLES) {
    try {
      if ((await Deno.stat(p)).isFile) return p;
    } catch { /* next */ }
  }
  return undefined;
}

/**
 * Chooses the trust store for this process's TLS connections. Call before the
 * first TLS connection; a process can choose only once (the runtime builds its
 * root store once).
 *
 * @param opts `caFile`: trust this file; `platformRoots`: trust the platform's roots too
 * @returns what will be trusted, and the `caCerts` to pass to the runtime
 * @throws TlsprobeError FILE_NOT_FOUND / BAD_INPUT for a bad CA file; INTERNAL when asked twice differently
 */
export async function configureTrust(
  opts: { caFile?: string; platformRoots?: boolean },
): Promise<TrustConfig> {
  const platform = opts.platformRoots ?? !opts.caFile;
  const systemStore = Deno.env.get("DENO_TLS_CA_STORE") === "system";
  const key = `${opts.caFile ?? ""}|${platform}`;
  if (configured !== undefined && configured !== key) {
    throw new TlsprobeError("INTERNAL", "The trust store can be chosen once per process");
  }
  // The store is chosen before the CA file is read, so that the runtime's
  // one-time TLS set-up (which reads it) can start at once, on another thread,
  // while the caller goes on (the probe command loads its modules meanwhile).
  // From here on the choice is fixed, whatever the file turns out to hold: a
  // CA file that cannot be used fails below, and trusts nothing.
  configured = key;
  if (systemStore && !platform && opts.caFile) {
    // The platform store becomes the CA file alone (read lazily by rustls-native-certs).
    Deno.env.set("SSL_CERT_FILE", opts.caFile);
    Deno.env.delete("SSL_CERT_DIR");
  }
  if (!warmed && (!opts.caFile || isRegularFile(opts.caFile))) {
    // (Not for a FIFO or a device: the set-up would wait on it forever.)
    warmed = true;
    warmRuntimeTls();
  }
  const caCerts = opts.caFile ? await loadCaFile(opts.caFile) : undefined;

  // Without the system store, Deno always trusts its bundled Mozilla roots.
  const base = systemStore ? (platform ? "platform" : "") : "mozilla";
  const info: TrustInfo = {
    store: [base, opts.caFile ? "cafile" : ""].filter(Boolean).join("+"),
    exact: systemStore || (platform && !opts.caFile),
  };
  if (opts.caFile) {
    info.caFile = opts.caFile;
    info.caCount = caCerts!.length;
  }
  if (platform && systemStore) {
    const bundle = await platformBundle();
    if (bundle) {
      info.platformBundle = bundle;
      info.platformCount = await countCerts(bundle);
    }
  }
  return { info, caCerts };
}

let warmed = false;

function isRegularFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Starts, off the main thread, the one-time set-up that the runtime's first
 * TLS client otherwise pays on it. Deno's first `Deno.connectTls`/`startTls`
 * in a process spends tens of milliseconds (70–110 ms measured on a loaded
 * machine) in a set-up it shares with WebCrypto's ECDSA key generation —
 * which includes reading the root store — and does it on the main thread,
 * blocking everything else. An ECDSA key generation runs that same set-up on
 * one of the runtime's worker threads; afterwards the first TLS client costs
 * a few milliseconds. Because the root store is read then, this may only run
 * once the store is chosen: {@link configureTrust} calls it right after choosing
 * (`tests/cli/probe_test.ts` checks that `-a` still trusts the CA file
 * alone). Nothing depends on it: where the runtime works differently, it is
 * one wasted P-256 key.
 */
function warmRuntimeTls(): void {
  crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]).catch(
    () => {},
  );
}
