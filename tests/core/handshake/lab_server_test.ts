/**
 * The lab engine's server side against independent clients: `openssl
 * s_client` for every suite family, version and group it serves (each must
 * complete with exactly that suite and echo a line back), `gnutls-cli` for a
 * subset, and `Deno.connectTls` (rustls) for TLS 1.2 and 1.3. One server
 * per configuration; the clients of a table run concurrently.
 */
import assert from "node:assert/strict";
import type { LabServerConfig, LabSessionInfo } from "../../../core/handshake/server.ts";
import { LEGACY_SUITES } from "../../../core/handshake/server_suites.ts";
import { cipherSuiteByCode } from "../../../core/registry/cipher_suites.ts";
import { generateKey, issueCertificate } from "../../../core/x509/generate.ts";
import { toPem } from "../../../core/x509/pem.ts";
import { loadCertifiedKey } from "../../../core/net/pem.ts";
import type { CertifiedKey } from "../../../core/net/pem.ts";
import { ROOT, run } from "../../_helpers/process.ts";
import {
  type ClientRun,
  gnutlsEcho,
  sClientEcho,
  startLabEngine,
} from "../../_helpers/lab_clients.ts";

const ALL_SUITES = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305, ...LEGACY_SUITES.keys()];
/** The suites that present the RSA certificate (the one certs/ca.crt issued). */
const RSA_SUITES = [0x1301, 0xc02f, 0xc030];

async function ecdsaIdentity(): Promise<CertifiedKey> {
  const key = await generateKey("ecdsa-p256");
  const now = Date.now();
  const der = await issueCertificate({
    subject: [["CN", "localhost"]],
    spki: key.spki,
    signer: key,
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 86_400_000),
    ca: false,
    dns: ["localhost"],
  });
  return { cert: toPem(der, "CERTIFICATE"), key: key.pem, chainLength: 1 };
}

async function withServer(
  config: Omit<LabServerConfig, "identities">,
  body: (port: number, infos: LabSessionInfo[]) => Promise<void>,
): Promise<void> {
  const server = await startLabEngine(config, { extra: [await ecdsaIdentity()] });
  try {
    await body(server.port, server.infos);
  } finally {
    await server.stop();
  }
}

/** [s_client args, expected protocol, expected suite, expected temp key (substring)] */
type Row = [string[], string, string, string?];

function check(rows: Row[], runs: ClientRun[]): void {
  const bad = rows.flatMap(([args, version, cipher, key], i) => {
    const r = runs[i];
    const ok = r.version === version && r.cipher === cipher && r.echoed &&
      (!key || (r.tempKey ?? "").includes(key));
    return ok ? [] : [
      `${args.join(" ")}: want ${version} ${cipher} ${
        key ?? ""
      }, got ${r.version} ${r.cipher} ${r.tempKey} echoed=${r.echoed}\n${r.output.slice(-600)}`,
    ];
  });
  assert.deepEqual(bad, []);
}

const L0 = ":@SECLEVEL=0";

Deno.test("lab engine: openssl s_client completes every served suite family, version and group, and echoes", async () => {
  await withServer({
    versions: [0x0301, 0x0302, 0x0303, 0x0304],
    suites: ALL_SUITES,
    groups: [0x001d, 0x0017, 0x0018, 0x0019],
    serverPreference: true,
  }, async (port) => {
    const rows: Row[] = [
      // TLS 1.3: each suite, each group.
      [["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"], "TLSv1.3", "TLS_AES_128_GCM_SHA256"],
      [["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"], "TLSv1.3", "TLS_AES_256_GCM_SHA384"],
      [
        ["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
        "TLSv1.3",
        "TLS_CHACHA20_POLY1305_SHA256",
      ],
      [["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_SHA256"], "TLSv1.3", "TLS_AES_128_CCM_SHA256"],
      [
        ["-tls1_3", "-ciphersuites", "TLS_AES_128_CCM_8_SHA256"],
        "TLSv1.3",
        "TLS_AES_128_CCM_8_SHA256",
      ],
      [["-tls1_3", "-groups", "X25519"], "TLSv1.3", "TLS_AES_128_GCM_SHA256", "X25519"],
      [["-tls1_3", "-groups", "P-256"], "TLSv1.3", "TLS_AES_128_GCM_SHA256", "prime256v1"],
      [["-tls1_3", "-groups", "P-384"], "TLSv1.3", "TLS_AES_128_GCM_SHA256", "secp384r1"],
      [["-tls1_3", "-groups", "P-521"], "TLSv1.3", "TLS_AES_128_GCM_SHA256", "secp521r1"],
      // TLS 1.2 AEAD, RSA and ECDSA certificates, each ECDHE group.
      [
        ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
        "TLSv1.2",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "X25519",
      ],
      [
        ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-groups", "P-384"],
        "TLSv1.2",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "secp384r1",
      ],
      [
        ["-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305", "-groups", "P-256"],
        "TLSv1.2",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "prime256v1",
      ],
      [
        ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
        "TLSv1.2",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
      ],
      [
        ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"],
        "TLSv1.2",
        "ECDHE-ECDSA-AES256-GCM-SHA384",
      ],
      [
        ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"],
        "TLSv1.2",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
      ],
      [
        ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"],
        "TLSv1.2",
        "DHE-RSA-AES128-GCM-SHA256",
        "DH, 2048",
      ],
      [["-tls1_2", "-cipher", "AES256-GCM-SHA384"], "TLSv1.2", "AES256-GCM-SHA384"],
      // CBC (MAC-then-encrypt): TLS 1.2, 1.1 (explicit IV), 1.0 (implicit IV).
      [["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"], "TLSv1.2", "ECDHE-RSA-AES128-SHA256"],
      [["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"], "TLSv1.2", "ECDHE-ECDSA-AES256-SHA384"],
      [["-tls1_2", "-cipher", "AES128-SHA256"], "TLSv1.2", "AES128-SHA256"],
      [["-tls1_2", "-cipher", "DHE-RSA-AES256-SHA256"], "TLSv1.2", "DHE-RSA-AES256-SHA256"],
      [["-tls1_1", "-cipher", "ECDHE-RSA-AES256-SHA" + L0], "TLSv1.1", "ECDHE-RSA-AES256-SHA"],
      [["-tls1_1", "-cipher", "DHE-RSA-AES128-SHA" + L0], "TLSv1.1", "DHE-RSA-AES128-SHA"],
      [["-tls1", "-cipher", "ECDHE-RSA-AES128-SHA" + L0], "TLSv1", "ECDHE-RSA-AES128-SHA"],
      [["-tls1", "-cipher", "ECDHE-ECDSA-AES128-SHA" + L0], "TLSv1", "ECDHE-ECDSA-AES128-SHA"],
      [["-tls1", "-cipher", "AES256-SHA" + L0], "TLSv1", "AES256-SHA"],
      // NULL and anonymous.
      [["-tls1_2", "-cipher", "NULL-SHA256" + L0], "TLSv1.2", "NULL-SHA256"],
      [["-tls1", "-cipher", "ECDHE-ECDSA-NULL-SHA" + L0], "TLSv1", "ECDHE-ECDSA-NULL-SHA"],
      [["-tls1_2", "-cipher", "ADH-AES128-GCM-SHA256" + L0], "TLSv1.2", "ADH-AES128-GCM-SHA256"],
      [["-tls1_1", "-cipher", "AECDH-AES256-SHA" + L0], "TLSv1.1", "AECDH-AES256-SHA"],
    ];
    const [runs, fallback, keyUpdate, reneg] = await Promise.all([
      Promise.all(rows.map(([args]) => sClientEcho(port, args))),
      sClientEcho(port, ["-tls1_2", "-fallback_scsv"]),
      // "K": a KeyUpdate asking for the server's (RFC 8446 §4.6.3), then the line.
      sClientEcho(port, ["-tls1_3"], 20_000, "K\n"),
      // "R": renegotiation, refused with a no_renegotiation warning (RFC 5746 §4.4).
      sClientEcho(port, ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"], 20_000, "R\n"),
    ]);
    check(rows, runs);
    assert.match(fallback.output, /inappropriate fallback.*SSL alert number 86/s);
    assert.match(keyUpdate.output, /KEYUPDATE/);
    assert.ok(keyUpdate.echoed, keyUpdate.output);
    assert.match(
      reneg.output,
      /Secure Renegotiation IS supported[^]*RENEGOTIATING[^]*no renegotiation/,
    );
  });
});

Deno.test("lab engine: every TLS 1.0–1.2 suite it lists completes with s_client at TLS 1.2 and echoes", async () => {
  await withServer({
    versions: [0x0303],
    suites: ALL_SUITES,
    groups: [0x001d],
    serverPreference: true,
  }, async (port) => {
    // OpenSSL 3.0 has no RC4, 3DES or NULL-MD5 suites: gnutls-cli checks those (below).
    const rows: Row[] = [...LEGACY_SUITES.values()].filter((x) =>
      x.cipher !== "RC4" && x.cipher !== "3DES-CBC" && x.mac !== "MD5"
    ).map(({ code }) => {
      const name = cipherSuiteByCode(code)!.openssl!;
      return [["-tls1_2", "-cipher", `${name}:@SECLEVEL=0`], "TLSv1.2", name];
    });
    assert.equal(rows.length, 52);
    const runs: ClientRun[] = [];
    // Ten at a time: 40 clients at once would only measure the machine's load.
    for (let i = 0; i < rows.length; i += 10) {
      runs.push(
        ...await Promise.all(rows.slice(i, i + 10).map(([args]) => sClientEcho(port, args))),
      );
    }
    check(rows, runs);
  });
});

Deno.test("lab engine: ECDSA P-384 and Ed25519 certificates (made by openssl) sign TLS 1.3 and TLS 1.2 handshakes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const make = async (name: string, args: string[]) => {
      const r = await run("openssl", [
        "req",
        "-x509",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-keyout",
        `${dir}/${name}.key`,
        "-out",
        `${dir}/${name}.crt`,
        ...args,
      ]);
      assert.equal(r.code, 0, r.stderr);
      return await loadCertifiedKey(`${dir}/${name}.crt`, `${dir}/${name}.key`);
    };
    for (
      const [name, args, scheme] of [
        [
          "p384",
          ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
          "ecdsa_secp384r1_sha384",
        ],
        ["ed25519", ["-newkey", "ed25519"], "ed25519"],
      ] as const
    ) {
      const server = await startLabEngine(
        { versions: [0x0303, 0x0304], suites: ALL_SUITES, groups: [0x1d], serverPreference: true },
        { only: [await make(name, [...args])] },
      );
      try {
        const [r13, r12] = await Promise.all([
          sClientEcho(server.port, ["-tls1_3", "-sigalgs", scheme]),
          sClientEcho(server.port, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]),
        ]);
        assert.equal(r13.version, "TLSv1.3", r13.output);
        assert.ok(r13.echoed, r13.output);
        assert.equal(r12.cipher, "ECDHE-ECDSA-AES128-GCM-SHA256", r12.output);
        assert.ok(r12.echoed, r12.output);
        assert.match(
          r13.output,
          name === "p384" ? /Peer signature type: ECDSA/ : /Peer signature type: ed25519/i,
        );
      } finally {
        await server.stop();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab engine: TLS 1.3 sends a HelloRetryRequest when the client's key share is not a group it accepts", async () => {
  await withServer({
    versions: [0x0304],
    suites: [0x1301],
    groups: [0x0017],
    serverPreference: true,
  }, async (port, infos) => {
    // s_client's default key share is X25519 alone; P-256 is in its supported_groups.
    const rows: Row[] = [[["-tls1_3"], "TLSv1.3", "TLS_AES_128_GCM_SHA256", "prime256v1"]];
    check(rows, await Promise.all(rows.map(([args]) => sClientEcho(port, args))));
    assert.equal(infos[0]?.helloRetry, true);
    assert.equal(infos[0]?.group, 0x0017);
  });
});

Deno.test("lab engine: client preference takes the client's first suite; server preference its own", async () => {
  const suites = [0xc030, 0xc02f];
  const offer = ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"];
  await withServer(
    { versions: [0x0303], suites, groups: [0x1d], serverPreference: false },
    async (port) => {
      check([[offer, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"]], [await sClientEcho(port, offer)]);
    },
  );
  await withServer(
    { versions: [0x0303], suites, groups: [0x1d], serverPreference: true },
    async (port) => {
      check([[offer, "TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384"]], [await sClientEcho(port, offer)]);
    },
  );
});

Deno.test("lab engine: ALPN picks the server's first protocol the client offers, refuses none in common; EMS is on", async () => {
  await withServer(
    {
      versions: [0x0303, 0x0304],
      suites: ALL_SUITES,
      groups: [0x1d],
      serverPreference: true,
      alpn: ["h2", "http/1.1"],
    },
    async (port, infos) => {
      const [h11, both12, none] = await Promise.all([
        sClientEcho(port, ["-tls1_3", "-alpn", "http/1.1"]),
        sClientEcho(port, ["-tls1_2", "-alpn", "http/1.1,h2"]),
        sClientEcho(port, ["-alpn", "spdy/3"]),
      ]);
      assert.match(h11.output, /ALPN protocol: http\/1\.1/);
      assert.ok(h11.echoed);
      assert.match(both12.output, /ALPN protocol: h2/);
      assert.match(both12.output, /Extended master secret: yes/);
      assert.ok(both12.echoed);
      assert.match(none.output, /no application protocol.*SSL alert number 120/s);
      assert.deepEqual(infos.map((i) => i.alpn).sort(), ["h2", "http/1.1"]);
    },
  );
});

/** gnutls-cli's priority tokens for a suite's IANA name: key exchange, cipher, MAC. */
function gnutlsTokens(iana: string): { kx: string; cipher: string; mac: string } | undefined {
  const m = /^TLS_(\w+?)_WITH_(\w+?)(?:_(MD5|SHA|SHA256|SHA384))?$/.exec(iana);
  if (!m) return undefined;
  const kx = ({
    ECDHE_RSA: "ECDHE-RSA",
    ECDHE_ECDSA: "ECDHE-ECDSA",
    DHE_RSA: "DHE-RSA",
    RSA: "RSA",
    DH_anon: "ANON-DH",
    ECDH_anon: "ANON-ECDH",
  } as Record<string, string>)[m[1]];
  const cipher = m[2] === "3DES_EDE_CBC"
    ? "3DES-CBC"
    : m[2] === "RC4_128"
    ? "ARCFOUR-128"
    : m[2].replaceAll("_", "-");
  const mac = m[3] === undefined ? "AEAD" : m[3] === "SHA" ? "SHA1" : m[3];
  return kx ? { kx, cipher, mac: /GCM|CCM|POLY1305/.test(cipher) ? "AEAD" : mac } : undefined;
}

Deno.test("lab engine: gnutls-cli completes every key exchange × bulk cipher family it serves, and each TLS 1.3 suite", async () => {
  await withServer({
    versions: [0x0301, 0x0302, 0x0303, 0x0304],
    suites: ALL_SUITES,
    groups: [0x001d, 0x0017, 0x0018],
    serverPreference: true,
  }, async (port, infos) => {
    const base = "NORMAL:-VERS-ALL:-CIPHER-ALL:-MAC-ALL:-KX-ALL:%VERIFY_ALLOW_BROKEN";
    // One suite per (key exchange, cipher family, MAC): each priority string allows exactly it.
    const seen = new Set<string>();
    const rows: [string, RegExp, number][] = [];
    for (const s of LEGACY_SUITES.values()) {
      const t = gnutlsTokens(s.iana);
      assert.ok(t, s.iana);
      const family = `${t.kx} ${t.cipher.replace(/-(128|256)/, "")} ${t.mac}`;
      if (seen.has(family)) continue;
      seen.add(family);
      const mac = t.mac === "AEAD" ? "" : `-\\(${t.mac}\\)`;
      rows.push([
        `${base}:+VERS-TLS1.2:+${t.kx}:+${t.cipher}:+${t.mac}`,
        new RegExp(`^\\(TLS1\\.2-(X\\.509|ANON)\\).*-\\(${t.cipher}\\)${mac}$`),
        s.code,
      ]);
    }
    for (
      const [cipher, code] of [
        ["AES-128-GCM", 0x1301],
        ["AES-256-GCM", 0x1302],
        ["CHACHA20-POLY1305", 0x1303],
        ["AES-128-CCM", 0x1304],
        ["AES-128-CCM-8", 0x1305],
      ] as const
    ) {
      rows.push([
        `NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+${cipher}`,
        new RegExp(`^\\(TLS1\\.3-X\\.509\\).*-\\(${cipher}\\)$`),
        code,
      ]);
    }
    rows.push(
      [
        `${base}:+VERS-TLS1.1:+RSA:+AES-128-CBC:+SHA1`,
        /^\(TLS1\.1-X\.509\)-\(RSA\)-\(AES-128-CBC\)-\(SHA1\)$/,
        0x002f,
      ],
      [
        `${base}:+VERS-TLS1.0:+ECDHE-RSA:+AES-256-CBC:+SHA1`,
        /^\(TLS1\.0-X\.509\)-\(ECDHE-X25519\)-.*\(AES-256-CBC\)-\(SHA1\)$/,
        0xc014,
      ],
      // 3DES with TLS 1.0's implicit IV (8-byte blocks) and 1.1's explicit one; RC4 in TLS 1.0.
      [
        `${base}:+VERS-TLS1.0:+RSA:+3DES-CBC:+SHA1`,
        /^\(TLS1\.0-X\.509\)-\(RSA\)-\(3DES-CBC\)-\(SHA1\)$/,
        0x000a,
      ],
      [
        `${base}:+VERS-TLS1.1:+ECDHE-RSA:+3DES-CBC:+SHA1`,
        /^\(TLS1\.1-X\.509\)-\(ECDHE-X25519\)-.*\(3DES-CBC\)-\(SHA1\)$/,
        0xc012,
      ],
      [
        `${base}:+VERS-TLS1.0:+ECDHE-RSA:+ARCFOUR-128:+SHA1`,
        /^\(TLS1\.0-X\.509\)-\(ECDHE-X25519\)-.*\(ARCFOUR-128\)-\(SHA1\)$/,
        0xc011,
      ],
    );
    const runs: ClientRun[] = [];
    for (let i = 0; i < rows.length; i += 8) {
      runs.push(...await Promise.all(rows.slice(i, i + 8).map(([p]) => gnutlsEcho(port, p))));
    }
    const bad = rows.flatMap(([p, want], i) =>
      runs[i].echoed && want.test(runs[i].cipher ?? "")
        ? []
        : [`${p}: got ${runs[i].cipher} echoed=${runs[i].echoed}\n${runs[i].output.slice(-500)}`]
    );
    assert.deepEqual(bad, []);
    // The server saw exactly those suites.
    assert.deepEqual(
      [...new Set(infos.map((i) => i.suite))].sort(),
      [...new Set(rows.map(([, , c]) => c))].sort(),
    );
  });
});

Deno.test("lab engine: Deno.connectTls (rustls) connects over TLS 1.2 and TLS 1.3 and exchanges data", async () => {
  const caCerts = [await Deno.readTextFile(`${ROOT}certs/ca.crt`)];
  for (const versions of [[0x0303], [0x0304]]) {
    await withServer(
      { versions, suites: RSA_SUITES, groups: [0x1d, 0x17], serverPreference: true },
      async (port, infos) => {
        const c = await Deno.connectTls({ hostname: "localhost", port, caCerts });
        try {
          await c.write(new TextEncoder().encode("hello rustls\n"));
          const buf = new Uint8Array(64);
          const n = await c.read(buf);
          assert.equal(new TextDecoder().decode(buf.subarray(0, n ?? 0)), "hello rustls\n");
          assert.equal(infos[0].version, versions[0]);
        } finally {
          c.close();
        }
      },
    );
  }
});
