/**
 * What a STARTTLS dialogue learned.
 *
 * @module
 */

/** The result of a completed plaintext dialogue. */
export interface StarttlsSession {
  /** The protocol spoken (`smtp`, `imap`, …). */
  protocol: string;
  /** The server's greeting (or identification). */
  banner: string;
  /** What the server advertised before the upgrade (EHLO keywords, CAPABILITY, …). */
  capabilities: string[];
}
