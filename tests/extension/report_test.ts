import assert from "node:assert/strict";
import {
  formatTarget,
  parseCliJson,
  parseTarget,
  ReportFormatError,
} from "../../extension/src/pure/report.ts";
import { findHttpsUrls } from "../../extension/src/pure/urls.ts";

Deno.test("parseCliJson() accepts a schema-1 envelope, ok or error", () => {
  assert.equal(parseCliJson('{"schemaVersion":1,"outcome":"ok"}\n').outcome, "ok");
  const e = parseCliJson(
    '{"schemaVersion":1,"outcome":"error","error":{"code":"TIMEOUT","message":"m","detail":{}}}',
  );
  assert.equal(e.error?.code, "TIMEOUT");
});

Deno.test("parseCliJson() rejects other schema versions, non-JSON and incomplete errors", () => {
  const bad = [
    "",
    "tlsprobe: error: unknown command 'probe'",
    "[1]",
    '{"outcome":"ok"}',
    '{"schemaVersion":2,"outcome":"ok"}',
    '{"schemaVersion":1,"outcome":"maybe"}',
    '{"schemaVersion":1,"outcome":"error"}',
    '{"schemaVersion":1,"outcome":"error","error":{"code":"X"}}',
  ];
  for (const s of bad) assert.throws(() => parseCliJson(s), ReportFormatError, s);
  assert.throws(() => parseCliJson('{"schemaVersion":2,"outcome":"ok"}'), /schema version 2/);
});

Deno.test("parseCliJson() takes scan output at schema 2 only, other commands at 1", () => {
  assert.equal(parseCliJson('{"schemaVersion":2,"command":"scan","outcome":"ok"}').command, "scan");
  assert.throws(
    () => parseCliJson('{"schemaVersion":1,"command":"scan","outcome":"ok"}'),
    /schema version 1 for scan; this extension understands 2/,
  );
  assert.throws(
    () => parseCliJson('{"schemaVersion":2,"command":"probe","outcome":"ok"}'),
    /schema version 2 for probe/,
  );
});

Deno.test("parseTarget() reads host:port, [v6]:port, bare hosts and https URLs", () => {
  assert.deepEqual(parseTarget("example.com:8443"), { host: "example.com", port: 8443 });
  assert.deepEqual(parseTarget("example.com"), { host: "example.com", port: 443 });
  assert.deepEqual(parseTarget("[::1]:1060"), { host: "::1", port: 1060 });
  assert.deepEqual(parseTarget("https://user@example.com:8443/path?q"), {
    host: "example.com",
    port: 8443,
  });
  assert.deepEqual(parseTarget("https://example.com/x"), { host: "example.com", port: 443 });
  for (const s of ["", "a b", "host:0", "host:65536", "host:x", "ftp://x", "-x:1", "--help"]) {
    assert.equal(parseTarget(s), undefined, s);
  }
});

Deno.test("formatTarget() brackets IPv6 addresses", () => {
  assert.equal(formatTarget({ host: "::1", port: 443 }), "[::1]:443");
  assert.equal(formatTarget({ host: "localhost", port: 1060 }), "localhost:1060");
});

Deno.test("findHttpsUrls() finds hosts and ports and skips non-hosts", () => {
  const text = [
    'fetch("https://example.com/api")',
    "see https://localhost:8443/x and https://[::1]:9443/",
    "not http://plain.example.com, not https://intranet/, not https://${HOST}/",
  ].join("\n");
  assert.deepEqual(
    findHttpsUrls(text).map((u) => [u.line, u.host, u.port]),
    [[0, "example.com", 443], [1, "localhost", 8443], [1, "::1", 9443]],
  );
  assert.equal(findHttpsUrls("https://a.example\n".repeat(500), 10).length, 10);
});

Deno.test("parseTarget() and findHttpsUrls() read smtp://, imap://, ldap://, postgres:// as STARTTLS targets", () => {
  assert.deepEqual(parseTarget("smtp://mail.example.com"), {
    host: "mail.example.com",
    port: 25,
    starttls: "smtp",
  });
  assert.deepEqual(parseTarget("submission://mail.example.com"), {
    host: "mail.example.com",
    port: 587,
    starttls: "smtp",
  });
  assert.deepEqual(parseTarget("postgresql://db.example.com:6432/app"), {
    host: "db.example.com",
    port: 6432,
    starttls: "postgres",
  });
  assert.deepEqual(parseTarget("ldap://user@dir.example.com"), {
    host: "dir.example.com",
    port: 389,
    starttls: "ldap",
  });
  assert.equal(parseTarget("gopher://x.example.com"), undefined);
  const found = findHttpsUrls("imap://mx.example.com and https://a.example.com:8443\n");
  assert.deepEqual(found.map((u) => [u.host, u.port, u.starttls]), [
    ["mx.example.com", 143, "imap"],
    ["a.example.com", 8443, undefined],
  ]);
});
