/**
 * XMPP STARTTLS (RFC 6120 §5.4): open the stream, read the features, send
 * `<starttls/>`, wait for `<proceed/>`. Client-to-server (`jabber:client`)
 * and server-to-server (`jabber:server`).
 *
 * @module
 */
import { type Dialogue, refused, unexpected, unsupported } from "./dialogue.ts";
import type { StarttlsSession } from "./types.ts";

const TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls";

function escapeAttr(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/'/g, "&apos;").replace(/</g, "&lt;");
}

/** The length of the text up to the end of `</stream:features>` or a self-closed features, or -1. */
function featuresEnd(text: string): number {
  const close = /<\/(?:stream:)?features\s*>/.exec(text);
  if (close) return close.index + close[0].length;
  const empty = /<(?:stream:)?features\b[^>]*\/>/.exec(text);
  if (empty) return empty.index + empty[0].length;
  const err = /<\/(?:stream:)?stream\s*>/.exec(text);
  if (err) return err.index + err[0].length;
  return -1;
}

/** The length up to the end of `<proceed…/>` or `<failure…/>` (or its close tag), or -1. */
function answerEnd(text: string): number {
  const m = /<(proceed|failure)\b[^>]*?(\/>|>[\s\S]*?<\/\1\s*>)/.exec(text) ??
    /<\/(?:stream:)?stream\s*>/.exec(text);
  return m ? m.index + m[0].length : -1;
}

/**
 * Runs the XMPP dialogue.
 *
 * @param d the dialogue
 * @param domain the `to=` domain (`--xmpp-host`, default the host)
 * @param server true for server-to-server streams (`xmpp-server`)
 * @returns banner (the stream's `from`) and the stream features' element names
 */
export async function xmpp(d: Dialogue, domain: string, server: boolean): Promise<StarttlsSession> {
  const protocol = server ? "xmpp-server" : "xmpp";
  const ns = server ? "jabber:server" : "jabber:client";
  await d.send(
    `<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='${ns}'${
      server ? " xmlns:db='jabber:server:dialback'" : ""
    } to='${escapeAttr(domain)}' version='1.0'>`,
  );
  const text = await d.until(featuresEnd);
  if (/<stream:error\b/.test(text) || !/<(?:stream:)?features\b/.test(text)) {
    const cond = /<stream:error>\s*<([\w-]+)/.exec(text)?.[1];
    if (cond) throw refused(d, protocol, `stream error ${cond}`);
    throw unexpected(d, protocol, "<stream:features>", text);
  }
  const banner = /<(?:stream:)?stream\b[^>]*\bfrom=['"]([^'"]*)['"]/.exec(text)?.[1] ?? "";
  const features = text.slice(text.search(/<(?:stream:)?features\b/));
  const capabilities = [...features.matchAll(/<([\w:-]+)\b/g)].map((m) => m[1])
    .filter((n) => !/^(stream:)?features$/.test(n));
  const mechanisms = [...features.matchAll(/<mechanism>([^<]*)<\/mechanism>/g)].map((m) =>
    `SASL ${m[1]}`
  );
  if (!new RegExp(`<starttls\\b[^>]*${TLS_NS.replace(/[.:]/g, "\\$&")}`).test(features)) {
    throw unsupported(d, protocol, "the stream features have no <starttls/>");
  }
  await d.send(`<starttls xmlns='${TLS_NS}'/>`);
  const answer = await d.until(answerEnd);
  if (/<proceed\b/.test(answer)) {
    return {
      protocol,
      banner,
      capabilities: [...new Set([...capabilities, ...mechanisms])],
    };
  }
  if (/<failure\b/.test(answer)) throw refused(d, protocol, answer.trim());
  throw unexpected(d, protocol, "<proceed/>", answer);
}
