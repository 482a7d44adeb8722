/**
 * STARTTLS: the plaintext dialogues that upgrade a connection to TLS, one
 * small state machine per protocol, over any {@link Transport}. After
 * {@link runStarttls} the same byte stream carries the TLS handshake.
 *
 * Pure: no sockets here (`core/net/starttls.ts` dials and hands over).
 *
 * @module
 */
import { parseTarget, type Target } from "../address.ts";
import { TlsprobeError } from "../errors.ts";
import type { Transport } from "../handshake/transport.ts";
import { Dialogue, type TranscriptEntry } from "./dialogue.ts";
import type { StarttlsSession } from "./types.ts";

export type { StarttlsSession } from "./types.ts";
export type { TranscriptEntry } from "./dialogue.ts";
export { Dialogue } from "./dialogue.ts";

/** The protocols, in the order `openssl s_client -starttls` lists them. */
export const STARTTLS_PROTOCOLS = [
  "smtp",
  "pop3",
  "imap",
  "ftp",
  "xmpp",
  "xmpp-server",
  "irc",
  "postgres",
  "mysql",
  "lmtp",
  "nntp",
  "sieve",
  "ldap",
  "telnet",
] as const;

/** A STARTTLS protocol name. */
export type StarttlsProtocol = typeof STARTTLS_PROTOCOLS[number];

/** Each protocol's standard port (smtp: 25; submission 587 also speaks it). */
export const STARTTLS_PORTS: Record<StarttlsProtocol, number> = {
  smtp: 25,
  pop3: 110,
  imap: 143,
  ftp: 21,
  xmpp: 5222,
  "xmpp-server": 5269,
  irc: 6667,
  postgres: 5432,
  mysql: 3306,
  lmtp: 24,
  nntp: 119,
  sieve: 4190,
  ldap: 389,
  telnet: 23,
};

/**
 * Parses a `--starttls` value.
 *
 * @param name the protocol name (case-insensitive; `postgresql` and `xmpp-client` accepted)
 * @returns the protocol
 * @throws TlsprobeError USAGE for an unknown name, listing the known ones
 * @example
 * ```ts
 * import { parseStarttlsProtocol } from "./mod.ts";
 * console.assert(parseStarttlsProtocol("SMTP") === "smtp");
 * ```
 */
export function parseStarttlsProtocol(name: string): StarttlsProtocol {
  const n = name.trim().toLowerCase();
  const alias: Record<string, StarttlsProtocol> = {
    postgresql: "postgres",
    "xmpp-client": "xmpp",
    managesieve: "sieve",
    submission: "smtp",
  };
  const p = alias[n] ?? n;
  if ((STARTTLS_PROTOCOLS as readonly string[]).includes(p)) return p as StarttlsProtocol;
  throw new TlsprobeError(
    "USAGE",
    `Unknown STARTTLS protocol ${JSON.stringify(name)}: use one of ${
      STARTTLS_PROTOCOLS.join(", ")
    }`,
  );
}

/**
 * URL schemes that name a STARTTLS protocol, and the port each implies
 * (`submission://` is SMTP on 587). Not `ftp://` (such URLs are downloads,
 * not a request for TLS), `xmpp:` (a URI without `//`) or `telnet://`.
 */
export const STARTTLS_URL_SCHEMES: Readonly<
  Record<string, { protocol: StarttlsProtocol; port: number }>
> = {
  smtp: { protocol: "smtp", port: 25 },
  submission: { protocol: "smtp", port: 587 },
  lmtp: { protocol: "lmtp", port: 24 },
  imap: { protocol: "imap", port: 143 },
  pop3: { protocol: "pop3", port: 110 },
  pop: { protocol: "pop3", port: 110 },
  nntp: { protocol: "nntp", port: 119 },
  news: { protocol: "nntp", port: 119 },
  sieve: { protocol: "sieve", port: 4190 },
  xmpp: { protocol: "xmpp", port: 5222 },
  ldap: { protocol: "ldap", port: 389 },
  postgres: { protocol: "postgres", port: 5432 },
  postgresql: { protocol: "postgres", port: 5432 },
  mysql: { protocol: "mysql", port: 3306 },
  irc: { protocol: "irc", port: 6667 },
};

/**
 * Reads a target written as a URL of a STARTTLS protocol — `smtp://host`,
 * `imap://user@host:1143/INBOX`, `ldap://[::1]/dc=example` — into the
 * protocol, the host and the port (the scheme's when the URL names none).
 * User information, path, query and fragment are dropped; the host and port
 * go through the one target parser, {@link parseTarget}.
 *
 * @param input what the user typed or the document holds
 * @returns the target and its protocol, or undefined when `input` is not such a URL
 * @throws {TlsprobeError} `USAGE`/`BAD_INPUT` from {@link parseTarget} for a bad host or port
 * @example
 * ```ts
 * import { parseStarttlsUrl } from "./mod.ts";
 * const t = parseStarttlsUrl("submission://mail.example.com");
 * console.assert(t?.protocol === "smtp" && t.port === 587 && t.host === "mail.example.com");
 * console.assert(parseStarttlsUrl("https://example.com") === undefined);
 * ```
 */
export function parseStarttlsUrl(
  input: string,
): (Target & { protocol: StarttlsProtocol }) | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(input.trim());
  const scheme = m ? STARTTLS_URL_SCHEMES[m[1].toLowerCase()] : undefined;
  if (!m || !scheme) return undefined;
  const t = parseTarget(m[2].replace(/^[^@]*@/, ""), undefined, scheme.port);
  return { ...t, protocol: scheme.protocol };
}

/** How to run a dialogue. */
export interface StarttlsOptions {
  /** The protocol. */
  protocol: StarttlsProtocol;
  /** The host dialled (default XMPP domain). */
  host: string;
  /** The XMPP `to=` domain (`--xmpp-host`). */
  xmppHost?: string;
  /** The name sent in EHLO/LHLO (default `tlsprobe.example`). */
  helloName?: string;
  /** Overall bound on the dialogue, in milliseconds. */
  timeoutMs: number;
  /** A monotonic clock in milliseconds. */
  now: () => number;
  /** `host:port`, for messages. */
  target?: string;
}

/** A completed dialogue: what the server said, and the transcript. */
export interface StarttlsResult extends StarttlsSession {
  /** What was said in clear, in order. */
  transcript: TranscriptEntry[];
}

/**
 * Runs the plaintext dialogue of `o.protocol` over `t`; on return the server
 * expects a TLS ClientHello on the same stream.
 *
 * @param t the connected stream (left open)
 * @param o the protocol and bounds
 * @returns banner, capabilities and transcript
 * @throws TlsprobeError STARTTLS_REFUSED (the server's words quoted),
 *   STARTTLS_UNSUPPORTED, PEER_MALFORMED (wrong replies, over-long lines, or
 *   plaintext after the server agreed), TIMEOUT, CONNECTION_CLOSED
 */
export async function runStarttls(t: Transport, o: StarttlsOptions): Promise<StarttlsResult> {
  // The protocols' dialogues load when one runs: `probe` and `connect` without
  // `--starttls` import this module for its names and ports only (start-up).
  const [{ ldap, mysql, postgres, telnet }, { ftp, imap, irc, nntp, pop3, sieve, smtpLike }, {
    xmpp,
  }] = await Promise.all([import("./binary.ts"), import("./text.ts"), import("./xmpp.ts")]);
  const d = new Dialogue(t, { timeoutMs: o.timeoutMs, now: o.now, target: o.target });
  const hello = o.helloName ?? "tlsprobe.example";
  let s: StarttlsSession;
  switch (o.protocol) {
    case "smtp":
    case "lmtp":
      s = await smtpLike(d, o.protocol, hello);
      break;
    case "imap":
      s = await imap(d);
      break;
    case "pop3":
      s = await pop3(d);
      break;
    case "ftp":
      s = await ftp(d);
      break;
    case "nntp":
      s = await nntp(d);
      break;
    case "sieve":
      s = await sieve(d);
      break;
    case "irc":
      s = await irc(d);
      break;
    case "xmpp":
    case "xmpp-server":
      s = await xmpp(d, o.xmppHost ?? o.host, o.protocol === "xmpp-server");
      break;
    case "ldap":
      s = await ldap(d);
      break;
    case "postgres":
      s = await postgres(d);
      break;
    case "mysql":
      s = await mysql(d);
      break;
    case "telnet":
      s = await telnet(d);
      break;
  }
  const extra = d.leftover();
  if (extra.length > 0) {
    // RFC 3207 §4.2 and CVE-2011-0411's mirror image: bytes that arrive in
    // clear after the server agreed cannot be trusted; TLS must start now.
    throw new TlsprobeError(
      "PEER_MALFORMED",
      `${d.target} sent ${extra.length} bytes of plaintext after agreeing to STARTTLS (${
        JSON.stringify(new TextDecoder("latin1").decode(extra.subarray(0, 60)))
      }): refusing to continue`,
      { field: "starttls", protocol: o.protocol, transcript: d.transcript.slice(-8) },
    );
  }
  return { ...s, transcript: d.transcript };
}

/**
 * Guesses, from the first bytes a server sent on a port where TLS was
 * expected, which `--starttls` protocol it wants.
 *
 * @param first the server's first bytes
 * @param port the port dialled (for silent protocols on their standard port)
 * @returns the protocol, or null when nothing is recognised
 * @example
 * ```ts
 * import { guessStarttls } from "./mod.ts";
 * console.assert(guessStarttls(new TextEncoder().encode("* OK IMAP4rev1 ready\r\n"), 143) === "imap");
 * ```
 */
export function guessStarttls(first: Uint8Array, port: number): StarttlsProtocol | null {
  const text = new TextDecoder("latin1").decode(first.subarray(0, 512));
  if (first.length >= 5 && first[3] === 0 && first[4] === 0x0a) return "mysql";
  if (first[0] === 0xff && first.length >= 3 && first[1] >= 251) return "telnet";
  if (/^220[ -].*\b(FTP|FileZilla|vsftpd|ProFTPD)\b/i.test(text)) return "ftp";
  if (/^220[ -].*\bLMTP\b/i.test(text) || (port === 24 && /^220[ -]/.test(text))) return "lmtp";
  if (/^220[ -]/.test(text)) return port === 21 ? "ftp" : "smtp";
  if (/^\* OK\b/i.test(text)) return "imap";
  if (/^\+OK\b/i.test(text)) return "pop3";
  if (/^20[01] /.test(text)) return "nntp";
  if (/^"IMPLEMENTATION"|^"SIEVE"/i.test(text)) return "sieve";
  if (/^<\?xml|^<stream:/.test(text)) return port === 5269 ? "xmpp-server" : "xmpp";
  if (/^:\S+ (NOTICE|\d{3}) /.test(text)) return "irc";
  if (first.length === 0) {
    const silent: Partial<Record<number, StarttlsProtocol>> = {
      389: "ldap",
      5432: "postgres",
      5222: "xmpp",
      5269: "xmpp-server",
      6667: "irc",
    };
    return silent[port] ?? null;
  }
  return null;
}
