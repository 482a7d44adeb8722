import assert from "node:assert/strict";
import {
  findCipherStringAt,
  findCipherStrings,
  looksLikeCipherString,
  renderSuitesHtml,
  renderSuitesMarkdown,
} from "../../extension/src/pure/cipher_locate.ts";

function at(line: string, needle: string, offset = 1) {
  return findCipherStringAt(line, line.indexOf(needle) + offset);
}

Deno.test("findCipherStringAt() finds string literals in Python, JS and Go", () => {
  for (
    const line of [
      "ctx.set_ciphers('ECDH+AES128')",
      'tls.createServer({ ciphers: "ECDH+AES128" })',
      "cfg := Config{CipherSuites: `ECDH+AES128`}",
    ]
  ) {
    const s = at(line, "ECDH+AES128", 4);
    assert.equal(s?.text, "ECDH+AES128", line);
    assert.equal(line.slice(s!.start, s!.end), "ECDH+AES128");
  }
});

Deno.test("findCipherStringAt() finds bare directive values in nginx, Apache and HAProxy", () => {
  assert.equal(at("  ssl_ciphers HIGH:!aNULL:!MD5;", "HIGH")?.text, "HIGH:!aNULL:!MD5");
  assert.equal(
    at("SSLCipherSuite ECDHE+AESGCM:!aNULL # strong", "ECDHE")?.text,
    "ECDHE+AESGCM:!aNULL",
  );
  assert.equal(
    at("    ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20", "CHACHA20")?.text,
    "ECDHE+AESGCM:ECDHE+CHACHA20",
  );
  assert.equal(
    at("  bind :443 ssl crt /x.pem ciphers ECDHE+AESGCM alpn h2", "ECDHE")?.text,
    "ECDHE+AESGCM",
  );
});

Deno.test("findCipherStringAt() finds config values in YAML, TOML, INI and shell", () => {
  assert.equal(at("ciphers: 'HIGH:!aNULL'", "HIGH")?.text, "HIGH:!aNULL");
  assert.equal(at('cipher_suites = "ECDH+AES128"', "ECDH")?.text, "ECDH+AES128");
  assert.equal(at("CipherString = DEFAULT@SECLEVEL=2", "DEFAULT")?.text, "DEFAULT@SECLEVEL=2");
  assert.equal(at("openssl s_client -cipher 'AES128-SHA' host:443", "AES128")?.text, "AES128-SHA");
  assert.equal(
    at("curl --ciphers ECDHE-RSA-AES128-GCM-SHA256 https://x", "ECDHE")?.text,
    "ECDHE-RSA-AES128-GCM-SHA256",
  );
});

Deno.test("findCipherStringAt() returns nothing off the string or for ordinary strings", () => {
  const line = "ctx.set_ciphers('ECDH+AES128')";
  assert.equal(findCipherStringAt(line, 2), undefined);
  assert.equal(at("print('hello world')", "hello"), undefined);
  assert.equal(at("name = 'RSA'", "RSA"), undefined);
  assert.equal(at("url = 'a:b:c'", "a:b"), undefined);
});

Deno.test("looksLikeCipherString() wants an operator or list outside a cipher directive", () => {
  assert.equal(looksLikeCipherString("DEFAULT", false), false);
  assert.equal(looksLikeCipherString("DEFAULT", true), true);
  assert.equal(looksLikeCipherString("HIGH:!aNULL", false), true);
  assert.equal(looksLikeCipherString("TLS_AES_128_GCM_SHA256", false), true);
  assert.equal(looksLikeCipherString("ECDHE-RSA-AES128-GCM-SHA256", false), true);
  assert.equal(looksLikeCipherString("@STRENGTH", true), true);
  assert.equal(looksLikeCipherString("hello:world", true), false);
  assert.equal(looksLikeCipherString("", true), false);
});

const ROWS = [
  {
    name: "ECDHE-ECDSA-AES128-GCM-SHA256",
    version: "TLSv1.2",
    kx: "ECDH",
    au: "ECDSA",
    enc: "AESGCM(128)",
    mac: "AEAD",
    rating: { level: "secure", reason: "x" },
  },
  {
    name: "ECDHE-RSA-AES128-SHA",
    version: "SSLv3",
    kx: "ECDH",
    au: "RSA",
    enc: "AES(128)",
    mac: "SHA1",
    rating: "weak",
  },
];

Deno.test("renderSuitesMarkdown() renders a table in order with ratings", () => {
  const md = renderSuitesMarkdown("ECDH+AES128", ROWS, "3.0");
  const lines = md.split("\n");
  assert.match(lines[0], /OpenSSL 3\.0 cipher string.*`ECDH\+AES128` → 2 suites/);
  assert.equal(lines[2], "| Name | Version | Kx | Au | Enc | Mac | Rating |");
  assert.equal(
    lines[4],
    "| ECDHE-ECDSA-AES128-GCM-SHA256 | TLSv1.2 | ECDH | ECDSA | AESGCM(128) | AEAD | secure |",
  );
  assert.equal(lines[5].split("|")[7].trim(), "weak");
});

Deno.test("renderSuitesMarkdown() says so when nothing matches", () => {
  assert.match(renderSuitesMarkdown("eNULL:!eNULL", [], "3.0"), /→ 0 suites\n\nNo cipher suite/);
});

Deno.test("renderSuitesHtml() escapes the cipher string", () => {
  const html = renderSuitesHtml("<b>x</b>", ROWS, "3.0");
  assert.ok(html.includes("&#60;b&#62;x&#60;/b&#62;"));
  assert.ok(!html.includes("<b>x"));
  assert.equal(html.match(/<tr>/g)?.length, 3);
  // The wide table scrolls inside its own box (a keyboard-focusable region), not the page.
  assert.match(html, /<div class="scroll" tabindex="0" role="region" aria-label="Suites"><table/);
});

Deno.test("findCipherStrings() lists only the cipher settings of a line", () => {
  assert.deepEqual(
    findCipherStrings("ctx.set_ciphers('ECDH+AES128'); x = 'HIGH:!aNULL'").map((s) => s.text),
    ["ECDH+AES128"],
  );
  assert.deepEqual(
    findCipherStrings("ssl_ciphers HIGH:!aNULL:!MD5;").map((s) => [s.text, s.start]),
    [[
      "HIGH:!aNULL:!MD5",
      12,
    ]],
  );
  assert.deepEqual(
    findCipherStrings("tls.connect({ ciphers: 'DEFAULT', host: 'a' })").map((s) => s.text),
    [
      "DEFAULT",
    ],
  );
  assert.deepEqual(findCipherStrings("print('hello: world')"), []);
});
