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
import { decodeOid, derError, DerReader, TAG, type Tlv } from "./der.ts";
import { toHex } from "../wire/codec.ts";
import { ATTRIBUTE_NAMES } from "./oids.ts";

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

/**
 * Decodes the value of a string type to text: UTF8String as UTF-8,
 * BMPString as UTF-16BE, UniversalString as UTF-32BE, the single-byte types as
 * Latin-1 (which is what OpenSSL does with T61String too).
 *
 * @returns the text, or undefined when `tlv` is not a string type
 */
export function decodeString(tlv: Tlv): string | undefined {
  const v = tlv.value;
  switch (tlv.tag) {
    case TAG.UTF8_STRING:
      return utf8.decode(v);
    case TAG.BMP_STRING: {
      if (v.length % 2) derError("Cannot read BMPString: odd length", tlv.start, "name");
      let s = "";
      for (let i = 0; i < v.length; i += 2) s += String.fromCharCode((v[i] << 8) | v[i + 1]);
      return s;
    }
    case TAG.UNIVERSAL_STRING: {
      if (v.length % 4) {
        derError("Cannot read UniversalString: length not a multiple of 4", tlv.start, "name");
      }
      let s = "";
      for (let i = 0; i < v.length; i += 4) {
        const cp = ((v[i] << 24) | (v[i + 1] << 16) | (v[i + 2] << 8) | v[i + 3]) >>> 0;
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
      }
      return s;
    }
    default:
      if (!STRING_TAGS.has(tlv.tag)) return undefined;
      return latin1(v);
  }
}

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
export function decodeName(tlv: Tlv, field: string): DistinguishedName {
  if (tlv.tag !== TAG.SEQUENCE) derError(`Cannot read ${field}: not a SEQUENCE`, tlv.start, field);
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
      const short = ATTRIBUTE_NAMES[oid];
      const text = short ? decodeString(valueTlv) : undefined;
      rdn.push({
        oid,
        type: short ?? oid,
        value: text ?? "#" + toHex(valueTlv.raw).toUpperCase(),
        hex: text === undefined,
      });
    }
    if (rdn.length === 0) derError(`Cannot read ${field}: empty RDN`, seq.offset, field);
    rdns.push(rdn);
  }
  const ava = (a: NameAttribute) => `${a.type}=${a.hex ? a.value : escapeRfc2253(a.value)}`;
  const rfc2253 = [...rdns].reverse().map((rdn) => [...rdn].reverse().map(ava).join("+")).join(",");
  const readable = rdns.map((rdn) => rdn.map((a) => `${a.type}=${a.value}`).join(" + ")).join(", ");
  return { rfc2253, readable, rdns, der: tlv.raw };
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

/**
 * Whether two names match: byte-equal DER, or equal after RFC 5280
 * section 7.1's simplified comparison (case-insensitive, spaces collapsed).
 */
export function namesEqual(a: DistinguishedName, b: DistinguishedName): boolean {
  if (a.der.length === b.der.length && a.der.every((x, i) => x === b.der[i])) return true;
  const norm = (n: DistinguishedName) =>
    n.rdns.map((rdn) =>
      rdn.map((x) => `${x.oid}=${x.value.trim().replace(/\s+/g, " ").toLowerCase()}`).sort().join(
        "+",
      )
    ).join(",");
  return norm(a) === norm(b);
}
