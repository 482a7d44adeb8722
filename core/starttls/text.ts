/**
 * STARTTLS dialogues of the line-based protocols: SMTP (RFC 3207), LMTP
 * (RFC 2033), IMAP (RFC 9051 §6.2.1), POP3 (RFC 2595 §4), FTP (RFC 4217
 * §4), NNTP (RFC 4642), ManageSieve (RFC 5804 §2.2) and IRC (IRCv3 `tls`:
 * 670 / 691).
 *
 * @module
 */
import { type Dialogue, refused, unexpected, unsupported } from "./dialogue.ts";
import type { StarttlsSession } from "./types.ts";

/** A reply of the SMTP family: the code and every line's text. */
interface CodedReply {
  code: number;
  lines: string[];
}

/** Reads an SMTP/LMTP/FTP reply: `250-…` lines, then `250 …` (RFC 5321 §4.2.1, RFC 959 §4.2). */
async function codedReply(d: Dialogue, protocol: string, ftp = false): Promise<CodedReply> {
  const first = await d.line();
  const m = /^(\d{3})([ -]?)(.*)$/.exec(first);
  if (!m) throw unexpected(d, protocol, "a three-digit reply", first);
  const code = Number(m[1]);
  const lines = [m[3]];
  if (m[2] !== "-") return { code, lines };
  for (let n = 0; n < 1000; n++) {
    const l = await d.line();
    const c = /^(\d{3})([ -]?)(.*)$/.exec(l);
    if (c && Number(c[1]) === code && c[2] !== "-") {
      lines.push(c[3]);
      return { code, lines };
    }
    if (c && Number(c[1]) === code) lines.push(c[3]);
    else if (ftp) lines.push(l.replace(/^ /, ""));
    else throw unexpected(d, protocol, `a continuation of reply ${code}`, l);
  }
  throw unexpected(d, protocol, "the end of a multi-line reply", "more than 1000 lines");
}

function words(r: CodedReply): string {
  return `${r.code} ${r.lines.join(" ").trim()}`;
}

/** SMTP (EHLO) and LMTP (LHLO): greeting, hello, STARTTLS, 220. */
export async function smtpLike(
  d: Dialogue,
  protocol: "smtp" | "lmtp",
  helloName: string,
): Promise<StarttlsSession> {
  const greeting = await codedReply(d, protocol);
  if (greeting.code !== 220) {
    if (greeting.code >= 400) throw refused(d, protocol, words(greeting));
    throw unexpected(d, protocol, "a 220 greeting", words(greeting));
  }
  const verb = protocol === "lmtp" ? "LHLO" : "EHLO";
  await d.send(`${verb} ${helloName}\r\n`);
  const hello = await codedReply(d, protocol);
  if (hello.code !== 250) {
    if (hello.code >= 400) throw refused(d, protocol, words(hello));
    throw unexpected(d, protocol, `250 to ${verb}`, words(hello));
  }
  const capabilities = hello.lines.slice(1).map((s) => s.trim()).filter(Boolean);
  if (!capabilities.some((c) => /^STARTTLS$/i.test(c))) {
    throw unsupported(
      d,
      protocol,
      `its ${verb} answer lists ${capabilities.join(", ") || "nothing"}`,
    );
  }
  await d.send("STARTTLS\r\n");
  const go = await codedReply(d, protocol);
  if (go.code !== 220) {
    if (go.code >= 400) throw refused(d, protocol, words(go));
    throw unexpected(d, protocol, "220 to STARTTLS", words(go));
  }
  return { protocol, banner: greeting.lines.join(" ").trim(), capabilities };
}

/** FTP: greeting 220, FEAT (RFC 2389), AUTH TLS, 234. */
export async function ftp(d: Dialogue): Promise<StarttlsSession> {
  const greeting = await codedReply(d, "ftp", true);
  if (greeting.code !== 220) {
    if (greeting.code >= 400) throw refused(d, "ftp", words(greeting));
    throw unexpected(d, "ftp", "a 220 greeting", words(greeting));
  }
  await d.send("FEAT\r\n");
  const feat = await codedReply(d, "ftp", true);
  let capabilities: string[] = [];
  if (feat.code === 211) {
    capabilities = feat.lines.slice(1, -1).map((s) => s.trim()).filter(Boolean);
    if (!capabilities.some((c) => /^AUTH\b.*\bTLS\b/i.test(c))) {
      throw unsupported(d, "ftp", `FEAT lists ${capabilities.join(", ") || "nothing"}`);
    }
  }
  await d.send("AUTH TLS\r\n");
  const go = await codedReply(d, "ftp", true);
  if (go.code !== 234) {
    if (go.code === 500 || go.code === 502 || go.code === 504) {
      throw unsupported(d, "ftp", `AUTH TLS answered ${JSON.stringify(words(go))}`);
    }
    if (go.code >= 400) throw refused(d, "ftp", words(go));
    throw unexpected(d, "ftp", "234 to AUTH TLS", words(go));
  }
  return { protocol: "ftp", banner: greeting.lines.join(" ").trim(), capabilities };
}

/** IMAP: `* OK` greeting, CAPABILITY, STARTTLS, tagged OK. */
export async function imap(d: Dialogue): Promise<StarttlsSession> {
  const greeting = await d.line();
  if (/^\* (BYE|PREAUTH)\b/i.test(greeting)) throw refused(d, "imap", greeting);
  if (!/^\* OK\b/i.test(greeting)) throw unexpected(d, "imap", "an `* OK` greeting", greeting);
  await d.send("a001 CAPABILITY\r\n");
  let capabilities: string[] = [];
  for (let n = 0; n < 1000; n++) {
    const l = await d.line();
    const cap = /^\* CAPABILITY (.*)$/i.exec(l);
    if (cap) capabilities = cap[1].trim().split(/\s+/);
    else if (/^a001 OK\b/i.test(l)) break;
    else if (/^a001 (NO|BAD)\b/i.test(l)) throw refused(d, "imap", l);
    else if (!l.startsWith("* ")) throw unexpected(d, "imap", "an answer to a001 CAPABILITY", l);
  }
  if (!capabilities.some((c) => /^STARTTLS$/i.test(c))) {
    throw unsupported(d, "imap", `CAPABILITY lists ${capabilities.join(" ") || "nothing"}`);
  }
  await d.send("a002 STARTTLS\r\n");
  for (let n = 0; n < 1000; n++) {
    const l = await d.line();
    if (/^a002 OK\b/i.test(l)) {
      return { protocol: "imap", banner: greeting, capabilities };
    }
    if (/^a002 (NO|BAD)\b/i.test(l)) throw refused(d, "imap", l);
    if (!l.startsWith("* ")) throw unexpected(d, "imap", "a002 OK", l);
  }
  throw unexpected(d, "imap", "a002 OK", "more than 1000 untagged lines");
}

/** Reads a dot-terminated multi-line block (POP3 CAPA, NNTP CAPABILITIES). */
async function dotBlock(d: Dialogue): Promise<string[]> {
  const lines: string[] = [];
  for (let n = 0; n < 1000; n++) {
    const l = await d.line();
    if (l === ".") return lines;
    lines.push(l.replace(/^\.\./, "."));
  }
  return lines;
}

/** POP3: `+OK` greeting, CAPA (RFC 2449), STLS, `+OK`. */
export async function pop3(d: Dialogue): Promise<StarttlsSession> {
  const greeting = await d.line();
  if (/^-ERR\b/i.test(greeting)) throw refused(d, "pop3", greeting);
  if (!/^\+OK\b/i.test(greeting)) throw unexpected(d, "pop3", "a `+OK` greeting", greeting);
  await d.send("CAPA\r\n");
  const capa = await d.line();
  let capabilities: string[] = [];
  if (/^\+OK\b/i.test(capa)) {
    capabilities = (await dotBlock(d)).map((s) => s.trim()).filter(Boolean);
    if (!capabilities.some((c) => /^STLS\b/i.test(c))) {
      throw unsupported(d, "pop3", `CAPA lists ${capabilities.join(", ") || "nothing"}`);
    }
  } else if (!/^-ERR\b/i.test(capa)) {
    throw unexpected(d, "pop3", "+OK or -ERR to CAPA", capa);
  }
  await d.send("STLS\r\n");
  const go = await d.line();
  if (/^-ERR\b/i.test(go)) throw refused(d, "pop3", go);
  if (!/^\+OK\b/i.test(go)) throw unexpected(d, "pop3", "+OK to STLS", go);
  return { protocol: "pop3", banner: greeting.replace(/^\+OK\s*/i, ""), capabilities };
}

/** NNTP: 200/201 greeting, CAPABILITIES (RFC 3977 §5.2), STARTTLS, 382. */
export async function nntp(d: Dialogue): Promise<StarttlsSession> {
  const greeting = await d.line();
  if (/^(400|502)\b/.test(greeting)) throw refused(d, "nntp", greeting);
  if (!/^20[01]\b/.test(greeting)) throw unexpected(d, "nntp", "a 200 or 201 greeting", greeting);
  await d.send("CAPABILITIES\r\n");
  const cap = await d.line();
  let capabilities: string[] = [];
  if (/^101\b/.test(cap)) {
    capabilities = (await dotBlock(d)).map((s) => s.trim()).filter(Boolean);
    if (!capabilities.some((c) => /^STARTTLS\b/i.test(c))) {
      throw unsupported(d, "nntp", `CAPABILITIES lists ${capabilities.join(", ") || "nothing"}`);
    }
  } else if (!/^[45]\d\d\b/.test(cap)) {
    throw unexpected(d, "nntp", "101 to CAPABILITIES", cap);
  }
  await d.send("STARTTLS\r\n");
  const go = await d.line();
  if (/^382\b/.test(go)) {
    return { protocol: "nntp", banner: greeting.replace(/^\d{3}\s*/, ""), capabilities };
  }
  if (/^(500|501|502)\b/.test(go) && capabilities.length === 0) {
    throw unsupported(d, "nntp", `STARTTLS answered ${JSON.stringify(go)}`);
  }
  if (/^[45]\d\d\b/.test(go)) throw refused(d, "nntp", go);
  throw unexpected(d, "nntp", "382 to STARTTLS", go);
}

/** Parses a ManageSieve capability line: `"SASL" "PLAIN"` → `SASL PLAIN`. */
function sieveCapability(line: string): string {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join(" ");
}

/** ManageSieve: capability lines, OK; STARTTLS; OK. */
export async function sieve(d: Dialogue): Promise<StarttlsSession> {
  const capabilities: string[] = [];
  let banner = "";
  for (let n = 0;; n++) {
    if (n > 1000) throw unexpected(d, "sieve", "OK after the capabilities", "more than 1000 lines");
    const l = await d.line();
    if (/^OK\b/i.test(l)) break;
    if (/^(NO|BYE)\b/i.test(l)) throw refused(d, "sieve", l);
    if (!l.startsWith('"')) throw unexpected(d, "sieve", "a quoted capability or OK", l);
    const cap = sieveCapability(l);
    if (/^IMPLEMENTATION /i.test(cap)) banner = cap.replace(/^IMPLEMENTATION /i, "");
    capabilities.push(cap);
  }
  if (!capabilities.some((c) => /^STARTTLS$/i.test(c))) {
    throw unsupported(d, "sieve", `the capabilities are ${capabilities.join(", ") || "none"}`);
  }
  await d.send("STARTTLS\r\n");
  const go = await d.line();
  if (/^(NO|BYE)\b/i.test(go)) throw refused(d, "sieve", go);
  if (!/^OK\b/i.test(go)) throw unexpected(d, "sieve", "OK to STARTTLS", go);
  return { protocol: "sieve", banner, capabilities };
}

/**
 * IRC (the IRCv3 `tls` extension): `CAP LS 302` and `CAP END` first, so that a
 * server which lists its capabilities without `tls` is known not to offer
 * STARTTLS at once (ngIRCd answers nothing at all to STARTTLS before
 * registration), then STARTTLS and 670 (go on) or 691 (failed); 421 or 451
 * naming STARTTLS means it is unknown. `CAP END` keeps the registration that
 * follows the upgrade from waiting for a capability negotiation. A server
 * without CAP (421 to it) is still asked.
 */
export async function irc(d: Dialogue): Promise<StarttlsSession> {
  await d.send("CAP LS 302\r\nCAP END\r\nSTARTTLS\r\n");
  let banner = "";
  const capabilities: string[] = [];
  for (let n = 0; n < 1000; n++) {
    const l = await d.line();
    if (!banner && l.trim()) banner = l;
    // :server CAP * LS [*] :cap1 cap2=value … (a `*` before the list: more lines follow)
    const cap = /^(?::\S+ )?CAP \S+ LS( \*)? :?(.*)$/i.exec(l);
    if (cap) {
      capabilities.push(...cap[2].split(" ").filter((c) => c));
      if (!cap[1] && !capabilities.some((c) => /^tls(=|$)/i.test(c))) {
        throw unsupported(
          d,
          "irc",
          `its CAP LS lists no tls: ${capabilities.join(" ") || "(none)"}`,
        );
      }
      continue;
    }
    const m = /^(?::\S+ )?(\d{3}) /.exec(l);
    if (!m) {
      if (/^(:\S+ )?(NOTICE|PING)\b/i.test(l) || l.trim() === "") continue;
      if (/^ERROR\b/i.test(l)) throw refused(d, "irc", l);
      throw unexpected(d, "irc", "numeric 670", l);
    }
    if (m[1] === "670") return { protocol: "irc", banner, capabilities };
    if (m[1] === "691") throw refused(d, "irc", l);
    if ((m[1] === "421" || m[1] === "451") && /\bSTARTTLS\b/i.test(l)) {
      throw unsupported(d, "irc", `it answered ${JSON.stringify(l)}`);
    }
    // 421/451 for CAP (no capability negotiation here), other numerics: go on.
  }
  throw unexpected(d, "irc", "numeric 670", "more than 1000 lines");
}
