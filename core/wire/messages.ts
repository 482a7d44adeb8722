/**
 * The server's handshake messages after ServerHello: Certificate (TLS 1.2 and
 * 1.3 forms), CertificateStatus, ServerKeyExchange, CertificateRequest (1.2
 * and 1.3), ServerHelloDone, EncryptedExtensions, CertificateVerify,
 * NewSessionTicket, Finished.
 *
 * @module
 */
import { malformed, Reader } from "./codec.ts";
import { EXT } from "../registry/extensions.ts";
import {
  expectEmptyExtension,
  type Extension,
  extReader,
  findExtension,
  parseAlpn,
  readExtensions,
} from "./extensions.ts";

/** One certificate in a Certificate message. */
export interface CertificateEntry {
  /** The certificate's DER. */
  der: Uint8Array;
  /** TLS 1.3 per-certificate extensions. */
  extensions: Extension[];
  /** TLS 1.3: an OCSP response stapled to this entry (RFC 8446 §4.4.2.1). */
  ocspResponse?: Uint8Array;
}

/** A parsed Certificate message. */
export interface CertificateMessage {
  /** TLS 1.3 certificate_request_context (empty from a server). */
  context?: Uint8Array;
  /** The chain as sent, leaf first. */
  entries: CertificateEntry[];
}

/**
 * Parses a Certificate body. TLS 1.2 (RFC 5246 §7.4.2): a list of DER
 * certificates. TLS 1.3 (RFC 8446 §4.4.2): a context and entries with
 * extensions.
 *
 * @param body the body
 * @param tls13 whether it is the TLS 1.3 form
 * @param offset absolute offset, for errors
 * @returns the chain
 * @throws TlsprobeError PEER_MALFORMED
 */
export function parseCertificate(body: Uint8Array, tls13: boolean, offset = 0): CertificateMessage {
  const r = new Reader(body, offset);
  const msg: CertificateMessage = { entries: [] };
  if (tls13) msg.context = r.vec8("certificate.certificate_request_context");
  const list = r.sub24("certificate.certificate_list");
  r.expectEmpty("certificate");
  while (list.remaining) {
    const der = list.vec24("certificate.cert_data", 1);
    const entry: CertificateEntry = { der, extensions: [] };
    if (tls13) {
      entry.extensions = readExtensions(list, "certificate.extensions");
      const status = findExtension(entry.extensions, EXT.statusRequest);
      if (status) entry.ocspResponse = parseCertificateStatusBody(extReader(status));
    }
    msg.entries.push(entry);
  }
  return msg;
}

function parseCertificateStatusBody(r: Reader): Uint8Array {
  // RFC 6066 §8: status_type ocsp(1), then an OCSPResponse<1..2^24-1>.
  const at = r.offset;
  const type = r.u8("certificate_status.status_type");
  if (type !== 1) throw malformed(`Unknown status_type ${type}`, at, "certificate_status");
  const resp = r.vec24("certificate_status.ocsp_response", 1);
  r.expectEmpty("certificate_status");
  return resp;
}

/**
 * Parses a TLS 1.2 CertificateStatus body (RFC 6066 §8).
 *
 * @param body the body
 * @param offset absolute offset
 * @returns the DER OCSPResponse
 */
export function parseCertificateStatus(body: Uint8Array, offset = 0): Uint8Array {
  return parseCertificateStatusBody(new Reader(body, offset));
}

/** Key exchange families whose ServerKeyExchange this codec reads. */
export type KeyExchangeKind = "ECDHE" | "DHE";

/** A parsed ServerKeyExchange. */
export interface ServerKeyExchange {
  /** Which family. */
  kind: KeyExchangeKind;
  /** ECDHE: the named curve. */
  namedGroup?: number;
  /** ECDHE: the server's public point. */
  publicKey: Uint8Array;
  /** DHE: the prime p. */
  dhP?: Uint8Array;
  /** DHE: the generator g. */
  dhG?: Uint8Array;
  /** DHE: size of p in bits (leading zero bits excluded). */
  dhBits?: number;
  /** TLS 1.2: the signature scheme (RFC 5246 §7.4.1.4.1); absent before 1.2. */
  signatureScheme?: number;
  /** The signature. */
  signature: Uint8Array;
  /** The signed params (what the signature covers, after the randoms). */
  params: Uint8Array;
}

/**
 * The bit length of a big-endian unsigned integer.
 *
 * @param b the bytes
 * @returns bits
 */
export function bitLength(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) return 0;
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]));
}

/**
 * Parses a ServerKeyExchange body for ECDHE (RFC 8422 §5.4) or DHE
 * (RFC 5246 §7.4.3). The caller knows the family from the cipher suite.
 *
 * @param body the body
 * @param o the family and whether the signature carries a scheme (TLS 1.2)
 * @param offset absolute offset, for errors
 * @returns the parameters and signature
 * @throws TlsprobeError PEER_MALFORMED
 */
export function parseServerKeyExchange(
  body: Uint8Array,
  o: { kind: KeyExchangeKind; tls12: boolean; anonymous?: boolean },
  offset = 0,
): ServerKeyExchange {
  const r = new Reader(body, offset);
  let ske: ServerKeyExchange;
  if (o.kind === "ECDHE") {
    const at = r.offset;
    const curveType = r.u8("server_key_exchange.curve_type");
    // RFC 8422 §5.4: only named_curve (3) is allowed.
    if (curveType !== 3) {
      throw malformed(`Unsupported curve_type ${curveType}`, at, "server_key_exchange.curve_type");
    }
    const namedGroup = r.u16("server_key_exchange.named_curve");
    const publicKey = r.vec8("server_key_exchange.point", 1);
    ske = {
      kind: "ECDHE",
      namedGroup,
      publicKey,
      signature: new Uint8Array(0),
      params: body.subarray(0, r.offset - offset),
    };
  } else {
    const dhP = r.vec16("server_key_exchange.dh_p", 1);
    const dhG = r.vec16("server_key_exchange.dh_g", 1);
    const publicKey = r.vec16("server_key_exchange.dh_Ys", 1);
    ske = {
      kind: "DHE",
      dhP,
      dhG,
      dhBits: bitLength(dhP),
      publicKey,
      signature: new Uint8Array(0),
      params: body.subarray(0, r.offset - offset),
    };
  }
  if (!o.anonymous) {
    if (o.tls12) ske.signatureScheme = r.u16("server_key_exchange.signature_scheme");
    ske.signature = r.vec16("server_key_exchange.signature", 1);
  }
  r.expectEmpty("server_key_exchange");
  return ske;
}

/** A parsed CertificateRequest. */
export interface CertificateRequest {
  /** TLS 1.3 certificate_request_context. */
  context?: Uint8Array;
  /** TLS 1.0–1.2 certificate types (RFC 5246 §7.4.4). */
  certificateTypes?: number[];
  /** Signature schemes the server accepts. */
  signatureAlgorithms?: number[];
  /** The acceptable CA names, each a DER DistinguishedName. */
  certificateAuthorities: Uint8Array[];
  /** TLS 1.3 extensions. */
  extensions?: Extension[];
}

function readDistinguishedNames(r: Reader, field: string): Uint8Array[] {
  const list = r.sub16(field);
  const out: Uint8Array[] = [];
  while (list.remaining) out.push(list.vec16(`${field}.name`, 1));
  return out;
}

/**
 * Parses a CertificateRequest body: TLS 1.0–1.2 (RFC 5246 §7.4.4, with
 * supported_signature_algorithms from 1.2) or TLS 1.3 (RFC 8446 §4.3.2).
 *
 * @param body the body
 * @param version the negotiated version
 * @param offset absolute offset
 * @returns the request, CA names as DER
 * @throws TlsprobeError PEER_MALFORMED
 */
export function parseCertificateRequest(
  body: Uint8Array,
  version: number,
  offset = 0,
): CertificateRequest {
  const r = new Reader(body, offset);
  if (version >= 0x0304) {
    const context = r.vec8("certificate_request.certificate_request_context");
    const extensions = readExtensions(r, "certificate_request.extensions");
    r.expectEmpty("certificate_request");
    const req: CertificateRequest = { context, extensions, certificateAuthorities: [] };
    const sa = findExtension(extensions, EXT.signatureAlgorithms);
    if (!sa) {
      throw malformed(
        "CertificateRequest without signature_algorithms (RFC 8446 §4.3.2)",
        offset,
        "certificate_request.extensions",
      );
    }
    const sr = extReader(sa);
    req.signatureAlgorithms = sr.u16List("signature_algorithms.list", 2, 2);
    sr.expectEmpty("signature_algorithms");
    const ca = findExtension(extensions, EXT.certificateAuthorities);
    if (ca) {
      const cr = extReader(ca);
      req.certificateAuthorities = readDistinguishedNames(cr, "certificate_authorities");
      cr.expectEmpty("certificate_authorities");
    }
    return req;
  }
  const certificateTypes = Array.from(r.vec8("certificate_request.certificate_types", 1));
  const req: CertificateRequest = { certificateTypes, certificateAuthorities: [] };
  if (version >= 0x0303) {
    req.signatureAlgorithms = r.u16List(
      "certificate_request.supported_signature_algorithms",
      2,
      2,
    );
  }
  req.certificateAuthorities = readDistinguishedNames(
    r,
    "certificate_request.certificate_authorities",
  );
  r.expectEmpty("certificate_request");
  return req;
}

/**
 * Checks a ServerHelloDone body is empty (RFC 5246 §7.4.5).
 *
 * @param body the body
 * @param offset absolute offset
 */
export function parseServerHelloDone(body: Uint8Array, offset = 0): void {
  new Reader(body, offset).expectEmpty("server_hello_done");
}

/** Parsed EncryptedExtensions (RFC 8446 §4.3.1). */
export interface EncryptedExtensions {
  /** Extensions in order. */
  extensions: Extension[];
  /** ALPN protocol chosen. */
  alpn?: string;
  /** The server acknowledged SNI (empty server_name). */
  serverNameAcknowledged: boolean;
  /** Groups the server supports, in its preference (RFC 8446 §4.2.7). */
  supportedGroups?: number[];
  /** Early data accepted. */
  earlyData: boolean;
  /** record_size_limit (RFC 8449). */
  recordSizeLimit?: number;
}

/**
 * Parses EncryptedExtensions.
 *
 * @param body the body
 * @param offset absolute offset
 * @returns the parsed extensions
 * @throws TlsprobeError PEER_MALFORMED
 */
export function parseEncryptedExtensions(body: Uint8Array, offset = 0): EncryptedExtensions {
  const r = new Reader(body, offset);
  const extensions = readExtensions(r, "encrypted_extensions");
  r.expectEmpty("encrypted_extensions");
  const ee: EncryptedExtensions = { extensions, serverNameAcknowledged: false, earlyData: false };
  for (const e of extensions) {
    if (e.type === EXT.alpn) {
      const names = parseAlpn(e);
      if (names.length !== 1) {
        throw malformed("ALPN answer must name exactly one protocol", e.offset, "alpn");
      }
      ee.alpn = names[0];
    } else if (e.type === EXT.serverName) {
      expectEmptyExtension(e);
      ee.serverNameAcknowledged = true;
    } else if (e.type === EXT.supportedGroups) {
      const er = extReader(e);
      ee.supportedGroups = er.u16List("supported_groups.named_group_list", 2, 2);
      er.expectEmpty("supported_groups");
    } else if (e.type === EXT.earlyData) {
      expectEmptyExtension(e);
      ee.earlyData = true;
    } else if (e.type === EXT.recordSizeLimit) {
      const er = extReader(e);
      ee.recordSizeLimit = er.u16("record_size_limit");
      er.expectEmpty("record_size_limit");
    }
  }
  return ee;
}

/** A parsed CertificateVerify (RFC 8446 §4.4.3). */
export interface CertificateVerify {
  /** Signature scheme. */
  scheme: number;
  /** The signature. */
  signature: Uint8Array;
}

/**
 * Parses CertificateVerify.
 *
 * @param body the body
 * @param offset absolute offset
 * @returns scheme and signature
 */
export function parseCertificateVerify(body: Uint8Array, offset = 0): CertificateVerify {
  const r = new Reader(body, offset);
  const scheme = r.u16("certificate_verify.algorithm");
  const signature = r.vec16("certificate_verify.signature", 1);
  r.expectEmpty("certificate_verify");
  return { scheme, signature };
}

/** A parsed NewSessionTicket (RFC 8446 §4.6.1 or RFC 5077 §3.3). */
export interface NewSessionTicket {
  /** Lifetime hint in seconds. */
  lifetime: number;
  /** TLS 1.3 ticket_age_add. */
  ageAdd?: number;
  /** The ticket (opaque). */
  ticket: Uint8Array;
  /** TLS 1.3 early data limit, when offered. */
  maxEarlyData?: number;
  /** TLS 1.3 ticket_nonce. */
  nonce?: Uint8Array;
  /** TLS 1.3 extensions, in order. */
  extensions?: Extension[];
}

/**
 * Parses a NewSessionTicket.
 *
 * @param body the body
 * @param tls13 whether it is the TLS 1.3 form
 * @param offset absolute offset
 * @returns the ticket
 */
export function parseNewSessionTicket(
  body: Uint8Array,
  tls13: boolean,
  offset = 0,
): NewSessionTicket {
  const r = new Reader(body, offset);
  const lifetime = r.u32("new_session_ticket.ticket_lifetime");
  if (!tls13) {
    const ticket = r.vec16("new_session_ticket.ticket");
    r.expectEmpty("new_session_ticket");
    return { lifetime, ticket };
  }
  const ageAdd = r.u32("new_session_ticket.ticket_age_add");
  const nonce = r.vec8("new_session_ticket.ticket_nonce");
  const ticket = r.vec16("new_session_ticket.ticket", 1);
  const exts = readExtensions(r, "new_session_ticket.extensions");
  r.expectEmpty("new_session_ticket");
  const t: NewSessionTicket = { lifetime, ageAdd, ticket, nonce, extensions: exts };
  const ed = findExtension(exts, EXT.earlyData);
  if (ed) {
    const er = extReader(ed);
    t.maxEarlyData = er.u32("early_data.max_early_data_size");
    er.expectEmpty("early_data");
  }
  return t;
}

/**
 * Parses a Finished body (RFC 8446 §4.4.4): verify_data of the hash length.
 *
 * @param body the body
 * @param length the expected length (the suite's hash length in TLS 1.3; 12 before)
 * @param offset absolute offset
 * @returns verify_data
 */
export function parseFinished(body: Uint8Array, length: number, offset = 0): Uint8Array {
  const r = new Reader(body, offset);
  const data = r.bytes(length, "finished.verify_data");
  r.expectEmpty("finished");
  return data;
}
