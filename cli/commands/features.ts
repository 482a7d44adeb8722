/**
 * `tlsprobe features`: the book's `features.py` for this build: the runtime,
 * what its TLS offers (read from the ClientHello it sends), what the
 * inspection engine offers and observes, and the WebCrypto algorithms.
 *
 * @module
 */
import { jsonOption } from "../options.ts";
import type { CommandSpec } from "../args.ts";
import { envelope } from "../../core/report/envelope.ts";
import { collectFeatures } from "../../core/net/features.ts";
import { say as sayLine } from "../../core/report/probe_text.ts";
import { fill } from "../../core/report/pyrepr.ts";
import { out, printJson } from "../output.ts";

/**
 * A dotted line; a label too long for the dots gets a line of its own and the
 * value goes under the column where values start, so the layout holds.
 */
function say(label: string, value: string): string {
  if (label.length < 36) return sayLine(label, value);
  return `${label}\n${fill(" ".repeat(37) + value, 70).join("\n")}`;
}

/** `tlsprobe features`. */
export const command: CommandSpec = {
  name: "features",
  summary: "Show what this build can do: runtime TLS, inspection engine, WebCrypto",
  options: [jsonOption()],
  run: async ({ flags }) => {
    const f = await collectFeatures();
    if (flags.json) {
      printJson(envelope("features", f));
      return;
    }
    const list = (xs: string[]) => xs.join(" ") || "none";
    out("");
    out(say("Deno", f.runtime.deno));
    out(say("V8", f.runtime.v8));
    out(say("TypeScript", f.runtime.typescript));
    out(say("Platform", `${f.runtime.os} ${f.runtime.arch}`));
    out("");
    out("Runtime TLS (rustls), from the ClientHello it sends:");
    out(say("  Versions", list(f.runtimeTls.versions)));
    out(say("  Cipher suites", list(f.runtimeTls.cipherSuites)));
    out(say("  Groups", list(f.runtimeTls.groups)));
    out(say("  Key shares", list(f.runtimeTls.keyShares)));
    out(say("  Signature schemes", list(f.runtimeTls.signatureAlgorithms)));
    out(say("  ALPN offered", list(f.runtimeTls.alpn)));
    out("");
    out("Inspection engine:");
    out(say("  Versions", list(f.engine.versions)));
    out(say("  Suites it can offer", String(f.engine.offerableSuites)));
    out(say("  TLS 1.3 suites decrypted", list(f.engine.tls13Suites)));
    out(say("  Key-share groups", list(f.engine.keyShareGroups)));
    out(say("  Groups it can name", String(f.engine.observableGroups)));
    out(say("  Signatures checked", list(f.engine.verifiableSignatureSchemes)));
    out("");
    out("WebCrypto:");
    for (const a of f.webCrypto) {
      out(say(`  ${a.name}`, `${a.supported ? "yes" : "no"} (${a.use})`));
    }
    out("");
    out("Support:");
    for (const s of f.support) {
      out(say(`  ${s.feature}`, `${s.supported ? "yes" : "no"}: ${s.note}`));
    }
    out("");
  },
};
