/**
 * GeneralNames (RFC 5280 section 4.2.1.6) read for display: every entry is
 * shown, whatever its kind (otherName, x400Address, ediPartyName included),
 * and an entry that cannot be read is shown as its raw hex with a finding,
 * without losing the entries around it.
 *
 * @module
 */
import { normalizeHost } from "../address.ts";
import { decodeOid, derError, DerReader, TAG, type Tlv } from "./der.ts";
import { toHex } from "../wire/codec.ts";
import { attempt, type DecodeContext, note, refuse } from "./findings.ts";
import { decodeName, decodeString } from "./name.ts";
import { oidShortName } from "./oids.ts";

/** One general name for display. */
export interface DisplayName {
  /** Which list of `SubjectAltNames` it belongs to. */
  kind: "dns" | "ip" | "email" | "uri" | "other";
  /** The text shown. */
  value: string;
}

const CLAUSE = "RFC 5280 section 4.2.1.6";
const utf8 = new TextDecoder("utf-8", { fatal: false });

/** An iPAddress value as text: dotted IPv4, RFC 5952 IPv6; undefined for other lengths. */
export function ipText(v: Uint8Array): string | undefined {
  if (v.length === 4) return Array.from(v).join(".");
  if (v.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((v[i] << 8) | v[i + 1]).toString(16));
  return normalizeHost(groups.join(":"));
}

/** An IA5String general name: text as OpenSSL shows its bytes, a finding when not ASCII. */
function ia5(tlv: Tlv, what: string, ctx: DecodeContext, field: string): string {
  const v = tlv.value;
  if (v.includes(0)) {
    note(ctx, {
      rule: "x509.san-nul",
      severity: "warning",
      message: `${field}: ${what} holds a NUL byte (a name that C code reads cut short)`,
      clause: `${CLAUSE}; X.680 section 41.4`,
      offset: tlv.start,
      field,
    });
  }
  if (v.some((b) => b > 0x7f)) {
    note(ctx, {
      rule: "x509.san-not-ia5",
      severity: "warning",
      message: `${field}: ${what} holds bytes above 0x7F (an IA5String is ASCII; shown as UTF-8)`,
      clause: `${CLAUSE}; X.680 section 41.4`,
      offset: tlv.start,
      field,
    });
    return utf8.decode(v);
  }
  return utf8.decode(v); // ASCII
}

/** A DirectoryString inside an ediPartyName or otherName, as text or `#hex`. */
function anyString(tlv: Tlv, ctx: DecodeContext, field: string): string {
  return decodeString(tlv, ctx, field) ?? "#" + toHex(tlv.raw).toUpperCase();
}

function oneName(g: Tlv, ctx: DecodeContext, field: string): DisplayName {
  switch (g.tag) {
    case 0x82:
      return { kind: "dns", value: ia5(g, "dNSName", ctx, field) };
    case 0x81:
      return { kind: "email", value: ia5(g, "rfc822Name", ctx, field) };
    case 0x86:
      return { kind: "uri", value: ia5(g, "uniformResourceIdentifier", ctx, field) };
    case 0x87: {
      const ip = ipText(g.value);
      if (ip === undefined) {
        derError(
          `Cannot read ${field}: iPAddress of ${g.value.length} bytes (4 or 16 expected)`,
          g.start,
          field,
        );
      }
      return { kind: "ip", value: ip };
    }
    case 0x88:
      return { kind: "other", value: `RID:${decodeOid(g.value, g.valueStart)}` };
    case 0xa4: {
      const r = DerReader.inside(g, field);
      const name = decodeName(r.expect(TAG.SEQUENCE, field), field, ctx);
      r.expectEmpty(field);
      return { kind: "other", value: `DirName:${name.readable}` };
    }
    case 0xa0: {
      // AnotherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }
      const r = DerReader.inside(g, field);
      const oidTlv = r.expect(TAG.OID, field);
      const oid = decodeOid(oidTlv.value, oidTlv.valueStart);
      const wrapped = r.expect(0xa0, field);
      r.expectEmpty(field);
      const inner = DerReader.inside(wrapped, field);
      const v = inner.any();
      inner.expectEmpty(field);
      return { kind: "other", value: `othername:${oidShortName(oid)}:${anyString(v, ctx, field)}` };
    }
    case 0xa5: {
      // EDIPartyName ::= SEQUENCE { nameAssigner [0] DirectoryString OPTIONAL, partyName [1] DirectoryString }
      const r = DerReader.inside(g, field);
      const assigner = r.optional(0xa0);
      const party = r.expect(0xa1, field);
      r.expectEmpty(field);
      const text = (t: Tlv) => {
        const ir = DerReader.inside(t, field);
        const s = anyString(ir.any(), ctx, field);
        ir.expectEmpty(field);
        return s;
      };
      return {
        kind: "other",
        value: `EdiPartyName:${assigner ? `${text(assigner)}/` : ""}${text(party)}`,
      };
    }
    case 0xa3:
      // ORAddress (X.411) is shown as its DER: nothing on the web uses it.
      return { kind: "other", value: `X400Name:#${toHex(g.value).toUpperCase()}` };
    default:
      derError(
        `Cannot read ${field}: tag 0x${g.tag.toString(16).padStart(2, "0")} is no GeneralName`,
        g.start,
        field,
      );
  }
}

/**
 * Reads a GeneralNames value (a subjectAltName's or issuerAltName's OCTET
 * STRING content) for display: each entry that cannot be read is shown as
 * `#hex` of its DER with a finding, and reading goes on.
 *
 * @param value the extension value
 * @param offset its offset in the certificate
 * @param ctx where findings go
 * @param field the extension's name
 * @returns the names, in encoded order
 */
export function displayGeneralNames(
  value: Uint8Array,
  offset: number,
  ctx: DecodeContext,
  field: string,
): DisplayName[] {
  const r = new DerReader(value, offset, field);
  const seq = r.expect(TAG.SEQUENCE, field);
  if (!r.done) {
    refuse(ctx, {
      rule: "x509.malformed-general-names",
      message: `Cannot read ${field}: trailing data`,
      clause: CLAUSE,
      offset: r.offset,
      field,
    });
  }
  const list = DerReader.inside(seq, field);
  if (list.done) {
    refuse(ctx, {
      rule: "x509.empty-general-names",
      message: `Cannot read ${field}: no names (GeneralNames SIZE (1..MAX))`,
      clause: CLAUSE,
      offset: seq.start,
      field,
    });
  }
  const out: DisplayName[] = [];
  while (!list.done) {
    const g = list.any();
    out.push(
      attempt(ctx, `${field} entry`, CLAUSE, () => oneName(g, ctx, field), {
        kind: "other",
        value: `#${toHex(g.raw).toUpperCase()}`,
      }),
    );
  }
  return out;
}
