/**
 * The probe's text form: the dotted layout of the book's `test_tls.py`
 * (`title.ljust(36, '.') + ' ' + value`, wrapped at 70 columns with a
 * four-space hanging indent, as `textwrap.fill` does).
 *
 * @module
 */
import { formatAddress } from "../address.ts";
import type { ProbeBody } from "./probe.ts";
import { dotted, fill } from "./pyrepr.ts";

/**
 * One dotted line, wrapped like `textwrap.fill(…, subsequent_indent='    ')`
 * without breaking words.
 *
 * @param title the title
 * @param value the value
 * @param width the wrap width (70, Python's default)
 * @returns the line(s)
 * @example
 * ```ts
 * import { say } from "./probe_text.ts";
 * console.assert(say("Peer certificate", "provided") === "Peer certificate.................... provided");
 * ```
 */
export function say(title: string, value: string, width = 70): string {
  return fill(dotted(title, value), width).join("\n");
}

const yesNo = (b: boolean | null | undefined, unknown = "unknown") =>
  b === null || b === undefined ? unknown : b ? "yes" : "no";

/**
 * Renders a probe body as text lines.
 *
 * @param b the body
 * @param o `verbose`: add the decoded chain
 * @returns the lines
 */
export function renderProbeText(b: ProbeBody, o: { verbose?: boolean } = {}): string[] {
  const out: string[] = [];
  const t = b.target;
  out.push(say("Address we want to talk to", formatAddress(t.host, t.port)));
  if (t.address) out.push(say("Address connected to", formatAddress(t.address)));
  out.push(say("Server name sent (SNI)", t.serverName ?? "none"));
  if (b.starttls) {
    const st = b.starttls;
    out.push(say("STARTTLS", `${st.protocol}${st.banner ? ` (${st.banner})` : ""}`));
    if (st.capabilities.length) out.push(say("Advertised before TLS", st.capabilities.join(" ")));
    if (o.verbose && st.transcript) {
      for (const e of st.transcript) out.push(`    ${e.from}: ${e.text}`);
    }
  }
  const h = b.handshake;
  if (!h) return out;
  const leaf = b.certificates[0];
  out.push(say(
    "Peer certificate",
    leaf ? `provided (chain of ${b.certificates.length})` : "none",
  ));
  if (leaf) {
    const names = [
      ...leaf.commonNames,
      ...leaf.sans.dns.filter((d) => !leaf.commonNames.includes(d)).map((d) => d),
      ...leaf.sans.ip.map((ip) => `IP:${ip}`),
    ];
    out.push(say("Name(s) on peer certificate", names.join(" ") || "none"));
  }
  if (b.identity) {
    out.push(say(
      "Whether name(s) match the hostname",
      b.identity.matched ? `Yes (${b.identity.rule})` : `No: ${b.identity.reason}`,
    ));
  }
  if (b.trust) {
    const tr = b.trust;
    const verdict = tr.verified === true
      ? "Yes (rustls)"
      : tr.verified === false
      ? `No: ${tr.code}: ${tr.message}`
      : `Not checked: ${tr.message}`;
    out.push(say("Certificate chain trusted", verdict));
    const store = tr.caFile
      ? `${tr.caFile} (${tr.caCount ?? "?"} certificate${tr.caCount === 1 ? "" : "s"})`
      : `${tr.store ?? "platform"}${tr.caCount !== null ? ` (${tr.caCount} certificates)` : ""}`;
    out.push(say("Trust store", store));
  }
  out.push(say("Protocol version negotiated", h.version));
  out.push(say(
    "Cipher chosen for this connection",
    h.cipher.openssl && h.cipher.openssl !== h.cipher.iana
      ? `${h.cipher.openssl} (${h.cipher.iana})`
      : h.cipher.iana,
  ));
  out.push(say("Cipher defined in TLS version", h.cipher.definedIn ?? "unknown"));
  out.push(say("Cipher key has this many bits", h.cipher.bits?.toString() ?? "unknown"));
  out.push(say(
    "Key exchange",
    h.group
      ? `${h.keyExchange} ${h.group.name}${h.group.bits ? ` (${h.group.bits} bits)` : ""}`
      : h.keyExchange,
  ));
  if (h.helloRetryRequest) {
    out.push(
      say("HelloRetryRequest", `server asked for ${h.helloRetryRequest.group ?? "a cookie"}`),
    );
  }
  out.push(say("ALPN protocol", h.alpn ?? "none"));
  out.push(say("Compression algorithm in use", h.compression));
  const cr = h.clientCertificateRequested;
  out.push(say(
    "Client certificate requested",
    cr
      ? `yes; acceptable CAs: ${cr.caNames.length ? cr.caNames.join("; ") : "any (none listed)"}`
      : "no",
  ));
  out.push(say("OCSP response stapled", yesNo(h.ocspStapled)));
  out.push(say("Session ticket offered", yesNo(h.sessionTicket)));
  if (h.signature) {
    const s = h.signature;
    out.push(say(
      `Server ${s.message} signature`,
      `${s.scheme}: ${
        s.valid === null ? `not checked (${s.reason})` : s.valid ? "valid" : "INVALID"
      }`,
    ));
  }
  for (const f of b.findings) {
    out.push(say(`Finding (${f.severity})`, `${f.rule}: ${f.message}`));
  }
  if (o.verbose) {
    b.certificates.forEach((c, i) => {
      out.push("");
      out.push(`Certificate ${i}${i === 0 ? " (leaf)" : ""}`);
      out.push(say("  Subject", c.subject));
      out.push(say("  Issuer", c.issuer));
      out.push(say("  Serial number", c.serialNumber));
      out.push(say("  Not before", c.notBefore));
      out.push(say("  Not after", c.notAfter));
      out.push(say(
        "  Public key",
        `${c.key.type}${c.key.bits ? ` ${c.key.bits} bits` : ""}${
          c.key.curve ? ` ${c.key.curve}` : ""
        }`,
      ));
      out.push(say("  Signature algorithm", c.signatureAlgorithm));
      if (c.sans.dns.length || c.sans.ip.length) {
        out.push(say(
          "  Subject alternative names",
          [...c.sans.dns.map((d) => `DNS:${d}`), ...c.sans.ip.map((i) => `IP:${i}`)].join(", "),
        ));
      }
      out.push(say("  SHA-256 fingerprint", c.sha256));
      for (const f of c.findings ?? []) {
        out.push(say(`  Finding (${f.severity})`, `${f.rule}: ${f.message} [${f.clause}]`));
      }
    });
  }
  return out;
}
