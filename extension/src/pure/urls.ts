/**
 * Finds `https://host[:port]` URLs in text, for the "Probe TLS" CodeLens.
 * No `vscode` import: unit-tested under Deno.
 *
 * @module
 */
import { parseStarttlsUrl, STARTTLS_URL_SCHEMES } from "../../../core/starttls/mod.ts";

/** An https URL found in a document. */
export interface HttpsUrl {
  line: number;
  start: number;
  host: string;
  port: number;
  /** The STARTTLS protocol an `smtp://`, `imap://`… URL names. */
  starttls?: string;
}

/** https URLs, and the STARTTLS schemes (`smtp://`, `imap://`, `ldap://`…) with their protocol. */
const URL_RE = new RegExp(
  `\\b(https|${Object.keys(STARTTLS_URL_SCHEMES).join("|")}):\\/\\/` +
    "(?:[^\\s/@\"'`<>]*@)?(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+)(?::(\\d{1,5}))?",
  "g",
);

/**
 * The https URLs of a document with a probe target each, skipping template
 * placeholders and hosts without a dot (except `localhost`).
 *
 * @param text the document
 * @param limit at most this many (CodeLens on a huge file helps no one)
 * @returns the URLs in document order
 */
export function findHttpsUrls(text: string, limit = 200): HttpsUrl[] {
  const out: HttpsUrl[] = [];
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length && out.length < limit; n++) {
    for (const m of lines[n].matchAll(URL_RE)) {
      // smtp://, imap://…: core's parser gives the protocol and the port.
      let starttls: ReturnType<typeof parseStarttlsUrl>;
      try {
        starttls = parseStarttlsUrl(m[0]);
      } catch {
        continue;
      }
      const host = m[2].replace(/^\[|\]$/g, "").replace(/\.$/, "");
      const port = starttls?.port ?? (m[3] === undefined ? 443 : Number(m[3]));
      if (port < 1 || port > 65535) continue;
      if (!host.includes(".") && !host.includes(":") && host !== "localhost") {
        continue;
      }
      if (/^[.-]|[.-]$|\.\./.test(host)) continue;
      out.push({
        line: n,
        start: m.index!,
        host,
        port,
        ...(starttls ? { starttls: starttls.protocol } : {}),
      });
      if (out.length >= limit) break;
    }
  }
  return out;
}
