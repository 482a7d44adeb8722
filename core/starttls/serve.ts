/**
 * The server side of STARTTLS (`serve --starttls`): a minimal plaintext
 * dialogue per protocol — greeting, capabilities, the protocol's refusal for
 * commands that need TLS — until the client asks for TLS. Bytes the client
 * sent after its STARTTLS command, before the handshake, are discarded and
 * reported (the command-injection flaw of CVE-2011-0411: they must never be
 * executed as if they had come under TLS).
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import type { Transport } from "../handshake/transport.ts";
import { Dialogue, type TranscriptEntry } from "./dialogue.ts";
import { LDAP_STARTTLS_OID } from "./binary.ts";
import type { StarttlsProtocol } from "./mod.ts";

/** The protocols `serve --starttls` speaks. */
export const SERVE_STARTTLS_PROTOCOLS = [
  "smtp",
  "lmtp",
  "imap",
  "pop3",
  "ftp",
  "nntp",
  "sieve",
  "xmpp",
  "ldap",
  "postgres",
] as const satisfies readonly StarttlsProtocol[];

/** A protocol `serve --starttls` speaks. */
export type ServeStarttlsProtocol = typeof SERVE_STARTTLS_PROTOCOLS[number];

/** The server dialogue's outcome. */
export interface ServedStarttls {
  /** The protocol. */
  protocol: ServeStarttlsProtocol;
  /** What was said in clear (`C` the client, `S` this server). */
  transcript: TranscriptEntry[];
  /** Plaintext the client sent after STARTTLS, before TLS: discarded, never executed. */
  discarded: Uint8Array;
}

/** Options of {@link serveStarttls}. */
export interface ServeStarttlsOptions {
  /** The protocol. */
  protocol: ServeStarttlsProtocol;
  /** The name this server calls itself. */
  hostname: string;
  /** Overall bound on the dialogue, in milliseconds. */
  timeoutMs: number;
  /** A monotonic clock in milliseconds. */
  now: () => number;
  /** The client's address, for messages. */
  target?: string;
}

/**
 * Runs the server's plaintext dialogue until the client asks for TLS; on
 * return the next bytes from the client should be its ClientHello.
 *
 * @param t the client's stream (left open)
 * @param o protocol, name and bounds
 * @returns the transcript and the discarded bytes
 * @throws TlsprobeError CONNECTION_CLOSED (the client left or quit), TIMEOUT,
 *   PEER_MALFORMED (over-long lines, garbage), STARTTLS_REFUSED (a client
 *   that would not upgrade: the protocol's refusal was sent)
 * @example
 * ```ts
 * import { replayTransport } from "../handshake/transport.ts";
 * import { serveStarttls } from "./serve.ts";
 * const t = replayTransport([new TextEncoder().encode("EHLO c\r\nSTARTTLS\r\n")]);
 * const r = await serveStarttls(t, { protocol: "smtp", hostname: "h", timeoutMs: 1000, now: () => 0 });
 * console.assert(r.discarded.length === 0);
 * ```
 */
export async function serveStarttls(
  t: Transport,
  o: ServeStarttlsOptions,
): Promise<ServedStarttls> {
  const d = new Dialogue(t, {
    timeoutMs: o.timeoutMs,
    now: o.now,
    target: o.target,
    role: "server",
  });
  const run = SERVERS[o.protocol];
  await run(d, o.hostname);
  return { protocol: o.protocol, transcript: d.transcript, discarded: d.leftover() };
}

type Server = (d: Dialogue, name: string) => Promise<void>;

function quit(d: Dialogue, protocol: string): TlsprobeError {
  return new TlsprobeError(
    "CONNECTION_CLOSED",
    `The client at ${d.target} quit the ${protocol} session before STARTTLS`,
    { field: "starttls", transcript: d.transcript.slice(-8) },
  );
}

/** Commands the loop gives up on: a client that only talks in clear. */
const MAX_COMMANDS = 64;

function tooMany(d: Dialogue, protocol: string): TlsprobeError {
  return new TlsprobeError(
    "STARTTLS_REFUSED",
    `The client at ${d.target} sent ${MAX_COMMANDS} ${protocol} commands without STARTTLS`,
    { field: "starttls", transcript: d.transcript.slice(-8) },
  );
}

/** SMTP (RFC 5321, RFC 3207) and LMTP (RFC 2033). */
function smtpServer(lmtp: boolean): Server {
  const protocol = lmtp ? "lmtp" : "smtp";
  return async (d, name) => {
    await d.send(`220 ${name} ${lmtp ? "LMTP" : "ESMTP"} tlsprobe\r\n`);
    for (let n = 0; n < MAX_COMMANDS; n++) {
      const line = await d.line();
      const verb = line.split(" ")[0].toUpperCase();
      if (verb === (lmtp ? "LHLO" : "EHLO")) {
        await d.send(`250-${name}\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 STARTTLS\r\n`);
      } else if (verb === "HELO" && !lmtp) await d.send(`250 ${name}\r\n`);
      else if (verb === "STARTTLS") {
        await d.send("220 2.0.0 Ready to start TLS\r\n");
        return;
      } else if (verb === "QUIT") {
        await d.send("221 2.0.0 Bye\r\n");
        throw quit(d, protocol);
      } else if (verb === "NOOP" || verb === "RSET") await d.send("250 2.0.0 OK\r\n");
      else if (["MAIL", "RCPT", "DATA", "AUTH", "BDAT", "VRFY", "EXPN"].includes(verb)) {
        await d.send("530 5.7.0 Must issue a STARTTLS command first\r\n");
      } else await d.send("502 5.5.2 Error: command not recognized\r\n");
    }
    throw tooMany(d, protocol);
  };
}

/** IMAP (RFC 9051 §6.2.1; LOGINDISABLED before TLS). */
const imapServer: Server = async (d, name) => {
  const caps = "IMAP4rev1 STARTTLS LOGINDISABLED";
  await d.send(`* OK [CAPABILITY ${caps}] ${name} tlsprobe ready\r\n`);
  for (let n = 0; n < MAX_COMMANDS; n++) {
    const line = await d.line();
    const [tag, cmd = ""] = line.split(" ");
    const verb = cmd.toUpperCase();
    if (!tag || !cmd) await d.send(`${tag || "*"} BAD Missing command\r\n`);
    else if (verb === "CAPABILITY") {
      await d.send(`* CAPABILITY ${caps}\r\n${tag} OK CAPABILITY completed\r\n`);
    } else if (verb === "STARTTLS") {
      await d.send(`${tag} OK Begin TLS negotiation now\r\n`);
      return;
    } else if (verb === "LOGIN" || verb === "AUTHENTICATE") {
      await d.send(`${tag} NO [PRIVACYREQUIRED] TLS is required first (STARTTLS)\r\n`);
    } else if (verb === "LOGOUT") {
      await d.send(`* BYE Logging out\r\n${tag} OK LOGOUT completed\r\n`);
      throw quit(d, "imap");
    } else if (verb === "NOOP") await d.send(`${tag} OK NOOP completed\r\n`);
    else await d.send(`${tag} BAD Command not allowed before STARTTLS\r\n`);
  }
  throw tooMany(d, "imap");
};

/** POP3 (RFC 2595 §4, RFC 2449 CAPA). */
const pop3Server: Server = async (d, name) => {
  await d.send(`+OK ${name} tlsprobe POP3 ready\r\n`);
  for (let n = 0; n < MAX_COMMANDS; n++) {
    const verb = (await d.line()).split(" ")[0].toUpperCase();
    if (verb === "CAPA") await d.send("+OK Capability list follows\r\nSTLS\r\n.\r\n");
    else if (verb === "STLS") {
      await d.send("+OK Begin TLS negotiation\r\n");
      return;
    } else if (["USER", "PASS", "APOP", "AUTH"].includes(verb)) {
      await d.send("-ERR [SYS/PERM] TLS is required first (STLS)\r\n");
    } else if (verb === "QUIT") {
      await d.send("+OK Bye\r\n");
      throw quit(d, "pop3");
    } else if (verb === "NOOP") await d.send("+OK\r\n");
    else await d.send("-ERR Unknown command before STLS\r\n");
  }
  throw tooMany(d, "pop3");
};

/** FTP (RFC 4217 §4). */
const ftpServer: Server = async (d, name) => {
  await d.send(`220 ${name} tlsprobe FTP ready\r\n`);
  for (let n = 0; n < MAX_COMMANDS; n++) {
    const line = (await d.line()).toUpperCase();
    const verb = line.split(" ")[0];
    if (verb === "FEAT") {
      await d.send("211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n");
    } else if (verb === "AUTH" && /^AUTH (TLS|SSL|TLS-C)\s*$/.test(line)) {
      await d.send("234 Proceed with negotiation.\r\n");
      return;
    } else if (verb === "AUTH") await d.send("504 Unknown AUTH type.\r\n");
    else if (verb === "USER" || verb === "PASS") {
      await d.send("530 Please use AUTH TLS first.\r\n");
    } else if (verb === "QUIT") {
      await d.send("221 Goodbye.\r\n");
      throw quit(d, "ftp");
    } else if (verb === "NOOP") await d.send("200 NOOP ok.\r\n");
    else await d.send("530 Please use AUTH TLS first.\r\n");
  }
  throw tooMany(d, "ftp");
};

/** NNTP (RFC 4642). */
const nntpServer: Server = async (d, name) => {
  await d.send(`200 ${name} tlsprobe NNTP ready (posting prohibited)\r\n`);
  for (let n = 0; n < MAX_COMMANDS; n++) {
    const verb = (await d.line()).split(" ")[0].toUpperCase();
    if (verb === "CAPABILITIES") {
      await d.send("101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n");
    } else if (verb === "STARTTLS") {
      await d.send("382 Continue with TLS negotiation\r\n");
      return;
    } else if (verb === "AUTHINFO") await d.send("483 Encryption required (STARTTLS)\r\n");
    else if (verb === "QUIT") {
      await d.send("205 Bye\r\n");
      throw quit(d, "nntp");
    } else await d.send("483 Encryption required (STARTTLS)\r\n");
  }
  throw tooMany(d, "nntp");
};

/** ManageSieve (RFC 5804 §1.7, §2.2). */
const sieveServer: Server = async (d) => {
  const caps = '"IMPLEMENTATION" "tlsprobe"\r\n"SASL" ""\r\n"STARTTLS"\r\n"VERSION" "1.0"\r\n';
  await d.send(`${caps}OK "tlsprobe ManageSieve ready"\r\n`);
  for (let n = 0; n < MAX_COMMANDS; n++) {
    const verb = (await d.line()).split(" ")[0].toUpperCase();
    if (verb === "CAPABILITY") await d.send(`${caps}OK "Capability completed"\r\n`);
    else if (verb === "STARTTLS") {
      await d.send('OK "Begin TLS negotiation now"\r\n');
      return;
    } else if (verb === "AUTHENTICATE") {
      await d.send('NO (ENCRYPT-NEEDED) "TLS is required first (STARTTLS)"\r\n');
    } else if (verb === "LOGOUT") {
      await d.send('OK "Bye"\r\n');
      throw quit(d, "sieve");
    } else if (verb === "NOOP") await d.send('OK "NOOP completed"\r\n');
    else await d.send('NO "Command not allowed before STARTTLS"\r\n');
  }
  throw tooMany(d, "sieve");
};

/** XMPP client streams (RFC 6120 §5.4): features require STARTTLS, then `<proceed/>`. */
const xmppServer: Server = async (d, name) => {
  const header = await d.until((text) => {
    const i = text.search(/<(stream:)?stream\b/);
    if (i < 0) return text.length > 4096 ? text.length : -1;
    const end = text.indexOf(">", i);
    return end < 0 ? -1 : end + 1;
  });
  if (!/<(stream:)?stream\b/.test(header)) {
    throw new TlsprobeError(
      "PEER_MALFORMED",
      `The client at ${d.target} did not open an XMPP stream`,
    );
  }
  const ns = /xmlns=['"]jabber:server['"]/.test(header) ? "jabber:server" : "jabber:client";
  await d.send(
    `<?xml version='1.0'?><stream:stream xmlns='${ns}' xmlns:stream='http://etherx.jabber.org/streams' from='${name}' id='tlsprobe' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`,
  );
  const next = await d.until((text) => {
    const m = /<[\w:-]+\b[^>]*?(\/>|>[\s\S]*?<\/[\w:-]+>)/.exec(text);
    return m ? m.index + m[0].length : -1;
  });
  if (/^\s*<starttls\b/.test(next)) {
    await d.send("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    return;
  }
  await d.send(
    "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>STARTTLS is required</text></stream:error></stream:stream>",
  );
  throw new TlsprobeError(
    "STARTTLS_REFUSED",
    `The client at ${d.target} did not ask for STARTTLS (sent ${
      JSON.stringify(next.slice(0, 60))
    })`,
    { field: "starttls", transcript: d.transcript.slice(-8) },
  );
};

function berLen(n: number): number[] {
  return n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
}

function ldapResult(
  id: number[],
  op: number,
  code: number,
  text: string,
  oid?: string,
): Uint8Array {
  const t = new TextEncoder().encode(text);
  const name = oid ? new TextEncoder().encode(oid) : undefined;
  const body = [
    0x0a,
    1,
    code,
    0x04,
    0,
    0x04,
    ...berLen(t.length),
    ...t,
    ...(name ? [0x8a, ...berLen(name.length), ...name] : []),
  ];
  const msg = [0x02, id.length, ...id, op, ...berLen(body.length), ...body];
  return new Uint8Array([0x30, ...berLen(msg.length), ...msg]);
}

/** LDAP (RFC 4511 §4.14): the StartTLS ExtendedRequest gets success; a bind, confidentialityRequired. */
const ldapServer: Server = async (d) => {
  for (let n = 0; n < MAX_COMMANDS; n++) {
    const head = await d.bytes(2);
    if (head[0] !== 0x30) {
      throw new TlsprobeError(
        "PEER_MALFORMED",
        `The client at ${d.target} did not send an LDAPMessage`,
      );
    }
    let lenBytes: number[] = [];
    let len = head[1];
    if (len & 0x80) {
      const k = len & 0x7f;
      if (k === 0 || k > 3) {
        throw new TlsprobeError("PEER_MALFORMED", "Bad BER length from the client");
      }
      lenBytes = [...(await d.bytes(k))];
      len = lenBytes.reduce((a, x) => a * 256 + x, 0);
    }
    if (len > 64 * 1024) throw new TlsprobeError("PEER_MALFORMED", "LDAP request over 64 KiB");
    const body = await d.bytes(len);
    if (body[0] !== 0x02 || body[1] < 1 || body[1] > 4) {
      throw new TlsprobeError("PEER_MALFORMED", "LDAPMessage without a message ID");
    }
    const id = [...body.subarray(2, 2 + body[1])];
    const op = body[2 + body[1]];
    const rest = new TextDecoder("latin1").decode(body.subarray(2 + body[1]));
    if (op === 0x77 && rest.includes(LDAP_STARTTLS_OID)) {
      d.note(`ExtendedRequest ${LDAP_STARTTLS_OID} (StartTLS)`);
      await d.sendBytes(
        ldapResult(id, 0x78, 0, "", LDAP_STARTTLS_OID),
        "ExtendedResponse success (0)",
      );
      return;
    }
    d.note(`LDAP operation 0x${op.toString(16)}`);
    if (op === 0x42) throw quit(d, "ldap"); // UnbindRequest
    const reply = op === 0x60 ? 0x61 : op === 0x63 ? 0x65 : op === 0x77 ? 0x78 : 0;
    if (!reply) {
      throw new TlsprobeError(
        "STARTTLS_REFUSED",
        `The client at ${d.target} sent LDAP operation 0x${op.toString(16)} before StartTLS`,
      );
    }
    await d.sendBytes(
      ldapResult(id, reply, 13, "TLS is required first (StartTLS)"),
      "confidentialityRequired (13)",
    );
  }
  throw tooMany(d, "ldap");
};

/** PostgreSQL: SSLRequest gets `S`; GSSENCRequest gets `N`; a StartupMessage in clear, an error. */
const postgresServer: Server = async (d) => {
  for (let n = 0; n < 4; n++) {
    const head = await d.bytes(8);
    const view = new DataView(head.buffer, head.byteOffset);
    const len = view.getUint32(0);
    const code = view.getUint32(4);
    if (len === 8 && code === 80877103) {
      d.note("SSLRequest");
      await d.sendBytes(new TextEncoder().encode("S"), '"S"');
      return;
    }
    if (len === 8 && code === 80877104) {
      d.note("GSSENCRequest");
      await d.sendBytes(new TextEncoder().encode("N"), '"N"');
      continue;
    }
    d.note(`StartupMessage (protocol ${code >>> 16}.${code & 0xffff}) in clear`);
    const fields = new TextEncoder().encode(
      "SFATAL\0VFATAL\0C28000\0Mthis server requires TLS: send an SSLRequest first\0\0",
    );
    const err = new Uint8Array(5 + fields.length);
    err[0] = 0x45; // 'E'
    new DataView(err.buffer).setUint32(1, 4 + fields.length);
    err.set(fields, 5);
    await d.sendBytes(err, "ErrorResponse 28000 (TLS required)");
    throw new TlsprobeError(
      "STARTTLS_REFUSED",
      `The client at ${d.target} started a PostgreSQL session without an SSLRequest`,
    );
  }
  throw tooMany(d, "postgres");
};

const SERVERS: Record<ServeStarttlsProtocol, Server> = {
  smtp: smtpServer(false),
  lmtp: smtpServer(true),
  imap: imapServer,
  pop3: pop3Server,
  ftp: ftpServer,
  nntp: nntpServer,
  sieve: sieveServer,
  xmpp: xmppServer,
  ldap: ldapServer,
  postgres: postgresServer,
};

/**
 * Parses a `serve --starttls` value.
 *
 * @param name the protocol name
 * @returns the protocol
 * @throws TlsprobeError USAGE when `serve` does not speak it
 */
export function parseServeStarttlsProtocol(name: string): ServeStarttlsProtocol {
  const n = name.trim().toLowerCase().replace(/^postgresql$/, "postgres");
  if ((SERVE_STARTTLS_PROTOCOLS as readonly string[]).includes(n)) {
    return n as ServeStarttlsProtocol;
  }
  throw new TlsprobeError(
    "USAGE",
    `serve --starttls speaks ${SERVE_STARTTLS_PROTOCOLS.join(", ")}; not ${JSON.stringify(name)}`,
  );
}
