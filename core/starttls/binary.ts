/**
 * STARTTLS dialogues of the binary protocols: LDAP (RFC 4511 §4.14, the
 * StartTLS extended operation in BER), PostgreSQL (SSLRequest), MySQL
 * (greeting, then an SSL request packet) and Telnet (the START_TLS option,
 * draft-altman-telnet-starttls, as OpenSSL implements it).
 *
 * @module
 */
import { type Dialogue, refused, unexpected, unsupported } from "./dialogue.ts";
import type { StarttlsSession } from "./types.ts";

/** The StartTLS extended request OID (RFC 4511 §4.14.1). */
export const LDAP_STARTTLS_OID = "1.3.6.1.4.1.1466.20037";

/**
 * The LDAPMessage carrying the StartTLS ExtendedRequest, message ID 1.
 *
 * @returns its BER bytes
 */
export function ldapStartTlsRequest(): Uint8Array {
  const oid = new TextEncoder().encode(LDAP_STARTTLS_OID);
  const ext = [0x77, oid.length + 2, 0x80, oid.length, ...oid]; // [APPLICATION 23] { [0] oid }
  const id = [0x02, 0x01, 0x01];
  return new Uint8Array([0x30, id.length + ext.length, ...id, ...ext]);
}

/** RFC 4511 §4.1.9 result codes worth a name in a message. */
const LDAP_RESULTS: Record<number, string> = {
  0: "success",
  1: "operationsError",
  2: "protocolError",
  3: "timeLimitExceeded",
  7: "authMethodNotSupported",
  8: "strongerAuthRequired",
  12: "unavailableCriticalExtension",
  13: "confidentialityRequired",
  51: "busy",
  52: "unavailable",
  53: "unwillingToPerform",
  80: "other",
};

interface Tlv {
  tag: number;
  value: Uint8Array;
  end: number;
}

/** Reads one BER TLV at `off` (definite lengths only, as LDAP requires). */
function tlv(b: Uint8Array, off: number): Tlv | null {
  if (off + 2 > b.length) return null;
  const tag = b[off];
  let len = b[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > b.length) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i];
    p += n;
  }
  if (p + len > b.length) return null;
  return { tag, value: b.subarray(p, p + len), end: p + len };
}

/** The total length of the BER element at the start of `b`, or -1 if the header is incomplete. */
function berLength(b: Uint8Array): number {
  if (b.length < 2) return -1;
  const len = b[1];
  if (!(len & 0x80)) return 2 + len;
  const n = len & 0x7f;
  if (b.length < 2 + n) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[2 + i];
  return 2 + n + v;
}

/** LDAP: the StartTLS ExtendedRequest; success (0) in the ExtendedResponse means go on. */
export async function ldap(d: Dialogue): Promise<StarttlsSession> {
  await d.sendBytes(ldapStartTlsRequest(), `ExtendedRequest ${LDAP_STARTTLS_OID} (StartTLS)`);
  for (let n = 0; n < 16; n++) {
    const head = await d.bytes(2);
    if (head[0] !== 0x30) {
      throw unexpected(
        d,
        "ldap",
        "an LDAPMessage (BER SEQUENCE)",
        new TextDecoder("latin1").decode(head),
      );
    }
    let msg = head;
    while (berLength(msg) < 0) msg = new Uint8Array([...msg, ...(await d.bytes(1))]);
    const total = berLength(msg);
    if (total > 64 * 1024) {
      throw unexpected(d, "ldap", "a short ExtendedResponse", `${total} bytes`);
    }
    msg = new Uint8Array([...msg, ...(await d.bytes(total - msg.length))]);
    const seq = tlv(msg, 0);
    const id = seq && tlv(seq.value, 0);
    const op = seq && id && tlv(seq.value, id.end);
    if (!seq || !id || !op || id.tag !== 0x02) {
      d.note(`(${msg.length} bytes of BER that do not parse)`);
      throw unexpected(d, "ldap", "an LDAPMessage", "undecodable BER");
    }
    const messageId = id.value.reduce((a, x) => a * 256 + x, 0);
    if (op.tag !== 0x78) {
      d.note(`LDAPMessage ${messageId}, operation tag 0x${op.tag.toString(16)}`);
      throw unexpected(d, "ldap", "an ExtendedResponse", `operation tag 0x${op.tag.toString(16)}`);
    }
    const code = tlv(op.value, 0);
    const dn = code && tlv(op.value, code.end);
    const diag = dn && tlv(op.value, dn.end);
    if (!code || code.tag !== 0x0a || !dn || !diag) {
      throw unexpected(d, "ldap", "an LDAPResult", "undecodable ExtendedResponse");
    }
    const result = code.value.reduce((a, x) => a * 256 + x, 0);
    const text = new TextDecoder().decode(diag.value);
    const name = LDAP_RESULTS[result] ?? `result ${result}`;
    d.note(
      `ExtendedResponse ${messageId}: ${name} (${result})${text ? ` ${JSON.stringify(text)}` : ""}`,
    );
    if (messageId === 0) {
      // A Notice of Disconnection (RFC 4511 §4.4.1): the server is going away.
      throw refused(d, "ldap", `${name}: ${text}`);
    }
    if (result === 0) return { protocol: "ldap", banner: "", capabilities: [] };
    if (result === 2 || result === 12) throw unsupported(d, "ldap", `${name}: ${text}`);
    throw refused(d, "ldap", `${name} (${result})${text ? `: ${text}` : ""}`);
  }
  throw unexpected(d, "ldap", "the ExtendedResponse", "too many messages");
}

/** PostgreSQL SSLRequest: length 8, code 80877103 (protocol §55.2.10). */
export const POSTGRES_SSL_REQUEST = new Uint8Array([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** PostgreSQL: SSLRequest, then one byte: `S` go on, `N` no TLS. */
export async function postgres(d: Dialogue): Promise<StarttlsSession> {
  await d.sendBytes(POSTGRES_SSL_REQUEST, "SSLRequest");
  const [b] = await d.bytes(1);
  const c = String.fromCharCode(b);
  d.note(JSON.stringify(c));
  if (c === "S") return { protocol: "postgres", banner: "", capabilities: [] };
  if (c === "N") throw unsupported(d, "postgres", "it answered N to the SSLRequest");
  if (c === "E") throw refused(d, "postgres", "an ErrorResponse to the SSLRequest");
  throw unexpected(d, "postgres", "S or N", c);
}

/** MySQL capability flags (client/server) used here. */
const MYSQL = {
  LONG_PASSWORD: 0x1,
  LONG_FLAG: 0x4,
  CONNECT_WITH_DB: 0x8,
  PROTOCOL_41: 0x200,
  SSL: 0x800,
  TRANSACTIONS: 0x2000,
  SECURE_CONNECTION: 0x8000,
  MULTI_RESULTS: 0x20000,
  PLUGIN_AUTH: 0x80000,
} as const;

/**
 * MySQL/MariaDB: read the initial handshake packet (protocol 10), check
 * CLIENT_SSL, answer with an SSLRequest packet (sequence 1) whose
 * capabilities are those the server advertised and we support.
 */
export async function mysql(d: Dialogue): Promise<StarttlsSession> {
  const head = await d.bytes(4);
  const len = head[0] | (head[1] << 8) | (head[2] << 16);
  if (len < 1 || len > 64 * 1024) {
    throw unexpected(d, "mysql", "a handshake packet", `length ${len}`);
  }
  const p = await d.bytes(len);
  if (p[0] === 0xff) {
    const msg = new TextDecoder().decode(p.subarray(p[3] === 0x23 ? 9 : 3));
    d.note(`ERR ${p[1] | (p[2] << 8)} ${msg}`);
    throw refused(d, "mysql", msg);
  }
  if (p[0] !== 0x0a) throw unexpected(d, "mysql", "protocol version 10", `version ${p[0]}`);
  const nul = p.indexOf(0, 1);
  if (nul < 0 || nul + 1 + 4 + 8 + 1 + 2 > p.length) {
    throw unexpected(d, "mysql", "a complete handshake packet", "a truncated one");
  }
  const version = new TextDecoder().decode(p.subarray(1, nul));
  let o = nul + 1 + 4 + 8 + 1;
  let caps = p[o] | (p[o + 1] << 8);
  o += 2;
  let charset = 0x21;
  if (o + 5 <= p.length) {
    charset = p[o];
    caps |= (p[o + 3] | (p[o + 4] << 8)) << 16;
  }
  caps >>>= 0;
  const names = Object.entries(MYSQL).filter(([, v]) => caps & v).map(([k]) => `CLIENT_${k}`);
  d.note(`Handshake v10 ${version} capabilities 0x${caps.toString(16)}`);
  if (!(caps & MYSQL.SSL)) throw unsupported(d, "mysql", "the greeting lacks CLIENT_SSL");
  const want = MYSQL.LONG_PASSWORD | MYSQL.LONG_FLAG | MYSQL.PROTOCOL_41 | MYSQL.SSL |
    MYSQL.TRANSACTIONS | MYSQL.SECURE_CONNECTION | MYSQL.MULTI_RESULTS | MYSQL.PLUGIN_AUTH;
  const flags = (caps & want) >>> 0;
  const req = new Uint8Array(4 + 32);
  req.set([32, 0, 0, 1]);
  new DataView(req.buffer).setUint32(4, flags, true);
  new DataView(req.buffer).setUint32(8, 16 * 1024 * 1024, true);
  req[12] = charset;
  await d.sendBytes(req, `SSLRequest capabilities 0x${flags.toString(16)}`);
  return { protocol: "mysql", banner: version, capabilities: names };
}

const IAC = 255, DO = 253, WILL = 251, SB = 250, SE = 240, START_TLS = 46, FOLLOWS = 1;

/**
 * Telnet: wait for IAC DO START_TLS, answer IAC WILL START_TLS and
 * IAC SB START_TLS FOLLOWS IAC SE, wait for the server's FOLLOWS.
 */
export async function telnet(d: Dialogue): Promise<StarttlsSession> {
  const find = (b: Uint8Array, seq: number[]) => {
    outer: for (let i = 0; i + seq.length <= b.length; i++) {
      for (let j = 0; j < seq.length; j++) if (b[i + j] !== seq[j]) continue outer;
      return i;
    }
    return -1;
  };
  const doStartTls = [IAC, DO, START_TLS];
  let at = find(d.buffered(), doStartTls);
  while (at < 0) {
    const b = await d.peekMore();
    at = find(b, doStartTls);
    // Text outside option negotiation before any DO START_TLS: the server went on without it.
    const text = b.filter((x, i) => x >= 0x20 && x < 0x7f && (i === 0 || b[i - 1] < SE));
    if (at < 0 && text.length >= 8) {
      d.note(new TextDecoder("latin1").decode(text.slice(0, 80)));
      throw unsupported(d, "telnet", "the server did not ask for START_TLS (IAC DO START_TLS)");
    }
  }
  d.note("IAC DO START_TLS");
  d.consume(at + 3);
  await d.sendBytes(new Uint8Array([IAC, WILL, START_TLS]), "IAC WILL START_TLS");
  await d.sendBytes(
    new Uint8Array([IAC, SB, START_TLS, FOLLOWS, IAC, SE]),
    "IAC SB START_TLS FOLLOWS IAC SE",
  );
  const follows = [IAC, SB, START_TLS, FOLLOWS, IAC, SE];
  let f = find(d.buffered(), follows);
  while (f < 0) {
    f = find(await d.peekMore(), follows);
    if (f < 0 && d.buffered().length > 4096) {
      throw unexpected(d, "telnet", "IAC SB START_TLS FOLLOWS IAC SE", "other negotiation");
    }
  }
  d.note("IAC SB START_TLS FOLLOWS IAC SE");
  d.consume(f + follows.length);
  return { protocol: "telnet", banner: "", capabilities: [] };
}
