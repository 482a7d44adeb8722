/**
 * The structured values the strict decoder reads (RFC 5280 section 4.2.1:
 * GeneralNames, extended key usage, authority key identifier, authority
 * information access, CRL distribution points, certificate policies; RFC 8017
 * RSAPublicKey; RFC 4055 RSASSA-PSS parameters), over the strict DER reader
 * (`der.ts`). They replace a general ASN.1 schema library that cost about
 * 250 ms of every start-up that decodes a certificate (`probe`, `cert`).
 *
 * Each reader refuses what it cannot read with `CERT_INVALID`, the offset and
 * the field; the display path (`general_names.ts`) shows such values instead.
 *
 * @module
 */
import { decodeOid, derError, DerReader, TAG, type Tlv } from "./der.ts";
import { ipText } from "./general_names.ts";
import { decodeName } from "./name.ts";
import { toHex } from "../wire/codec.ts";

/** One general name as the strict decoder reports it. */
export interface StrictName {
  /** Which list of the certificate's `sans` it belongs to. */
  kind: "dns" | "ip" | "email" | "uri" | "other";
  /** The text. */
  value: string;
}

/**
 * The outer element of an extension value. Bytes after it are not read here,
 * as the strict decoder never has (the display decoder reports them): what the
 * strict decoder accepts stays what it accepted.
 */
function only(value: Uint8Array, offset: number, tag: number, field: string): Tlv {
  return new DerReader(value, offset, field).expect(tag, field);
}

/** Each element of a SEQUENCE OF, read by `fn`. */
function sequenceOf<T>(seq: Tlv, field: string, fn: (r: DerReader) => T): T[] {
  const r = DerReader.inside(seq, field);
  const out: T[] = [];
  while (!r.done) out.push(fn(r));
  return out;
}

function oid(tlv: Tlv): string {
  return decodeOid(tlv.value, tlv.valueStart);
}

/** An IA5String's octets as the strict reader has always shown them: one character per byte. */
function latin1(v: Uint8Array): string {
  let s = "";
  for (let i = 0; i < v.length; i += 0x8000) {
    s += String.fromCharCode(...v.subarray(i, i + 0x8000));
  }
  return s;
}

/**
 * An iPAddress value as text: dotted IPv4, RFC 5952 IPv6; an address and
 * mask pair (8 or 32 bytes, as in name constraints) as `ADDRESS/PREFIX`;
 * any other length as lower-case hex.
 */
function ipValue(v: Uint8Array): string {
  const plain = ipText(v);
  if (plain !== undefined) return plain;
  if (v.length === 8 || v.length === 32) {
    if (v.every((b) => b === 0)) return v.length === 8 ? "0.0.0.0/0" : "::/0";
    const half = v.length / 2;
    let prefix = 0;
    for (const b of v.subarray(half)) for (let m = b; m; m &= m - 1) prefix++;
    return `${ipText(v.subarray(0, half))}/${prefix}`;
  }
  return toHex(v);
}

/**
 * One GeneralName (RFC 5280 section 4.2.1.6). x400Address and ediPartyName
 * are refused: the display decoder shows them.
 */
function generalName(g: Tlv, field: string): StrictName {
  switch (g.tag) {
    case 0x81:
      return { kind: "email", value: latin1(g.value) };
    case 0x82:
      return { kind: "dns", value: latin1(g.value) };
    case 0x86:
      return { kind: "uri", value: latin1(g.value) };
    case 0x87:
      return { kind: "ip", value: ipValue(g.value) };
    case 0x88:
      return { kind: "other", value: `RID:${decodeOid(g.value, g.valueStart)}` };
    case 0xa0: {
      // AnotherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }
      const r = DerReader.inside(g, field);
      const typeId = oid(r.expect(TAG.OID, field));
      const wrapped = DerReader.inside(r.expect(0xa0, field), field);
      wrapped.any();
      wrapped.expectEmpty(field);
      r.expectEmpty(field);
      return { kind: "other", value: `othername:${typeId}` };
    }
    case 0xa4: {
      const r = DerReader.inside(g, field);
      const name = decodeName(r.expect(TAG.SEQUENCE, field), field);
      r.expectEmpty(field);
      return { kind: "other", value: `DirName:${name.readable}` };
    }
    default:
      derError(
        `Cannot read ${field}: the strict decoder does not read GeneralName tag 0x${
          g.tag.toString(16).padStart(2, "0")
        }`,
        g.start,
        field,
      );
  }
}

/** The entries of a GeneralNames SEQUENCE (or of an implicitly tagged one). */
function generalNamesIn(seq: Tlv, field: string): StrictName[] {
  return sequenceOf(seq, field, (r) => generalName(r.any(), field));
}

/**
 * A subjectAltName (or issuerAltName) value: GeneralNames.
 *
 * @param value the extension's OCTET STRING content
 * @param offset its offset in the certificate
 * @param field the extension's name, for errors
 * @returns the names in encoded order
 * @throws TlsprobeError `CERT_INVALID` with the offset
 */
export function readGeneralNames(value: Uint8Array, offset: number, field: string): StrictName[] {
  return generalNamesIn(only(value, offset, TAG.SEQUENCE, field), field);
}

/**
 * An extendedKeyUsage value: the key purpose OIDs (RFC 5280 section 4.2.1.12).
 *
 * @param value the extension's OCTET STRING content
 * @param offset its offset in the certificate
 * @param field the extension's name, for errors
 * @returns the dotted OIDs
 */
export function readExtendedKeyUsage(value: Uint8Array, offset: number, field: string): string[] {
  return sequenceOf(
    only(value, offset, TAG.SEQUENCE, field),
    field,
    (r) => oid(r.expect(TAG.OID, field)),
  );
}

/**
 * An authorityKeyIdentifier value (RFC 5280 section 4.2.1.1): its
 * keyIdentifier, if any; the issuer and serial are checked, not returned.
 *
 * @param value the extension's OCTET STRING content
 * @param offset its offset in the certificate
 * @param field the extension's name, for errors
 * @returns the key identifier's bytes
 */
export function readAuthorityKeyId(
  value: Uint8Array,
  offset: number,
  field: string,
): Uint8Array | undefined {
  const r = DerReader.inside(only(value, offset, TAG.SEQUENCE, field), field);
  const keyId = r.optional(0x80);
  const issuer = r.optional(0xa1);
  if (issuer) generalNamesIn(issuer, field);
  r.optional(0x82);
  r.expectEmpty(field);
  return keyId?.value;
}

/**
 * An authorityInfoAccess value (RFC 5280 section 4.2.2.1).
 *
 * @param value the extension's OCTET STRING content
 * @param offset its offset in the certificate
 * @param field the extension's name, for errors
 * @returns each access method (dotted OID) with its location
 */
export function readAuthorityInfoAccess(
  value: Uint8Array,
  offset: number,
  field: string,
): Array<{ method: string; location: StrictName }> {
  return sequenceOf(only(value, offset, TAG.SEQUENCE, field), field, (r) => {
    const ad = DerReader.inside(r.expect(TAG.SEQUENCE, field), field);
    const method = oid(ad.expect(TAG.OID, field));
    const location = generalName(ad.any(), field);
    ad.expectEmpty(field);
    return { method, location };
  });
}

/**
 * A cRLDistributionPoints value (RFC 5280 section 4.2.1.13).
 *
 * @param value the extension's OCTET STRING content
 * @param offset its offset in the certificate
 * @param field the extension's name, for errors
 * @returns for each distribution point, its fullName entries (empty when it has none)
 */
export function readCrlDistributionPoints(
  value: Uint8Array,
  offset: number,
  field: string,
): StrictName[][] {
  return sequenceOf(only(value, offset, TAG.SEQUENCE, field), field, (r) => {
    const dp = DerReader.inside(r.expect(TAG.SEQUENCE, field), field);
    let fullName: StrictName[] = [];
    const point = dp.optional(0xa0);
    if (point) {
      // DistributionPointName ::= CHOICE { fullName [0] GeneralNames, nameRelativeToCRLIssuer [1] RDN }
      const pr = DerReader.inside(point, field);
      const choice = pr.any();
      if (choice.tag === 0xa0) fullName = generalNamesIn(choice, field);
      else if (choice.tag !== 0xa1) {
        derError(`Cannot read ${field}: bad DistributionPointName`, choice.start, field);
      }
      pr.expectEmpty(field);
    }
    dp.optional(0x81); // reasons
    const issuer = dp.optional(0xa2);
    if (issuer) generalNamesIn(issuer, field);
    dp.expectEmpty(field);
    return fullName;
  });
}

/**
 * A certificatePolicies value (RFC 5280 section 4.2.1.4).
 *
 * @param value the extension's OCTET STRING content
 * @param offset its offset in the certificate
 * @param field the extension's name, for errors
 * @returns the policy identifiers (dotted OIDs)
 */
export function readCertificatePolicies(
  value: Uint8Array,
  offset: number,
  field: string,
): string[] {
  return sequenceOf(only(value, offset, TAG.SEQUENCE, field), field, (r) => {
    const pi = DerReader.inside(r.expect(TAG.SEQUENCE, field), field);
    const id = oid(pi.expect(TAG.OID, field));
    const qualifiers = pi.optional(TAG.SEQUENCE);
    if (qualifiers) {
      sequenceOf(qualifiers, field, (q) => {
        const pq = DerReader.inside(q.expect(TAG.SEQUENCE, field), field);
        pq.expect(TAG.OID, field);
        if (!pq.done) pq.any();
        pq.expectEmpty(field);
      });
    }
    pi.expectEmpty(field);
    return id;
  });
}

/**
 * An RSAPublicKey (RFC 8017 appendix A.1.1): the modulus and exponent octets.
 *
 * @param keyBytes the subjectPublicKey BIT STRING's content after its unused-bits octet
 * @param offset its offset in the certificate
 * @returns the INTEGER value octets of each
 */
export function readRsaPublicKey(
  keyBytes: Uint8Array,
  offset: number,
): { modulus: Uint8Array; exponent: Uint8Array } {
  const field = "RSAPublicKey";
  const r = DerReader.inside(only(keyBytes, offset, TAG.SEQUENCE, field), field);
  const modulus = r.expect(TAG.INTEGER, field).value;
  const exponent = r.expect(TAG.INTEGER, field).value;
  r.expectEmpty(field);
  return { modulus, exponent };
}

/**
 * The RSA public key of a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, RFC 8017
 * appendix A.1.1): its modulus and exponent octets.
 *
 * @param spki the SubjectPublicKeyInfo DER (`CertificateInfo.key.spki`)
 * @returns the INTEGER value octets of each
 * @throws TlsprobeError PEER_MALFORMED (via the DER reader) when it does not parse
 */
export function rsaPublicKeyOfSpki(
  spki: Uint8Array,
): { modulus: Uint8Array; exponent: Uint8Array } {
  const r = DerReader.inside(new DerReader(spki).expect(TAG.SEQUENCE, "spki"), "spki");
  r.expect(TAG.SEQUENCE, "spki algorithm");
  const bits = r.expect(TAG.BIT_STRING, "subjectPublicKey");
  return readRsaPublicKey(bits.value.subarray(1), 0);
}

/**
 * RSASSA-PSS-params (RFC 4055 section 3.1); absent fields take their
 * defaults (SHA-1, salt 20).
 *
 * @param params the AlgorithmIdentifier's parameters, if any
 * @returns the hash OID and the salt length
 */
export function readPssParams(params: Tlv | undefined): { hash: string; saltLength: number } {
  const field = "RSASSA-PSS-params";
  const out = { hash: "1.3.14.3.2.26", saltLength: 20 };
  if (!params || params.tag !== TAG.SEQUENCE) return out;
  const r = DerReader.inside(params, field);
  const hash = r.optional(0xa0);
  if (hash) out.hash = explicitAlgorithm(hash, field);
  const mgf = r.optional(0xa1);
  if (mgf) {
    // MaskGenAlgorithm: MGF1 with its hash as the parameters (RFC 4055 section 3.1).
    const mr = DerReader.inside(mgf, field);
    const alg = DerReader.inside(mr.expect(TAG.SEQUENCE, field), field);
    alg.expect(TAG.OID, field);
    if (!alg.done) algorithmIdentifier(alg, field);
    alg.expectEmpty(field);
    mr.expectEmpty(field);
  }
  const salt = r.optional(0xa2);
  if (salt) {
    const s = DerReader.inside(salt, field);
    const n = s.expect(TAG.INTEGER, field);
    s.expectEmpty(field);
    if (n.value.length > 4 || (n.value[0] & 0x80)) {
      derError(`Cannot read ${field}: bad saltLength`, n.start, field);
    }
    out.saltLength = n.value.reduce((a, b) => a * 256 + b, 0);
  }
  const trailer = r.optional(0xa3);
  if (trailer) {
    const t = DerReader.inside(trailer, field);
    t.expect(TAG.INTEGER, field);
    t.expectEmpty(field);
  }
  r.expectEmpty(field);
  return out;
}

/** An AlgorithmIdentifier (OID, optional parameters): its OID. */
function algorithmIdentifier(r: DerReader, field: string): string {
  const alg = DerReader.inside(r.expect(TAG.SEQUENCE, field), field);
  const id = oid(alg.expect(TAG.OID, field));
  if (!alg.done) alg.any();
  alg.expectEmpty(field);
  return id;
}

/** An explicitly tagged AlgorithmIdentifier: its OID. */
function explicitAlgorithm(tagged: Tlv, field: string): string {
  const r = DerReader.inside(tagged, field);
  const id = algorithmIdentifier(r, field);
  r.expectEmpty(field);
  return id;
}
