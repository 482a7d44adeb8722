import assert from "node:assert/strict";
import {
  labAddress,
  labIndexUrl,
  labPortRange,
  labRow,
  labStatus,
  parseLabJson,
} from "../../extension/src/pure/lab_view.ts";
import { ReportFormatError } from "../../extension/src/pure/report.ts";

// The shape `tlsprobe serve --lab --json` printed (abridged: three of its cases).
const PRINTED = JSON.stringify({
  schemaVersion: 1,
  lab: {
    host: "127.0.0.1",
    port: 8440,
    ca: "/tmp/lab/labca.crt",
    dir: "/tmp/lab",
    endpoints: [
      {
        name: "good",
        port: 8441,
        expect: "connect",
        client: "connects and verifies",
        description: "reference: valid chain",
        served: true,
        engine: "runtime",
      },
      {
        name: "expired",
        port: 8442,
        expect: "reject",
        error: "CERT_EXPIRED",
        client: "rejects: certificate has expired",
        description: "leaf expired yesterday",
        served: true,
        engine: "runtime",
        futureField: 7,
      },
      {
        name: "rc4",
        port: null,
        expect: "reject",
        client: "not served: the runtime has no RC4",
        description: "RC4 suites",
        served: false,
        engine: null,
      },
    ],
  },
});

Deno.test("parseLabJson() reads the lab's index and keeps fields it does not know", () => {
  const r = parseLabJson(PRINTED + "\n");
  assert.ok("index" in r);
  assert.equal(r.index.port, 8440);
  assert.deepEqual(r.index.endpoints.map((e) => e.name), [
    "good",
    "expired",
    "rc4",
  ]);
  assert.equal(
    (r.index.endpoints[1] as unknown as { futureField: number }).futureField,
    7,
  );
  assert.equal(r.index.endpoints[2].served, false);
});

Deno.test("parseLabJson() returns the CLI's coded error (a port in use)", () => {
  const r = parseLabJson(JSON.stringify({
    schemaVersion: 1,
    tool: { name: "tlsprobe", version: "0.1.0" },
    command: "serve",
    outcome: "error",
    error: {
      code: "USAGE",
      message: "Port 8447 is already in use on 127.0.0.1",
    },
  }));
  assert.deepEqual(r, {
    error: {
      code: "USAGE",
      message: "Port 8447 is already in use on 127.0.0.1",
    },
  });
});

Deno.test("parseLabJson() refuses what is not a lab index", () => {
  for (
    const text of [
      "",
      "Error: boom",
      "[]",
      '{"lab":{}}',
      '{"schemaVersion":2,"lab":{"host":"h","port":1,"ca":"c","dir":"d","endpoints":[]}}',
      '{"schemaVersion":1,"lab":{"host":"h","port":1,"ca":"c","dir":"d"}}',
      '{"schemaVersion":1,"lab":{"host":"h","port":1,"ca":"c","dir":"d","endpoints":[{"name":"x"}]}}',
      '{"schemaVersion":1,"lab":{"host":"h","port":1,"ca":"c","dir":"d","endpoints":[null]}}',
    ]
  ) {
    assert.throws(() => parseLabJson(text), ReportFormatError, text);
  }
});

Deno.test("labStatus() names the port range; rows say what a correct client does", () => {
  const r = parseLabJson(PRINTED);
  assert.ok("index" in r);
  assert.deepEqual(labPortRange(r.index), [8440, 8442]);
  assert.equal(
    labStatus(r.index),
    "running on 127.0.0.1 ports 8440–8442 (2 endpoints)",
  );
  assert.equal(labStatus(undefined), "stopped");
  assert.equal(labIndexUrl(r.index), "https://127.0.0.1:8440/");
  assert.equal(labAddress("::1", 8441), "[::1]:8441");
  const expired = labRow(r.index, r.index.endpoints[1]);
  assert.equal(expired.address, "127.0.0.1:8442");
  assert.equal(expired.description, "127.0.0.1:8442 · reject CERT_EXPIRED");
  assert.match(
    expired.tooltip,
    /leaf expired yesterday\nA correct client: rejects: .*\[CERT_EXPIRED\]/,
  );
  const rc4 = labRow(r.index, r.index.endpoints[2]);
  assert.equal(rc4.address, undefined);
  assert.match(rc4.description, /^not served/);
  assert.equal(
    labRow(r.index, r.index.endpoints[0]).description,
    "127.0.0.1:8441 · connect",
  );
});
