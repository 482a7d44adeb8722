/**
 * Reading PEM files for the runtime's TLS: certificate chains and private keys,
 * with clear errors for files that are not what they should be.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----\r?\n?/g;

/** The PEM blocks of a text, by label. */
export interface PemParts {
  /** `CERTIFICATE` blocks, in file order, as PEM text. */
  certificates: string[];
  /** The first private-key block (PKCS#8, PKCS#1 or SEC1), as PEM text. */
  key?: string;
}

/**
 * Splits PEM text into certificates and a private key.
 *
 * @param text the file's contents
 * @returns certificates and key
 */
export function splitPem(text: string): PemParts {
  const parts: PemParts = { certificates: [] };
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1];
    if (label === "CERTIFICATE" || label === "TRUSTED CERTIFICATE") {
      parts.certificates.push(m[0].trimEnd() + "\n");
    } else if (/PRIVATE KEY$/.test(label) && !label.startsWith("ENCRYPTED") && !parts.key) {
      parts.key = m[0].trimEnd() + "\n";
    } else if (label === "ENCRYPTED PRIVATE KEY") {
      throw new TlsprobeError(
        "BAD_INPUT",
        "The private key is encrypted; decrypt it first (openssl pkey -in KEY -out plain.key)",
      );
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
    if (e instanceof Deno.errors.NotFound) {
      throw new TlsprobeError("FILE_NOT_FOUND", `Cannot read ${what} ${path}: no such file`);
    }
    if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
      throw new TlsprobeError("PERMISSION", `Cannot read ${what} ${path}: permission denied`);
    }
    if (e instanceof Deno.errors.IsADirectory) {
      throw new TlsprobeError("BAD_INPUT", `Cannot read ${what} ${path}: it is a directory`);
    }
    throw new TlsprobeError("BAD_INPUT", `Cannot read ${what} ${path}: ${(e as Error).message}`, {
      raw: String(e),
    });
  }
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
