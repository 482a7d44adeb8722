/**
 * ServerHello and HelloRetryRequest (RFC 8446 §4.1.3, §4.1.4; RFC 5246
 * §7.4.1.3).
 *
 * @module
 */
import { malformed, Reader, toHex } from "./codec.ts";
import { EXT } from "../registry/extensions.ts";
import { TLS1_2, TLS1_3 } from "../registry/versions.ts";
import {
  expectEmptyExtension,
  type Extension,
  extReader,
  parseAlpn,
  readExtensions,
} from "./extensions.ts";

/** SHA-256("HelloRetryRequest"), the random of a HelloRetryRequest (RFC 8446 §4.1.3). */
export const HRR_RANDOM = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c";

/** The downgrade sentinels in the last 8 bytes of the server random (RFC 8446 §4.1.3). */
const DOWNGRADE_TLS12 = "444f574e47524401";
const DOWNGRADE_TLS11 = "444f574e47524400";

/** A parsed ServerHello or HelloRetryRequest. */
export interface ServerHello {
  /** legacy_version as sent. */
  legacyVersion: number;
  /** The negotiated version: supported_versions when present, else legacy_version. */
  version: number;
  /** Server random. */
  random: Uint8Array;
  /** Session id echoed or assigned. */
  sessionId: Uint8Array;
  /** Chosen cipher suite. */
  cipherSuite: number;
  /** Chosen compression method (0 = null). */
  compression: number;
  /** Extensions in order. */
  extensions: Extension[];
  /** Set when the hello ends before the extensions block (RFC 5246 §7.4.1.2), not with an empty one. */
  noExtensionBlock?: true;
  /** Whether this is a HelloRetryRequest. */
  helloRetryRequest: boolean;
  /** TLS 1.3 ServerHello: the server's key share. */
  keyShare?: { group: number; keyExchange: Uint8Array };
  /** HelloRetryRequest: the group the server asks for. */
  selectedGroup?: number;
  /** HelloRetryRequest: the cookie to echo. */
  cookie?: Uint8Array;
  /** ALPN protocol chosen (TLS 1.2; in TLS 1.3 it is in EncryptedExtensions). */
  alpn?: string;
  /** TLS 1.2: the server will staple an OCSP response (empty status_request). */
  statusRequest: boolean;
  /** TLS 1.2: the server will issue a session ticket (empty session_ticket). */
  sessionTicket: boolean;
  /** Extended master secret acknowledged (RFC 7627). */
  extendedMasterSecret: boolean;
  /** Encrypt-then-MAC acknowledged (RFC 7366). */
  encryptThenMac: boolean;
  /** Secure renegotiation acknowledged (RFC 5746). */
  secureRenegotiation: boolean;
  /** A downgrade sentinel in the random (RFC 8446 §4.1.3), when present. */
  downgradeSentinel?: "tls12" | "tls11";
  /** Absolute offset of the body. */
  offset: number;
}

/**
 * Parses a ServerHello body (without the 4-byte header).
 *
 * @param body the body
 * @param offset absolute offset of the body, for errors
 * @returns the parsed hello
 * @throws TlsprobeError PEER_MALFORMED for truncation, trailing data,
 *   duplicate extensions or malformed extension bodies
 * @example
 * ```ts
 * import { parseServerHello } from "./server_hello.ts";
 * const body = new Uint8Array(38 + 2);
 * body.set([3, 3], 0); body[34] = 0; body.set([0xc0, 0x2f, 0], 35);
 * const sh = parseServerHello(body.subarray(0, 38));
 * console.assert(sh.cipherSuite === 0xc02f && sh.version === 0x0303);
 * ```
 */
export function parseServerHello(body: Uint8Array, offset = 0): ServerHello {
  const r = new Reader(body, offset);
  const legacyVersion = r.u16("server_hello.legacy_version");
  const random = r.bytes(32, "server_hello.random");
  const sidAt = r.offset;
  const sessionId = r.vec8("server_hello.legacy_session_id_echo");
  if (sessionId.length > 32) {
    throw malformed(
      "Session id longer than 32 bytes",
      sidAt,
      "server_hello.legacy_session_id_echo",
    );
  }
  const cipherSuite = r.u16("server_hello.cipher_suite");
  const compression = r.u8("server_hello.compression_method");
  // RFC 5246 §7.4.1.3: the extensions block may be absent altogether.
  const noExtensionBlock = r.remaining === 0;
  const extensions = noExtensionBlock ? [] : readExtensions(r, "server_hello.extensions");
  r.expectEmpty("server_hello");
  const helloRetryRequest = toHex(random) === HRR_RANDOM;
  const sh: ServerHello = {
    legacyVersion,
    version: legacyVersion,
    random,
    sessionId,
    cipherSuite,
    compression,
    extensions,
    ...(noExtensionBlock ? { noExtensionBlock } : {}),
    helloRetryRequest,
    statusRequest: false,
    sessionTicket: false,
    extendedMasterSecret: false,
    encryptThenMac: false,
    secureRenegotiation: false,
    offset,
  };
  const tail = toHex(random.subarray(24));
  if (tail === DOWNGRADE_TLS12) sh.downgradeSentinel = "tls12";
  if (tail === DOWNGRADE_TLS11) sh.downgradeSentinel = "tls11";
  for (const e of extensions) {
    switch (e.type) {
      case EXT.supportedVersions: {
        // RFC 8446 §4.2.1: the server sends one selected_version.
        const er = extReader(e);
        sh.version = er.u16("supported_versions.selected_version");
        er.expectEmpty("supported_versions");
        if (legacyVersion !== TLS1_2) {
          throw malformed(
            "supported_versions present but legacy_version is not 0x0303",
            offset,
            "server_hello.legacy_version",
          );
        }
        break;
      }
      case EXT.keyShare: {
        const er = extReader(e);
        const group = er.u16("key_share.group");
        if (helloRetryRequest) {
          // RFC 8446 §4.2.8: an HRR carries only selected_group.
          sh.selectedGroup = group;
        } else {
          sh.keyShare = { group, keyExchange: er.vec16("key_share.key_exchange", 1) };
        }
        er.expectEmpty("key_share");
        break;
      }
      case EXT.cookie: {
        const er = extReader(e);
        sh.cookie = er.vec16("cookie", 1);
        er.expectEmpty("cookie");
        break;
      }
      case EXT.alpn: {
        const names = parseAlpn(e);
        if (names.length !== 1) {
          throw malformed("ALPN answer must name exactly one protocol", e.offset, "alpn");
        }
        sh.alpn = names[0];
        break;
      }
      case EXT.statusRequest:
        expectEmptyExtension(e);
        sh.statusRequest = true;
        break;
      case EXT.sessionTicket:
        expectEmptyExtension(e);
        sh.sessionTicket = true;
        break;
      case EXT.extendedMasterSecret:
        expectEmptyExtension(e);
        sh.extendedMasterSecret = true;
        break;
      case EXT.encryptThenMac:
        expectEmptyExtension(e);
        sh.encryptThenMac = true;
        break;
      case EXT.renegotiationInfo: {
        const er = extReader(e);
        er.vec8("renegotiation_info.renegotiated_connection");
        er.expectEmpty("renegotiation_info");
        sh.secureRenegotiation = true;
        break;
      }
    }
  }
  if (sh.version === TLS1_3 && !helloRetryRequest && !sh.keyShare) {
    // A PSK-only answer is impossible here (no PSK was offered).
    throw malformed("TLS 1.3 ServerHello without key_share", offset, "server_hello.extensions");
  }
  return sh;
}
