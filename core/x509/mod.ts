/**
 * X.509 certificates: PEM/DER/bundle reading, decoding, fingerprints, chain
 * ordering and link checks, and RFC 6125 / RFC 9525 identity matching.
 *
 * Pure: no `Deno.*`, no `node:*`; digests and signatures use WebCrypto.
 *
 * @example
 * ```ts ignore
 * import { decodeCertificate, orderChain, parsePem, verifyChain } from "./mod.ts";
 * const certs = await Promise.all(parsePem(text).map(decodeCertificate));
 * const { chain } = orderChain(certs);
 * const report = await verifyChain(chain, { now: new Date() });
 * ```
 *
 * @module
 */
export * from "./der.ts";
export * from "./name.ts";
export * from "./pem.ts";
export * from "./decode.ts";
export * from "./chain.ts";
export * from "./identity.ts";
export * from "./inspect.ts";
export * from "./generate.ts";
export type { CertFinding, CertFindingSeverity, DecodeContext } from "./findings.ts";
