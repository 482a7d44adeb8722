/**
 * Integration tests in the real extension host (code-server): activation,
 * commands, the cipher-string hover against `openssl ciphers -v`, lint
 * diagnostics and quick fixes, and a probe of a local `tlsprobe serve`
 * through the real CLI filling the panel's model.
 *
 * @module
 */
import * as assert from "node:assert/strict";
import { type ChildProcess, execFileSync } from "node:child_process";
import * as path from "node:path";
import * as vscode from "vscode";
import type { TlsprobeApi } from "../../src/extension.ts";
import { startTlsServer } from "../harness/tls_server.mjs";

const EXTENSION_ID = "tlsprobe.tlsprobe";
const repo = process.env.TLSPROBE_REPO ??
  path.resolve(__dirname, "../../../..");

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, "the test workspace is open");
  return vscode.Uri.joinPath(folder.uri, name);
}

async function api(): Promise<TlsprobeApi> {
  const ext = vscode.extensions.getExtension<TlsprobeApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  return await ext.activate();
}

/** Parses `openssl ciphers -v` lines: name, version, Kx, Au, Enc, Mac. */
function opensslCiphers(str: string): string[][] {
  const out = execFileSync("openssl", ["ciphers", "-v", str], {
    encoding: "utf8",
  });
  return out.trim().split("\n").map((l) => {
    const [name, version, ...rest] = l.trim().split(/\s+/);
    const kv = Object.fromEntries(rest.map((x) => x.split("=")));
    return [name, version, kv.Kx, kv.Au, kv.Enc, kv.Mac];
  });
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((h) => h.contents).map((c) =>
    typeof c === "string" ? c : (c as vscode.MarkdownString).value
  ).join("\n");
}

/**
 * The hover table at `word` on the first line of `file` holding `lineNeedle`,
 * as rows of name, version, Kx, Au, Enc, Mac (Markdown escapes undone).
 */
async function hoverRows(file: string, lineNeedle: string, word: string) {
  const doc = await vscode.workspace.openTextDocument(workspaceFile(file));
  await vscode.window.showTextDocument(doc);
  const line = doc.getText().split("\n").findIndex((l) => l.includes(lineNeedle));
  const col = doc.lineAt(line).text.indexOf(word) + 2;
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
    "vscode.executeHoverProvider",
    doc.uri,
    new vscode.Position(line, col),
  );
  const md = hoverText(hovers);
  const rows = md.split("\n").filter((l) => /^\| [A-Z0-9]/.test(l) && !l.startsWith("| Name"))
    .map((l) => l.split("|").slice(1, 7).map((c) => c.trim().replace(/\\(.)/g, "$1")));
  return { rows, md };
}

async function waitFor<T>(
  what: string,
  f: () => T | undefined,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite("tlsprobe extension in the workbench", () => {
  test("activates and returns its API", async () => {
    const a = await api();
    assert.equal(typeof a.panelModel, "function");
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
  });

  test("registers its commands", async () => {
    await api();
    const all = await vscode.commands.getCommands(true);
    for (
      const id of [
        "tlsprobe.probe",
        "tlsprobe.expandCipherString",
        "tlsprobe.showCertificate",
        "tlsprobe.clearHistory",
        "tlsprobe.cancelProbe",
        "tlsprobe.history.show",
        "tlsprobe.history.reprobe",
        "tlsprobe.history.copyCommand",
        "tlsprobe.history.remove",
      ]
    ) {
      assert.ok(all.includes(id), `${id} is registered`);
    }
  });

  test("the hover for ECDH+AES128 matches openssl ciphers -v", async () => {
    await api();
    const { rows, md } = await hoverRows("tls_client.py", "set_ciphers(", "ECDH+AES128");
    const expected = opensslCiphers("ECDH+AES128");
    assert.ok(expected.length > 0, "openssl lists suites for ECDH+AES128");
    assert.deepEqual(rows, expected, `hover was: ${JSON.stringify(md)}`);
  });

  test("the hover on an nginx ssl_ciphers value matches openssl ciphers -v", async () => {
    await api();
    const { rows, md } = await hoverRows("nginx.conf", "ssl_ciphers", "HIGH");
    assert.deepEqual(rows, opensslCiphers("HIGH:!aNULL:!MD5"), `hover was: ${JSON.stringify(md)}`);
  });

  test("a CodeLens offers Probe TLS above an https URL", async () => {
    await api();
    const uri = workspaceFile("tls_client.py");
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      "vscode.executeCodeLensProvider",
      uri,
    );
    const lens = lenses.find((l) => l.command?.command === "tlsprobe.probe");
    assert.ok(lens, "a Probe TLS lens");
    assert.deepEqual(lens.command?.arguments, [{ target: "localhost:8443" }]);
    assert.equal(lens.command?.title, "Probe TLS localhost:8443");
  });

  test("a CodeLens above an smtp:// URL probes with STARTTLS smtp on port 25", async () => {
    await api();
    const doc = await vscode.workspace.openTextDocument({
      content: "relayhost = smtp://localhost\nstore = imap://user@localhost:1143/INBOX\n",
    });
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
      "vscode.executeCodeLensProvider",
      doc.uri,
    );
    const args = lenses.filter((l) => l.command?.command === "tlsprobe.probe")
      .map((l) => [l.command?.title, ...(l.command?.arguments ?? [])]);
    assert.deepEqual(args, [
      ["Probe TLS smtp localhost:25", { target: "localhost:25", starttls: "smtp" }],
      ["Probe TLS imap localhost:1143", { target: "localhost:1143", starttls: "imap" }],
    ]);
  });

  test("a Python file with ssl.wrap_socket gets TLS lint diagnostics and a quick fix", async () => {
    await api();
    const uri = workspaceFile("tls_client.py");
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diags = await waitFor("diagnostics", () => {
      const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === "tlsprobe");
      return d.some((x) => x.code === "py-wrap-socket") ? d : undefined;
    });
    const wrap = diags.find((d) => d.code === "py-wrap-socket")!;
    assert.equal(doc.getText(wrap.range), "ssl.wrap_socket(");
    assert.match(wrap.message, /create_default_context/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      "vscode.executeCodeActionProvider",
      uri,
      wrap.range,
    );
    const fix = actions.find((a) => a.title.includes("py-wrap-socket"));
    assert.ok(fix?.edit, "a quick fix with an edit is offered");
    const edits = fix.edit.get(uri);
    assert.equal(edits[0].newText, "ssl.create_default_context().wrap_socket(");
  });

  test("cipher-string diagnostics come from the engine's expansion (ECDH+AES128 includes an anonymous suite)", async () => {
    await api();
    const uri = workspaceFile("tls_client.py");
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const d = await waitFor(
      "weak-cipher-string diagnostic",
      () => vscode.languages.getDiagnostics(uri).find((x) => x.code === "weak-cipher-string"),
    );
    assert.equal(doc.getText(d.range), "ECDH+AES128");
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    // What openssl ciphers -v 'ECDH+AES128' lists with Au=None.
    const anon = execFileSync("openssl", ["ciphers", "-v", "ECDH+AES128"], { encoding: "utf8" })
      .split("\n").filter((l) => /Au=None/.test(l)).map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(anon, ["AECDH-AES128-SHA"]);
    assert.match(
      d.message,
      /^'ECDH\+AES128' expands to 12 suites in OpenSSL 3\.0, including 1 anonymous \(no authentication\) \(AECDH-AES128-SHA\)/,
    );
    // nginx: HIGH:!aNULL:!MD5 keeps RSA key exchange: a warning, no forward secrecy.
    const nginx = workspaceFile("nginx.conf");
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(nginx));
    const w = await waitFor(
      "nginx weak-cipher-string",
      () => vscode.languages.getDiagnostics(nginx).find((x) => x.code === "weak-cipher-string"),
    );
    assert.equal(w.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(w.message, /\d+ no forward secrecy \(/);
  });

  test("nginx.conf enabling TLS 1.0/1.1 gets a diagnostic", async () => {
    await api();
    const uri = workspaceFile("nginx.conf");
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const d = await waitFor(
      "nginx diagnostic",
      () => vscode.languages.getDiagnostics(uri).find((x) => x.code === "nginx-old-protocols"),
    );
    assert.match(d.message, /TLSv1, TLSv1\.1/);
  });

  test("TLS: Show Certificate decodes a PEM file through tlsprobe cert", async function () {
    this.timeout(60_000);
    await api();
    const file = vscode.Uri.file(path.join(repo, "certs/localhost.crt"));
    const result = await vscode.commands.executeCommand<
      { outcome: string; certificates: Array<{ sha256: string }> }
    >("tlsprobe.showCertificate", file);
    assert.equal(result?.outcome, "ok");
    const fp = execFileSync("openssl", [
      "x509",
      "-in",
      file.fsPath,
      "-noout",
      "-fingerprint",
      "-sha256",
    ], {
      encoding: "utf8",
    }).trim().split("=")[1];
    assert.equal(result.certificates[0].sha256, fp);
  });

  test("TLS: Expand Cipher String renders the engine's expansion", async () => {
    await api();
    const html = await vscode.commands.executeCommand<string>(
      "tlsprobe.expandCipherString",
      "ECDH+AES128",
    );
    for (const [name] of opensslCiphers("ECDH+AES128")) {
      assert.ok(html?.includes(name), name);
    }
  });

  suite("probing a local tlsprobe serve --starttls smtp through the CLI", () => {
    let server: ChildProcess | undefined;
    let port = 0;

    suiteSetup(async function () {
      this.timeout(90_000);
      ({ child: server, port } = await startTlsServer(repo, {}, ["--starttls", "smtp"]));
    });

    suiteTeardown(() => {
      server?.kill("SIGTERM");
    });

    test("an smtp:// target upgrades with STARTTLS smtp", async function () {
      this.timeout(90_000);
      const a = await api();
      const entry = await a.probe({
        target: `smtp://localhost:${port}`,
        caFile: path.join(repo, "certs/ca.crt"),
      });
      const report = entry?.report;
      assert.equal(report?.outcome, "ok", JSON.stringify(entry?.error ?? report?.error));
      assert.equal(report?.starttls?.protocol, "smtp");
      assert.match(String(report?.handshake?.version), /^TLSv1\.[23]$/);
    });

    test("the panel's STARTTLS option upgrades a host:port target", async function () {
      this.timeout(90_000);
      const a = await api();
      // What the form sends when STARTTLS is set to smtp in Options.
      const entry = await a.probe({
        target: `localhost:${port}`,
        starttls: "smtp",
        caFile: path.join(repo, "certs/ca.crt"),
      });
      assert.equal(entry?.report?.outcome, "ok", JSON.stringify(entry?.error));
      assert.equal(entry?.report?.starttls?.protocol, "smtp");
      // Without it, the same port is not TLS, and the CLI says which option to add.
      const plain = await a.probe({ target: `localhost:${port}` });
      const err = plain?.error ?? plain?.report?.error;
      assert.equal(err?.code, "NOT_TLS", JSON.stringify(plain));
      assert.match(String(err?.message), /--starttls smtp/);
    });
  });

  suite("probing a local tlsprobe serve through the CLI", () => {
    let server: ChildProcess | undefined;
    let port = 0;

    suiteSetup(async function () {
      this.timeout(90_000);
      ({ child: server, port } = await startTlsServer(repo));
    });

    suiteTeardown(() => {
      server?.kill("SIGTERM");
    });

    test("fills the panel model with the negotiated version and cipher", async function () {
      this.timeout(90_000);
      const a = await api();
      const entry = await a.probe({
        target: `localhost:${port}`,
        caFile: path.join(repo, "certs/ca.crt"),
      });
      assert.ok(entry, "the probe finished");
      const model = a.panelModel();
      assert.equal(model.entries[0].id, entry.id);
      const shown = model.entries[0];
      assert.equal(shown.error, undefined, JSON.stringify(shown.error));
      assert.equal(
        shown.report?.outcome,
        "ok",
        JSON.stringify(shown.report?.error),
      );
      const h = shown.report?.handshake;
      assert.match(String(h?.version), /^TLSv1\.[23]$/);
      assert.match(String(h?.cipher?.iana), /^TLS_[A-Z0-9_]+$/);
      assert.equal(shown.report?.target?.port, port);
    });

    test("a refused port is recorded with the CLI's error code", async function () {
      this.timeout(60_000);
      const a = await api();
      const net = await import("node:net");
      const closed = await new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      const entry = await a.probe({ target: `127.0.0.1:${closed}` });
      const err = entry?.error ?? entry?.report?.error;
      assert.equal(err?.code, "CONNECTION_REFUSED", JSON.stringify(entry));
    });

    test("the history's commands copy a probe as a command line, re-probe it and remove it", async function () {
      this.timeout(90_000);
      const a = await api();
      const first = a.panelModel().entries.find((e) => e.request.target === `localhost:${port}`);
      assert.ok(first, "the earlier probe is in the history");
      const line = await vscode.commands.executeCommand<string>(
        "tlsprobe.history.copyCommand",
        first,
      );
      assert.equal(
        line,
        `tlsprobe probe localhost:${port} --cafile ${path.join(repo, "certs/ca.crt")}`,
      );
      assert.equal(await vscode.env.clipboard.readText(), line);
      const count = a.panelModel().entries.length;
      const again = await vscode.commands.executeCommand<{ id: number; request: unknown }>(
        "tlsprobe.history.reprobe",
        first,
      );
      assert.ok(again && again.id !== first.id, "a new probe was recorded");
      assert.deepEqual(again.request, first.request);
      assert.equal(a.panelModel().entries.length, count + 1);
      await vscode.commands.executeCommand("tlsprobe.history.remove", again);
      assert.equal(a.panelModel().entries.length, count);
      assert.ok(!a.panelModel().entries.some((e) => e.id === again.id));
    });
  });

  test("Ctrl+Alt+P (TLS: Probe Endpoint…) is bound by no default VS Code keybinding", async () => {
    await vscode.commands.executeCommand("workbench.action.openDefaultKeybindingsFile");
    let text = "";
    for (let i = 0; i < 50 && !text.includes('"key"'); i++) {
      text = vscode.window.activeTextEditor?.document.getText() ?? "";
      if (!text.includes('"key"')) await new Promise((r) => setTimeout(r, 100));
    }
    const keys = [...text.matchAll(/"key":\s*"([^"]+)",\s*"command":\s*"([^"]+)"/g)];
    assert.ok(keys.length > 300, `only ${keys.length} default keybindings read`);
    const clash = keys.filter(([, key, command]) =>
      key === "ctrl+alt+p" && command !== "tlsprobe.probe"
    );
    assert.deepEqual(clash.map(([, , c]) => c), []);
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON;
    assert.deepEqual(pkg.contributes.keybindings[0], {
      command: "tlsprobe.probe",
      key: "ctrl+alt+p",
      mac: "cmd+alt+p",
    });
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
  });
});
