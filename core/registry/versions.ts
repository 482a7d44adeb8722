/**
 * Protocol versions, SSLv2 to TLS 1.3, with their wire code, the names OpenSSL
 * and the IETF use, and whether they are still acceptable (RFC 8996 deprecates
 * TLS 1.0 and 1.1; RFC 7568 SSLv3; RFC 6176 SSLv2).
 *
 * @module
 */
import { hexCode, indexBy } from "./_lookup.ts";

/** One protocol version. */
export interface ProtocolVersion {
  /** The 16-bit wire value (`0x0303` for TLS 1.2). */
  code: number;
  /** OpenSSL's name (`TLSv1.2`), the one `test_tls.py` prints. */
  name: string;
  /** The IETF name (`TLS 1.2`). */
  ietf: string;
  /** Whether it is deprecated and insecure. */
  insecure: boolean;
  /** Why it is insecure, with the RFC that says so. */
  reason?: string;
}

/** Every version this tool knows, oldest first. */
export const VERSIONS: readonly ProtocolVersion[] = [
  {
    code: 0x0002,
    name: "SSLv2",
    ietf: "SSL 2.0",
    insecure: true,
    reason: "SSL 2.0 is prohibited (RFC 6176)",
  },
  {
    code: 0x0300,
    name: "SSLv3",
    ietf: "SSL 3.0",
    insecure: true,
    reason: "SSL 3.0 is prohibited (RFC 7568; POODLE)",
  },
  {
    code: 0x0301,
    name: "TLSv1",
    ietf: "TLS 1.0",
    insecure: true,
    reason: "TLS 1.0 is deprecated (RFC 8996)",
  },
  {
    code: 0x0302,
    name: "TLSv1.1",
    ietf: "TLS 1.1",
    insecure: true,
    reason: "TLS 1.1 is deprecated (RFC 8996)",
  },
  { code: 0x0303, name: "TLSv1.2", ietf: "TLS 1.2", insecure: false },
  { code: 0x0304, name: "TLSv1.3", ietf: "TLS 1.3", insecure: false },
];

const BY_CODE = indexBy(VERSIONS, (v) => v.code);
const BY_NAME = indexBy(VERSIONS, (v) => v.name.toLowerCase());

/** Wire value of TLS 1.0. */
export const TLS1_0 = 0x0301;
/** Wire value of TLS 1.1. */
export const TLS1_1 = 0x0302;
/** Wire value of TLS 1.2. */
export const TLS1_2 = 0x0303;
/** Wire value of TLS 1.3. */
export const TLS1_3 = 0x0304;
/** Wire value of SSL 3.0. */
export const SSL3 = 0x0300;

/**
 * Finds a version by wire code.
 *
 * @param code the wire value
 * @returns the entry, or undefined
 * @example
 * ```ts
 * import { versionByCode } from "./versions.ts";
 * console.assert(versionByCode(0x0303)?.name === "TLSv1.2");
 * ```
 */
export function versionByCode(code: number): ProtocolVersion | undefined {
  return BY_CODE.get(code);
}

/**
 * Finds a version by name: OpenSSL's (`TLSv1.2`, `TLSv1`), the IETF's
 * (`TLS 1.2`), or the short forms `tls1.2`, `tls1_2`, `1.2`.
 *
 * @param name the name, case-insensitive
 * @returns the entry, or undefined
 */
export function versionByName(name: string): ProtocolVersion | undefined {
  const n = name.trim().toLowerCase().replace(/_/g, ".").replace(/\s+/g, "");
  const direct = BY_NAME.get(n);
  if (direct) return direct;
  const m = /^(?:tlsv?)?(1(?:\.[0-3])?)$/.exec(n);
  if (m) {
    const minor = m[1] === "1" ? 0 : Number(m[1].slice(2));
    return BY_CODE.get(0x0301 + minor);
  }
  const ssl = /^sslv?([23])(?:\.0)?$/.exec(n);
  if (ssl) return BY_CODE.get(ssl[1] === "3" ? 0x0300 : 0x0002);
  const ietf = VERSIONS.find((v) => v.ietf.replace(/\s+/g, "").toLowerCase() === n);
  return ietf;
}

/**
 * The OpenSSL name of a version, or its `0x%04X` code when unknown.
 *
 * @param code the wire value
 * @returns the name
 */
export function versionName(code: number): string {
  return BY_CODE.get(code)?.name ?? hexCode(code);
}
