/**
 * Recaptures the handshake fixtures under `tests/fixtures/handshake/`: starts
 * each peer on loopback (openssl s_server, gnutls-serv, rustls through
 * Deno.listenTls) with the committed sample PKI in `certs/`, runs the
 * inspection client against it, and writes what was sent and received byte
 * for byte, with the decrypted handshake messages.
 *
 * What each fixture means (`expect`) is written by hand below from the peer's
 * configuration and the protocol (which suite and group the peer must choose
 * from the offer, which messages its flight holds), and the leaf's hash comes
 * from the certificate file served, never from the engine under test: the
 * capture refuses to write a fixture whose handshake disagrees.
 *
 * Usage: deno task fixtures [OUT_DIR]   (deno run -A tools/capture_fixtures.ts)
 */
import { connectTcp } from "../core/net/transport.ts";
import { inspect, type InspectOptions } from "../core/handshake/inspect.ts";
import {
  DEFAULT_CIPHER_SUITES,
  DEFAULT_GROUPS,
  DEFAULT_SIGNATURE_ALGORITHMS,
} from "../core/handshake/defaults.ts";
import { concat, toHex } from "../core/wire/codec.ts";
import { type Peer, run, startOpensslServer, startPeer } from "../tests/_helpers/process.ts";
import { makeEcdsaLeaf, makeOcspResponse } from "../tests/_helpers/pki.ts";
import { parsePem } from "../core/x509/pem.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const OUT = Deno.args[0]
  ? `${Deno.args[0].replace(/\/$/, "")}/`
  : `${ROOT}tests/fixtures/handshake/`;
const CERT = `${ROOT}certs/localhost.crt`;
const KEY = `${ROOT}certs/localhost.key`;
const CA = `${ROOT}certs/ca.crt`;

/** What a fixture shows, decided from the peer's configuration (written by hand). */
interface Expect {
  version: number;
  cipherSuite: number;
  group: number | null;
  dhBits: number | null;
  helloRetryRequest: boolean;
  chainLength: number;
  alpn: string | null;
  ocspStapled: boolean;
  certificateRequest: boolean;
  caNames: number;
  /** Handshake message types received (RFC 8446 §4: 2 ServerHello, 8 EE, 11 Certificate, …). */
  messageTypes: number[];
}

interface Case {
  name: string;
  peer: "openssl" | "gnutls" | "rustls";
  args: string[];
  offer?: Partial<InspectOptions>;
  /** The certificate file the peer serves as its leaf. */
  leaf: string;
  expect: Expect;
}

const HS = { sh: 2, nst: 4, ee: 8, cert: 11, ske: 12, cr: 13, shd: 14, cv: 15, fin: 20, cs: 22 };
const NONE = {
  dhBits: null,
  helloRetryRequest: false,
  alpn: null,
  ocspStapled: false,
  certificateRequest: false,
  caNames: 0,
};
const TLS13_FLIGHT = [HS.sh, HS.ee, HS.cert, HS.cv, HS.fin, HS.nst, HS.nst];

async function makeExtras(dir: string): Promise<{ ecCrt: string; ecKey: string; ocsp: string }> {
  const ec = await makeEcdsaLeaf(dir, 3650);
  const ocsp = await makeOcspResponse(dir, {
    caCrt: CA,
    caKey: `${ROOT}certs/ca.key`,
    cert: CERT,
    days: 3650,
  });
  return { ecCrt: ec.crt, ecKey: ec.key, ocsp };
}

async function startRustls(): Promise<Peer & { listener: Deno.TlsListener }> {
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(CERT),
    key: await Deno.readTextFile(KEY),
    alpnProtocols: ["h2"],
  });
  const conns: Deno.TlsConn[] = [];
  const loop = (async () => {
    for await (const c of listener) {
      conns.push(c);
      c.handshake().catch(() => {});
    }
  })();
  return {
    listener,
    port: listener.addr.port,
    output: () => "",
    waitFor: () => Promise.reject(new Error("n/a")),
    write: () => Promise.resolve(),
    async stop() {
      listener.close();
      conns.forEach((c) => {
        try {
          c.close();
        } catch { /* closed */ }
      });
      await loop.catch(() => {});
    },
    status: new Promise(() => {}),
    pid: Deno.pid,
  };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = l.addr.port;
  l.close();
  return p;
}

async function capture(c: Case): Promise<void> {
  let peer: Peer;
  if (c.peer === "openssl") {
    peer = await startOpensslServer(c.args);
  } else if (c.peer === "gnutls") {
    const port = freePort();
    peer = await startPeer("gnutls-serv", [...c.args, "-p", String(port)], {
      ready: /listening on IPv4 .*done/,
    });
    peer.port = port;
  } else {
    peer = await startRustls();
  }
  try {
    const t = await connectTcp({ host: "127.0.0.1", port: peer.port, timeoutMs: 5000 });
    const offer: InspectOptions = {
      versions: [0x0304, 0x0303, 0x0302, 0x0301],
      cipherSuites: [...DEFAULT_CIPHER_SUITES],
      groups: [...DEFAULT_GROUPS],
      signatureAlgorithms: [...DEFAULT_SIGNATURE_ALGORITHMS],
      serverName: "localhost",
      ...c.offer,
    };
    const obs = await inspect(t, offer);
    t.close();
    const seen: Expect = {
      version: obs.version,
      cipherSuite: obs.cipherSuite,
      group: obs.keyExchange.group ?? null,
      dhBits: obs.keyExchange.dhBits ?? null,
      helloRetryRequest: !!obs.helloRetryRequest,
      chainLength: obs.certificates.length,
      alpn: obs.alpn ?? null,
      ocspStapled: !!obs.ocspResponse,
      certificateRequest: !!obs.certificateRequest,
      caNames: obs.certificateRequest?.certificateAuthorities.length ?? 0,
      messageTypes: obs.messages,
    };
    const same = (Object.keys(seen) as (keyof Expect)[]).every((k) =>
      JSON.stringify(seen[k]) === JSON.stringify(c.expect[k])
    );
    if (!same) {
      throw new Error(
        `${c.name}: the handshake does not show what the peer's configuration says:\n` +
          `  expected ${JSON.stringify(c.expect)}\n  seen     ${JSON.stringify(seen)}`,
      );
    }
    const leafDer = parsePem(await Deno.readTextFile(c.leaf))[0];
    const fixture = {
      name: c.name,
      peer: c.peer === "openssl"
        ? `openssl s_server ${
          c.args.map((a) => a.replace(ROOT, "").replace(/\/tmp\/[^/]+\//, "")).join(" ")
        }`
        : c.peer === "gnutls"
        ? `gnutls-serv ${c.args.map((a) => a.replace(ROOT, "")).join(" ")}`
        : "Deno.listenTls (rustls)",
      peerVersion: c.peer === "openssl"
        ? (await run("openssl", ["version"])).stdout.trim()
        : c.peer === "gnutls"
        ? (await run("gnutls-serv", ["--version"])).stdout.split("\n")[0]
        : `deno ${Deno.version.deno}`,
      note:
        "clientHello: the first ClientHello sent; serverBytes: every byte received, as records; messages: every handshake message received, decrypted (TLS 1.3), with headers",
      clientHello: toHex(obs.clientHello),
      serverBytes: toHex(concat(...t.received)),
      messages: obs.rawMessages.map(toHex),
      expect: {
        ...seen, // equal to c.expect, in the fixture's field order
        // From the file the peer serves.
        leafSha256: toHex(
          new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(leafDer))),
        ),
      },
    };
    await Deno.writeTextFile(`${OUT}${c.name}.json`, JSON.stringify(fixture, null, 2) + "\n");
    console.log(`captured ${c.name}: ${obs.messages.join(",")}`);
  } finally {
    await peer.stop();
  }
}

if (import.meta.main) {
  const dir = await Deno.makeTempDir({ prefix: "tlsprobe-fixtures-" });
  try {
    const x = await makeExtras(dir);
    const base = ["-cert", CERT, "-key", KEY, "-www"];
    const cases: Case[] = [
      {
        name: "openssl_tls13_aes128",
        peer: "openssl",
        args: [...base, "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"],
        leaf: CERT,
        expect: {
          version: 0x0304,
          cipherSuite: 0x1301,
          group: 0x1d,
          ...NONE,
          chainLength: 1,
          messageTypes: TLS13_FLIGHT,
        },
      },
      {
        name: "openssl_tls13_chacha_hrr_p384",
        peer: "openssl",
        args: [
          ...base,
          "-tls1_3",
          "-ciphersuites",
          "TLS_CHACHA20_POLY1305_SHA256",
          "-groups",
          "P-384",
        ],
        leaf: CERT,
        expect: {
          version: 0x0304,
          cipherSuite: 0x1303,
          group: 0x18,
          ...NONE,
          helloRetryRequest: true,
          chainLength: 1,
          messageTypes: [HS.sh, ...TLS13_FLIGHT],
        },
      },
      {
        name: "openssl_tls13_certreq_ocsp_alpn",
        peer: "openssl",
        args: [
          ...base,
          "-tls1_3",
          "-Verify",
          "1",
          "-CAfile",
          CA,
          "-status_file",
          x.ocsp,
          "-alpn",
          "http/1.1",
        ],
        offer: { alpn: ["h2", "http/1.1"] },
        leaf: CERT,
        expect: {
          version: 0x0304,
          cipherSuite: 0x1302,
          group: 0x1d,
          ...NONE,
          chainLength: 2, // -CAfile: OpenSSL sends the CA after the leaf
          alpn: "http/1.1",
          ocspStapled: true,
          certificateRequest: true,
          caNames: 1,
          // The client sends no certificate, so the server sends no tickets.
          messageTypes: [HS.sh, HS.ee, HS.cr, HS.cert, HS.cv, HS.fin],
        },
      },
      {
        name: "openssl_tls12_ecdhe_rsa_certreq_ocsp",
        peer: "openssl",
        args: [
          ...base,
          "-tls1_2",
          "-cipher",
          "ECDHE-RSA-AES128-GCM-SHA256",
          "-Verify",
          "1",
          "-CAfile",
          CA,
          "-status_file",
          x.ocsp,
        ],
        leaf: CERT,
        expect: {
          version: 0x0303,
          cipherSuite: 0xc02f,
          group: 0x1d,
          ...NONE,
          chainLength: 2,
          ocspStapled: true,
          certificateRequest: true,
          caNames: 1,
          messageTypes: [HS.sh, HS.cert, HS.cs, HS.ske, HS.cr, HS.shd],
        },
      },
      {
        name: "openssl_tls12_ecdhe_ecdsa",
        peer: "openssl",
        args: [
          "-cert",
          x.ecCrt,
          "-key",
          x.ecKey,
          "-www",
          "-tls1_2",
          "-cipher",
          "ECDHE-ECDSA-AES256-GCM-SHA384",
        ],
        leaf: x.ecCrt,
        expect: {
          version: 0x0303,
          cipherSuite: 0xc02c,
          group: 0x1d,
          ...NONE,
          chainLength: 1,
          messageTypes: [HS.sh, HS.cert, HS.ske, HS.shd],
        },
      },
      {
        name: "openssl_tls12_dhe",
        peer: "openssl",
        args: [...base, "-tls1_2", "-cipher", "DHE-RSA-AES256-GCM-SHA384"],
        leaf: CERT,
        expect: {
          version: 0x0303,
          cipherSuite: 0x009f,
          group: null,
          ...NONE,
          dhBits: 2048, // OpenSSL 3.0's automatic DH parameters for a 2048-bit RSA key
          chainLength: 1,
          messageTypes: [HS.sh, HS.cert, HS.ske, HS.shd],
        },
      },
      {
        name: "openssl_tls12_rsa",
        peer: "openssl",
        args: [...base, "-tls1_2", "-cipher", "AES128-SHA"],
        leaf: CERT,
        expect: {
          version: 0x0303,
          cipherSuite: 0x002f,
          group: null,
          ...NONE,
          chainLength: 1,
          messageTypes: [HS.sh, HS.cert, HS.shd],
        },
      },
      {
        name: "openssl_tls10",
        peer: "openssl",
        args: [...base, "-tls1", "-cipher", "ALL:@SECLEVEL=0"],
        leaf: CERT,
        expect: {
          version: 0x0301,
          // The offer's strongest TLS 1.0 suite OpenSSL has: ECDHE-RSA-AES256-SHA.
          cipherSuite: 0xc014,
          group: 0x1d,
          ...NONE,
          chainLength: 1,
          messageTypes: [HS.sh, HS.cert, HS.ske, HS.shd],
        },
      },
      {
        name: "openssl_tls11_certreq",
        peer: "openssl",
        args: [...base, "-tls1_1", "-cipher", "ALL:@SECLEVEL=0", "-Verify", "1", "-CAfile", CA],
        leaf: CERT,
        expect: {
          version: 0x0302,
          cipherSuite: 0xc014,
          group: 0x1d,
          ...NONE,
          chainLength: 2,
          certificateRequest: true,
          caNames: 1,
          messageTypes: [HS.sh, HS.cert, HS.ske, HS.cr, HS.shd],
        },
      },
      {
        name: "gnutls_tls13",
        peer: "gnutls",
        args: ["--http", "--x509certfile", CERT, "--x509keyfile", KEY],
        leaf: CERT,
        expect: {
          version: 0x0304,
          cipherSuite: 0x1302,
          group: 0x1d,
          ...NONE,
          chainLength: 1,
          // gnutls-serv asks for a client certificate (optional) and names no CA.
          certificateRequest: true,
          caNames: 0,
          messageTypes: [HS.sh, HS.ee, HS.cr, HS.cert, HS.cv, HS.fin, HS.nst, HS.nst],
        },
      },
      {
        name: "gnutls_tls12",
        peer: "gnutls",
        args: [
          "--http",
          "--x509certfile",
          CERT,
          "--x509keyfile",
          KEY,
          "--priority",
          "NORMAL:-VERS-TLS1.3",
        ],
        leaf: CERT,
        expect: {
          version: 0x0303,
          cipherSuite: 0xc030,
          group: 0x1d,
          ...NONE,
          chainLength: 1,
          certificateRequest: true,
          caNames: 0,
          messageTypes: [HS.sh, HS.cert, HS.ske, HS.cr, HS.shd],
        },
      },
      {
        name: "rustls_tls13_x25519mlkem768",
        peer: "rustls",
        args: [],
        offer: { groups: [0x11ec, 0x001d], alpn: ["h2"] },
        leaf: CERT,
        expect: {
          version: 0x0304,
          cipherSuite: 0x1302,
          group: 0x11ec,
          ...NONE,
          chainLength: 1,
          alpn: "h2",
          messageTypes: TLS13_FLIGHT,
        },
      },
    ];
    for (const c of cases) await capture(c);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
