/**
 * ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2): a builder that offers
 * exactly what it is told (versions, suites, groups and key shares, signature
 * schemes, SNI, ALPN, status_request, session_ticket, renegotiation_info,
 * SCSVs, extended master secret, GREASE only on request), and a parser for
 * ClientHellos received from clients.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { malformed, Reader, Writer } from "./codec.ts";
import { EXT } from "../registry/extensions.ts";
import { TLS1_2, TLS1_3 } from "../registry/versions.ts";
import {
  type Extension,
  extReader,
  findExtension,
  parseAlpn,
  parseServerNameList,
  readExtensions,
  writeExtensions,
} from "./extensions.ts";
import { encodeHandshake, HS } from "./record.ts";

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.3). */
export const EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff;
/** TLS_FALLBACK_SCSV (RFC 7507). */
export const FALLBACK_SCSV = 0x5600;

/** A key share the client offers (RFC 8446 §4.2.8). */
export interface KeyShareEntry {
  /** Named group code. */
  group: number;
  /** The public value (or encapsulation key). */
  keyExchange: Uint8Array;
}

/** What a ClientHello offers. */
export interface ClientHelloOptions {
  /** Versions offered, highest first; TLS 1.3 uses supported_versions (RFC 8446 §4.2.1). */
  versions: number[];
  /** 32 random bytes. */
  random: Uint8Array;
  /** legacy_session_id (32 random bytes for TLS 1.3 middlebox compatibility, RFC 8446 §D.4). */
  sessionId?: Uint8Array;
  /** Cipher suites, in preference order. */
  cipherSuites: number[];
  /** Named groups for supported_groups. */
  groups?: number[];
  /** Key shares (TLS 1.3). */
  keyShares?: KeyShareEntry[];
  /** Signature schemes. */
  signatureAlgorithms?: number[];
  /** SNI host name; omitted when undefined. */
  serverName?: string;
  /** ALPN protocols. */
  alpn?: string[];
  /** Request OCSP stapling (status_request, RFC 6066 §8). */
  statusRequest?: boolean;
  /** Offer session_ticket (RFC 5077). */
  sessionTicket?: boolean;
  /** A ticket to resume with, sent in session_ticket (RFC 5077 §3.2; with `sessionTicket`). */
  ticket?: Uint8Array;
  /** Send renegotiation_info (RFC 5746) as an extension. */
  renegotiationInfo?: boolean;
  /** Append TLS_EMPTY_RENEGOTIATION_INFO_SCSV to the suites. */
  renegotiationScsv?: boolean;
  /** Append TLS_FALLBACK_SCSV (RFC 7507). */
  fallbackScsv?: boolean;
  /** Offer extended_master_secret (RFC 7627). */
  extendedMasterSecret?: boolean;
  /** Offer encrypt_then_mac (RFC 7366). */
  encryptThenMac?: boolean;
  /** Send ec_point_formats [uncompressed] (RFC 8422 §5.1.2; pre-1.3 servers need it). */
  ecPointFormats?: boolean;
  /** Offer signed_certificate_timestamp (RFC 6962). */
  signedCertificateTimestamp?: boolean;
  /** psk_key_exchange_modes (TLS 1.3; OpenSSL expects it). */
  pskModes?: number[];
  /** A cookie echoed after a HelloRetryRequest (RFC 8446 §4.2.2). */
  cookie?: Uint8Array;
  /** Add GREASE values (RFC 8701) to suites, groups, versions and extensions. */
  grease?: boolean;
  /** Compression methods; default [0] (null). */
  compressionMethods?: number[];
  /** Further extensions, appended as given. */
  extraExtensions?: { type: number; data: Uint8Array }[];
}

const GREASE = 0x0a0a;

/**
 * Builds a ClientHello handshake message (with its 4-byte header).
 *
 * @param o what to offer
 * @returns the message bytes
 * @example
 * ```ts
 * import { buildClientHello } from "./client_hello.ts";
 * const ch = buildClientHello({ versions: [0x0303], random: new Uint8Array(32), cipherSuites: [0xc02f] });
 * console.assert(ch[0] === 1);
 * ```
 */
export function buildClientHello(o: ClientHelloOptions): Uint8Array {
  if (o.random.length !== 32) {
    throw new TlsprobeError("INTERNAL", "ClientHello random must be 32 bytes");
  }
  if (!o.versions.length) throw new TlsprobeError("BAD_INPUT", "No protocol version to offer");
  const max = Math.max(...o.versions);
  const legacyVersion = Math.min(max, TLS1_2);
  const suites = [...(o.grease ? [GREASE] : []), ...o.cipherSuites];
  if (o.renegotiationScsv) suites.push(EMPTY_RENEGOTIATION_INFO_SCSV);
  if (o.fallbackScsv) suites.push(FALLBACK_SCSV);
  const exts: { type: number; data: Uint8Array }[] = [];
  const add = (type: number, body: (w: Writer) => void) => {
    const w = new Writer();
    body(w);
    exts.push({ type, data: w.finish() });
  };
  if (o.grease) exts.push({ type: 0x1a1a, data: new Uint8Array(0) });
  if (o.serverName !== undefined) {
    // RFC 6066 §3: a list with one host_name entry (type 0).
    add(
      EXT.serverName,
      (w) => w.lengthPrefixed(2, (l) => l.u8(0).vec16(new TextEncoder().encode(o.serverName))),
    );
  }
  if (o.extendedMasterSecret) add(EXT.extendedMasterSecret, () => {});
  if (o.renegotiationInfo) add(EXT.renegotiationInfo, (w) => w.u8(0));
  if (o.groups?.length) {
    add(EXT.supportedGroups, (w) =>
      w.lengthPrefixed(2, (l) => {
        if (o.grease) l.u16(0x2a2a);
        for (const g of o.groups!) l.u16(g);
      }));
  }
  if (o.ecPointFormats) add(EXT.ecPointFormats, (w) => w.vec8(Uint8Array.of(0)));
  if (o.sessionTicket) add(EXT.sessionTicket, (w) => o.ticket && w.bytes(o.ticket));
  if (o.alpn?.length) {
    add(EXT.alpn, (w) =>
      w.lengthPrefixed(2, (l) => {
        for (const p of o.alpn!) l.vec8(new TextEncoder().encode(p));
      }));
  }
  if (o.statusRequest) {
    // RFC 6066 §8: status_type ocsp(1), empty responder_id_list and extensions.
    add(EXT.statusRequest, (w) => w.u8(1).u16(0).u16(0));
  }
  if (o.encryptThenMac) add(EXT.encryptThenMac, () => {});
  if (o.signedCertificateTimestamp) add(EXT.signedCertificateTimestamp, () => {});
  if (o.signatureAlgorithms?.length) {
    add(EXT.signatureAlgorithms, (w) =>
      w.lengthPrefixed(2, (l) => {
        for (const s of o.signatureAlgorithms!) l.u16(s);
      }));
  }
  if (o.keyShares && max >= TLS1_3) {
    add(EXT.keyShare, (w) =>
      w.lengthPrefixed(2, (l) => {
        if (o.grease) l.u16(0x3a3a).vec16(Uint8Array.of(0));
        for (const k of o.keyShares!) l.u16(k.group).vec16(k.keyExchange);
      }));
  }
  if (max >= TLS1_3) {
    add(EXT.pskKeyExchangeModes, (w) => w.vec8(Uint8Array.from(o.pskModes ?? [1])));
    add(EXT.supportedVersions, (w) =>
      w.lengthPrefixed(1, (l) => {
        if (o.grease) l.u16(0x4a4a);
        for (const v of o.versions) l.u16(v);
      }));
  }
  if (o.cookie) add(EXT.cookie, (w) => w.vec16(o.cookie!));
  for (const e of o.extraExtensions ?? []) exts.push(e);
  if (o.grease) exts.push({ type: 0x5a5a, data: Uint8Array.of(0) });

  const body = new Writer()
    .u16(legacyVersion)
    .bytes(o.random)
    .vec8(o.sessionId ?? new Uint8Array(0))
    .lengthPrefixed(2, (w) => {
      for (const s of suites) w.u16(s);
    })
    .vec8(Uint8Array.from(o.compressionMethods ?? [0]));
  // SSLv3 servers may choke on an extensions block; omit it when empty.
  if (exts.length) writeExtensions(body, exts);
  return encodeHandshake(HS.clientHello, body.finish());
}

/** A parsed ClientHello. */
export interface ClientHello {
  /** legacy_version. */
  legacyVersion: number;
  /** Client random. */
  random: Uint8Array;
  /** legacy_session_id. */
  sessionId: Uint8Array;
  /** Offered suites, in order (GREASE and SCSVs included). */
  cipherSuites: number[];
  /** Compression methods. */
  compressionMethods: number[];
  /** Extensions in order. */
  extensions: Extension[];
  /** Set when the hello ends before the extensions block (RFC 5246 §7.4.1.2), not with an empty one. */
  noExtensionBlock?: true;
  /** supported_versions, or undefined when absent. */
  supportedVersions?: number[];
  /** supported_groups. */
  groups?: number[];
  /** Key shares offered. */
  keyShares?: KeyShareEntry[];
  /** signature_algorithms. */
  signatureAlgorithms?: number[];
  /** SNI host name. */
  serverName?: string;
  /** ALPN protocols. */
  alpn?: string[];
}

/**
 * Parses a ClientHello body (without the 4-byte header).
 *
 * @param body the body
 * @param offset absolute offset of the body, for errors
 * @returns the parsed hello
 * @throws TlsprobeError PEER_MALFORMED
 */
export function parseClientHello(body: Uint8Array, offset = 0): ClientHello {
  const r = new Reader(body, offset);
  const legacyVersion = r.u16("client_hello.legacy_version");
  const random = r.bytes(32, "client_hello.random");
  const sessionId = r.vec8("client_hello.legacy_session_id");
  if (sessionId.length > 32) {
    throw malformed("Session id longer than 32 bytes", r.offset, "client_hello.legacy_session_id");
  }
  const cipherSuites = r.u16List("client_hello.cipher_suites", 2, 2);
  const compressionMethods = Array.from(r.vec8("client_hello.compression_methods", 1));
  const noExtensionBlock = r.remaining === 0;
  const extensions = noExtensionBlock ? [] : readExtensions(r, "client_hello.extensions");
  r.expectEmpty("client_hello");
  const hello: ClientHello = {
    legacyVersion,
    random,
    sessionId,
    cipherSuites,
    compressionMethods,
    extensions,
    ...(noExtensionBlock ? { noExtensionBlock } : {}),
  };
  const sv = findExtension(extensions, EXT.supportedVersions);
  if (sv) {
    const er = extReader(sv);
    hello.supportedVersions = er.u16List("supported_versions.versions", 1, 2);
    er.expectEmpty("supported_versions");
  }
  const sg = findExtension(extensions, EXT.supportedGroups);
  if (sg) {
    const er = extReader(sg);
    hello.groups = er.u16List("supported_groups.named_group_list", 2, 2);
    er.expectEmpty("supported_groups");
  }
  const sa = findExtension(extensions, EXT.signatureAlgorithms);
  if (sa) {
    const er = extReader(sa);
    hello.signatureAlgorithms = er.u16List("signature_algorithms.list", 2, 2);
    er.expectEmpty("signature_algorithms");
  }
  const ks = findExtension(extensions, EXT.keyShare);
  if (ks) {
    const er = extReader(ks);
    const list = er.sub16("key_share.client_shares");
    er.expectEmpty("key_share");
    hello.keyShares = [];
    while (list.remaining) {
      const group = list.u16("key_share.group");
      hello.keyShares.push({ group, keyExchange: list.vec16("key_share.key_exchange", 1) });
    }
  }
  const sni = findExtension(extensions, EXT.serverName);
  if (sni) hello.serverName = parseServerNameList(sni)[0];
  const alpn = findExtension(extensions, EXT.alpn);
  if (alpn) hello.alpn = parseAlpn(alpn);
  return hello;
}
