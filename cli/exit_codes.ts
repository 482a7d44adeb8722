/**
 * Exit statuses of the `tlsprobe` command, one total map from error code.
 *
 * | status | meaning |
 * |---|---|
 * | 0 | success: the operation worked and every requested check passed |
 * | 1 | a check failed: the peer answered, but verification, identity or a policy said no |
 * | 2 | usage: bad arguments, bad input, a missing file |
 * | 3 | network: the peer could not be reached or went away (refused, DNS, timeout, reset) |
 * | 4 | TLS: the peer was reached but no TLS session could be agreed (alerts, garbage) |
 * | 70 | internal error in tlsprobe (a bug: please report it) |
 *
 * @module
 */
import type { ErrorCode } from "../core/errors.ts";

/** Success. */
export const EXIT_OK = 0;
/** A check (verification, identity, policy) failed. */
export const EXIT_CHECK_FAILED = 1;
/** Usage error or bad input. */
export const EXIT_USAGE = 2;
/** Network error. */
export const EXIT_NETWORK = 3;
/** TLS handshake or protocol error. */
export const EXIT_TLS = 4;
/** Internal error. */
export const EXIT_INTERNAL = 70;

/** The exit status for every error code; the compiler checks it is total. */
export const EXIT_CODES: Record<ErrorCode, number> = {
  CERT_UNKNOWN_ISSUER: EXIT_CHECK_FAILED,
  CERT_CA_AS_LEAF: EXIT_CHECK_FAILED,
  CERT_NAME_MISMATCH: EXIT_CHECK_FAILED,
  CERT_EXPIRED: EXIT_CHECK_FAILED,
  CERT_NOT_YET_VALID: EXIT_CHECK_FAILED,
  CERT_BAD_SIGNATURE: EXIT_CHECK_FAILED,
  CERT_INVALID: EXIT_CHECK_FAILED,
  CHECK_FAILED: EXIT_CHECK_FAILED,
  CLIENT_CERT_REQUIRED: EXIT_TLS,
  CLIENT_CERT_REJECTED: EXIT_TLS,
  PROTOCOL_VERSION: EXIT_TLS,
  HANDSHAKE_FAILURE: EXIT_TLS,
  NO_SHARED_CIPHER: EXIT_TLS,
  ALERT: EXIT_TLS,
  PEER_MALFORMED: EXIT_TLS,
  NOT_TLS: EXIT_TLS,
  STARTTLS_REFUSED: EXIT_TLS,
  STARTTLS_UNSUPPORTED: EXIT_TLS,
  CONNECTION_REFUSED: EXIT_NETWORK,
  CONNECTION_RESET: EXIT_NETWORK,
  CONNECTION_CLOSED: EXIT_NETWORK,
  TIMEOUT: EXIT_NETWORK,
  DNS: EXIT_NETWORK,
  NETWORK: EXIT_NETWORK,
  BAD_INPUT: EXIT_USAGE,
  USAGE: EXIT_USAGE,
  FILE_NOT_FOUND: EXIT_USAGE,
  PERMISSION: EXIT_USAGE,
  UNSUPPORTED: EXIT_USAGE,
  INTERNAL: EXIT_INTERNAL,
};
