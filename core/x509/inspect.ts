/**
 * One call for "explain these certificates": read a file's bytes (PEM bundle
 * or DER), decode, order, check each link, and match a name. Used by
 * `tlsprobe cert` and by the extension's certificate view.
 *
 * @module
 */
import { type ChainReport, orderChain, verifyChain } from "./chain.ts";
import {
  type CertificateInfo,
  certificateToJson,
  decodeCertificate,
  decodeCertificateSync,
  isMalformed,
} from "./decode.ts";
import { type IdentityMatch, matchIdentity } from "./identity.ts";
import { readCertificates } from "./pem.ts";

/** What {@link inspectCertificates} found. */
export interface Inspection {
  /** The chain, leaf first. */
  chain: CertificateInfo[];
  /** Certificates of the input that are not on the leaf's path. */
  unused: CertificateInfo[];
  /** The check of each link. */
  report: ChainReport;
  /** The name check, when a name was given (absent when the leaf fails the strict decoder). */
  identity?: IdentityMatch;
  /** Some certificate is malformed (see `isMalformed`); only in tolerant inspections. */
  malformed: boolean;
}

/**
 * Decodes, orders and checks the certificates in a file's bytes.
 *
 * Strict by default: a malformed certificate is refused. With `tolerant` (the
 * display path) every certificate is shown as far as it can be read, with its
 * findings, and `malformed` says whether any is; the name is still matched
 * only against a leaf the strict decoder accepts.
 *
 * @param bytes PEM text (one or more certificates; keys are skipped) or DER
 * @param options `now` for validity, `roots` to anchor the chain, `name` to match against the
 *   leaf, `tolerant` to show malformed certificates
 * @returns the chain, its check and the identity result
 * @throws TlsprobeError `BAD_INPUT` (not PEM, no certificate) or `CERT_INVALID` (malformed;
 *   tolerant: only when a certificate's outer frame cannot be read)
 */
export async function inspectCertificates(
  bytes: Uint8Array,
  options: { now: Date; roots?: CertificateInfo[]; name?: string; tolerant?: boolean },
): Promise<Inspection> {
  const tolerant = options.tolerant === true;
  const certs = [];
  for (const der of readCertificates(bytes)) certs.push(await decodeCertificate(der, { tolerant }));
  const { chain, unused } = orderChain(certs);
  const report = await verifyChain(chain, { now: options.now, roots: options.roots });
  let identity: IdentityMatch | undefined;
  if (options.name !== undefined) {
    const leaf = tolerant ? strictOrUndefined(chain[0].der) : chain[0];
    identity = leaf ? matchIdentity(leaf, options.name) : undefined;
  }
  const malformed = certs.some(isMalformed);
  return { chain, unused, report, identity, malformed };
}

function strictOrUndefined(der: Uint8Array): CertificateInfo | undefined {
  try {
    return decodeCertificateSync(der);
  } catch {
    return undefined;
  }
}

/**
 * The JSON body of an inspection (`tlsprobe cert --json`).
 *
 * @param i the inspection
 */
export function inspectionToJson(i: Inspection): Record<string, unknown> {
  return {
    certificates: i.chain.map(certificateToJson),
    unused: i.unused.map(certificateToJson),
    chain: i.report,
    ...(i.identity ? { identity: i.identity } : {}),
  };
}
