/**
 * Alert descriptions (RFC 8446 §6, RFC 5246 §7.2, RFC 6066, RFC 7301,
 * RFC 8446 §4.4.2.4), from the IANA "TLS Alerts" registry.
 *
 * @module
 */
import { hexCode, indexBy } from "./_lookup.ts";
import type { ErrorCode } from "../errors.ts";

/** One alert description. */
export interface AlertDescription {
  /** The 8-bit code. */
  code: number;
  /** The IANA name (`handshake_failure`). */
  name: string;
  /** The stable tlsprobe error code a peer's alert maps to. */
  error: ErrorCode;
}

const ROWS: [number, string, ErrorCode][] = [
  [0, "close_notify", "CONNECTION_CLOSED"],
  [10, "unexpected_message", "ALERT"],
  [20, "bad_record_mac", "ALERT"],
  [21, "decryption_failed", "ALERT"],
  [22, "record_overflow", "ALERT"],
  [30, "decompression_failure", "ALERT"],
  [40, "handshake_failure", "HANDSHAKE_FAILURE"],
  [41, "no_certificate", "CLIENT_CERT_REQUIRED"],
  [42, "bad_certificate", "CLIENT_CERT_REJECTED"],
  [43, "unsupported_certificate", "CLIENT_CERT_REJECTED"],
  [44, "certificate_revoked", "CLIENT_CERT_REJECTED"],
  [45, "certificate_expired", "CLIENT_CERT_REJECTED"],
  [46, "certificate_unknown", "CLIENT_CERT_REJECTED"],
  [47, "illegal_parameter", "ALERT"],
  [48, "unknown_ca", "CLIENT_CERT_REJECTED"],
  [49, "access_denied", "ALERT"],
  [50, "decode_error", "ALERT"],
  [51, "decrypt_error", "ALERT"],
  [60, "export_restriction", "ALERT"],
  [70, "protocol_version", "PROTOCOL_VERSION"],
  [71, "insufficient_security", "NO_SHARED_CIPHER"],
  [80, "internal_error", "ALERT"],
  [86, "inappropriate_fallback", "PROTOCOL_VERSION"],
  [90, "user_canceled", "ALERT"],
  [100, "no_renegotiation", "ALERT"],
  [109, "missing_extension", "ALERT"],
  [110, "unsupported_extension", "ALERT"],
  [111, "certificate_unobtainable", "ALERT"],
  [112, "unrecognized_name", "ALERT"],
  [113, "bad_certificate_status_response", "ALERT"],
  [114, "bad_certificate_hash_value", "ALERT"],
  [115, "unknown_psk_identity", "ALERT"],
  [116, "certificate_required", "CLIENT_CERT_REQUIRED"],
  [120, "no_application_protocol", "ALERT"],
  [121, "ech_required", "ALERT"],
];

/** Every alert description this tool knows. */
export const ALERT_DESCRIPTIONS: readonly AlertDescription[] = ROWS.map((
  [code, name, error],
) => ({ code, name, error }));

const BY_CODE = indexBy(ALERT_DESCRIPTIONS, (a) => a.code);

/** Alert codes the handshake sends or checks. */
export const ALERT = {
  closeNotify: 0,
  unexpectedMessage: 10,
  handshakeFailure: 40,
  illegalParameter: 47,
  decodeError: 50,
  decryptError: 51,
  protocolVersion: 70,
  internalError: 80,
  userCanceled: 90,
  certificateRequired: 116,
} as const;

/**
 * Finds an alert description by code.
 *
 * @param code the 8-bit code
 * @returns the entry, or undefined
 * @example
 * ```ts
 * import { alertByCode } from "./alerts.ts";
 * console.assert(alertByCode(40)?.name === "handshake_failure");
 * ```
 */
export function alertByCode(code: number): AlertDescription | undefined {
  return BY_CODE.get(code);
}

/**
 * The IANA name of an alert, or its `0x%02X` code when unknown.
 *
 * @param code the 8-bit code
 * @returns the name
 */
export function alertName(code: number): string {
  return BY_CODE.get(code)?.name ?? hexCode(code, 2);
}
