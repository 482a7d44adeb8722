/**
 * TLS extension types, from the IANA "TLS ExtensionType Values" registry.
 *
 * @module
 */
import { hexCode, indexBy } from "./_lookup.ts";

/** One extension type. */
export interface ExtensionType {
  /** The 16-bit code point. */
  code: number;
  /** The IANA name. */
  name: string;
  /** The defining document. */
  ref: string;
}

const ROWS: [number, string, string][] = [
  [0, "server_name", "RFC 6066"],
  [1, "max_fragment_length", "RFC 6066"],
  [2, "client_certificate_url", "RFC 6066"],
  [3, "trusted_ca_keys", "RFC 6066"],
  [4, "truncated_hmac", "RFC 6066"],
  [5, "status_request", "RFC 6066"],
  [6, "user_mapping", "RFC 4681"],
  [7, "client_authz", "RFC 5878"],
  [8, "server_authz", "RFC 5878"],
  [9, "cert_type", "RFC 6091"],
  [10, "supported_groups", "RFC 8422, RFC 7919"],
  [11, "ec_point_formats", "RFC 8422"],
  [12, "srp", "RFC 5054"],
  [13, "signature_algorithms", "RFC 8446"],
  [14, "use_srtp", "RFC 5764"],
  [15, "heartbeat", "RFC 6520"],
  [16, "application_layer_protocol_negotiation", "RFC 7301"],
  [17, "status_request_v2", "RFC 6961"],
  [18, "signed_certificate_timestamp", "RFC 6962"],
  [19, "client_certificate_type", "RFC 7250"],
  [20, "server_certificate_type", "RFC 7250"],
  [21, "padding", "RFC 7685"],
  [22, "encrypt_then_mac", "RFC 7366"],
  [23, "extended_master_secret", "RFC 7627"],
  [24, "token_binding", "RFC 8472"],
  [25, "cached_info", "RFC 7924"],
  [26, "tls_lts", "draft-gutmann-tls-lts"],
  [27, "compress_certificate", "RFC 8879"],
  [28, "record_size_limit", "RFC 8449"],
  [29, "pwd_protect", "RFC 8492"],
  [30, "pwd_clear", "RFC 8492"],
  [31, "password_salt", "RFC 8492"],
  [32, "ticket_pinning", "RFC 8672"],
  [33, "tls_cert_with_extern_psk", "RFC 8773"],
  [34, "delegated_credential", "RFC 9345"],
  [35, "session_ticket", "RFC 5077, RFC 8447"],
  [36, "TLMSP", "ETSI TS 103 523-2"],
  [37, "TLMSP_proxying", "ETSI TS 103 523-2"],
  [38, "TLMSP_delegate", "ETSI TS 103 523-2"],
  [39, "supported_ekt_ciphers", "RFC 8870"],
  [41, "pre_shared_key", "RFC 8446"],
  [42, "early_data", "RFC 8446"],
  [43, "supported_versions", "RFC 8446"],
  [44, "cookie", "RFC 8446"],
  [45, "psk_key_exchange_modes", "RFC 8446"],
  [47, "certificate_authorities", "RFC 8446"],
  [48, "oid_filters", "RFC 8446"],
  [49, "post_handshake_auth", "RFC 8446"],
  [50, "signature_algorithms_cert", "RFC 8446"],
  [51, "key_share", "RFC 8446"],
  [52, "transparency_info", "RFC 9162"],
  [53, "connection_id_deprecated", "RFC 9146"],
  [54, "connection_id", "RFC 9146"],
  [55, "external_id_hash", "RFC 8844"],
  [56, "external_session_id", "RFC 8844"],
  [57, "quic_transport_parameters", "RFC 9001"],
  [58, "ticket_request", "RFC 9149"],
  [59, "dnssec_chain", "RFC 9102"],
  [60, "sequence_number_encryption_algorithms", "RFC 9851"],
  [61, "rrc", "draft-ietf-tls-dtls-rrc"],
  [0x4469, "application_settings_old", "draft-vvv-tls-alps"],
  [0x44cd, "application_settings", "draft-vvv-tls-alps"],
  [0xfd00, "ech_outer_extensions", "draft-ietf-tls-esni"],
  [0xfe0d, "encrypted_client_hello", "draft-ietf-tls-esni"],
  [0xff01, "renegotiation_info", "RFC 5746"],
];

/** Every extension type this tool knows, by code point. */
export const EXTENSION_TYPES: readonly ExtensionType[] = ROWS.map(([code, name, ref]) => ({
  code,
  name,
  ref,
}));

const BY_CODE = indexBy(EXTENSION_TYPES, (e) => e.code);

/** Extension code points the codec builds or parses, by name. */
export const EXT = {
  serverName: 0,
  maxFragmentLength: 1,
  statusRequest: 5,
  supportedGroups: 10,
  ecPointFormats: 11,
  signatureAlgorithms: 13,
  heartbeat: 15,
  alpn: 16,
  signedCertificateTimestamp: 18,
  padding: 21,
  encryptThenMac: 22,
  extendedMasterSecret: 23,
  compressCertificate: 27,
  recordSizeLimit: 28,
  sessionTicket: 35,
  preSharedKey: 41,
  earlyData: 42,
  supportedVersions: 43,
  cookie: 44,
  pskKeyExchangeModes: 45,
  certificateAuthorities: 47,
  postHandshakeAuth: 49,
  signatureAlgorithmsCert: 50,
  keyShare: 51,
  renegotiationInfo: 0xff01,
} as const;

/**
 * Finds an extension type by code point.
 *
 * @param code the code point
 * @returns the entry, or undefined
 * @example
 * ```ts
 * import { extensionByCode } from "./extensions.ts";
 * console.assert(extensionByCode(43)?.name === "supported_versions");
 * ```
 */
export function extensionByCode(code: number): ExtensionType | undefined {
  return BY_CODE.get(code);
}

/**
 * The IANA name of an extension type, or its `0x%04X` code when unknown.
 *
 * @param code the code point
 * @returns the name
 */
export function extensionName(code: number): string {
  return BY_CODE.get(code)?.name ?? hexCode(code);
}
