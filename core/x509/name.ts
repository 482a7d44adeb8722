/**
 * Distinguished names (RFC 5280 section 4.1.2.4): decoding the raw
 * `Name` and rendering it as an RFC 2253 / RFC 4514 string and a readable one.
 *
 * The RFC 2253 string follows OpenSSL's `-nameopt RFC2253,-esc_msb` so the two
 * can be compared character for character: last RDN first, OpenSSL short
 * names, values escaped per RFC 4514 section 2.4, UTF-8 kept as is, values of
 * unknown attribute types or non-string syntaxes as `#` and hex of their DER.
 *
 * @module
 */
import { decodeOid, DerReader, TAG, type Tlv } from "./der.ts";
import { toHex } from "../wire/codec.ts";
import { type DecodeContext, decodeContext, note, refuse } from "./findings.ts";
import { attributeShortName } from "./oids.ts";

/** One attribute of a distinguished name. */
export interface NameAttribute {
  /** Dotted object identifier of the attribute type. */
  oid: string;
  /** OpenSSL's short name (`CN`, `O`, …) or the dotted OID. */
  type: string;
  /** The value as text (`#hex` of the DER when it is not a string). */
  value: string;
  /** Whether the value was dumped as `#hex`. */
  hex: boolean;
}

/** A decoded distinguished name. */
export interface DistinguishedName {
  /** RFC 2253 form: most specific RDN first, `CN=x,O=y,C=z`. */
  rfc2253: string;
  /** Readable form in encoded order: `C=z, O=y, CN=x`. */
  readable: string;
  /** The RDNs in encoded order, each a set of attributes. */
  rdns: NameAttribute[][];
  /** The DER of the name, for exact comparison (RFC 5280 section 7.1 binary match first). */
  der: Uint8Array;
}

const STRING_TAGS = new Set<number>([
  TAG.UTF8_STRING,
  0x12, // NumericString
  TAG.PRINTABLE_STRING,
  TAG.T61_STRING,
  TAG.IA5_STRING,
  0x19, // GraphicString
  TAG.VISIBLE_STRING,
  0x1b, // GeneralString
  TAG.UNIVERSAL_STRING,
  TAG.BMP_STRING,
]);

const utf8 = new TextDecoder("utf-8", { fatal: false });
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** X.680 section 41.4: the PrintableString repertoire. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** Names of the string tags, for findings. */
const STRING_TYPE_NAMES: Record<number, string> = {
  [TAG.UTF8_STRING]: "UTF8String",
  0x12: "NumericString",
  [TAG.PRINTABLE_STRING]: "PrintableString",
  [TAG.T61_STRING]: "T61String",
  [TAG.IA5_STRING]: "IA5String",
  0x19: "GraphicString",
  [TAG.VISIBLE_STRING]: "VisibleString",
  0x1b: "GeneralString",
  [TAG.UNIVERSAL_STRING]: "UniversalString",
  [TAG.BMP_STRING]: "BMPString",
};

/** The name of an ASN.1 string tag (`UTF8String`) or `tag 0xNN`. */
export function stringTypeName(tag: number): string {
  return STRING_TYPE_NAMES[tag] ?? `tag 0x${tag.toString(16).padStart(2, "0")}`;
}

/**
 * Decodes the value of a string type to text, by its ASN.1 type: UTF8String
 * as UTF-8, BMPString as UTF-16BE, UniversalString as UTF-32BE, the
 * single-byte types as Latin-1 (which is what OpenSSL does with T61String
 * too). Bytes that break the type (invalid UTF-8, a PrintableString character
 * outside X.680's set, an IA5String byte above 0x7F) are findings in `ctx`;
 * a BMPString or UniversalString of the wrong length is refused by the strict
 * decoder.
 *
 * @param tlv the string element
 * @param ctx where findings go (a fresh strict context when omitted)
 * @param field the field, for findings
 * @returns the text, or undefined when `tlv` is not a string type (or cannot be read)
 */
export function decodeString(
  tlv: Tlv,
  ctx: DecodeContext = decodeContext(false),
  field = "name",
): string | undefined {
  const v = tlv.value;
  const bad = (rule: string, what: string, clause: string) =>
    note(ctx, {
      rule,
      severity: "warning",
      message: `${field}: ${what}`,
      clause,
      offset: tlv.start,
      field,
    });
  switch (tlv.tag) {
    case TAG.UTF8_STRING:
      try {
        return utf8Strict.decode(v);
      } catch {
        bad(
          "x509.bad-utf8",
          "UTF8String holds bytes that are not UTF-8 (shown with U+FFFD)",
          "RFC 3629 section 3; RFC 5280 section 4.1.2.4",
        );
        return utf8.decode(v);
      }
    case TAG.BMP_STRING: {
      if (v.length % 2) {
        refuse(ctx, {
          rule: "x509.bad-bmp-string",
          message: "Cannot read BMPString: odd length",
          clause: "X.690 section 8.23.8",
          offset: tlv.start,
          field,
        });
        return undefined;
      }
      let s = "";
      let surrogate = false;
      for (let i = 0; i < v.length; i += 2) {
        const u = (v[i] << 8) | v[i + 1];
        if (u >= 0xd800 && u <= 0xdfff) surrogate = true;
        s += String.fromCharCode(u);
      }
      if (surrogate) {
        bad(
          "x509.bad-bmp-string",
          "BMPString holds UTF-16 surrogates (it is UCS-2: the Basic Multilingual Plane only)",
          "X.680 section 41.16",
        );
      }
      return s;
    }
    case TAG.UNIVERSAL_STRING: {
      if (v.length % 4) {
        refuse(ctx, {
          rule: "x509.bad-universal-string",
          message: "Cannot read UniversalString: length not a multiple of 4",
          clause: "X.690 section 8.23.7",
          offset: tlv.start,
          field,
        });
        return undefined;
      }
      let s = "";
      let invalid = false;
      for (let i = 0; i < v.length; i += 4) {
        const cp = ((v[i] << 24) | (v[i + 1] << 16) | (v[i + 2] << 8) | v[i + 3]) >>> 0;
        const ok = cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
        if (!ok) invalid = true;
        s += ok ? String.fromCodePoint(cp) : "\ufffd";
      }
      if (invalid) {
        bad(
          "x509.bad-universal-string",
          "UniversalString holds values that are not Unicode characters (shown as U+FFFD)",
          "X.680 section 41.16",
        );
      }
      return s;
    }
    default: {
      if (!STRING_TAGS.has(tlv.tag)) return undefined;
      const s = latin1(v);
      if (tlv.tag === TAG.PRINTABLE_STRING && !PRINTABLE.test(s)) {
        bad(
          "x509.bad-printable-string",
          `PrintableString holds characters outside its set: "${s.slice(0, 64)}"`,
          "X.680 section 41.4",
        );
      } else if (
        (tlv.tag === TAG.IA5_STRING || tlv.tag === TAG.VISIBLE_STRING) && v.some((b) => b > 0x7f)
      ) {
        bad(
          "x509.bad-ia5-string",
          `${stringTypeName(tlv.tag)} holds bytes above 0x7F`,
          "X.680 section 41.4",
        );
      }
      return s;
    }
  }
}

/**
 * The string types RFC 5280 Appendix A allows for an attribute: most take a
 * DirectoryString; these take one type only.
 */
const ATTRIBUTE_TYPES: Record<string, number[]> = {
  "2.5.4.6": [TAG.PRINTABLE_STRING], // X520countryName
  "2.5.4.5": [TAG.PRINTABLE_STRING], // X520SerialNumber
  "2.5.4.46": [TAG.PRINTABLE_STRING], // X520dnQualifier
  "1.2.840.113549.1.9.1": [TAG.IA5_STRING], // EmailAddress
  "0.9.2342.19200300.100.1.25": [TAG.IA5_STRING], // DomainComponent (RFC 4519)
};
const DIRECTORY_STRING = [
  TAG.T61_STRING,
  TAG.PRINTABLE_STRING,
  TAG.UNIVERSAL_STRING,
  TAG.UTF8_STRING,
  TAG.BMP_STRING,
];
/** Attributes whose syntax is not a DirectoryString (RFC 5280 Appendix A, RFC 4519, CA/B). */
const NOT_DIRECTORY_STRING = new Set([
  "2.5.4.45", // x500UniqueIdentifier: BIT STRING
  "1.2.840.113549.1.9.2", // unstructuredName: PKCS9String
  "1.2.840.113549.1.9.8", // unstructuredAddress
  "1.3.6.1.4.1.311.60.2.1.3", // jurisdictionC: PrintableString
  "1.2.643.3.131.1.1", // INN: NumericString
  "1.2.643.100.1", // OGRN: NumericString
  "1.2.643.100.3", // SNILS: NumericString
  "1.2.643.100.5", // OGRNIP
  "1.2.643.100.4", // INNLE
  "0.9.2342.19200300.100.1.1", // UID
]);

/** Bytes as Latin-1 text, in chunks (a spread of a huge value would overflow the stack). */
function latin1(v: Uint8Array): string {
  let s = "";
  for (let i = 0; i < v.length; i += 0x4000) s += String.fromCharCode(...v.subarray(i, i + 0x4000));
  return s;
}

/** Escapes a value per RFC 4514 section 2.4 the way OpenSSL's RFC2253 option does. */
export function escapeRfc2253(value: string): string {
  const chars = Array.from(value);
  let out = "";
  chars.forEach((c, i) => {
    const cp = c.codePointAt(0)!;
    if (`,+"\\<>;`.includes(c)) out += "\\" + c;
    else if (cp < 0x20 || cp === 0x7f) out += "\\" + cp.toString(16).toUpperCase().padStart(2, "0");
    else if (i === 0 && (c === "#" || c === " ")) out += "\\" + c;
    else if (i === chars.length - 1 && c === " ") out += "\\ ";
    else out += c;
  });
  return out;
}

/**
 * Decodes a DER `Name` element.
 *
 * @param tlv the `Name` SEQUENCE
 * @param field `issuer` or `subject`, for errors
 * @returns the decoded name
 * @throws TlsprobeError `CERT_INVALID` when the encoding is malformed
 */
export function decodeName(
  tlv: Tlv,
  field: string,
  ctx: DecodeContext = decodeContext(false),
): DistinguishedName {
  if (tlv.tag !== TAG.SEQUENCE) {
    refuse(ctx, {
      rule: "x509.malformed-name",
      message: `Cannot read ${field}: not a SEQUENCE`,
      clause: "RFC 5280 section 4.1.2.4",
      offset: tlv.start,
      field,
    });
  }
  const rdns: NameAttribute[][] = [];
  const seq = DerReader.inside(tlv, field);
  while (!seq.done) {
    const set = DerReader.inside(seq.expect(TAG.SET, field), field);
    const rdn: NameAttribute[] = [];
    while (!set.done) {
      const atv = DerReader.inside(set.expect(TAG.SEQUENCE, field), field);
      const oidTlv = atv.expect(TAG.OID, field);
      const oid = decodeOid(oidTlv.value, oidTlv.valueStart);
      const valueTlv = atv.any();
      atv.expectEmpty(field);
      const short = attributeShortName(oid);
      const text = short ? decodeString(valueTlv, ctx, `${field} ${short}`) : undefined;
      if (short) checkAttributeType(ctx, oid, short, valueTlv, field, text !== undefined);
      rdn.push({
        oid,
        type: short ?? oid,
        value: text ?? "#" + toHex(valueTlv.raw).toUpperCase(),
        hex: text === undefined,
      });
    }
    if (rdn.length === 0) {
      refuse(ctx, {
        rule: "x509.empty-rdn",
        message: `Cannot read ${field}: empty RDN`,
        clause: "RFC 5280 section 4.1.2.4 (RelativeDistinguishedName SIZE (1..MAX))",
        offset: seq.offset,
        field,
      });
      continue;
    }
    rdns.push(rdn);
  }
  const ava = (a: NameAttribute) => `${a.type}=${a.hex ? a.value : escapeRfc2253(a.value)}`;
  const rfc2253 = [...rdns].reverse().map((rdn) => [...rdn].reverse().map(ava).join("+")).join(",");
  const readable = rdns.map((rdn) => rdn.map((a) => `${a.type}=${a.value}`).join(" + ")).join(", ");
  return { rfc2253, readable, rdns, der: tlv.raw };
}

/** A finding when an attribute's value is not of the string type its definition allows. */
function checkAttributeType(
  ctx: DecodeContext,
  oid: string,
  short: string,
  value: Tlv,
  field: string,
  isString: boolean,
): void {
  const where = { offset: value.start, field };
  if (!isString) {
    note(ctx, {
      rule: "x509.attribute-not-a-string",
      severity: "warning",
      message: `${field} ${short}: value of ${
        stringTypeName(value.tag)
      } is not a string type (shown as #hex)`,
      clause: "RFC 5280 Appendix A (X520name: DirectoryString)",
      ...where,
    });
    return;
  }
  const allowed = ATTRIBUTE_TYPES[oid] ??
    (NOT_DIRECTORY_STRING.has(oid) ? undefined : DIRECTORY_STRING);
  if (allowed && !allowed.includes(value.tag)) {
    note(ctx, {
      rule: "x509.attribute-string-type",
      severity: "info",
      message: `${field} ${short}: ${stringTypeName(value.tag)} where ${
        allowed.map(stringTypeName).join(" or ")
      } is required`,
      clause: "RFC 5280 Appendix A",
      ...where,
    });
  }
}

/**
 * The values of one attribute type in a name, in encoded order.
 *
 * @param name a decoded name
 * @param oid the attribute type (`2.5.4.3` for commonName)
 */
export function attributeValues(name: DistinguishedName, oid: string): string[] {
  return name.rdns.flat().filter((a) => a.oid === oid && !a.hex).map((a) => a.value);
}

const nameKeys = new WeakMap<DistinguishedName, string>();

/**
 * A name's comparison key: RFC 5280 section 7.1's simplified comparison
 * (case-insensitive, spaces collapsed, attributes of an RDN in any order).
 * Byte-equal names have equal keys; computed once per name.
 */
export function nameKey(n: DistinguishedName): string {
  let k = nameKeys.get(n);
  if (k === undefined) {
    k = n.rdns.map((rdn) =>
      rdn.map((x) => `${x.oid}=${x.value.trim().replace(/\s+/g, " ").toLowerCase()}`).sort().join(
        "+",
      )
    ).join(",");
    nameKeys.set(n, k);
  }
  return k;
}

/**
 * Whether two names match: byte-equal DER, or equal after RFC 5280
 * section 7.1's simplified comparison (case-insensitive, spaces collapsed).
 */
export function namesEqual(a: DistinguishedName, b: DistinguishedName): boolean {
  if (a.der.length === b.der.length && a.der.every((x, i) => x === b.der[i])) return true;
  return nameKey(a) === nameKey(b);
}
