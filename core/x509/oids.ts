/**
 * Object identifiers the certificate decoder names. Short names follow
 * OpenSSL's (`crypto/objects/objects.txt`) so output lines up with
 * `openssl x509`; unknown identifiers stay dotted.
 *
 * The small tables below give tlsprobe's own names (key types, curve sizes,
 * EKU purposes); everything else OpenSSL names comes from the generated
 * {@link OID_TABLE} (`tools/gen_oids.ts`), which only certificate code loads.
 *
 * @module
 */
import { CURVE_BITS, OID_TABLE } from "./oid_table.ts";

/**
 * OpenSSL's short and long names of an object identifier.
 *
 * @param oid dotted form
 * @returns `{sn, ln}`, or undefined when OpenSSL does not know it
 */
export function oidNames(oid: string): { sn: string; ln: string } | undefined {
  const v = Object.hasOwn(OID_TABLE, oid) ? OID_TABLE[oid] : undefined;
  if (v === undefined) return undefined;
  const bar = v.indexOf("|");
  return bar < 0 ? { sn: v, ln: v } : { sn: v.slice(0, bar), ln: v.slice(bar + 1) };
}

/** OpenSSL's short name (`CN`, `INN`, `gost2001`), or the dotted OID. */
export function oidShortName(oid: string): string {
  return oidNames(oid)?.sn ?? oid;
}

/** OpenSSL's long name (`commonName`, `GOST R 34.10-2001`), as `x509 -text` prints algorithms, or the dotted OID. */
export function oidLongName(oid: string): string {
  return oidNames(oid)?.ln ?? oid;
}

/** The size in bits of a named curve (its order's, as OpenSSL counts it), undefined when unknown. */
export function curveBits(oid: string): number | undefined {
  return CURVES[oid]?.bits ?? (Object.hasOwn(CURVE_BITS, oid) ? CURVE_BITS[oid] : undefined);
}

/** Attribute types of distinguished names (RFC 5280 section 4.1.2.4, RFC 4519). */
export const ATTRIBUTE_NAMES: Record<string, string> = {
  // What OpenSSL's table names differently is listed here; the rest (INN,
  // OGRN, SNILS, …) comes from the generated table through attributeShortName().
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "street",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "title",
  "2.5.4.13": "description",
  "2.5.4.15": "businessCategory",
  "2.5.4.16": "postalAddress",
  "2.5.4.17": "postalCode",
  "2.5.4.18": "postOfficeBox",
  "2.5.4.41": "name",
  "2.5.4.42": "GN",
  "2.5.4.43": "initials",
  "2.5.4.44": "generationQualifier",
  "2.5.4.45": "x500UniqueIdentifier",
  "2.5.4.46": "dnQualifier",
  "2.5.4.65": "pseudonym",
  "2.5.4.20": "telephoneNumber",
  "2.5.4.51": "houseIdentifier",
  "2.5.4.72": "role",
  "2.5.4.97": "organizationIdentifier",
  "1.2.840.113549.1.9.2": "unstructuredName",
  "1.2.840.113549.1.9.8": "unstructuredAddress",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "emailAddress",
  "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
  "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
  "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
};

/** Public key algorithms (RFC 3279, RFC 5480, RFC 8410). */
export const KEY_ALGORITHMS: Record<string, string> = {
  "1.2.840.113549.1.1.1": "RSA",
  "1.2.840.113549.1.1.10": "RSA-PSS",
  "1.2.840.10045.2.1": "EC",
  "1.2.840.10040.4.1": "DSA",
  "1.3.101.110": "X25519",
  "1.3.101.111": "X448",
  "1.3.101.112": "Ed25519",
  "1.3.101.113": "Ed448",
};

/** Named curves (RFC 5480 section 2.1.1.1, RFC 5639) and their sizes in bits. */
export const CURVES: Record<string, { name: string; bits: number }> = {
  "1.2.840.10045.3.1.7": { name: "P-256", bits: 256 },
  "1.3.132.0.34": { name: "P-384", bits: 384 },
  "1.3.132.0.35": { name: "P-521", bits: 521 },
  "1.3.132.0.10": { name: "secp256k1", bits: 256 },
  "1.2.840.10045.3.1.1": { name: "P-192", bits: 192 },
  "1.3.132.0.33": { name: "P-224", bits: 224 },
  "1.3.36.3.3.2.8.1.1.7": { name: "brainpoolP256r1", bits: 256 },
  "1.3.36.3.3.2.8.1.1.11": { name: "brainpoolP384r1", bits: 384 },
  "1.3.36.3.3.2.8.1.1.13": { name: "brainpoolP512r1", bits: 512 },
  "1.2.156.10197.1.301": { name: "SM2", bits: 256 },
};

/** Hash algorithms (RFC 4055 section 2.1). */
export const HASHES: Record<string, string> = {
  "1.3.14.3.2.26": "SHA-1",
  "2.16.840.1.101.3.4.2.4": "SHA-224",
  "2.16.840.1.101.3.4.2.1": "SHA-256",
  "2.16.840.1.101.3.4.2.2": "SHA-384",
  "2.16.840.1.101.3.4.2.3": "SHA-512",
};

/** Extended key usage purposes (RFC 5280 section 4.2.1.12). */
export const EKU_NAMES: Record<string, string> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
  "2.5.29.37.0": "anyExtendedKeyUsage",
  "1.3.6.1.4.1.311.10.3.3": "msSGC",
  "2.16.840.1.113730.4.1": "nsSGC",
};

/** Key usage bits in order (RFC 5280 section 4.2.1.3). */
export const KEY_USAGE_BITS = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;

/** Certificate extensions (RFC 5280 section 4.2, RFC 6962 section 3.3). */
export const EXTENSION_NAMES: Record<string, string> = {
  "2.5.29.14": "subjectKeyIdentifier",
  "2.5.29.15": "keyUsage",
  "2.5.29.17": "subjectAltName",
  "2.5.29.18": "issuerAltName",
  "2.5.29.19": "basicConstraints",
  "2.5.29.30": "nameConstraints",
  "2.5.29.31": "cRLDistributionPoints",
  "2.5.29.32": "certificatePolicies",
  "2.5.29.33": "policyMappings",
  "2.5.29.35": "authorityKeyIdentifier",
  "2.5.29.36": "policyConstraints",
  "2.5.29.37": "extKeyUsage",
  "2.5.29.46": "freshestCRL",
  "2.5.29.54": "inhibitAnyPolicy",
  "1.3.6.1.5.5.7.1.1": "authorityInfoAccess",
  "1.3.6.1.5.5.7.1.11": "subjectInfoAccess",
  "1.3.6.1.5.5.7.1.24": "tlsFeature",
  "1.3.6.1.4.1.11129.2.4.2": "ctPrecertificateSCTs",
  "1.3.6.1.4.1.11129.2.4.3": "ctPrecertificatePoison",
  "2.16.840.1.113730.1.1": "netscapeCertType",
  "2.16.840.1.113730.1.13": "netscapeComment",
};

/** Certificate policy identifiers worth naming (CA/Browser Forum, RFC 5280). */
export const POLICY_NAMES: Record<string, string> = {
  "2.5.29.32.0": "anyPolicy",
  "2.23.140.1.1": "EV",
  "2.23.140.1.2.1": "DV",
  "2.23.140.1.2.2": "OV",
  "2.23.140.1.2.3": "IV",
};

/** The short name of a name attribute (`CN`, `INN`, `jurisdictionC`), undefined when unknown. */
export function attributeShortName(oid: string): string | undefined {
  return Object.hasOwn(ATTRIBUTE_NAMES, oid) ? ATTRIBUTE_NAMES[oid] : oidNames(oid)?.sn;
}
