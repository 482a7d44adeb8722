/**
 * PEM (RFC 7468) and certificate bundles: PEM text with one or more
 * `CERTIFICATE` blocks, or DER (one certificate or several concatenated).
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { DerReader, toBase64 } from "./der.ts";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const CERT_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]);

/** One PEM block: its label, its bytes and where it starts in the text. */
export interface PemBlock {
  /** The label after BEGIN (`CERTIFICATE`, `PRIVATE KEY`, …). */
  label: string;
  /** The decoded body. */
  der: Uint8Array;
  /** Offset of `-----BEGIN` in the text. */
  offset: number;
}

/**
 * Decodes every PEM block of a text (RFC 7468 section 2), whatever its label.
 *
 * @param text PEM text; anything outside the blocks is ignored (explanatory text is allowed)
 * @returns the blocks in order
 * @throws TlsprobeError `BAD_INPUT` for mismatched labels or bad base64
 */
export function parsePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const offset = m.index ?? 0;
    if (m[1] !== m[3]) {
      throw new TlsprobeError(
        "BAD_INPUT",
        `Cannot read PEM: BEGIN ${m[1]} ends with END ${m[3]}`,
        { offset },
      );
    }
    // RFC 7468 section 2: headers (RFC 1421 "Proc-Type: …") are not base64.
    const body = m[2].split(/\r?\n/).filter((l) => !/^[A-Za-z-]+:/.test(l.trim())).join("");
    const b64 = body.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) {
      throw new TlsprobeError("BAD_INPUT", `Cannot read PEM ${m[1]}: body is not base64`, {
        offset,
      });
    }
    let bin: string;
    try {
      bin = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="));
    } catch {
      throw new TlsprobeError("BAD_INPUT", `Cannot read PEM ${m[1]}: body is not base64`, {
        offset,
      });
    }
    const der = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) der[i] = bin.charCodeAt(i);
    blocks.push({ label: m[1], der, offset });
  }
  return blocks;
}

/**
 * The certificates of a PEM text, in order. Other blocks (keys) are skipped
 * when there is at least one certificate.
 *
 * @param text PEM text
 * @returns the DER of each certificate
 * @throws TlsprobeError `BAD_INPUT` when the text holds no PEM, or PEM but no certificate
 * @example
 * ```ts
 * import { parsePem } from "./pem.ts";
 * try { parsePem("hello"); } catch (e) { console.assert((e as { code: string }).code === "BAD_INPUT"); }
 * ```
 */
export function parsePem(text: string): Uint8Array[] {
  const blocks = parsePemBlocks(text);
  if (blocks.length === 0) {
    throw new TlsprobeError(
      "BAD_INPUT",
      "Cannot read certificates: no PEM block (-----BEGIN CERTIFICATE-----) found",
    );
  }
  const certs = blocks.filter((b) => CERT_LABELS.has(b.label));
  if (certs.length === 0) {
    const labels = [...new Set(blocks.map((b) => b.label))].join(", ");
    throw new TlsprobeError(
      "BAD_INPUT",
      `Cannot read certificates: the PEM holds ${labels}, not a CERTIFICATE`,
      { labels },
    );
  }
  // A TRUSTED CERTIFICATE is the certificate followed by OpenSSL's trust data.
  return certs.map((b) =>
    b.label === "TRUSTED CERTIFICATE"
      ? new DerReader(b.der, 0, "trusted certificate").any().raw
      : b.der
  );
}

/**
 * The certificates of a file's bytes: PEM text, or DER (one certificate, or
 * several concatenated).
 *
 * @param bytes the file's content
 * @returns the DER of each certificate
 * @throws TlsprobeError `BAD_INPUT` or `CERT_INVALID`
 */
export function readCertificates(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length === 0) {
    throw new TlsprobeError("BAD_INPUT", "Cannot read certificates: input is empty");
  }
  if (bytes[0] === 0x30) {
    const r = new DerReader(bytes, 0, "certificate");
    const out: Uint8Array[] = [];
    while (!r.done) out.push(r.any().raw);
    return out;
  }
  return parsePem(new TextDecoder("utf-8", { fatal: false }).decode(bytes));
}

/**
 * PEM of DER bytes, 64 columns (RFC 7468 section 2).
 *
 * @param der the bytes
 * @param label the PEM label, `CERTIFICATE` by default
 */
export function toPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = toBase64(der).replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
