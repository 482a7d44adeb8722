/**
 * One call for "explain these certificates": read a file's bytes (PEM bundle
 * or DER), decode, order, check each link, and match a name. Used by
 * `tlsprobe cert` and by the extension's certificate view.
 *
 * @module
 */
import { type ChainReport, orderChain, verifyChain } from "./chain.ts";
import { type CertificateInfo, certificateToJson, decodeCertificate } from "./decode.ts";
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
  /** The name check, when a name was given. */
  identity?: IdentityMatch;
}

/**
 * Decodes, orders and checks the certificates in a file's bytes.
 *
 * @param bytes PEM text (one or more certificates; keys are skipped) or DER
 * @param options `now` for validity, `roots` to anchor the chain, `name` to match against the leaf
 * @returns the chain, its check and the identity result
 * @throws TlsprobeError `BAD_INPUT` (not PEM, no certificate) or `CERT_INVALID` (malformed)
 */
export async function inspectCertificates(
  bytes: Uint8Array,
  options: { now: Date; roots?: CertificateInfo[]; name?: string },
): Promise<Inspection> {
  const certs = [];
  for (const der of readCertificates(bytes)) certs.push(await decodeCertificate(der));
  const { chain, unused } = orderChain(certs);
  const report = await verifyChain(chain, { now: options.now, roots: options.roots });
  const identity = options.name !== undefined ? matchIdentity(chain[0], options.name) : undefined;
  return { chain, unused, report, identity };
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
