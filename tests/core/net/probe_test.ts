/**
 * The probe against real servers started on loopback: openssl s_server in
 * each TLS 1.3 suite and group, TLS 1.2 with each key exchange, TLS 1.0 and
 * 1.1, client-certificate requests, ALPN, OCSP stapling; gnutls-serv; and
 * rustls (Deno.listenTls). Each report is checked against the server's
 * configuration, and the leaf against the served file byte for byte.
 */
import assert from "node:assert/strict";
import { makeEcdsaLeaf, makeOcspResponse, makeTestPki, type TestPki } from "../../_helpers/pki.ts";
import {
  closedPort,
  havePeer,
  startGnutlsServer,
  startOpensslServer,
} from "../../_helpers/process.ts";
import {
  hsRecord,
  record,
  send,
  serverHello12,
  startHostileServer,
  T,
} from "../../_helpers/hostile.ts";

const GNUTLS = await havePeer("gnutls-serv");
import { probe, type ProbeOptions } from "../../../core/net/probe.ts";
import { policyFactsFromProbe } from "../../../core/policy/evaluate.ts";
import { parsePem } from "../../../core/x509/pem.ts";
import { bytesEqual } from "../../../core/wire/codec.ts";
import { TLS1_0, TLS1_1, TLS1_2, TLS1_3 } from "../../../core/registry/versions.ts";

const ALL = [TLS1_3, TLS1_2, TLS1_1, TLS1_0];

let pki: TestPki | undefined;
let ecdsa: { crt: string; key: string } | undefined;
let ocspResponse: string | undefined;

async function setup(): Promise<TestPki> {
  if (pki) return pki;
  pki = await makeTestPki();
  ecdsa = await makeEcdsaLeaf(pki.dir, 2);
  // An OCSP response for the localhost leaf, signed by the CA (for -status_file);
  // the OCSP test fails with a clear message when openssl cannot make one.
  ocspResponse = await makeOcspResponse(pki.dir, {
    caCrt: pki.caCrt,
    caKey: pki.caKey,
    cert: pki.localhostCrt,
    days: 1,
  }).catch(() => undefined);
  return pki;
}

async function leafDer(crtFile: string): Promise<Uint8Array> {
  return parsePem(await Deno.readTextFile(crtFile))[0];
}

function opts(port: number, extra: Partial<ProbeOptions> = {}): ProbeOptions {
  return {
    host: "127.0.0.1",
    port,
    serverName: "localhost",
    versions: ALL,
    timeoutMs: 5000,
    now: new Date(),
    noTrust: true,
    ...extra,
  };
}

interface Expect {
  version: string;
  cipher: string;
  group?: string | null;
  dhBits?: number;
  leaf: string;
}

async function probeOpenssl(args: string[], expect: Expect, extra: Partial<ProbeOptions> = {}) {
  const p = await setup();
  const server = await startOpensslServer([
    "-cert",
    p.localhostCrt,
    "-key",
    p.localhostKey,
    "-www",
    ...args,
  ]);
  try {
    const r = await probe(opts(server.port, extra));
    assert.equal(r.error, undefined, r.error?.message);
    const h = r.body.handshake!;
    assert.equal(h.version, expect.version);
    assert.ok(
      h.cipher.iana === expect.cipher || h.cipher.openssl === expect.cipher,
      `cipher ${h.cipher.iana}`,
    );
    if (expect.group !== undefined) assert.equal(h.group?.name ?? null, expect.group);
    if (expect.dhBits !== undefined) assert.equal(h.group?.bits, expect.dhBits);
    assert.ok(bytesEqual(r.observation!.certificates[0], await leafDer(expect.leaf)));
    return r;
  } finally {
    await server.stop();
  }
}

Deno.test("probe() sees each TLS 1.3 suite openssl is forced to", async () => {
  const p = await setup();
  for (
    const suite of [
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
    ]
  ) {
    const r = await probeOpenssl(["-tls1_3", "-ciphersuites", suite], {
      version: "TLSv1.3",
      cipher: suite,
      group: "x25519",
      leaf: p.localhostCrt,
    });
    const h = r.body.handshake!;
    assert.equal(h.signature?.valid, true);
    assert.equal(h.finishedVerified, true);
    assert.equal(h.sessionTicket, true);
  }
});

Deno.test("probe() sees each TLS 1.3 group openssl is forced to, through HelloRetryRequest", async () => {
  const p = await setup();
  for (
    const [flag, name, hrr] of [["X25519", "x25519", false], ["P-256", "secp256r1", true], [
      "P-384",
      "secp384r1",
      true,
    ]] as const
  ) {
    const r = await probeOpenssl(["-tls1_3", "-groups", flag], {
      version: "TLSv1.3",
      cipher: "TLS_AES_256_GCM_SHA384",
      group: name,
      leaf: p.localhostCrt,
    });
    assert.equal(r.body.handshake!.helloRetryRequest !== null, hrr, flag);
  }
});

Deno.test("probe() sees TLS 1.2 with ECDHE-RSA, DHE and RSA key exchange", async () => {
  const p = await setup();
  const a = await probeOpenssl(["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"], {
    version: "TLSv1.2",
    cipher: "ECDHE-RSA-AES128-GCM-SHA256",
    group: "x25519",
    leaf: p.localhostCrt,
  });
  assert.equal(a.body.handshake!.signature?.valid, true);
  const d = await probeOpenssl(["-tls1_2", "-cipher", "DHE-RSA-AES256-GCM-SHA384"], {
    version: "TLSv1.2",
    cipher: "DHE-RSA-AES256-GCM-SHA384",
    leaf: p.localhostCrt,
  });
  assert.equal(d.body.handshake!.keyExchange, "DHE");
  assert.ok((d.body.handshake!.group?.bits ?? 0) >= 2048);
  assert.equal(d.body.handshake!.signature?.valid, true);
  const k = await probeOpenssl(["-tls1_2", "-cipher", "AES128-GCM-SHA256"], {
    version: "TLSv1.2",
    cipher: "AES128-GCM-SHA256",
    group: null,
    leaf: p.localhostCrt,
  });
  assert.equal(k.body.handshake!.keyExchange, "RSA");
  assert.ok(k.body.findings.some((f) => f.rule === "cipher-suite"));
});

Deno.test("probe() sees TLS 1.2 ECDHE-ECDSA with an ECDSA certificate", async () => {
  await setup();
  const server = await startOpensslServer([
    "-cert",
    ecdsa!.crt,
    "-key",
    ecdsa!.key,
    "-www",
    "-tls1_2",
    "-cipher",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
  ]);
  try {
    const r = await probe(opts(server.port, { groups: [0x0017, 0x001d] }));
    assert.equal(r.error, undefined, r.error?.message);
    const h = r.body.handshake!;
    assert.equal(h.version, "TLSv1.2");
    assert.equal(h.cipher.openssl, "ECDHE-ECDSA-AES256-GCM-SHA384");
    assert.equal(h.group?.name, "secp256r1");
    assert.equal(h.signature?.valid, true);
    assert.equal(r.body.certificates[0].key.type, "EC");
    assert.ok(bytesEqual(r.observation!.certificates[0], await leafDer(ecdsa!.crt)));
  } finally {
    await server.stop();
  }
});

Deno.test("probe() observes TLS 1.0 and TLS 1.1 servers and marks them insecure", async () => {
  const p = await setup();
  for (const [flag, name] of [["-tls1", "TLSv1"], ["-tls1_1", "TLSv1.1"]]) {
    const r = await probeOpenssl([flag, "-cipher", "ALL:@SECLEVEL=0"], {
      version: name,
      cipher: "ECDHE-RSA-AES256-SHA",
      group: "x25519",
      leaf: p.localhostCrt,
    });
    assert.ok(r.body.findings.some((f) => f.rule === "protocol-version" && f.severity === "error"));
  }
});

Deno.test("probe() reads a TLS 1.3 CCM server's encrypted flight (AES-CCM); trust stays uncheckable (rustls refuses CCM)", async () => {
  const p = await setup();
  const server = await startOpensslServer([
    "-cert",
    p.localhostCrt,
    "-key",
    p.localhostKey,
    "-www",
    "-tls1_3",
    "-ciphersuites",
    "TLS_AES_128_CCM_SHA256",
  ]);
  try {
    const r = await probe(
      opts(server.port, { cipherSuites: [0x1304, 0x1301], noTrust: false, caFile: p.caCrt }),
    );
    assert.equal(r.error, undefined, r.error?.message);
    const h = r.body.handshake!;
    assert.equal(h.version, "TLSv1.3");
    assert.equal(h.cipher.iana, "TLS_AES_128_CCM_SHA256");
    assert.equal(h.group?.name, "x25519");
    // The flight was decrypted: the served certificate is there.
    assert.equal(r.body.certificates.length, 1);
    assert.ok(!r.body.findings.some((f) => f.rule === "tls13-undecrypted"));
    assert.ok(r.body.findings.some((f) => f.rule === "trust-uncheckable"));
    assert.equal(r.body.trust?.verified, null);
    assert.match(r.body.trust!.message!, /TLS_AES_128_CCM_SHA256, which rustls refuses/);
  } finally {
    await server.stop();
  }
});

Deno.test("probe() says trust is uncheckable for a TLS 1.0 server instead of failing", async () => {
  const p = await setup();
  const server = await startOpensslServer([
    "-cert",
    p.localhostCrt,
    "-key",
    p.localhostKey,
    "-www",
    "-tls1",
    "-cipher",
    "ALL:@SECLEVEL=0",
  ]);
  try {
    const r = await probe(opts(server.port, { noTrust: false, caFile: p.caCrt }));
    assert.equal(r.error, undefined);
    assert.equal(r.body.trust?.verified, null);
    assert.match(r.body.trust!.message!, /could not be checked/);
    assert.ok(r.body.findings.some((f) => f.rule === "trust-uncheckable"));
  } finally {
    await server.stop();
  }
});

Deno.test("probe() verifies trust through rustls with the CA file, and reports name matching", async () => {
  const p = await setup();
  const server = await startOpensslServer(["-cert", p.localhostPem, "-www"]);
  try {
    const r = await probe(opts(server.port, { noTrust: false, caFile: p.caCrt }));
    assert.equal(r.error, undefined, r.error?.message);
    assert.equal(r.body.trust?.verified, true);
    assert.equal(r.body.trust?.caCount, 1);
    assert.equal(r.body.identity?.matched, true);
    // What a policy reads of it: the session from the observation, trust and name from the body.
    const facts = policyFactsFromProbe(r);
    assert.equal(facts.outcome, "ok");
    assert.equal(facts.version, TLS1_3);
    assert.equal(facts.verified, true);
    assert.equal(facts.hostnameMatched, true);
    assert.equal(facts.certificateKey?.type, r.body.certificates[0].key.type);
  } finally {
    await server.stop();
  }
});

Deno.test("probe() reports a client-certificate request with the CA names", async () => {
  const p = await setup();
  for (const v of ["-tls1_3", "-tls1_2"]) {
    const r = await probeOpenssl([v, "-Verify", "1", "-CAfile", p.caCrt], {
      version: v === "-tls1_3" ? "TLSv1.3" : "TLSv1.2",
      cipher: v === "-tls1_3" ? "TLS_AES_256_GCM_SHA384" : "ECDHE-RSA-AES256-GCM-SHA384",
      leaf: p.localhostCrt,
    });
    const cr = r.body.handshake!.clientCertificateRequested;
    assert.ok(cr, v);
    assert.deepEqual(cr.caNames, [
      "CN=tlsprobe Test CA,O=tlsprobe sample PKI (do not trust),C=US",
    ]);
  }
});

Deno.test("probe() reports the ALPN protocol the server chose", async () => {
  const p = await setup();
  for (const v of ["-tls1_3", "-tls1_2"]) {
    const r = await probeOpenssl([v, "-alpn", "http/1.1"], {
      version: v === "-tls1_3" ? "TLSv1.3" : "TLSv1.2",
      cipher: v === "-tls1_3" ? "TLS_AES_256_GCM_SHA384" : "ECDHE-RSA-AES256-GCM-SHA384",
      leaf: p.localhostCrt,
    }, { alpn: ["h2", "http/1.1"] });
    assert.equal(r.body.handshake!.alpn, "http/1.1");
  }
});

Deno.test("probe() reports a stapled OCSP response", async () => {
  const p = await setup();
  assert.ok(ocspResponse, "openssl ocsp could not make a response");
  for (const v of ["-tls1_3", "-tls1_2"]) {
    const r = await probeOpenssl([v, "-status_file", ocspResponse!], {
      version: v === "-tls1_3" ? "TLSv1.3" : "TLSv1.2",
      cipher: v === "-tls1_3" ? "TLS_AES_256_GCM_SHA384" : "ECDHE-RSA-AES256-GCM-SHA384",
      leaf: p.localhostCrt,
    });
    assert.equal(r.body.handshake!.ocspStapled, true, v);
    assert.ok(bytesEqual(r.observation!.ocspResponse!, await Deno.readFile(ocspResponse!)));
  }
});

Deno.test(
  { name: "probe() reads gnutls-serv, in TLS 1.3 and TLS 1.2", ignore: !GNUTLS },
  async () => {
    const p = await setup();
    for (const [prio, version] of [["NORMAL", "TLSv1.3"], ["NORMAL:-VERS-TLS1.3", "TLSv1.2"]]) {
      const server = await startGnutlsServer(p.localhostCrt, p.localhostKey, prio);
      const port = server.port;
      try {
        const r = await probe(opts(port));
        assert.equal(r.error, undefined, r.error?.message);
        assert.equal(r.body.handshake!.version, version);
        assert.ok(r.body.handshake!.cipher.rating !== null);
        assert.ok(bytesEqual(r.observation!.certificates[0], await leafDer(p.localhostCrt)));
      } finally {
        await server.stop();
      }
    }
  },
);

Deno.test("probe() reads a rustls server (Deno.listenTls), including X25519MLKEM768", async () => {
  const p = await setup();
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(p.localhostCrt),
    key: await Deno.readTextFile(p.localhostKey),
    alpnProtocols: ["h2"],
  });
  const conns: Deno.TlsConn[] = [];
  const accepting = (async () => {
    for await (const c of listener) {
      conns.push(c);
      c.handshake().catch(() => {});
    }
  })();
  try {
    for (
      const [groups, name] of [[[0x11ec, 0x001d], "X25519MLKEM768"], [
        [0x0017],
        "secp256r1",
      ]] as const
    ) {
      const r = await probe(opts(listener.addr.port, { groups: [...groups], alpn: ["h2"] }));
      assert.equal(r.error, undefined, r.error?.message);
      const h = r.body.handshake!;
      assert.equal(h.version, "TLSv1.3");
      assert.equal(h.group?.name, name);
      assert.equal(h.alpn, "h2");
      assert.equal(h.signature?.valid, true);
      assert.ok(bytesEqual(r.observation!.certificates[0], await leafDer(p.localhostCrt)));
    }
  } finally {
    listener.close();
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await accepting.catch(() => {});
  }
});

Deno.test("probe() reports a stalled server as TIMEOUT and a refused port as CONNECTION_REFUSED", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of l) held.push(c);
  })();
  try {
    const r = await probe(opts(l.addr.port, { timeoutMs: 300 }));
    assert.equal(r.error?.code, "TIMEOUT");
  } finally {
    l.close();
    held.forEach((c) => c.close());
    await accepting.catch(() => {});
  }
  // A port nobody listens on: a fresh one (the stalled listener's may still hold
  // a half-open connection from the probe above, which the kernel resets).
  const r = await probe(opts(Number(closedPort()), { timeoutMs: 300 }));
  assert.equal(r.error?.code, "CONNECTION_REFUSED");
});

Deno.test("probe() reports a handshake failure alert with its stable code", async () => {
  const p = await setup();
  const server = await startOpensslServer([
    "-cert",
    p.localhostCrt,
    "-key",
    p.localhostKey,
    "-www",
    "-tls1_2",
    "-cipher",
    "AES256-SHA256",
  ]);
  try {
    const r = await probe(opts(server.port, { cipherSuites: [0xc02f] }));
    assert.equal(r.error?.code, "HANDSHAKE_FAILURE");
    const facts = policyFactsFromProbe(r);
    assert.equal(facts.outcome, "refused");
    assert.equal(facts.refusal?.alert, "handshake_failure");
  } finally {
    await server.stop();
  }
});

Deno.test("probe() ends the overlapping trust connection when the inspection handshake fails", async () => {
  // The trust pass starts at the ServerHello, alongside the rest of the
  // inspection handshake. Here the first connection (the inspection) gets a
  // ServerHello and, once the trust connection has come in, a fatal alert;
  // the trust connection is held open in silence: the probe must report the
  // alert at once, not wait out the trust connection's 5 s.
  let n = 0;
  const server = startHostileServer(async (c) => {
    if (n++ === 0) {
      await send(c.conn, hsRecord(2, serverHello12()));
      for (let i = 0; i < 150 && n < 2; i++) await new Promise((r) => setTimeout(r, 20));
      await send(c.conn, record(T.alert, Uint8Array.of(2, 40)));
      return;
    }
    while (!c.stopped()) await new Promise((r) => setTimeout(r, 20));
  });
  try {
    const started = performance.now();
    // The CA file as the other trust tests here use it (a process chooses its store once).
    const p = await setup();
    const r = await probe(opts(server.port, { noTrust: false, caFile: p.caCrt, timeoutMs: 5000 }));
    const ms = performance.now() - started;
    assert.equal(r.error?.code, "HANDSHAKE_FAILURE");
    assert.ok(n >= 2, "the trust connection was made");
    // Far below the 5 s the held trust connection would take, with room for a busy machine.
    assert.ok(ms < 3500, `${ms.toFixed(0)} ms`);
  } finally {
    await server.stop();
  }
});
