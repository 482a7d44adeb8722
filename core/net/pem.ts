/**
 * Reading PEM files for the runtime's TLS: certificate chains and private keys,
 * with clear errors for files that are not what they should be.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { parsePemBlocks, toPem } from "../x509/pem.ts";

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
 * Reads a file as text, mapping a missing or unreadable file to a usage error.
 *
 * @param path the file
 * @param what what the file is for, for the message (`CA file`, …)
 * @returns the text
 * @throws TlsprobeError FILE_NOT_FOUND, PERMISSION
 */
export async function readFileText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw readError(e, path, what);
  }
}

/**
 * Reads a file's bytes (a DER certificate, a bundle), mapping a missing or
 * unreadable file to a usage error.
 *
 * @param path the file
 * @param what what the file is for, for the message
 * @returns the bytes
 * @throws TlsprobeError FILE_NOT_FOUND, PERMISSION
 */
export async function readFileBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw readError(e, path, what);
  }
}

function readError(e: unknown, path: string, what: string): TlsprobeError {
  if (e instanceof Deno.errors.NotFound) {
    return new TlsprobeError("FILE_NOT_FOUND", `Cannot read ${what} ${path}: no such file`);
  }
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    return new TlsprobeError("PERMISSION", `Cannot read ${what} ${path}: permission denied`);
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return new TlsprobeError("BAD_INPUT", `Cannot read ${what} ${path}: it is a directory`);
  }
  return new TlsprobeError("BAD_INPUT", `Cannot read ${what} ${path}: ${(e as Error).message}`, {
    raw: String(e),
  });
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
      `${certFile} holds no private key: append it to the file or pass --key FILE`,
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
  const certs = splitPem(await readFileText(caFile, "CA file")).certificates;
  if (certs.length === 0) {
    throw new TlsprobeError(
      "BAD_INPUT",
      `CA file ${caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    );
  }
  return certs;
}
