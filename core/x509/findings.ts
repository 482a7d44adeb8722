/**
 * Findings of the certificate decoder: each violation of the encoding rules
 * named with its rule, severity and the clause it breaks.
 *
 * The decoder runs in one of two modes over the same code. Strict (what trust
 * and identity use) refuses the certificate at the first violation it always
 * refused; tolerant (what `cert`, `probe -v`, the extension and the scanner
 * show) records a finding and goes on, so every field that can be read is
 * shown. Violations the strict decoder never refused (a string that breaks its
 * type, invalid UTF-8) are findings in both modes.
 *
 * @module
 */
import { derError } from "./der.ts";
import { TlsprobeError } from "../errors.ts";
import type { Finding, Severity } from "../report/finding.ts";

/**
 * How bad a finding is, on the one scale of every finding: `error` for an
 * encoding the strict decoder refuses (the certificate is malformed),
 * `warning` for a value that breaks its type, `info` for a rule broken without
 * harm to reading.
 */
export type CertFindingSeverity = Severity;

/** One violation found in a certificate: a {@link Finding} with the clause and where. */
export interface CertFinding extends Finding {
  /** Stable rule name, `x509.<kind>` (`x509.duplicate-extension`, …). */
  rule: string;
  /** `error`, `warning` or `info`. */
  severity: CertFindingSeverity;
  /** One line: what is wrong and where. */
  message: string;
  /** The clause broken (`RFC 5280 section 4.2`, `X.690 section 8.6.2.2`). */
  clause: string;
  /** Byte offset in the certificate's DER, where known. */
  offset?: number;
  /** The field being read (`subject`, `subjectAltName`, …). */
  field?: string;
}

/** The decoder's mode and what it found so far. */
export interface DecodeContext {
  /** Record violations and go on instead of refusing. */
  tolerant: boolean;
  /** Findings, in the order found. */
  findings: CertFinding[];
}

/** A fresh context. */
export function decodeContext(tolerant: boolean): DecodeContext {
  return { tolerant, findings: [] };
}

/**
 * A violation the strict decoder refuses: throws `CERT_INVALID` (the strict
 * decoder's message) in strict mode, records an `error` finding in tolerant mode.
 */
export function refuse(
  ctx: DecodeContext,
  f: Omit<CertFinding, "severity"> & { offset: number },
): void {
  if (!ctx.tolerant) derError(f.message, f.offset, f.field);
  ctx.findings.push({ ...f, severity: "error" });
}

/** A violation recorded in both modes (the strict decoder never refused it). */
export function note(ctx: DecodeContext, f: CertFinding): void {
  ctx.findings.push(f);
}

/**
 * Runs one field's decoding. Strict: as is (its errors propagate). Tolerant: a
 * failure becomes an `error` finding for `field` and `fallback` is returned.
 */
export function attempt<T>(
  ctx: DecodeContext,
  field: string,
  clause: string,
  fn: () => T,
  fallback: T,
): T {
  if (!ctx.tolerant) return fn();
  try {
    return fn();
  } catch (e) {
    const offset = e instanceof TlsprobeError ? e.detail.offset : undefined;
    ctx.findings.push({
      rule: `x509.malformed-${field.replace(/[^A-Za-z0-9]+/g, "-").replace(/-+$/, "")}`,
      severity: "error",
      message: e instanceof Error ? e.message : String(e),
      clause,
      ...(offset !== undefined ? { offset } : {}),
      field,
    });
    return fallback;
  }
}
