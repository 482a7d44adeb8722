/**
 * `tlsprobe scan` end to end: JSON (one object, JSON lines for several
 * targets) validated against the committed schema, text grouped by version,
 * exit statuses, `--policy`, and hostile servers (silent, garbage, drops after
 * the ClientHello, endless records) that end within the timeout with a coded
 * error while the other targets' results stay intact.
 */
import { strict as assert } from "node:assert";
import { scanTarget } from "../../core/net/scan.ts";
import { cliArgs, ROOT, startOpensslServer, tlsprobe } from "../_helpers/process.ts";
import { assertScanSchema } from "../_helpers/schema.ts";

const CERTS = ROOT + "certs/";
const RSA = ["-cert", CERTS + "localhost.crt", "-key", CERTS + "localhost.key"];

type Behaviour = "silent" | "garbage" | "drop" | "endless";

/** A hostile TCP server on an ephemeral port (not TLS: that is the point). */
function hostile(
  kind: Behaviour,
): { port: number; accepted: () => number; close: () => void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let accepted = 0;
  (async () => {
    for await (const c of l) {
      accepted++;
      conns.add(c);
      (async () => {
        const buf = new Uint8Array(4096);
        try {
          await c.read(buf);
          if (kind === "garbage") {
            await c.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
          } else if (kind === "drop") {
            c.close();
            conns.delete(c);
          } else if (kind === "endless") {
            // ChangeCipherSpec records forever: never a ServerHello.
            const rec = new Uint8Array(6 * 1024);
            for (let i = 0; i < rec.length; i += 6) rec.set([20, 3, 3, 0, 1, 1], i);
            for (;;) await c.write(rec);
          }
          // silent: hold the connection and say nothing
          await c.read(buf);
        } catch { /* closed by the client */ }
      })();
    }
  })().catch(() => {});
  return {
    port: (l.addr as Deno.NetAddr).port,
    accepted: () => accepted,
    close: () => {
      l.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

Deno.test({
  name: "scanTarget() ends each hostile server within its timeout with a coded error",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const kinds: [Behaviour, string[]][] = [
      ["silent", ["TIMEOUT"]],
      ["garbage", ["NOT_TLS"]],
      ["drop", ["CONNECTION_CLOSED", "CONNECTION_RESET"]],
      ["endless", ["PEER_MALFORMED", "TIMEOUT"]],
    ];
    const servers = kinds.map(([k]) => hostile(k));
    try {
      const t0 = Date.now();
      const results = await Promise.all(servers.map((s, i) =>
        scanTarget({
          host: "127.0.0.1",
          port: s.port,
          timeoutMs: 2000,
          now: new Date(),
        }).then((r) => ({ r, ms: Date.now() - t0, kind: kinds[i] }))
      ));
      for (const { r, ms, kind } of results) {
        assert.ok(r.error, `${kind[0]}: no error`);
        assert.ok(kind[1].includes(r.error.code), `${kind[0]}: ${r.error.code}`);
        assert.ok(ms < 2000 * 2 + 3000, `${kind[0]} took ${ms} ms`);
        assert.equal(r.versions.some((v) => v.accepted), false);
      }
    } finally {
      for (const s of servers) s.close();
    }
  },
});

Deno.test({
  name: "scan --json prints JSON lines for two targets: a silent one fails, the other is intact",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const server = await startOpensslServer([...RSA, "-tls1_3"]);
    const silent = hostile("silent");
    try {
      const r = await tlsprobe([
        "scan",
        "--json",
        "--timeout",
        "5",
        "-a",
        CERTS + "ca.crt",
        "--servername",
        "localhost",
        `127.0.0.1:${server.port}`,
        `127.0.0.1:${silent.port}`,
      ]);
      const lines = r.stdout.trim().split("\n");
      assert.equal(lines.length, 2, r.stdout + r.stderr);
      const [ok, bad] = lines.map((l) => JSON.parse(l));
      assertScanSchema(ok);
      assertScanSchema(bad);
      assert.equal(ok.outcome, "ok");
      assert.deepEqual(
        ok.versions.filter((v: { accepted: boolean }) => v.accepted).map((v: { version: string }) =>
          v.version
        ),
        ["TLSv1.3"],
      );
      assert.equal(ok.certificates[0].nameMatches, true);
      assert.equal(bad.outcome, "error");
      assert.equal(bad.error.code, "TIMEOUT");
      assert.equal(r.code, 3);
    } finally {
      silent.close();
      await server.stop();
    }
  },
});

Deno.test({
  name: "scan prints text grouped by version, and --policy exits 1 when the server fails it",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const server = await startOpensslServer([
      ...RSA,
      "-tls1_2",
      "-cipher",
      "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
    ]);
    try {
      const r = await tlsprobe([
        "scan",
        "--policy",
        "mozilla-intermediate",
        "-a",
        CERTS + "ca.crt",
        "--servername",
        "localhost",
        `127.0.0.1:${server.port}`,
      ]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /TLSv1\.2 \(2, client order\)/);
      assert.match(r.stdout, /0xC02F .*ECDHE-RSA-AES128-GCM-SHA256/);
      assert.match(r.stdout, /policy mozilla-intermediate\s+fail/);
      assert.match(r.stdout, /Grade /);
    } finally {
      await server.stop();
    }
  },
});

Deno.test("scan without a target, or with a bad --concurrency, is a usage error (exit 2)", async () => {
  const a = await tlsprobe(["scan"]);
  assert.equal(a.code, 2);
  assert.match(a.stderr, /No target/);
  const b = await tlsprobe(["scan", "--concurrency", "0", "localhost"]);
  assert.equal(b.code, 2);
  const c = await tlsprobe(["scan", "--targets", "/nonexistent/targets.txt"]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /FILE_NOT_FOUND|does not exist/);
});

Deno.test({
  name: "scan stops on SIGTERM in the middle and prints what it has (exit 143)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const silent = hostile("silent");
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          ...cliArgs(),
          "scan",
          "--timeout",
          "60",
          `127.0.0.1:${silent.port}`,
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
      // Once the version handshakes are in flight, the scan is running.
      const t0 = Date.now();
      while (silent.accepted() < 2 && Date.now() - t0 < 30_000) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const stopped = Date.now();
      child.kill("SIGTERM");
      const r = await child.output();
      const stdout = new TextDecoder().decode(r.stdout);
      assert.equal(r.code, 143);
      assert.match(stdout, /interrupted/);
      assert.ok(Date.now() - stopped < 10_000, "the scan did not stop promptly");
    } finally {
      silent.close();
    }
  },
});
