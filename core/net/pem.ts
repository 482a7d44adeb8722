/**
 * Reading PEM files for the runtime's TLS: certificate chains and private keys,
 * with clear errors for files that are not what they should be.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { parsePemBlocks, toPem } from "../x509/pem.ts";
import { DerReader, TAG } from "../x509/der.ts";
import { readInputBytes, readInputText } from "./files.ts";

const CERT_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]);

/** The PEM blocks of a text, by label. */
export interface PemParts {
  /** `CERTIFICATE` blocks, in file order, as PEM text. */
  certificates: string[];
  /** The first private-key block (PKCS#8, PKCS#1 or SEC1), as PEM text. */
  key?: string;
}

/**
 * Splits PEM text into certificates and a private key, re-encoded as clean
 * PEM for the runtime (the one PEM reader is `core/x509/pem.ts`).
 *
 * @param text the file's contents
 * @returns certificates and key
 * @throws TlsprobeError BAD_INPUT for an encrypted key or a block that is not base64
 */
export function splitPem(text: string): PemParts {
  const parts: PemParts = { certificates: [] };
  for (const { label, der } of parsePemBlocks(text)) {
    if (CERT_LABELS.has(label)) {
      parts.certificates.push(toPem(der, "CERTIFICATE"));
    } else if (label === "ENCRYPTED PRIVATE KEY") {
      throw new TlsprobeError(
        "BAD_INPUT",
        "The private key is encrypted; decrypt it first (openssl pkey -in KEY -out plain.key)",
      );
    } else if (/PRIVATE KEY$/.test(label) && !parts.key) {
      parts.key = toPem(der, label);
    }
  }
  return parts;
}

/**
 * Reads a file as text (bounded: a regular file up to the input cap).
 *
 * @param path the file
 * @param what what the file is for, for the message (`CA file`, …)
 * @returns the text
 * @throws TlsprobeError FILE_NOT_FOUND, PERMISSION, BAD_INPUT
 */
export function readFileText(path: string, what: string): Promise<string> {
  return readInputText(path, what);
}

/**
 * Reads a file's bytes (a DER certificate, a bundle; `-` is standard input),
 * bounded as {@link readInputBytes}.
 *
 * @param path the file
 * @param what what the file is for, for the message
 * @returns the bytes
 * @throws TlsprobeError FILE_NOT_FOUND, PERMISSION, BAD_INPUT
 */
export function readFileBytes(path: string, what: string): Promise<Uint8Array> {
  return readInputBytes(path, what);
}

/** A certificate chain and its key, ready for `Deno.listenTls`/`connectTls`. */
export interface CertifiedKey {
  /** The chain, leaf first, as PEM. */
  cert: string;
  /** The private key, as PEM. */
  key: string;
  /** How many certificates the chain holds. */
  chainLength: number;
}

/**
 * Loads a certificate chain and its key: from one PEM holding both (the
 * book's `localhost.pem`) or from separate files.
 *
 * @param certFile the certificate (or bundle) file
 * @param keyFile the key file, when the key is not in `certFile`
 * @returns the chain and key
 * @throws TlsprobeError FILE_NOT_FOUND, BAD_INPUT
 */
export async function loadCertifiedKey(certFile: string, keyFile?: string): Promise<CertifiedKey> {
  const parts = splitPem(await readFileText(certFile, "certificate file"));
  if (parts.certificates.length === 0) {
    throw new TlsprobeError(
      "BAD_INPUT",
      `${certFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  let key = parts.key;
  if (keyFile) {
    key = splitPem(await readFileText(keyFile, "key file")).key;
    if (!key) throw new TlsprobeError("BAD_INPUT", `${keyFile} holds no PEM private key`);
  }
  if (!key) {
    throw new TlsprobeError(
      "BAD_INPUT",
      `${certFile} holds no private key: append it to the file or give the key file separately`,
      { advice: "key-file" },
    );
  }
  return { cert: parts.certificates.join(""), key, chainLength: parts.certificates.length };
}

/**
 * Loads a CA file: one or more PEM certificates.
 *
 * @param caFile the file
 * @returns the certificates as PEM texts
 * @throws TlsprobeError FILE_NOT_FOUND, BAD_INPUT
 */
export async function loadCaFile(caFile: string): Promise<string[]> {
  const text = await readFileText(caFile, "CA file");
  // Each block must at least have a certificate's outer shape, so that a
  // broken file is blamed on the file, not on the server (and the runtime
  // does not dump it on stderr).
  parsePemBlocks(text).forEach(({ label, der }, i) => {
    if (CERT_LABELS.has(label)) checkCertificateShape(der, `${caFile}, certificate ${i + 1}`);
  });
  const certs = splitPem(text).certificates;
  if (certs.length === 0) {
    throw new TlsprobeError(
      "BAD_INPUT",
      `CA file ${caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return certs;
}

/** Checks Certificate ::= SEQUENCE { tbs SEQUENCE, alg SEQUENCE, sig BIT STRING } (RFC 5280, 4.1). */
function checkCertificateShape(der: Uint8Array, where: string): void {
  try {
    const outer = new DerReader(der, 0, "certificate");
    const cert = outer.expect(TAG.SEQUENCE, "Certificate");
    outer.expectEmpty("Certificate");
    const r = DerReader.inside(cert, "Certificate");
    r.expect(TAG.SEQUENCE, "tbsCertificate");
    r.expect(TAG.SEQUENCE, "signatureAlgorithm");
    r.expect(TAG.BIT_STRING, "signatureValue");
    r.expectEmpty("Certificate");
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new TlsprobeError("BAD_INPUT", `${where} is not a DER certificate: ${why}`, {
      field: "cafile",
    });
  }
}
