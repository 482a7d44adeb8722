import assert from "node:assert/strict";
import {
  addEntry,
  daysUntil,
  emptyModel,
  entryFailure,
  escapeHtml,
  HISTORY_LIMIT,
  plainMessage,
  type ProbeEntry,
  removeEntry,
  renderChain,
  renderEntry,
  renderResult,
  selectedEntry,
  summary,
  targetProblem,
} from "../../extension/src/pure/panel_model.ts";
import type { ProbeCertificate, ProbeReport } from "../../extension/src/pure/report.ts";

const NOW = new Date("2026-11-22T12:00:00Z");

/** A probe report as the CLI writes it for a TLS 1.3 server (values written by hand). */
const REPORT: ProbeReport = {
  schemaVersion: 1,
  tool: { name: "tlsprobe", version: "0.1.0" },
  command: "probe",
  outcome: "ok",
  target: {
    host: "localhost",
    port: 8443,
    address: "127.0.0.1",
    serverName: "localhost",
    starttls: null,
  },
  handshake: {
    version: "TLSv1.3",
    cipher: {
      code: "0x1301",
      iana: "TLS_AES_128_GCM_SHA256",
      openssl: "TLS_AES_128_GCM_SHA256",
      bits: 128,
      definedIn: "TLSv1.3",
      kx: "any",
      au: "any",
      enc: "AESGCM(128)",
      mac: "AEAD",
      rating: "recommended",
      ratingReason: "AEAD, forward secrecy",
    },
    group: { name: "x25519", code: "0x001D", bits: 128 },
    keyExchange: "ECDHE",
    alpn: "h2",
    compression: "none",
    clientCertificateRequested: false,
    ocspStapled: false,
    sessionTicket: true,
    helloRetryRequest: null,
    signature: null,
    finishedVerified: true,
    extendedMasterSecret: true,
    secureRenegotiation: false,
  },
  certificates: [leaf({
    subject: "CN=localhost",
    issuer: "CN=tlsprobe test CA",
    sans: { dns: ["localhost"], ip: ["127.0.0.1"] },
    notAfter: "2027-01-01T00:00:00Z",
    key: { type: "EC", bits: null, curve: "P-256" },
  })],
  identity: { hostname: "localhost", matched: true, rule: "dns-san-exact", reason: "SAN matches" },
  trust: {
    verified: true,
    store: "cafile",
    caFile: "certs/ca.crt",
    caCount: 1,
    code: null,
    message: null,
  },
  findings: [],
};

function leaf(over: Partial<ProbeCertificate>): ProbeCertificate {
  return {
    subject: "CN=x",
    issuer: "CN=x",
    commonNames: [],
    sans: { dns: [], ip: [] },
    notBefore: "2026-01-01T00:00:00Z",
    notAfter: "2027-01-01T00:00:00Z",
    serialNumber: "01",
    signatureAlgorithm: "ecdsa-with-SHA256",
    sha256: "00",
    key: { type: "EC", bits: null, curve: "P-256" },
    pem: "",
    ...over,
  };
}

function entry(report?: ProbeReport, extra: Partial<ProbeEntry> = {}): Omit<ProbeEntry, "id"> {
  return {
    request: { target: "localhost:8443" },
    startedAt: "2026-11-22T11:59:59.000Z",
    durationMs: 42,
    report,
    ...extra,
  };
}

Deno.test("addEntry() puts the newest first, selects it and caps the history", () => {
  let m = emptyModel();
  for (let i = 0; i < HISTORY_LIMIT + 5; i++) m = addEntry(m, entry(REPORT));
  assert.equal(m.entries.length, HISTORY_LIMIT);
  assert.equal(m.entries[0].id, HISTORY_LIMIT + 5);
  assert.equal(m.selectedId, HISTORY_LIMIT + 5);
  assert.equal(selectedEntry(m)?.id, HISTORY_LIMIT + 5);
  assert.equal(selectedEntry({ ...m, selectedId: 999 })?.id, m.entries[0].id);
});

Deno.test("renderEntry() shows version, both cipher names, group, key, names and trust", () => {
  const m = addEntry(emptyModel(), entry(REPORT));
  const html = renderEntry(m.entries[0], NOW);
  assert.match(html, /<td id="r-version">TLSv1\.3<\/td>/);
  // Long tokens wrap only after their separators, never mid-word.
  assert.match(html, /<td id="r-cipher">TLS_<wbr>AES_<wbr>128_<wbr>GCM_<wbr>SHA256<\/td>/);
  assert.match(html, /<td id="r-group">x25519<\/td>/);
  assert.match(html, /<td id="r-key">EC P-256<\/td>/);
  assert.match(html, /matches localhost/);
  assert.match(html, /verified/);
  assert.match(html, /2027-01-01 \(in 39 days\)/);
  assert.match(html, /Names: localhost, 127\.0\.0\.1/);
});

Deno.test("renderEntry() shows the CLI's error code and message, escaped", () => {
  const failed: ProbeReport = {
    schemaVersion: 1,
    outcome: "error",
    error: { code: "CERT_UNKNOWN_ISSUER", message: "Pass -a <ca.pem> & retry" },
  };
  const html = renderEntry(addEntry(emptyModel(), entry(failed)).entries[0], NOW);
  assert.match(html, /role="alert"/);
  assert.match(html, /CERT_UNKNOWN_ISSUER<\/span> Pass -a &#60;ca\.pem&#62; &#38; retry/);
  assert.ok(!html.includes("r-version"));
});

Deno.test("renderEntry() marks expired and mismatched certificates", () => {
  const r: ProbeReport = {
    ...REPORT,
    certificates: [{ ...REPORT.certificates![0], notAfter: "2026-11-01T00:00:00Z" }],
    identity: {
      hostname: "example.com",
      matched: false,
      rule: "dns-san",
      reason: "no SAN matches",
    },
    trust: { ...REPORT.trust!, verified: false, code: "CERT_EXPIRED", message: "expired" },
  };
  const html = renderEntry(addEntry(emptyModel(), entry(r)).entries[0], NOW);
  assert.match(html, /class="bad">expired 2026-11-01 \(22 days ago\)/);
  assert.match(html, /does not match example\.com/);
  assert.match(html, /not verified<\/span> \(CERT_EXPIRED\)/);
});

Deno.test("a probe whose trust or name check failed looks like a failure, with the CLI's advice", () => {
  const untrusted: ProbeReport = {
    ...REPORT,
    trust: {
      ...REPORT.trust!,
      verified: false,
      code: "CERT_UNKNOWN_ISSUER",
      message: "Not signed by a trusted CA: pass -a/--cafile",
    },
  };
  const m = addEntry(emptyModel(), entry(untrusted));
  const html = renderEntry(m.entries[0], NOW);
  assert.match(html, /role="alert"/);
  assert.match(html, /CERT_UNKNOWN_ISSUER<\/span> Not signed by a trusted CA: pass -a\/--cafile/);
  assert.match(html, /<td id="r-version">TLSv1\.3<\/td>/, "the negotiated values stay visible");
  assert.match(html, /data-action="retryWithCa" data-id="\d+">Retry with a CA file…/);
  assert.match(html, /data-action="showJson"/);
  assert.equal(summary(m.entries[0]), "localhost:8443: CERT_UNKNOWN_ISSUER");
  const mismatch: ProbeReport = {
    ...REPORT,
    identity: { hostname: "example.com", matched: false, rule: "dns-san", reason: "no SAN" },
  };
  assert.deepEqual(entryFailure(addEntry(emptyModel(), entry(mismatch)).entries[0]), {
    code: "CERT_NAME_MISMATCH",
    message: "no SAN",
  });
  assert.equal(entryFailure(addEntry(emptyModel(), entry(REPORT)).entries[0]), undefined);
  // The CLI's report words no flag in trust.message: the panel adds its own advice.
  const bare: ProbeReport = {
    ...REPORT,
    trust: {
      ...REPORT.trust!,
      verified: false,
      code: "CERT_UNKNOWN_ISSUER",
      message: "Unknown CA",
    },
  };
  assert.match(
    entryFailure(addEntry(emptyModel(), entry(bare)).entries[0])!.message,
    /^Unknown CA: give the CA certificate that signed it \(Retry with a CA file…/,
  );
  // Not checkable is not a failure.
  const unchecked: ProbeReport = { ...REPORT, trust: { ...REPORT.trust!, verified: null } };
  assert.equal(entryFailure(addEntry(emptyModel(), entry(unchecked)).entries[0]), undefined);
});

Deno.test("renderEntry() says trust was not checked when the CLI could not check it", () => {
  const r: ProbeReport = {
    ...REPORT,
    trust: { ...REPORT.trust!, verified: null, code: "UNSUPPORTED", message: "rustls refuses" },
  };
  const html = renderEntry(addEntry(emptyModel(), entry(r)).entries[0], NOW);
  assert.match(html, /not checked<\/span> \(UNSUPPORTED\)/);
  assert.ok(!html.includes("not verified"));
});

Deno.test("renderEntry() escapes what the server controls", () => {
  const r: ProbeReport = {
    ...REPORT,
    certificates: [leaf({ subject: "CN=<script>alert(1)</script>", issuer: 'O="x"' })],
  };
  const html = renderEntry(addEntry(emptyModel(), entry(r)).entries[0], NOW);
  assert.ok(!html.includes("<script>"));
  assert.ok(html.includes("&#60;script&#62;"));
});

Deno.test("removeEntry() drops one probe and moves the selection to the latest", () => {
  let m = addEntry(emptyModel(), entry(REPORT));
  m = addEntry(m, entry(undefined, { error: { code: "TIMEOUT", message: "slow" } }));
  assert.equal(m.selectedId, 2);
  const after = removeEntry(m, 2);
  assert.deepEqual(after.entries.map((e) => e.id), [1]);
  assert.equal(after.selectedId, 1);
  assert.equal(removeEntry({ ...m, selectedId: 1 }, 2).selectedId, 1);
  assert.equal(removeEntry(m, 99).entries.length, 2);
});

Deno.test("renderResult() shows the running probe with progress and Cancel, then the selected one", () => {
  const running = { ...emptyModel(), running: { target: "a<b:1" } };
  const html = renderResult(running, NOW);
  assert.match(html, /Probing a&#60;b:1…/);
  assert.match(html, /<progress aria-label="Probing a&#60;b:1…">/);
  assert.match(html, /<button[^>]*id="cancel-probe" data-action="cancel">Cancel<\/button>/);
  assert.match(renderResult(emptyModel(), NOW), /Probe Endpoint/);
  assert.match(renderResult(addEntry(emptyModel(), entry(REPORT)), NOW), /r-version/);
  // A cancelled probe is said so; the earlier result stays below; the next probe clears it.
  const m = addEntry(emptyModel(), entry(REPORT));
  const cancelled = renderResult({ ...m, cancelled: { target: "slow:1" } }, NOW);
  assert.match(cancelled, /id="cancelled"[^>]*>Probe of slow:1 cancelled\.</);
  assert.match(cancelled, /r-version/);
  assert.equal(
    addEntry({ ...m, cancelled: { target: "slow:1" } }, entry(REPORT)).cancelled,
    undefined,
  );
});

Deno.test("summary(), daysUntil() and escapeHtml() handle the edges", () => {
  assert.equal(
    summary({ ...entry(REPORT), id: 1 }),
    "localhost:8443: TLSv1.3 TLS_AES_128_GCM_SHA256",
  );
  assert.equal(daysUntil("not a date", NOW), undefined);
  assert.equal(daysUntil(undefined, NOW), undefined);
  assert.equal(daysUntil("2026-11-23T12:00:00Z", NOW), 1);
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;",
  );
});

Deno.test("renderChain() reads decoded names as tlsprobe cert --json gives them", () => {
  const html = renderChain([{
    subject: { rfc2253: "CN=localhost,O=x", readable: "O=x, CN=localhost" },
    issuer: { readable: "CN=CA" },
  }], NOW);
  assert.match(html, /Leaf: CN=localhost,O=x<\/div><div>Issuer: CN=CA</);
});

Deno.test("renderChain() shows each certificate's findings, escaped, classed by severity", () => {
  const html = renderChain([{
    subject: "CN=odd.example",
    findings: [
      {
        rule: "x509.duplicate-extension",
        severity: "error",
        message: "Cannot read extensions: subjectAltName appears twice",
        clause: "RFC 5280 section 4.2",
      },
      { rule: "x509.san-not-ia5", severity: "warning", message: "dNSName <b>" },
    ],
  }], NOW);
  assert.match(
    html,
    /<div class="finding bad">error x509\.duplicate-extension: Cannot read extensions: subjectAltName appears twice \[RFC 5280 section 4\.2\]<\/div>/,
  );
  assert.match(
    html,
    /<div class="finding warn">warning x509\.san-not-ia5: dNSName &#60;b&#62;<\/div>/,
  );
});

Deno.test("renderEntry() says whether a client certificate was requested, which CAs were named, and what the form sent", () => {
  const asked = {
    ...REPORT,
    handshake: {
      ...REPORT.handshake!,
      clientCertificateRequested: {
        caNames: ["O=tlsprobe local PKI, CN=tlsprobe local CA"],
        signatureAlgorithms: [],
      },
    },
  } as ProbeReport;
  const m = addEntry(
    emptyModel(),
    entry(asked, { request: { target: "localhost:8443", certFile: "/tmp/client.pem" } }),
  );
  const html = renderEntry(m.entries[0], NOW);
  assert.match(
    html,
    /<td id="r-client-cert">requested; CAs named: O=tlsprobe local PKI, CN=tlsprobe local CA <span class="dim">\(sent \/tmp\/client\.pem\)<\/span><\/td>/,
  );
  const notAsked = {
    ...REPORT,
    handshake: { ...REPORT.handshake!, clientCertificateRequested: false },
  } as ProbeReport;
  const m2 = addEntry(emptyModel(), entry(notAsked));
  assert.match(renderEntry(m2.entries[0], NOW), /<td id="r-client-cert">not requested<\/td>/);
});

Deno.test("targetProblem() accepts what the CLI parses and explains a typo", () => {
  assert.equal(targetProblem("localhost:8443"), undefined);
  assert.equal(targetProblem(" https://example.com/x "), undefined);
  assert.equal(targetProblem("[::1]:443"), undefined);
  assert.match(targetProblem("")!, /^Enter host:port/);
  assert.match(targetProblem("localhost:99999")!, /^Not a host:port: localhost:99999\. Enter/);
  assert.match(targetProblem("-rf")!, /^Not a host:port/);
  assert.ok(targetProblem("x".repeat(500) + ":")!.length < 200, "long input is cut");
});

Deno.test("plainMessage() leaves no backticks for a notification", () => {
  assert.equal(
    plainMessage("Set `tlsprobe.path` or put `tlsprobe` on PATH"),
    "Set “tlsprobe.path” or put “tlsprobe” on PATH",
  );
  assert.equal(plainMessage("odd ` one"), "odd  one");
});

Deno.test("renderEntry() styles findings by severity and shows the suite's rating", () => {
  const r: ProbeReport = {
    ...REPORT,
    handshake: {
      ...REPORT.handshake!,
      cipher: { ...REPORT.handshake!.cipher, rating: "weak", ratingReason: "no forward secrecy" },
    },
    findings: [
      { rule: "cipher-suite", severity: "warning", message: "AES128-SHA is weak" },
      { rule: "version", severity: "error", message: "TLS 1.0 <old>" },
    ],
  };
  const html = renderEntry(addEntry(emptyModel(), entry(r)).entries[0], NOW);
  assert.match(
    html,
    /<li class="finding-warning"><span class="sev warn"><span aria-hidden="true">⚠<\/span> warning<\/span> <b>cipher-suite<\/b> AES128-SHA is weak<\/li>/,
  );
  assert.match(
    html,
    /<li class="finding-error"><span class="sev bad">.*TLS 1\.0 &#60;old&#62;<\/li>/,
  );
  assert.match(
    html,
    /<td id="r-rating"><span class="warn">weak<\/span> <span class="dim">\(no forward secrecy\)/,
  );
});

Deno.test("renderChain() shows validity from–to, serial, signature and SHA-256, with copy buttons in the panel only", () => {
  const cert = leaf({
    notBefore: "2026-01-01T00:00:00Z",
    serialNumber: "0A1B",
    signatureAlgorithm: "sha256WithRSAEncryption",
    sha256: "AB:CD:EF",
  });
  const panel = renderChain([cert], NOW, { copyButtons: true });
  assert.match(panel, /Valid: 2026-01-01 – <span class="good">2027-01-01 \(in 39 days\)/);
  assert.match(panel, /signed with sha256WithRSAEncryption/);
  assert.match(panel, /Serial: <span class="mono">0A1B<\/span>/);
  assert.match(panel, /SHA-256: <span class="mono">AB:<wbr>CD:<wbr>EF<\/span>/);
  assert.match(
    panel,
    /data-action="copy" data-value="AB:CD:EF" aria-label="Copy the SHA-256 fingerprint of the leaf">Copy/,
  );
  assert.ok(!renderChain([cert], NOW).includes("<button"), "no buttons on the script-less page");
});
