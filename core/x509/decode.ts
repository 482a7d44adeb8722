/**
 * Certificate decoding (RFC 5280 section 4): every field a person or a policy
 * asks about, from DER.
 *
 * A strict DER reader (`der.ts`) frames the certificate (RFC 5280 section
 * 4.1: TBS, names, validity, key, the extension list), so malformed input fails
 * with an offset and the bytes that must not be re-encoded (the signed TBS,
 * names, the key) stay raw. The structured extension values (SAN, AKI, AIA,
 * CRL distribution points, policies, EKU), RSA keys and RSA-PSS parameters are
 * read by `extensions.ts` over the same reader: no ASN.1 schema library is
 * loaded, so a command that decodes a certificate starts fast.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import {
  bitStringBits,
  decodeOid,
  derError,
  DerReader,
  integerValue,
  TAG,
  type Tlv,
  toColonHex,
} from "./der.ts";
import { toHex } from "../wire/codec.ts";
import {
  attempt,
  type CertFinding,
  type DecodeContext,
  decodeContext,
  note,
  refuse,
} from "./findings.ts";
import { displayGeneralNames } from "./general_names.ts";
import {
  readAuthorityInfoAccess,
  readAuthorityKeyId,
  readCertificatePolicies,
  readCrlDistributionPoints,
  readExtendedKeyUsage,
  readGeneralNames,
  readPssParams,
  readRsaPublicKey,
  type StrictName,
} from "./extensions.ts";
import { attributeValues, decodeName, type DistinguishedName, namesEqual } from "./name.ts";
import {
  curveBits,
  CURVES,
  EKU_NAMES,
  EXTENSION_NAMES,
  HASHES,
  KEY_ALGORITHMS,
  KEY_USAGE_BITS,
  oidLongName,
  oidShortName,
  POLICY_NAMES,
} from "./oids.ts";
import { toPem } from "./pem.ts";

/** The subject public key. */
export interface PublicKeyInfo {
  /** `RSA`, `RSA-PSS`, `EC`, `Ed25519`, `Ed448`, `DSA`, `X25519`, … or the dotted OID. */
  type: string;
  /** OpenSSL's long name of the key algorithm (`rsaEncryption`, `id-ecPublicKey`, `GOST R 34.10-2001`). */
  algorithm: string;
  /** Dotted OID of the key algorithm. */
  oid: string;
  /** Size in bits (RSA modulus, DSA p, curve order size). */
  bits?: number;
  /** Named curve for EC keys (`P-256`, …, or the dotted OID). */
  curve?: string;
  /** RSA public exponent. */
  exponent?: number;
  /** The SubjectPublicKeyInfo DER, for WebCrypto `importKey("spki", …)`. */
  spki: Uint8Array;
}

/** The signature algorithm and its parameters. */
export interface SignatureAlgorithmInfo {
  /** OpenSSL's name (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `rsassaPss`, …) or the OID. */
  name: string;
  /** Dotted object identifier. */
  oid: string;
  /** The digest, where the algorithm names one (`SHA-256`, …). */
  hash?: string;
  /** RSA-PSS salt length (RFC 4055 section 3.1). */
  saltLength?: number;
}

/** One extension as found, named when known. */
export interface ExtensionEntry {
  /** Dotted object identifier. */
  oid: string;
  /** OpenSSL's name for it, or the dotted OID. */
  name: string;
  /** Whether the extension is marked critical. */
  critical: boolean;
}

/** Subject alternative names (RFC 5280 section 4.2.1.6). */
export interface SubjectAltNames {
  /** dNSName entries, as encoded (A-labels, wildcards kept). */
  dns: string[];
  /** iPAddress entries: dotted IPv4, compressed lower-case IPv6. */
  ip: string[];
  /** rfc822Name entries. */
  email: string[];
  /** uniformResourceIdentifier entries. */
  uri: string[];
  /** Directory names, registered IDs and other names, as text. */
  other: string[];
}

/** Everything decoded from one certificate. */
export interface CertificateInfo {
  /** 1, 2 or 3. */
  version: number;
  /** Serial number in upper-case hex, as `openssl x509 -serial` prints it (`-` when negative). */
  serialNumber: string;
  /** Name of the signature algorithm (`signature.name`). */
  signatureAlgorithm: string;
  /** The signature algorithm with its digest and PSS salt. */
  signature: SignatureAlgorithmInfo;
  /** The subject name. */
  subject: DistinguishedName;
  /** The issuer name. */
  issuer: DistinguishedName;
  /** Common names of the subject, in order. */
  commonNames: string[];
  /** ISO 8601 instants. */
  notBefore: string;
  /** End of validity (ISO 8601). */
  notAfter: string;
  /** The subject public key. */
  key: PublicKeyInfo;
  /** Subject alternative names by kind. */
  sans: SubjectAltNames;
  /** Whether the certificate has a subjectAltName extension at all. */
  hasSan: boolean;
  /** basicConstraints (RFC 5280 section 4.2.1.9), absent when the extension is. */
  basicConstraints?: { ca: boolean; pathLen?: number; critical: boolean };
  /** Key usage bit names (RFC 5280 section 4.2.1.3), absent when the extension is. */
  keyUsage?: string[];
  /** Extended key usage names (or OIDs), absent when the extension is. */
  extendedKeyUsage?: string[];
  /** Subject key identifier, lower-case hex. */
  subjectKeyId?: string;
  /** Authority key identifier (its keyIdentifier), lower-case hex. */
  authorityKeyId?: string;
  /** Authority information access URIs (RFC 5280 section 4.2.2.1). */
  aia: { ocsp: string[]; caIssuers: string[] };
  /** CRL distribution point URIs (RFC 5280 section 4.2.1.13). */
  crlDistributionPoints: string[];
  /** Number of embedded SCTs (RFC 6962 section 3.3), absent without the extension. */
  sctCount?: number;
  /** Policy OIDs, with names where known (`2.23.140.1.2.1 (DV)`). */
  policies: string[];
  /** Every extension, in certificate order. */
  extensions: ExtensionEntry[];
  /** basicConstraints says CA:TRUE. */
  isCA: boolean;
  /** Issuer equals subject and (when both are present) AKI equals SKI. Signatures are checked in `verifyChain`. */
  selfSigned: boolean;
  /** Fingerprints: upper-case hex with colons, as OpenSSL prints them. */
  sha256: string;
  /** SHA-1 fingerprint, `AB:CD:…` (empty from `decodeCertificateSync`). */
  sha1: string;
  /** The certificate's DER. */
  der: Uint8Array;
  /** The certificate as PEM. */
  pem: string;
  /** Raw parts used to verify signatures. */
  tbs: Uint8Array;
  /** The signature bytes (BIT STRING content without the unused-bits octet). */
  signatureValue: Uint8Array;
  /** Things that are wrong but do not stop decoding (mismatched signature algorithms, …). */
  warnings: string[];
  /**
   * Every violation found, with severity and clause. The strict decoder
   * refuses the `high` ones; the tolerant one (`decodeForDisplay`) records
   * them and shows what it could read.
   */
  findings: CertFinding[];
}

/** One extension as framed: its value stays raw until a schema reads it. */
interface RawExtension {
  /** Dotted object identifier. */
  oid: string;
  /** Whether the extension is marked critical. */
  critical: boolean;
  value: Uint8Array;
  offset: number;
}

/** Frames a certificate with the strict reader and returns its raw parts. */
function frame(der: Uint8Array, ctx: DecodeContext) {
  // The display decoder reads BER lengths as OpenSSL does, one finding per kind.
  const berSeen = new Set<string>();
  const ber = ctx.tolerant
    ? (what: string, offset: number) => {
      const kind = what.replace(/^.*: /, "");
      if (berSeen.has(kind)) return;
      berSeen.add(kind);
      refuse(ctx, {
        rule: "x509.ber-encoding",
        message: `Cannot read ${what} (BER, not DER; first at this offset)`,
        clause: "RFC 5280 section 4.1 (DER); X.690 section 10.1",
        offset,
        field: what.replace(/:.*$/, ""),
      });
    }
    : undefined;
  const outer = new DerReader(der, 0, "certificate", ber);
  const cert = outer.expect(TAG.SEQUENCE, "certificate");
  if (!outer.done) {
    refuse(ctx, {
      rule: "x509.trailing-data",
      message: "Cannot read certificate: trailing data",
      clause: "X.690 section 10.1; RFC 5280 section 4.1",
      offset: outer.offset,
      field: "certificate",
    });
  }
  const c = DerReader.inside(cert, "certificate");
  const tbs = c.expect(TAG.SEQUENCE, "tbsCertificate");
  const sigAlg = c.expect(TAG.SEQUENCE, "signatureAlgorithm");
  const sigValue = c.expect(TAG.BIT_STRING, "signatureValue");
  c.expectEmpty("certificate");
  const t = DerReader.inside(tbs, "tbsCertificate");
  const versionTlv = t.optional(0xa0);
  const serial = t.expect(TAG.INTEGER, "serialNumber");
  const innerSigAlg = t.expect(TAG.SEQUENCE, "signature");
  const issuer = t.expect(TAG.SEQUENCE, "issuer");
  const validity = t.expect(TAG.SEQUENCE, "validity");
  const subject = t.expect(TAG.SEQUENCE, "subject");
  const spki = t.expect(TAG.SEQUENCE, "subjectPublicKeyInfo");
  // issuerUniqueID [1], subjectUniqueID [2], extensions [3] (RFC 5280 section 4.1).
  t.optional(0x81);
  t.optional(0x82);
  const extsTlv = t.optional(0xa3);
  t.expectEmpty("tbsCertificate");
  if (sigValue.value.length < 1 || sigValue.value[0] !== 0) {
    refuse(ctx, {
      rule: "x509.signature-unused-bits",
      message: sigValue.value.length < 1
        ? "Cannot read signatureValue: unused bits must be 0 (the BIT STRING is empty)"
        : `Cannot read signatureValue: unused bits must be 0 (found ${sigValue.value[0]})`,
      clause: "RFC 5280 section 4.1.1.3; X.690 section 11.2",
      offset: sigValue.valueStart,
      field: "signatureValue",
    });
  }
  const extensions: RawExtension[] = [];
  if (extsTlv) {
    const outerExt = DerReader.inside(extsTlv, "extensions");
    const list = DerReader.inside(outerExt.expect(TAG.SEQUENCE, "extensions"), "extensions");
    outerExt.expectEmpty("extensions");
    if (list.done) {
      refuse(ctx, {
        rule: "x509.empty-extensions",
        message: "Cannot read extensions: empty list",
        clause: "RFC 5280 section 4.1 (Extensions SIZE (1..MAX))",
        offset: extsTlv.start,
        field: "extensions",
      });
    }
    while (!list.done) {
      const item = list.expect(TAG.SEQUENCE, "extension");
      const ext = attempt(ctx, "extension", "RFC 5280 section 4.1 (Extension)", () => {
        const e = DerReader.inside(item, "extension");
        const oidTlv = e.expect(TAG.OID, "extension");
        const crit = e.optional(TAG.BOOLEAN);
        if (crit && crit.value.length !== 1) {
          derError("Cannot read extension: bad BOOLEAN", crit.start, "extension");
        }
        const value = e.expect(TAG.OCTET_STRING, "extension");
        e.expectEmpty("extension");
        return {
          oid: decodeOid(oidTlv.value, oidTlv.valueStart),
          critical: crit ? crit.value[0] !== 0 : false,
          value: value.value,
          offset: value.valueStart,
        };
      }, undefined);
      if (ext) extensions.push(ext);
    }
  }
  return {
    extensions,
    tbs,
    sigAlg,
    innerSigAlg,
    sigValue,
    serial,
    issuer,
    subject,
    spki,
    validity,
    versionTlv,
  };
}

function algorithm(tlv: Tlv, field: string): { oid: string; params?: Tlv } {
  const r = DerReader.inside(tlv, field);
  const oidTlv = r.expect(TAG.OID, field);
  const params = r.done ? undefined : r.any();
  r.expectEmpty(field);
  return { oid: decodeOid(oidTlv.value, oidTlv.valueStart), params };
}

function signatureInfo(tlv: Tlv): SignatureAlgorithmInfo {
  const { oid, params } = algorithm(tlv, "signatureAlgorithm");
  const name = oidLongName(oid);
  const info: SignatureAlgorithmInfo = { name, oid };
  const m = /^(?:sha|ecdsa-with-SHA)(\d+)/i.exec(name) ?? /-with-SHA(\d+)$/.exec(name);
  if (m) info.hash = m[1] === "1" ? "SHA-1" : `SHA-${m[1]}`;
  if (oid === "1.2.840.113549.1.1.10") {
    // RFC 4055 section 3.1: absent fields mean SHA-1, MGF1-SHA-1, salt 20.
    const p = readPssParams(params);
    info.hash = HASHES[p.hash] ?? p.hash;
    info.saltLength = p.saltLength;
  }
  return info;
}

function keyInfo(spki: Tlv, ctx: DecodeContext): PublicKeyInfo {
  const r = DerReader.inside(spki, "subjectPublicKeyInfo");
  const alg = r.expect(TAG.SEQUENCE, "subjectPublicKeyInfo.algorithm");
  const bits = r.expect(TAG.BIT_STRING, "subjectPublicKey");
  r.expectEmpty("subjectPublicKeyInfo");
  const { oid, params } = algorithm(alg, "subjectPublicKeyInfo.algorithm");
  const key: PublicKeyInfo = {
    type: KEY_ALGORITHMS[oid] ?? oidLongName(oid),
    algorithm: oidLongName(oid),
    oid,
    spki: spki.raw,
  };
  if (bits.value.length < 1) {
    derError("Cannot read subjectPublicKey: empty", bits.start, "subjectPublicKey");
  }
  const keyBytes = bits.value.subarray(1);
  // The algorithm stays shown when the key itself cannot be read.
  attempt(
    ctx,
    "subjectPublicKey",
    "RFC 5280 section 4.1.2.7",
    () => readKeySize(key, params, keyBytes, bits.valueStart + 1),
    undefined,
  );
  return key;
}

/** Fills in the size, curve and exponent of a key from its parameters and bytes. */
function readKeySize(
  key: PublicKeyInfo,
  params: Tlv | undefined,
  keyBytes: Uint8Array,
  offset: number,
): void {
  switch (key.type) {
    case "RSA":
    case "RSA-PSS": {
      const pub = readRsaPublicKey(keyBytes, offset);
      key.bits = bitLength(pub.modulus);
      const e = pub.exponent;
      if (e.length <= 6) key.exponent = e.reduce((a, b) => a * 256 + b, 0);
      break;
    }
    case "EC": {
      if (params?.tag === TAG.OID) {
        const curveOid = decodeOid(params.value, params.valueStart);
        const c = CURVES[curveOid];
        key.curve = c?.name ?? oidShortName(curveOid);
        key.bits = curveBits(curveOid);
      } else {
        key.curve = "explicit parameters";
        // RFC 3279 section 2.3.5: ECParameters; the key's size is the order's (as OpenSSL's).
        if (params?.tag === TAG.SEQUENCE) {
          const ep = DerReader.inside(params, "ecParameters");
          ep.expect(TAG.INTEGER, "ecParameters.version");
          ep.expect(TAG.SEQUENCE, "ecParameters.fieldID");
          ep.expect(TAG.SEQUENCE, "ecParameters.curve");
          ep.expect(TAG.OCTET_STRING, "ecParameters.base");
          key.bits = bitLength(ep.expect(TAG.INTEGER, "ecParameters.order").value);
        }
      }
      break;
    }
    case "Ed25519":
    case "X25519":
      key.bits = 256;
      break;
    case "Ed448":
      key.bits = 456;
      break;
    case "X448":
      key.bits = 448;
      break;
    case "DSA": {
      if (params?.tag === TAG.SEQUENCE) {
        const p = DerReader.inside(params, "dsa parameters").expect(TAG.INTEGER, "dsa p").value;
        key.bits = bitLength(p);
      }
      break;
    }
  }
}

/** The size in bits of an unsigned big-endian integer. */
function bitLength(v: Uint8Array): number {
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  return i < v.length ? (v.length - i) * 8 - Math.clz32(v[i]) + 24 : 0;
}

function serialHex(tlv: Tlv): string {
  const n = integerValue(tlv);
  const mag = n < 0n ? -n : n;
  let h = mag.toString(16).toUpperCase();
  if (h.length % 2) h = "0" + h;
  return (n < 0n ? "-" : "") + h;
}

function isoTime(tlv: Tlv, field: string): string {
  // RFC 5280 section 4.1.2.5: UTCTime YYMMDDHHMMSSZ (YY >= 50 is 19YY), GeneralizedTime YYYYMMDDHHMMSSZ.
  if (tlv.value.length > 32) {
    derError(
      `Cannot read ${field}: ${tlv.value.length} bytes is too long for a time`,
      tlv.start,
      field,
    );
  }
  const s = String.fromCharCode(...tlv.value);
  let m: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === TAG.UTC_TIME && (m = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(s))) {
    year = Number(m[1]) + (Number(m[1]) >= 50 ? 1900 : 2000);
  } else if (
    tlv.tag === TAG.GENERALIZED_TIME &&
    (m = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?(?:\.\d+)?Z$/.exec(s))
  ) {
    year = Number(m[1]);
  } else {
    derError(
      `Cannot read ${field}: "${s.slice(0, 32)}" is not a UTCTime or GeneralizedTime in UTC`,
      tlv.start,
      field,
    );
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number);
  const t = Date.UTC(year, mo - 1, d, h, mi, se);
  const date = new Date(t);
  if (
    Number.isNaN(t) || mo < 1 || mo > 12 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 60
  ) {
    derError(`Cannot read ${field}: "${s}" is not a valid time`, tlv.start, field);
  }
  if (year < 1) derError(`Cannot read ${field}: year ${year} is out of range`, tlv.start, field);
  // Date.UTC maps years 0-99 to 1900-1999.
  if (year < 100) date.setUTCFullYear(year);
  return date.toISOString().replace(".000Z", "Z");
}

function countScts(value: Uint8Array, offset: number): number {
  // RFC 6962 section 3.3: an OCTET STRING holding a TLS SignedCertificateTimestampList.
  const inner = new DerReader(value, offset, "SCT list").expect(TAG.OCTET_STRING, "SCT list").value;
  if (inner.length < 2) derError("Cannot read SCT list: too short", offset, "SCT list");
  const total = (inner[0] << 8) | inner[1];
  if (total !== inner.length - 2) {
    derError("Cannot read SCT list: length mismatch", offset, "SCT list");
  }
  let n = 0;
  for (let p = 2; p < inner.length;) {
    if (p + 2 > inner.length) derError("Cannot read SCT list: truncated", offset + p, "SCT list");
    const len = (inner[p] << 8) | inner[p + 1];
    p += 2 + len;
    if (p > inner.length) {
      derError("Cannot read SCT list: SCT overruns the list", offset, "SCT list");
    }
    n++;
  }
  return n;
}

/** Options of {@link decodeCertificateSync}. */
export interface DecodeOptions {
  /**
   * Record violations as findings and show what can be read, instead of
   * refusing the certificate (the display path; never for trust or identity).
   */
  tolerant?: boolean;
}

/**
 * Decodes a certificate without computing digests (synchronous).
 * `sha256` and `sha1` are empty strings; {@link decodeCertificate} fills them.
 *
 * @param der the certificate's DER
 * @param options `tolerant` for the display path
 * @returns the decoded certificate
 * @throws TlsprobeError `CERT_INVALID` (with `detail.offset`) for any malformed input
 *   (tolerant: only when the outer frame cannot be read at all)
 */
export function decodeCertificateSync(
  der: Uint8Array,
  options: DecodeOptions = {},
): CertificateInfo {
  if (!(der instanceof Uint8Array)) {
    throw new TlsprobeError("BAD_INPUT", "Cannot decode certificate: not bytes");
  }
  try {
    return decodeUnchecked(der, decodeContext(options.tolerant === true));
  } catch (e) {
    if (e instanceof TlsprobeError) throw e;
    // A bug in a reader may throw a plain Error or a TypeError on hostile
    // input; none may escape as such.
    throw new TlsprobeError(
      "CERT_INVALID",
      `Cannot decode certificate: ${e instanceof Error ? e.message : String(e)}`,
      { raw: e instanceof Error ? `${e.name}: ${e.message}` : String(e) },
    );
  }
}

const UNREADABLE_ALGORITHM: SignatureAlgorithmInfo = { name: "(unreadable)", oid: "" };

function unreadableName(tlv: Tlv): DistinguishedName {
  return { rfc2253: "", readable: "(unreadable)", rdns: [], der: tlv.raw };
}

function decodeUnchecked(der: Uint8Array, ctx: DecodeContext): CertificateInfo {
  const f = frame(der, ctx);
  const warnings: string[] = [];
  const warn = (rule: string, message: string, clause: string) => {
    warnings.push(`${message} (${clause})`);
    note(ctx, { rule, severity: "info", message, clause });
  };

  let version = 1;
  if (f.versionTlv) {
    version = attempt(ctx, "version", "RFC 5280 section 4.1.2.1", () => {
      const v = DerReader.inside(f.versionTlv!, "version").expect(TAG.INTEGER, "version");
      const n = integerValue(v);
      if (n < 0n || n > 2n) {
        refuse(ctx, {
          rule: "x509.unknown-version",
          message: `Cannot read version: ${n} is not 0, 1 or 2`,
          clause: "RFC 5280 section 4.1.2.1",
          offset: v.start,
          field: "version",
        });
        // Shown as read (OpenSSL prints "Version: 4 (0x3)" too); fields read as version 3.
        return n >= 0n && n < 1000n ? Number(n) + 1 : 3;
      }
      return Number(n) + 1;
    }, 3);
  }
  const sigClause = "RFC 5280 section 4.1.1.2";
  const signature = attempt(
    ctx,
    "signatureAlgorithm",
    sigClause,
    () => signatureInfo(f.sigAlg),
    UNREADABLE_ALGORITHM,
  );
  const inner = attempt(
    ctx,
    "signature",
    "RFC 5280 section 4.1.2.3",
    () => signatureInfo(f.innerSigAlg),
    UNREADABLE_ALGORITHM,
  );
  if (inner.oid !== signature.oid) {
    warn(
      "x509.signature-algorithm-mismatch",
      `signature algorithm ${signature.name} differs from the TBS's ${inner.name}`,
      sigClause,
    );
  }
  const nameClause = "RFC 5280 section 4.1.2.4";
  const subject = attempt(
    ctx,
    "subject",
    nameClause,
    () => decodeName(f.subject, "subject", ctx),
    unreadableName(f.subject),
  );
  const issuer = attempt(
    ctx,
    "issuer",
    nameClause,
    () => decodeName(f.issuer, "issuer", ctx),
    unreadableName(f.issuer),
  );
  const vr = DerReader.inside(f.validity, "validity");
  const timeClause = "RFC 5280 section 4.1.2.5";
  const notBefore = attempt(ctx, "notBefore", timeClause, () => isoTime(vr.any(), "notBefore"), "");
  const notAfter = attempt(ctx, "notAfter", timeClause, () => isoTime(vr.any(), "notAfter"), "");
  attempt(ctx, "validity", timeClause, () => vr.expectEmpty("validity"), undefined);
  const key = attempt(
    ctx,
    "subjectPublicKeyInfo",
    "RFC 5280 section 4.1.2.7",
    () => keyInfo(f.spki, ctx),
    { type: "(unreadable)", algorithm: "(unreadable)", oid: "", spki: f.spki.raw },
  );

  const info: CertificateInfo = {
    version,
    serialNumber: serialHex(f.serial),
    signatureAlgorithm: signature.name,
    signature,
    subject,
    issuer,
    commonNames: attributeValues(subject, "2.5.4.3"),
    notBefore,
    notAfter,
    key,
    sans: { dns: [], ip: [], email: [], uri: [], other: [] },
    hasSan: false,
    aia: { ocsp: [], caIssuers: [] },
    crlDistributionPoints: [],
    policies: [],
    extensions: [],
    isCA: false,
    selfSigned: false,
    sha256: "",
    sha1: "",
    der,
    pem: toPem(der),
    tbs: f.tbs.raw,
    signatureValue: f.sigValue.value.subarray(1),
    warnings,
    findings: ctx.findings,
  };

  if (f.extensions.length && version !== 3) {
    warn(
      "x509.extensions-before-v3",
      `extensions in a version ${version} certificate`,
      "RFC 5280 section 4.1.2.9",
    );
  }
  const seen = new Set<string>();
  for (const ext of f.extensions) {
    const oid = ext.oid;
    const name = EXTENSION_NAMES[oid] ?? oidShortName(oid);
    // RFC 5280 section 4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (seen.has(oid)) {
      refuse(ctx, {
        rule: "x509.duplicate-extension",
        message: `Cannot read extensions: ${name} appears twice`,
        clause: "RFC 5280 section 4.2",
        offset: ext.offset,
        field: name,
      });
    }
    seen.add(oid);
    info.extensions.push({ oid, name, critical: ext.critical });
    attempt(
      ctx,
      name,
      `RFC 5280 section 4.2 (${name})`,
      () => readExtension(info, ext, name, ctx),
      undefined,
    );
  }
  info.selfSigned = namesEqual(subject, issuer) &&
    (info.authorityKeyId === undefined || info.subjectKeyId === undefined ||
      info.authorityKeyId === info.subjectKeyId);
  return info;
}

/** Reads one extension's value into `info`. */
function readExtension(
  info: CertificateInfo,
  ext: RawExtension,
  name: string,
  ctx: DecodeContext,
): void {
  const { oid, value, offset: at } = ext;
  switch (oid) {
    case "2.5.29.17": {
      info.hasSan = true;
      if (ctx.tolerant) {
        const from = ctx.findings.length;
        // What the strict decoder accepts is not `high` (the scale says who refuses).
        let strictNames: StrictName[] | undefined;
        try {
          strictNames = readGeneralNames(value, at, name);
        } catch {
          strictNames = undefined;
        }
        const strictReads = strictNames !== undefined;
        let shown;
        try {
          shown = displayGeneralNames(value, at, ctx, name);
        } catch (e) {
          if (!strictNames) throw e;
          // The strict (schema) reader takes an encoding the display reader does not.
          note(ctx, {
            rule: "x509.malformed-subjectAltName",
            severity: "warning",
            message: e instanceof Error ? e.message : String(e),
            clause: "RFC 5280 section 4.2.1.6; X.690 section 10",
            offset: at,
            field: name,
          });
          shown = strictNames;
        }
        for (const g of shown) info.sans[g.kind].push(g.value);
        const added = ctx.findings.slice(from);
        if (strictReads) {
          for (const f of added) if (f.severity === "error") f.severity = "warning";
        } else if (!added.some((f) => f.severity === "error")) {
          note(ctx, {
            rule: "x509.strict-decoder-refuses",
            severity: "info",
            message:
              `${name}: shown here, but the strict decoder (trust, --check-name) cannot read it (ediPartyName, x400Address or an unusual otherName) and refuses the certificate`,
            clause: "RFC 5280 section 4.2.1.6",
            offset: at,
            field: name,
          });
        }
        break;
      }
      for (const { kind, value: v } of readGeneralNames(value, at, name)) info.sans[kind].push(v);
      break;
    }
    case "2.5.29.19": {
      // Read with the strict reader: the library defaults cA to false silently either way.
      const r = new DerReader(value, at, name);
      const seq = DerReader.inside(r.expect(TAG.SEQUENCE, name), name);
      r.expectEmpty(name);
      const b = seq.optional(TAG.BOOLEAN);
      if (b && (b.value.length !== 1)) {
        derError("Cannot read basicConstraints: bad BOOLEAN", b.start, name);
      }
      const ca = b ? b.value[0] !== 0 : false;
      const pl = seq.optional(TAG.INTEGER);
      seq.expectEmpty(name);
      info.basicConstraints = { ca, critical: ext.critical };
      if (pl) {
        const n = integerValue(pl);
        if (n < 0n || n > 0xffffffffn) {
          derError("Cannot read basicConstraints: bad pathLenConstraint", pl.start, name);
        }
        info.basicConstraints.pathLen = Number(n);
      }
      info.isCA = ca;
      break;
    }
    case "2.5.29.15": {
      const r = new DerReader(value, at, name);
      const bits = bitStringBits(r.expect(TAG.BIT_STRING, name));
      r.expectEmpty(name);
      info.keyUsage = bits.map((b) => KEY_USAGE_BITS[b] ?? `bit${b}`);
      break;
    }
    case "2.5.29.37":
      info.extendedKeyUsage = readExtendedKeyUsage(value, at, name).map((o) => EKU_NAMES[o] ?? o);
      break;
    case "2.5.29.14": {
      const r = new DerReader(value, at, name);
      info.subjectKeyId = toHex(r.expect(TAG.OCTET_STRING, name).value);
      r.expectEmpty(name);
      break;
    }
    case "2.5.29.35": {
      const keyId = readAuthorityKeyId(value, at, name);
      if (keyId) info.authorityKeyId = toHex(keyId);
      break;
    }
    case "1.3.6.1.5.5.7.1.1":
      for (const { method, location } of readAuthorityInfoAccess(value, at, name)) {
        if (location.kind !== "uri") continue;
        if (method === "1.3.6.1.5.5.7.48.1") info.aia.ocsp.push(location.value);
        else if (method === "1.3.6.1.5.5.7.48.2") info.aia.caIssuers.push(location.value);
      }
      break;
    case "2.5.29.31":
      for (const fullName of readCrlDistributionPoints(value, at, name)) {
        for (const g of fullName) if (g.kind === "uri") info.crlDistributionPoints.push(g.value);
      }
      break;
    case "2.5.29.32":
      for (const id of readCertificatePolicies(value, at, name)) {
        const n = POLICY_NAMES[id];
        info.policies.push(n ? `${id} (${n})` : id);
      }
      break;
    case "1.3.6.1.4.1.11129.2.4.2":
      info.sctCount = countScts(value, at);
      break;
  }
}

/**
 * Decodes a certificate and computes its SHA-256 and SHA-1 fingerprints
 * (WebCrypto, hence async).
 *
 * @param der the certificate's DER
 * @returns the decoded certificate
 * @throws TlsprobeError `CERT_INVALID` (with `detail.offset` where known) for any malformed input
 * @example
 * ```ts ignore
 * import { decodeCertificate, parsePem } from "./mod.ts";
 * const [der] = parsePem(pemText);
 * const cert = await decodeCertificate(der);
 * console.log(cert.subject.rfc2253, cert.notAfter, cert.sans.dns);
 * ```
 */
export async function decodeCertificate(
  der: Uint8Array,
  options: DecodeOptions = {},
): Promise<CertificateInfo> {
  const info = decodeCertificateSync(der, options);
  const bytes = new Uint8Array(der);
  const [s256, s1] = await Promise.all([
    crypto.subtle.digest("SHA-256", bytes),
    crypto.subtle.digest("SHA-1", bytes),
  ]);
  info.sha256 = toColonHex(new Uint8Array(s256));
  info.sha1 = toColonHex(new Uint8Array(s1));
  return info;
}

/**
 * Decodes a certificate for display (`cert`, `probe -v`, the extension, the
 * scanner's chain): every field that can be read, each violation a finding
 * (`findings`). Never use the result for trust or identity decisions.
 *
 * @param der the certificate's DER
 * @returns the decoded certificate with its findings
 * @throws TlsprobeError `CERT_INVALID` only when not even the outer frame
 *   (certificate, TBS, signature) can be read
 */
export function decodeForDisplay(der: Uint8Array): Promise<CertificateInfo> {
  return decodeCertificate(der, { tolerant: true });
}

/**
 * Whether a certificate's findings say it is malformed (a `high` or `medium`
 * finding): `tlsprobe cert` then exits with `CERT_INVALID`.
 */
export function isMalformed(c: CertificateInfo): boolean {
  return c.findings.some((f) => f.severity === "error" || f.severity === "warning");
}

/**
 * The JSON form of a certificate: everything but the raw byte arrays.
 *
 * @param c a decoded certificate
 */
export function certificateToJson(c: CertificateInfo): Record<string, unknown> {
  const { der: _der, tbs: _tbs, signatureValue: _sv, subject, issuer, key, ...rest } = c;
  const name = (n: DistinguishedName) => ({
    rfc2253: n.rfc2253,
    readable: n.readable,
    rdns: n.rdns,
  });
  const { spki: _spki, ...keyRest } = key;
  return { ...rest, subject: name(subject), issuer: name(issuer), key: keyRest };
}
