import assert from "node:assert/strict";
import {
  apacheOldProtocols,
  dialectOf,
  isTlsRelated,
  judgeCipherString,
  lintText,
  RULE_IDS,
  SAFE_CIPHER_STRING,
} from "../../extension/src/pure/lint_rules.ts";

function rules(text: string, dialect: Parameters<typeof lintText>[1]): string[] {
  return lintText(text, dialect).map((f) => f.rule);
}

function applyFix(text: string, dialect: Parameters<typeof lintText>[1]): string {
  const lines = text.split("\n");
  for (const f of lintText(text, dialect).reverse()) {
    if (!f.fix) continue;
    const l = lines[f.line];
    lines[f.line] = l.slice(0, f.start) + f.fix.replacement + l.slice(f.end);
  }
  return lines.join("\n");
}

Deno.test("lintText() flags ssl.wrap_socket with its range and a fix", () => {
  const [f] = lintText("tls = ssl.wrap_socket(sock, ca_certs='ca.crt')", "python");
  assert.equal(f.rule, "py-wrap-socket");
  assert.equal(f.start, 6);
  assert.equal(f.end, 6 + "ssl.wrap_socket(".length);
  assert.match(f.message, /create_default_context/);
  assert.equal(f.fix?.replacement, "ssl.create_default_context().wrap_socket(");
});

Deno.test("lintText() flags each deprecated Python protocol and not TLS 1.2 or TLS_CLIENT", () => {
  for (const p of ["PROTOCOL_SSLv2", "PROTOCOL_SSLv3", "PROTOCOL_TLSv1", "PROTOCOL_TLSv1_1"]) {
    assert.deepEqual(rules(`ctx = ssl.SSLContext(ssl.${p})`, "python"), ["py-old-protocol"], p);
  }
  assert.deepEqual(rules("ssl.SSLContext(ssl.PROTOCOL_TLSv1_2)", "python"), []);
  assert.deepEqual(rules("ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)", "python"), []);
  assert.equal(
    applyFix("c = ssl.SSLContext(ssl.PROTOCOL_TLSv1_1)", "python"),
    "c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)",
  );
});

Deno.test("lintText() flags CERT_NONE and check_hostname = False, and fixes both", () => {
  const src = "ctx.check_hostname = False\nctx.verify_mode = ssl.CERT_NONE";
  assert.deepEqual(rules(src, "python"), ["py-check-hostname-off", "py-cert-none"]);
  assert.equal(
    applyFix(src, "python"),
    "ctx.check_hostname = True\nctx.verify_mode = ssl.CERT_REQUIRED",
  );
});

Deno.test("lintText() judges set_ciphers, ssl_ciphers, SSLCipherSuite and ciphers: by what they expand to", () => {
  assert.deepEqual(rules("ctx.set_ciphers('ALL')", "python"), ["weak-cipher-string"]);
  assert.deepEqual(rules("ssl_ciphers ALL:!aNULL;", "conf"), ["weak-cipher-string"]);
  assert.deepEqual(rules("SSLCipherSuite HIGH:!aNULL:!MD5", "conf"), ["weak-cipher-string"]);
  assert.deepEqual(rules("tls.createServer({ ciphers: 'DEFAULT' })", "js"), ["weak-cipher-string"]);
  assert.deepEqual(rules(`ctx.set_ciphers('${SAFE_CIPHER_STRING}')`, "python"), []);
  assert.deepEqual(rules("ssl_ciphers ECDHE+AESGCM;", "conf"), []);
  // A string that merely looks like one, outside a cipher setting, is not judged.
  assert.deepEqual(rules("x = 'ALL:!aNULL'", "python"), []);
  // A string OpenSSL would refuse is the hover's business, not a weak-suite finding.
  assert.deepEqual(rules("ctx.set_ciphers('RC4')", "python"), []);
  const [f] = lintText("ssl_ciphers ALL;", "conf");
  assert.equal(f.severity, "error");
  assert.equal([f.start, f.end].join(), "12,15");
  assert.match(f.message, /^'ALL' expands to 140 suites in OpenSSL 3\.0, including 12 anonymous/);
  assert.equal(
    applyFix('ctx.set_ciphers("ALL")', "python"),
    `ctx.set_ciphers("${SAFE_CIPHER_STRING}")`,
  );
});

Deno.test("judgeCipherString() finds what only the expansion shows, which no regex over the text can", () => {
  // The book's "ECDH+AES128" names no weak keyword, yet OpenSSL expands ECDH to
  // include the anonymous AECDH-AES128-SHA (openssl ciphers -v 'ECDH+AES128').
  const book = judgeCipherString("ECDH+AES128");
  assert.equal(book.total, 12);
  assert.deepEqual(book.weak, [
    { label: "anonymous (no authentication)", severity: "error", suites: ["AECDH-AES128-SHA"] },
  ]);
  // "ALL:!COMPLEMENTOFDEFAULT" starts from ALL, yet is exactly DEFAULT: no anonymous suite,
  // but the 20 RSA key-exchange suites DEFAULT keeps (no forward secrecy).
  const tamed = judgeCipherString("ALL:!COMPLEMENTOFDEFAULT");
  assert.equal(tamed.total, judgeCipherString("DEFAULT").total);
  assert.deepEqual(tamed.weak.map((w) => [w.label, w.suites.length]), [["no forward secrecy", 20]]);
  // "RC4-SHA:AES128-SHA" names RC4, but OpenSSL 3.0 has no RC4 suite: what is enabled is
  // AES128-SHA (no forward secrecy), not RC4.
  const rc4 = judgeCipherString("RC4-SHA:AES128-SHA");
  assert.deepEqual(rc4.weak, [
    { label: "no forward secrecy", severity: "warning", suites: ["AES128-SHA"] },
  ]);
  // "DEFAULT:+3DES" moves 3DES suites that OpenSSL 3.0 does not have: the same as DEFAULT.
  assert.deepEqual(judgeCipherString("DEFAULT:+3DES").weak, judgeCipherString("DEFAULT").weak);
  assert.deepEqual(judgeCipherString(SAFE_CIPHER_STRING).weak, []);
  assert.equal(judgeCipherString("NOPE").error?.code, "BAD_INPUT");
});

Deno.test("lintText() flags the Node settings and fixes them", () => {
  const src = [
    "https.get(url, { rejectUnauthorized: false });",
    "process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';",
    "tls.connect({ secureProtocol: 'TLSv1_method' });",
  ].join("\n");
  assert.deepEqual(rules(src, "js"), [
    "node-reject-unauthorized",
    "node-tls-reject-env",
    "node-secure-protocol",
  ]);
  assert.equal(
    applyFix(src, "js"),
    [
      "https.get(url, { rejectUnauthorized: true });",
      "process.env.NODE_TLS_REJECT_UNAUTHORIZED = '1';",
      "tls.connect({ minVersion: 'TLSv1.2' });",
    ].join("\n"),
  );
  assert.deepEqual(rules("tls.connect({ secureProtocol: 'TLSv1_2_method' })", "js"), []);
});

Deno.test("lintText() flags NODE_TLS_REJECT_UNAUTHORIZED=0 in shell and YAML", () => {
  assert.deepEqual(rules("export NODE_TLS_REJECT_UNAUTHORIZED=0", "shell"), [
    "node-tls-reject-env",
  ]);
  assert.deepEqual(rules("  NODE_TLS_REJECT_UNAUTHORIZED: '0'", "data"), ["node-tls-reject-env"]);
  assert.deepEqual(rules("export NODE_TLS_REJECT_UNAUTHORIZED=1", "shell"), []);
});

Deno.test("lintText() flags the Deno escape hatches", () => {
  assert.deepEqual(
    rules("deno run --unsafely-ignore-certificate-errors=localhost main.ts", "shell"),
    ["deno-unsafe-ignore-cert"],
  );
  assert.equal(
    applyFix("deno run --unsafely-ignore-certificate-errors main.ts", "shell"),
    "deno run main.ts",
  );
  assert.deepEqual(
    rules("Deno.connectTls({ hostname, unsafelyDisableHostnameVerification: true })", "js"),
    ["deno-disable-hostname-verification"],
  );
});

Deno.test("lintText() flags nginx ssl_protocols with old versions and fixes the line", () => {
  const [f] = lintText("    ssl_protocols TLSv1 TLSv1.1 TLSv1.2;", "conf");
  assert.equal(f.rule, "nginx-old-protocols");
  assert.match(f.message, /TLSv1, TLSv1\.1/);
  assert.equal(
    applyFix("    ssl_protocols SSLv3 TLSv1.2;", "conf"),
    "    ssl_protocols TLSv1.2 TLSv1.3;",
  );
  assert.deepEqual(rules("ssl_protocols TLSv1.2 TLSv1.3;", "conf"), []);
});

Deno.test("apacheOldProtocols() applies the +/- list left to right", () => {
  assert.deepEqual(apacheOldProtocols("all"), ["SSLv3", "TLSv1", "TLSv1.1"]);
  assert.deepEqual(apacheOldProtocols("all -SSLv3"), ["TLSv1", "TLSv1.1"]);
  assert.deepEqual(apacheOldProtocols("all -SSLv3 -TLSv1 -TLSv1.1"), []);
  assert.deepEqual(apacheOldProtocols("-all +TLSv1.2 +TLSv1.3"), []);
  assert.deepEqual(apacheOldProtocols("+TLSv1.1 +TLSv1.2"), ["TLSv1.1"]);
  assert.equal(
    applyFix("SSLProtocol all -SSLv3", "conf"),
    "SSLProtocol -all +TLSv1.2 +TLSv1.3",
  );
});

Deno.test("lintText() skips comment lines", () => {
  assert.deepEqual(rules("# ssl.wrap_socket(sock) is what we used to do", "python"), []);
  assert.deepEqual(rules("// rejectUnauthorized: false", "js"), []);
  assert.deepEqual(rules("# ssl_protocols TLSv1;", "conf"), []);
});

Deno.test("every rule has a distinct id and fires on at least one sample", () => {
  assert.equal(new Set(RULE_IDS).size, RULE_IDS.length);
  const samples: Array<[string, Parameters<typeof lintText>[1]]> = [
    ["ssl.wrap_socket(s)", "python"],
    ["ssl.PROTOCOL_SSLv3", "python"],
    ["ssl.CERT_NONE", "python"],
    ["check_hostname = False", "python"],
    ["c.set_ciphers('ALL')", "python"],
    ["{ rejectUnauthorized: false }", "js"],
    ["NODE_TLS_REJECT_UNAUTHORIZED=0", "shell"],
    ["{ secureProtocol: 'SSLv3_method' }", "js"],
    ["--unsafely-ignore-certificate-errors", "shell"],
    ["{ unsafelyDisableHostnameVerification: true }", "js"],
    ["ssl_protocols TLSv1;", "conf"],
    ["SSLProtocol all", "conf"],
  ];
  const fired = new Set(samples.flatMap(([t, d]) => rules(t, d)));
  assert.deepEqual([...fired].sort(), [...RULE_IDS].sort());
});

Deno.test("dialectOf() maps language ids and well-known config files", () => {
  assert.equal(dialectOf("python", "/x/a.py"), "python");
  assert.equal(dialectOf("typescriptreact", "/x/a.tsx"), "js");
  assert.equal(dialectOf("shellscript", "/x/run.sh"), "shell");
  assert.equal(dialectOf("plaintext", "/etc/nginx/sites-available/default"), "conf");
  assert.equal(dialectOf("plaintext", "/etc/haproxy/haproxy.cfg"), "conf");
  assert.equal(dialectOf("plaintext", "/srv/.htaccess"), "conf");
  assert.equal(dialectOf("yaml", "/x/compose.yaml"), "data");
  assert.equal(dialectOf("plaintext", "/x/notes.txt"), undefined);
});

Deno.test("isTlsRelated() knows certificates, TLS configuration and TLS code, not other files", () => {
  assert.ok(isTlsRelated("plaintext", "/w/server.crt", ""));
  assert.ok(isTlsRelated("plaintext", "/w/notes.txt", "-----BEGIN CERTIFICATE-----\n"));
  assert.ok(isTlsRelated("python", "/w/s.py", "import ssl\nctx = ssl.create_default_context()"));
  assert.ok(isTlsRelated("plaintext", "/etc/nginx/nginx.conf", "ssl_ciphers HIGH;"));
  assert.ok(!isTlsRelated("python", "/w/s.py", "print('hello')"));
  assert.ok(!isTlsRelated("json", "/w/data.json", '{"name": "unrelated"}'));
  assert.ok(!isTlsRelated("markdown", "/w/README.md", "TLS and SSL"));
});

Deno.test("judgeCipherString() agrees with openssl ciphers -v on anonymous and non-forward-secret suites", async () => {
  for (const str of ["ECDH+AES128", "ALL", "HIGH:!aNULL:!MD5", "ALL:!COMPLEMENTOFDEFAULT"]) {
    const out = await new Deno.Command("openssl", { args: ["ciphers", "-v", str] }).output();
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
    const anon = lines.filter((l) => /\bAu=None\b/.test(l)).map((l) => l.split(/\s+/)[0]);
    const noFs = lines.filter((l) =>
      /\bKx=(?:RSA|PSK|RSAPSK|ECDH\/|DH\/)/.test(l) && !/Au=None/.test(l)
    )
      .map((l) => l.split(/\s+/)[0]);
    const v = judgeCipherString(str);
    const of = (label: string) => v.weak.find((w) => w.label.startsWith(label))?.suites ?? [];
    assert.equal(v.total, lines.length, str);
    assert.deepEqual(of("anonymous"), anon, str);
    assert.deepEqual(of("no forward secrecy"), noFs, str);
  }
});
