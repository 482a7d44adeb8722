/**
 * The one error type of tlsprobe and its stable codes.
 *
 * Every failure the tool reports carries a {@link ErrorCode}: a stable,
 * machine-readable name that the CLI maps to an exit status and the extension
 * renders without parsing message text.
 *
 * @module
 */

/** Stable error codes. Adding one is compatible; renaming or removing one is not. */
export const ERROR_CODES = [
  // Trust and identity (the peer spoke TLS, but is not who it claims to be).
  "CERT_UNKNOWN_ISSUER",
  "CERT_CA_AS_LEAF",
  "CERT_NAME_MISMATCH",
  "CERT_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_BAD_SIGNATURE",
  "CERT_INVALID",
  // A check the user asked for did not pass (policy, name check, …).
  "CHECK_FAILED",
  // TLS-level refusal or breakage.
  "CLIENT_CERT_REQUIRED",
  "CLIENT_CERT_REJECTED",
  "PROTOCOL_VERSION",
  "HANDSHAKE_FAILURE",
  "NO_SHARED_CIPHER",
  "ALERT",
  "PEER_MALFORMED",
  "NOT_TLS",
  // STARTTLS: the server refused the upgrade (its words quoted), or does not offer it.
  "STARTTLS_REFUSED",
  "STARTTLS_UNSUPPORTED",
  // Network.
  "CONNECTION_REFUSED",
  "CONNECTION_RESET",
  "CONNECTION_CLOSED",
  "TIMEOUT",
  "DNS",
  "NETWORK",
  // The user's input.
  "BAD_INPUT",
  "USAGE",
  "FILE_NOT_FOUND",
  "PERMISSION",
  "UNSUPPORTED",
  // A bug in tlsprobe.
  "INTERNAL",
] as const;

/** A stable error code. */
export type ErrorCode = typeof ERROR_CODES[number];

/** Structured detail kept beside the one-line message. */
export interface ErrorDetail {
  /** The runtime's own message, shown with `--verbose`. */
  raw?: string;
  /** Byte offset of a decoding failure. */
  offset?: number;
  /** The field or path being read when the failure happened. */
  field?: string;
  /** A TLS alert description received or sent. */
  alert?: string;
  /**
   * What the caller could change, as a key the front end turns into its own
   * words (the CLI names its options, see `cli/advice.ts`): core messages
   * never name command-line flags.
   */
  advice?: Advice;
  /** Anything else worth keeping, JSON-serialisable. */
  [key: string]: unknown;
}

/** What a caller could change after an error (the front end words it). */
export type Advice =
  | "cafile"
  | "servername"
  | "client-cert"
  | "key-file"
  | "timeout"
  | "deadline"
  | "offer"
  | "versions"
  | "wider-suites"
  | "other-suites"
  | "sni";

/**
 * The error every tlsprobe module throws.
 *
 * @example
 * ```ts
 * import { TlsprobeError } from "./errors.ts";
 * const e = new TlsprobeError("BAD_INPUT", "Cannot parse port x: not a number");
 * console.assert(e.code === "BAD_INPUT");
 * ```
 */
export class TlsprobeError extends Error {
  /** The stable code. */
  readonly code: ErrorCode;
  /** Structured detail. */
  readonly detail: ErrorDetail;

  /**
   * Creates an error with a stable code.
   *
   * @param code the stable code
   * @param message one line for a person, saying what to do next where it can
   * @param detail structured detail (raw runtime message, offset, …)
   */
  constructor(code: ErrorCode, message: string, detail: ErrorDetail = {}) {
    super(message);
    this.name = "TlsprobeError";
    this.code = code;
    this.detail = detail;
  }

  /** The JSON form used in reports: `{ code, message, detail }`. */
  toJSON(): { code: ErrorCode; message: string; detail: ErrorDetail } {
    return { code: this.code, message: this.message, detail: this.detail };
  }
}

/**
 * Whether a value is a {@link TlsprobeError}.
 *
 * @param e any thrown value
 * @returns true when `e` is a TlsprobeError
 */
export function isTlsprobeError(e: unknown): e is TlsprobeError {
  return e instanceof TlsprobeError;
}
