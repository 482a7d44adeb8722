/**
 * `scanTarget` against real servers, compared with ground truth made without
 * the scanner (`openssl s_client` offering each suite alone, version pinned;
 * for the gnutls-serv configurations also `gnutls-cli` offering each suite it
 * can alone, version pinned), on fourteen server configurations, every one
 * run by `deno task test` (the truth's client processes are cheap and pooled:
 * `tests/_helpers/scan_truth.ts`).
 */
import { strict as assert } from "node:assert";
import { cipherSuiteByCode } from "../../../core/registry/cipher_suites.ts";
import type { ScanResult } from "../../../core/scan/model.ts";
import {
  havePeer,
  type Peer,
  ROOT,
  startOnFreePort,
  startOpensslServer,
} from "../../_helpers/process.ts";
import {
  gnutlsOfferable,
  gnutlsSuites,
  gnutlsTruth,
  groundTruth,
  offerable,
  scanLocalhost,
  startGnutlsServer,
  type TruthOptions,
} from "../../_helpers/scan_truth.ts";
import { makeEcdsaLeaf } from "../../_helpers/pki.ts";

const CERTS = ROOT + "certs/";
const RSA = ["-cert", CERTS + "localhost.crt", "-key", CERTS + "localhost.key"];
const VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

const HAVE_GNUTLS = await havePeer("gnutls-serv");
const HAVE_NGINX = await havePeer("nginx");

/**
 * Starts a server with files of its own in a temporary directory, which its
 * `stop()` removes (as does a failure to start).
 */
async function withDir(prefix: string, start: (dir: string) => Promise<Peer>): Promise<Peer> {
  const dir = await Deno.makeTempDir({ prefix });
  const gone = () => Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    const peer = await start(dir);
    return {
      ...peer,
      stop: async () => {
        await peer.stop();
        await gone();
      },
    };
  } catch (e) {
    await gone();
    throw e;
  }
}

/** An ECDSA P-256 localhost certificate, valid 30 days, made in `dir`. */
function ecdsaLeaf(dir: string): Promise<{ crt: string; key: string }> {
  return makeEcdsaLeaf(dir, 30);
}

/** Compares the scanner's suites per version with the truth, on what OpenSSL can offer. */
async function assertEqualsTruth(r: ScanResult, truth: Map<string, Set<string>>): Promise<void> {
  for (const [version, want] of truth) {
    const vr = r.versions.find((v) => v.version === version);
    assert.ok(vr, `no ${version} in the scan`);
    const universe = new Set(await offerable(version));
    const names = vr.suites.map((c) => {
      const s = cipherSuiteByCode(c);
      return version === "TLSv1.3" ? s?.iana ?? String(c) : s?.openssl ?? s?.iana ?? String(c);
    });
    const got = new Set(names.filter((n) => universe.has(n)));
    assert.deepEqual(
      [...got].sort(),
      [...want].sort(),
      `${version}: scanner ${[...got].sort().join(":")} vs s_client ${[...want].sort().join(":")}${
        vr.error ? ` (the scan of ${version} stopped: ${vr.error.code} ${vr.error.message})` : ""
      }`,
    );
    assert.equal(vr.accepted, want.size > 0 || names.length > 0, `${version} accepted`);
  }
}

/**
 * Compares the scanner's suites per version with gnutls-cli's ground truth,
 * on what gnutls-cli can offer (codes).
 */
async function assertEqualsGnutlsTruth(
  r: ScanResult,
  truth: Map<string, Set<number>>,
): Promise<void> {
  const suites = await gnutlsSuites();
  for (const [version, want] of truth) {
    const vr = r.versions.find((v) => v.version === version);
    assert.ok(vr, `no ${version} in the scan`);
    const universe = gnutlsOfferable(suites, version);
    const got = vr.suites.filter((c) => universe.has(c)).sort((a, b) => a - b);
    const hex = (xs: Iterable<number>) => [...xs].map((c) => c.toString(16)).join(" ");
    assert.deepEqual(
      got,
      [...want].sort((a, b) => a - b),
      `${version}: scanner ${hex(got)} vs gnutls-cli ${hex([...want].sort((a, b) => a - b))}`,
    );
  }
}

interface Config {
  name: string;
  /** Also compare with gnutls-cli's ground truth. */
  gnutlsCli?: boolean;
  start: () => Promise<Peer>;
  truth?: Partial<TruthOptions>;
  check?: (r: ScanResult) => void;
}

const configs: Config[] = [
  {
    name: "openssl s_server, TLS 1.2 with four suites, client order",
    start: () =>
      startOpensslServer([
        ...RSA,
        "-tls1_2",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:AES128-SHA:DHE-RSA-AES128-SHA",
      ]),
    check: (r) => {
      const v12 = r.versions.find((v) => v.version === "TLSv1.2")!;
      assert.equal(v12.serverOrder, false);
      assert.deepEqual(r.versions.filter((v) => v.accepted).map((v) => v.version), ["TLSv1.2"]);
    },
  },
  {
    name: "openssl s_server -serverpref: the server's full order",
    start: () =>
      startOpensslServer([
        ...RSA,
        "-serverpref",
        "-no_tls1_3",
        "-cipher",
        "AES256-SHA:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384",
      ]),
    truth: { versions: ["TLSv1.2", "TLSv1.3"] },
    check: (r) => {
      const v12 = r.versions.find((v) => v.version === "TLSv1.2")!;
      assert.equal(v12.serverOrder, true);
      assert.deepEqual(v12.suites, [0x0035, 0xcca8, 0xc02f, 0x009f]);
    },
  },
  {
    name: "openssl s_server, TLS 1.3 only",
    start: () => startOpensslServer([...RSA, "-tls1_3"]),
    check: (r) => {
      assert.deepEqual(r.versions.filter((v) => v.accepted).map((v) => v.version), ["TLSv1.3"]);
      assert.ok(r.versions[0].groups.includes(0x001d));
    },
  },
  {
    name: "openssl s_server -Verify 1 (client certificate required)",
    start: () =>
      startOpensslServer([
        ...RSA,
        "-Verify",
        "1",
        "-CAfile",
        CERTS + "ca.crt",
        "-cipher",
        "ECDHE-RSA-AES128-GCM-SHA256:AES256-GCM-SHA384",
      ]),
    truth: { cert: CERTS + "client.crt", key: CERTS + "client.key" },
    check: (r) => {
      assert.equal(r.clientCertificate.requested, true);
      assert.equal(r.clientCertificate.required, true);
      assert.ok(r.clientCertificate.caNames.some((n) => n.includes("tlsprobe local CA")));
    },
  },
  {
    name: "openssl s_server with RSA and ECDSA certificates",
    start: () =>
      withDir("tlsprobe-scan-", async (dir) => {
        const ec = await ecdsaLeaf(dir);
        return startOpensslServer([...RSA, "-dcert", ec.crt, "-dkey", ec.key, "-no_tls1_3"]);
      }),
    truth: { versions: ["TLSv1.2", "TLSv1.3"] },
    check: (r) => {
      assert.deepEqual(r.certificates.map((c) => c.asked).sort(), ["ecdsa", "rsa"]);
      const v12 = r.versions.find((v) => v.version === "TLSv1.2")!;
      assert.ok(v12.suites.includes(0xc02b) && v12.suites.includes(0xc02f));
      // Signature schemes for both certificates (ECDSA ones are asked with ECDSA suites only).
      assert.ok(v12.sigalgs.includes(0x0403) && v12.sigalgs.includes(0x0804), String(v12.sigalgs));
    },
  },
  {
    name: "openssl s_server, TLS 1.0 only (legacy suites, SECLEVEL 0)",
    start: () =>
      startOpensslServer([...RSA, "-tls1", "-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]),
    check: (r) => {
      assert.deepEqual(r.versions.filter((v) => v.accepted).map((v) => v.version), ["TLSv1"]);
      assert.ok(r.findings.some((f) => f.rule === "tlsv1" && f.severity === "warning"));
      assert.equal(r.features.fallbackScsv.value, null);
    },
  },
  {
    name: "openssl s_server defaults",
    start: () => startOpensslServer([...RSA]),
  },
  {
    name: "openssl s_server, client order with the -serverpref list",
    start: () =>
      startOpensslServer([
        ...RSA,
        "-cipher",
        "AES256-SHA:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384",
      ]),
    check: (r) => {
      assert.equal(r.versions.find((v) => v.version === "TLSv1.2")!.serverOrder, false);
    },
  },
  {
    name: "openssl s_server with an ECDSA certificate",
    start: () =>
      withDir("tlsprobe-scan-", async (dir) => {
        const ec = await ecdsaLeaf(dir);
        return startOpensslServer(["-cert", ec.crt, "-key", ec.key]);
      }),
    check: (r) => assert.deepEqual(r.certificates.map((c) => c.asked), ["ecdsa"]),
  },
  {
    name: "openssl s_server, DHE suites only",
    start: () => startOpensslServer([...RSA, "-no_tls1_3", "-cipher", "kDHE"]),
    check: (r) => {
      const v12 = r.versions.find((v) => v.version === "TLSv1.2")!;
      assert.ok(v12.dhBits.length && v12.dhBits[0] >= 2048);
    },
  },
  {
    name: "openssl s_server, legacy ALL:@SECLEVEL=0 with TLS 1.0 to 1.3",
    start: () =>
      startOpensslServer([
        ...RSA,
        "-provider",
        "legacy",
        "-provider",
        "default",
        "-cipher",
        "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
      ]),
    check: (r) => {
      assert.ok(r.versions.find((v) => v.version === "TLSv1")!.accepted);
      assert.ok(r.findings.some((f) => f.rule === "tlsv1" && f.severity === "warning"));
    },
  },
  {
    name: "gnutls-serv defaults",
    gnutlsCli: true,
    start: () => startGnutlsServer(),
  },
  {
    name: "gnutls-serv with a legacy priority string",
    gnutlsCli: true,
    start: () =>
      startGnutlsServer([
        "--priority",
        "NORMAL:+VERS-TLS1.0:+VERS-TLS1.1:+3DES-CBC:+CAMELLIA-128-CBC:+CAMELLIA-256-CBC:+ARCFOUR-128:+RSA:+DHE-RSA:+SHA1:+MD5",
      ]),
  },
  {
    name: "nginx with RSA and ECDSA certificates",
    start: () =>
      withDir("tlsprobe-nginx-", async (dir) => {
        const ec = await ecdsaLeaf(dir);
        // nginx cannot listen on port 0: a free port, again on another if it
        // was taken before nginx bound it. Its notices go to stderr: the
        // version line comes once its sockets listen.
        return await startOnFreePort("nginx", (port) => {
          Deno.writeTextFileSync(
            `${dir}/nginx.conf`,
            `worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${CERTS}localhost.crt; ssl_certificate_key ${CERTS}localhost.key;
    ssl_certificate ${ec.crt}; ssl_certificate_key ${ec.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    return 200 "ok";
  }
}
`,
          );
          return ["-p", dir, "-c", `${dir}/nginx.conf`, "-g", "daemon off; master_process off;"];
        }, { ready: /: nginx\/\d/, busy: /Address already in use/ });
      }),
    truth: { versions: ["TLSv1.2", "TLSv1.3"] },
    check: (r) => assert.deepEqual(r.certificates.map((c) => c.asked).sort(), ["ecdsa", "rsa"]),
  },
];

for (const c of configs) {
  Deno.test({
    name: `scanTarget() equals s_client's ground truth: ${c.name}`,
    // A missing peer is a skip with its reason printed (havePeer), never a silent pass.
    ignore: (c.name.startsWith("gnutls") && !HAVE_GNUTLS) ||
      (c.name.startsWith("nginx") && !HAVE_NGINX),
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const server = await c.start();
      try {
        // Both truths at once: their client processes share one pool.
        const [truth, t2] = await Promise.all([
          groundTruth({
            port: server.port,
            servername: "localhost",
            versions: VERSIONS,
            ...c.truth,
          }),
          c.gnutlsCli
            ? gnutlsTruth({
              port: server.port,
              servername: "localhost",
              versions: c.truth?.versions ?? VERSIONS,
            })
            : undefined,
        ]);
        const r = await scanLocalhost(server.port);
        assert.equal(r.error, undefined, JSON.stringify(r.error));
        await assertEqualsTruth(r, truth);
        if (t2) await assertEqualsGnutlsTruth(r, t2);
        c.check?.(r);
      } finally {
        await server.stop();
      }
    },
  });
}
