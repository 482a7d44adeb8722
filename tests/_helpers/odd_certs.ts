/**
 * The odd-certificate corpus: deliberately unusual and deliberately broken
 * certificates built byte by byte with the project's DER writer (`derElement`),
 * over the public keys of `tests/fixtures/x509/odd/keys.pem` (every key type
 * openssl 3.0 makes; `make_keys.sh` remakes them) and hand-built GOST keys
 * (this openssl has no GOST engine). Signatures are filler: display does not
 * check them.
 *
 * Each case says what the tolerant decoder must find (`findings`: rule names)
 * and, where tlsprobe and `openssl x509 -text` are expected to disagree, the
 * field and the reason (`differs`). Deterministic: the same bytes every run.
 *
 * @module
 */
import assert from "node:assert/strict";
import { concat } from "../../core/wire/codec.ts";
import { derElement, TAG } from "../../core/x509/der.ts";
import { parsePemBlocks } from "../../core/x509/pem.ts";

/** One certificate of the corpus. */
export interface OddCert {
  /** Unique, says what is odd. */
  name: string;
  /** The certificate's DER. */
  der: Uint8Array;
  /** Rules the tolerant decoder must report (a subset of what it finds). */
  findings?: string[];
  /** Fields where tlsprobe deliberately differs from openssl, with the reason. */
  differs?: Partial<Record<DiffField, string>>;
  /** Why openssl cannot display it (when it cannot). */
  opensslRefuses?: string;
}

/** The fields the differential test compares. */
export type DiffField = "subject" | "issuer" | "san" | "keyAlgorithm" | "keyBits" | "signature";

const enc = new TextEncoder();
type Bytes = Uint8Array;

const cat = concat;
const el = (tag: number, ...parts: Bytes[]) => derElement(tag, cat(...parts));
const seq = (...parts: Bytes[]) => el(TAG.SEQUENCE, ...parts);
const set = (...parts: Bytes[]) => el(TAG.SET, ...parts);
const hex = (h: string) =>
  Uint8Array.from(h.replace(/\s+/g, "").match(/../g) ?? [], (x) => parseInt(x, 16));
const NULL = hex("0500");

/** OBJECT IDENTIFIER element (X.690 section 8.19). */
export function oid(dotted: string): Bytes {
  const arcs = dotted.split(".").map(BigInt);
  const body: number[] = [];
  const base128 = (n: bigint) => {
    const out = [Number(n & 0x7fn)];
    for (n >>= 7n; n > 0n; n >>= 7n) out.unshift(Number(n & 0x7fn) | 0x80);
    body.push(...out);
  };
  base128(arcs[0] * 40n + arcs[1]);
  for (const a of arcs.slice(2)) base128(a);
  return derElement(TAG.OID, Uint8Array.from(body));
}

function int(n: number | bigint): Bytes {
  let v = BigInt(n);
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v !== 0n && v !== -1n);
  if (BigInt(n) >= 0n && bytes[0] & 0x80) bytes.unshift(0);
  if (BigInt(n) < 0n && !(bytes[0] & 0x80)) bytes.unshift(0xff);
  return derElement(TAG.INTEGER, Uint8Array.from(bytes));
}
const str = (tag: number, s: string | Bytes) =>
  derElement(tag, typeof s === "string" ? enc.encode(s) : s);
const utf8 = (s: string) => str(TAG.UTF8_STRING, s);
const printable = (s: string) => str(TAG.PRINTABLE_STRING, s);
const ia5 = (s: string | Bytes) => str(TAG.IA5_STRING, s);
const bmp = (s: string) => {
  const b = new Uint8Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    [b[2 * i], b[2 * i + 1]] = [s.charCodeAt(i) >> 8, s.charCodeAt(i) & 0xff];
  }
  return str(TAG.BMP_STRING, b);
};
const universal = (s: string) => {
  const cps = Array.from(s, (c) => c.codePointAt(0)!);
  const b = new Uint8Array(cps.length * 4);
  cps.forEach((cp, i) => new DataView(b.buffer).setUint32(4 * i, cp));
  return str(TAG.UNIVERSAL_STRING, b);
};

/** An AttributeTypeAndValue. */
const atv = (o: string, value: Bytes) => seq(oid(o), value);
/** A Name from RDNs, each a list of [oid, value]. */
function name(...rdns: [string, Bytes][][]): Bytes {
  return seq(...rdns.map((rdn) => set(...rdn.map(([o, v]) => atv(o, v)))));
}
const cn = (v: Bytes) => name([["2.5.4.6", printable("XX")]], [["2.5.4.3", v]]);

const alg = (o: string, params?: Bytes | null) =>
  params === null ? seq(oid(o)) : seq(oid(o), params ?? NULL);
const utc = (s: string) => str(TAG.UTC_TIME, s);
const gen = (s: string) => str(TAG.GENERALIZED_TIME, s);
const octets = (b: Bytes) => derElement(TAG.OCTET_STRING, b);
const bits = (b: Bytes, unused = 0) => derElement(TAG.BIT_STRING, cat(Uint8Array.of(unused), b));
/** One Extension. */
export function ext(o: string, value: Bytes, critical = false): Bytes {
  return seq(oid(o), ...(critical ? [hex("0101ff")] : []), octets(value));
}
const san = (...names: Bytes[]) => ext("2.5.29.17", seq(...names));
const dnsName = (s: string | Bytes) => str(0x82, s);

/** Filler signature bytes (deterministic). */
function filler(n: number, seed: number): Bytes {
  const b = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** The parts of a certificate; each is raw DER so any of them can be broken. */
interface Parts {
  version: Bytes | null;
  serial: Bytes;
  innerAlg: Bytes;
  issuer: Bytes;
  validity: Bytes;
  subject: Bytes;
  spki: Bytes;
  extensions: Bytes[] | null;
  /** The raw [3] element, overriding `extensions`. */
  extensionsRaw?: Bytes;
  outerAlg?: Bytes;
  signature: Bytes;
  /** Bytes after the certificate. */
  trailing?: Bytes;
}

function build(p: Parts): Bytes {
  const exts = p.extensionsRaw ??
    (p.extensions ? el(0xa3, seq(...p.extensions)) : new Uint8Array());
  const tbs = seq(
    p.version ?? new Uint8Array(),
    p.serial,
    p.innerAlg,
    p.issuer,
    p.validity,
    p.subject,
    p.spki,
    exts,
  );
  return cat(seq(tbs, p.outerAlg ?? p.innerAlg, p.signature), p.trailing ?? new Uint8Array());
}

const V3 = el(0xa0, int(2));
const SHA256_RSA = alg("1.2.840.113549.1.1.11");

function loadKeys(): Map<string, Bytes> {
  const text = Deno.readTextFileSync(new URL("../fixtures/x509/odd/keys.pem", import.meta.url));
  const keys = new Map<string, Bytes>();
  for (const block of text.split(/^# /m).slice(1)) {
    const label = block.slice(0, block.indexOf("\n"));
    keys.set(label, parsePemBlocks(block.slice(label.length + 1))[0].der);
  }
  return keys;
}

/**
 * A GOST public key (RFC 4491 section 2.3.2 / RFC 9215): the algorithm's
 * parameters name the curve and digest, the key is an OCTET STRING of X||Y.
 */
function gostSpki(keyOid: string, params: Bytes, keyBytes: number): Bytes {
  return seq(seq(oid(keyOid), params), bits(octets(filler(keyBytes, keyBytes))));
}

/** Builds the corpus. */
export function oddCertificates(): OddCert[] {
  const keys = loadKeys();
  const out: OddCert[] = [];
  let serial = 1;
  const base = (): Parts => ({
    version: V3,
    serial: int(0x10000 + serial),
    innerAlg: SHA256_RSA,
    issuer: name([["2.5.4.6", printable("XX")]], [["2.5.4.10", utf8("tlsprobe tests")]], [[
      "2.5.4.3",
      utf8("Odd CA"),
    ]]),
    validity: seq(utc("250101000000Z"), utc("491231235959Z")),
    subject: cn(utf8("odd.example")),
    spki: keys.get("rsa2048")!,
    extensions: [san(dnsName("odd.example"))],
    signature: bits(filler(256, serial)),
  });
  const add = (
    nm: string,
    tweak: (p: Parts) => void,
    extra: Omit<OddCert, "name" | "der"> = {},
  ) => {
    const p = base();
    tweak(p);
    out.push({ name: nm, der: build(p), ...extra });
    serial++;
  };

  // A. Every key type openssl makes, with a fitting signature algorithm.
  for (const [label, spki] of keys) {
    const sig = label.startsWith("ec-")
      ? alg("1.2.840.10045.4.3.2", null)
      : label.startsWith("dsa")
      ? alg("2.16.840.1.101.3.4.3.2", null)
      : label === "ed448"
      ? alg("1.3.101.113", null)
      : label.startsWith("ed") || label.startsWith("x")
      ? alg("1.3.101.112", null)
      : SHA256_RSA;
    add(`key ${label}`, (p) => {
      p.spki = spki;
      p.innerAlg = sig;
    });
  }

  // B. GOST keys, hand-built (no GOST engine here).
  const gost2001Params = seq(oid("1.2.643.2.2.35.1"), oid("1.2.643.2.2.30.1"));
  const gostKeys: [string, Bytes, string][] = [
    ["gost2001", gostSpki("1.2.643.2.2.19", gost2001Params, 64), "1.2.643.2.2.3"],
    [
      "gost2012-256",
      gostSpki("1.2.643.7.1.1.1.1", seq(oid("1.2.643.7.1.2.1.1.1"), oid("1.2.643.7.1.1.2.2")), 64),
      "1.2.643.7.1.1.3.2",
    ],
    [
      "gost2012-512",
      gostSpki("1.2.643.7.1.1.1.2", seq(oid("1.2.643.7.1.2.1.2.1")), 128),
      "1.2.643.7.1.1.3.3",
    ],
    [
      "gost94",
      gostSpki("1.2.643.2.2.20", seq(oid("1.2.643.2.2.32.2"), oid("1.2.643.2.2.30.1")), 128),
      "1.2.643.2.2.4",
    ],
  ];
  for (const [label, spki, sigOid] of gostKeys) {
    add(`GOST key and signature ${label}`, (p) => {
      p.spki = spki;
      p.innerAlg = alg(sigOid, null);
    });
  }

  // C. Signature algorithms by OID (the outer and inner identifiers agree).
  const sigs: [string, Bytes | null][] = [
    ["1.2.840.113549.1.1.2", NULL], // md2WithRSAEncryption
    ["1.2.840.113549.1.1.3", NULL], // md4WithRSAEncryption
    ["1.2.840.113549.1.1.4", NULL], // md5WithRSAEncryption
    ["1.2.840.113549.1.1.5", NULL], // sha1WithRSAEncryption
    ["1.2.840.113549.1.1.14", NULL],
    ["1.2.840.113549.1.1.12", NULL],
    ["1.2.840.113549.1.1.13", NULL],
    ["1.2.840.113549.1.1.15", NULL], // sha512-224WithRSAEncryption
    ["1.2.840.113549.1.1.16", NULL], // sha512-256WithRSAEncryption
    ["1.3.14.3.2.29", NULL], // sha1WithRSA (alternate OID)
    ["1.3.14.3.2.3", NULL], // md5WithRSA (alternate OID)
    ["1.3.14.3.2.15", NULL], // shaWithRSASignature
    ["1.3.36.3.3.1.2", NULL], // ripemd160WithRSA
    ["2.16.840.1.101.3.4.3.14", null], // RSA-SHA3-256
    ["2.16.840.1.101.3.4.3.16", null], // RSA-SHA3-512
    ["1.2.840.10040.4.3", null], // dsaWithSHA1
    ["2.16.840.1.101.3.4.3.1", null], // dsa_with_SHA224
    ["2.16.840.1.101.3.4.3.2", null], // dsa_with_SHA256
    ["1.2.840.10045.4.1", null], // ecdsa-with-SHA1
    ["1.2.840.10045.4.3.1", null],
    ["1.2.840.10045.4.3.3", null],
    ["1.2.840.10045.4.3.4", null],
    ["2.16.840.1.101.3.4.3.10", null], // ecdsa_with_SHA3-256
    ["1.2.156.10197.1.501", null], // SM2-with-SM3
    ["1.3.101.112", null],
    ["1.3.101.113", null],
    ["1.2.643.2.2.3", null],
    ["1.2.643.7.1.1.3.2", null],
    ["1.2.643.7.1.1.3.3", null],
    ["1.2.840.113549.1.1.10", null], // rsassaPss, no parameters (all defaults)
    ["1.2.3.4.5.6.7.8", null], // unknown
  ];
  for (const [o, params] of sigs) {
    add(`signature algorithm ${o}`, (p) => p.innerAlg = alg(o, params));
  }
  add("signature rsassaPss with SHA-256 parameters", (p) =>
    p.innerAlg = seq(
      oid("1.2.840.113549.1.1.10"),
      seq(
        el(0xa0, alg("2.16.840.1.101.3.4.2.1")),
        el(0xa1, seq(oid("1.2.840.113549.1.1.8"), alg("2.16.840.1.101.3.4.2.1"))),
        el(0xa2, int(32)),
      ),
    ));

  // D. Name attributes openssl names.
  const attrs: [string, Bytes][] = [
    ["1.2.643.3.131.1.1", str(0x12, "007700000000")], // INN, NumericString
    ["1.2.643.100.1", str(0x12, "1027700000000")], // OGRN
    ["1.2.643.100.3", str(0x12, "12345678901")], // SNILS
    ["1.2.643.100.5", str(0x12, "304500000000000")], // OGRNIP
    ["1.2.643.100.4", str(0x12, "7700000000")], // INNLE
    ["1.2.643.100.111", utf8("CryptoPro CSP")], // subjectSignTool
    ["1.3.6.1.4.1.311.60.2.1.3", printable("US")], // jurisdictionC
    ["1.3.6.1.4.1.311.60.2.1.2", utf8("Delaware")],
    ["1.3.6.1.4.1.311.60.2.1.1", utf8("Wilmington")],
    ["2.5.4.97", utf8("VATDE-123456789")], // organizationIdentifier
    ["2.5.4.15", utf8("Private Organization")],
    ["2.5.4.5", printable("1234567")],
    ["2.5.4.9", utf8("1 Main St")],
    ["2.5.4.17", utf8("12345")],
    ["2.5.4.12", utf8("Dr")],
    ["2.5.4.4", utf8("Surname")],
    ["2.5.4.42", utf8("Given")],
    ["2.5.4.43", utf8("GQ")],
    ["2.5.4.65", utf8("pseudo")],
    ["2.5.4.44", utf8("III")],
    ["2.5.4.46", printable("qual")],
    ["0.9.2342.19200300.100.1.25", ia5("example")],
    ["0.9.2342.19200300.100.1.1", utf8("uid1")],
    ["1.2.840.113549.1.9.1", ia5("a@odd.example")],
    ["1.2.840.113549.1.9.2", ia5("unstructured")],
    ["2.5.4.13", utf8("a description")],
    ["2.5.4.72", utf8("role")],
    ["2.5.4.41", utf8("name")],
    ["2.5.4.51", utf8("house")],
    ["2.5.4.20", printable("+1 555 0100")],
    ["2.5.4.16", utf8("PO 1")],
    ["2.5.4.18", utf8("box")],
    ["2.5.4.11", utf8("Unit")],
    ["2.5.4.7", utf8("City")],
    ["2.5.4.8", utf8("State")],
    ["2.5.4.10", utf8("Org")],
    ["2.5.4.45", bits(hex("0102"))], // x500UniqueIdentifier: BIT STRING
    ["1.2.3.4.5", utf8("unknown attribute")],
    ["2.5.4.54", utf8("dmd")], // dmdName
    ["1.3.6.1.4.1.311.20.2", bmp("template")], // msCertificateTemplateName... as openssl knows it
  ];
  for (const [o, v] of attrs) {
    add(
      `name attribute ${o}`,
      (p) => p.subject = name([["2.5.4.3", utf8("odd.example")]], [[o, v]]),
    );
  }
  add(
    "multi-valued RDN",
    (p) =>
      p.subject = name([["2.5.4.3", utf8("a")], ["2.5.4.10", utf8("b")], ["2.5.4.11", utf8("c")]]),
  );
  add("empty subject with a critical SAN", (p) => {
    p.subject = seq();
    p.extensions = [ext("2.5.29.17", seq(dnsName("odd.example")), true)];
  });
  add("empty issuer", (p) => p.issuer = seq());
  add("country of three letters", (p) => p.subject = name([["2.5.4.6", printable("XYZ")]]));

  // E. String types and bytes that break them.
  const cnCases: [string, Bytes, string[]?, Partial<Record<DiffField, string>>?][] = [
    ["CN UTF8String multilingual", utf8("Grüße, 日本, Ωμέγα")],
    ["CN BMPString", bmp("bmp name é")],
    ["CN UniversalString", universal("universal 😀")],
    ["CN T61String Latin-1 bytes", str(TAG.T61_STRING, hex("6361 66e9"))],
    ["CN IA5String", ia5("ia5.example")],
    ["CN VisibleString", str(TAG.VISIBLE_STRING, "visible")],
    ["CN NumericString", str(0x12, "0123 456")],
    ["CN PrintableString", printable("Printable (ok) 1+2=3?")],
    ["CN PrintableString with @ and *", printable("a@b*c"), ["x509.bad-printable-string"]],
    ["CN PrintableString with &", printable("A & B"), ["x509.bad-printable-string"]],
    [
      "CN UTF8String with invalid UTF-8",
      str(TAG.UTF8_STRING, hex("6162ff6364")),
      ["x509.bad-utf8"],
      {
        subject: "openssl prints the invalid byte raw (decoded here as U+FFFD on both sides)",
      },
    ],
    [
      "CN BMPString of odd length",
      str(TAG.BMP_STRING, hex("00610062 00")),
      ["x509.bad-bmp-string"],
    ],
    [
      "CN UniversalString not a multiple of 4",
      str(TAG.UNIVERSAL_STRING, hex("00000061 0000")),
      ["x509.bad-universal-string"],
    ],
    ["CN as an INTEGER", int(42), ["x509.attribute-not-a-string"]],
    ["CN as an OCTET STRING", octets(hex("deadbeef")), ["x509.attribute-not-a-string"]],
    ["CN with control characters", utf8("a\u0001b\u007fc")],
    ["CN BMPString with a lone surrogate", str(TAG.BMP_STRING, hex("0061 d800 0062")), [
      "x509.bad-bmp-string",
    ]],
    ["CN UniversalString beyond Unicode", str(TAG.UNIVERSAL_STRING, hex("00000061 00110000")), [
      "x509.bad-universal-string",
    ]],
    ["CN with RFC 2253 specials", utf8(' #lead,plus+quote"back\\lt<gt>semi; ')],
    ["CN empty", utf8("")],
    ["CN IA5String with bytes above 0x7F", ia5(hex("6361 66e9")), ["x509.bad-ia5-string"]],
    ["CN GeneralString", str(0x1b, "general")],
    ["CN GraphicString", str(0x19, "graphic")],
    ["C as UTF8String", utf8("XX")],
    ["CN very long (300 characters)", utf8("x".repeat(300))],
  ];
  for (const [nm, v, findings, differs] of cnCases) {
    add(nm, (p) => p.subject = cn(v), { findings, differs });
  }
  add(
    "countryName as UTF8String (a PrintableString is required)",
    (p) => p.subject = name([["2.5.4.6", utf8("XX")]], [["2.5.4.3", utf8("c")]]),
    {
      findings: ["x509.attribute-string-type"],
    },
  );
  add(
    "emailAddress as UTF8String (an IA5String is required)",
    (p) => p.subject = name([["1.2.840.113549.1.9.1", utf8("a@b.example")]]),
    {
      findings: ["x509.attribute-string-type"],
    },
  );
  add("empty RDN", (p) => p.subject = seq(set(), set(atv("2.5.4.3", utf8("x")))), {
    findings: ["x509.empty-rdn"],
  });

  // F. Subject alternative names of every kind, and broken ones.
  const sanCases: [string, Bytes[], string[]?, Partial<Record<DiffField, string>>?][] = [
    ["SAN wildcard DNS", [dnsName("*.odd.example")]],
    [
      "SAN dNSName with UTF-8 bytes",
      [dnsName(enc.encode("café.example"))],
      ["x509.san-not-ia5"],
    ],
    [
      "SAN dNSName with a Latin-1 byte",
      [dnsName(hex("636166e9 2e6578616d706c65"))],
      ["x509.san-not-ia5"],
    ],
    ["SAN dNSName with a NUL byte", [dnsName(hex("61 00 62"))], ["x509.san-nul"], {
      san: "openssl cannot parse the extension and dumps its bytes; shown here whole, flagged",
    }],
    ["SAN IPv4 and IPv6", [
      str(0x87, hex("7f000001")),
      str(0x87, hex("20010db8000000000000000000000001")),
    ]],
    ["SAN iPAddress of 5 bytes", [str(0x87, hex("0102030405"))], [
      "x509.malformed-subjectAltName-entry",
    ], {
      san: "openssl prints IP Address:<invalid>; shown here as the entry's hex",
    }],
    ["SAN iPAddress of 8 bytes (a name-constraints form)", [str(0x87, hex("0a0000 00ff000000"))], [
      "x509.malformed-subjectAltName-entry",
    ], { san: "openssl prints IP Address:<invalid>; shown here as the entry's hex" }],
    ["SAN email and URI", [str(0x81, "a@odd.example"), str(0x86, "https://odd.example/")]],
    ["SAN registeredID", [str(0x88, oid("1.2.3.4").subarray(2))]],
    ["SAN directoryName", [el(0xa4, name([["2.5.4.3", utf8("dir")]]))]],
    ["SAN otherName UPN", [el(0xa0, oid("1.3.6.1.4.1.311.20.2.3"), el(0xa0, utf8("user@odd")))]],
    ["SAN otherName unknown OID with an INTEGER", [el(0xa0, oid("1.2.3.4.99"), el(0xa0, int(7)))]],
    ["SAN otherName with an IA5String", [
      el(0xa0, oid("1.3.6.1.5.5.7.8.7"), el(0xa0, ia5("_svc.odd"))),
    ]],
    ["SAN ediPartyName", [el(0xa5, el(0xa1, utf8("party")))]],
    ["SAN ediPartyName with a name assigner", [
      el(0xa5, el(0xa0, utf8("assigner")), el(0xa1, utf8("party"))),
    ]],
    ["SAN x400Address", [el(0xa3, seq(el(0x61, printable("XX"))))]],
    ["SAN entry of an unknown tag [9]", [str(0x89, "what")], [
      "x509.malformed-subjectAltName-entry",
    ]],
    ["SAN otherName missing its value", [el(0xa0, oid("1.2.3.4"))], [
      "x509.malformed-subjectAltName-entry",
    ]],
    ["SAN of 60 names", Array.from({ length: 60 }, (_, i) => dnsName(`n${i}.odd.example`))],
  ];
  for (const [nm, names, findings, differs] of sanCases) {
    add(nm, (p) => p.extensions = [san(...names)], { findings, differs });
  }
  add("SAN empty GeneralNames", (p) => p.extensions = [ext("2.5.29.17", seq())], {
    findings: ["x509.empty-general-names"],
  });
  add(
    "SAN with trailing data",
    (p) => p.extensions = [ext("2.5.29.17", cat(seq(dnsName("a.example")), hex("0500")))],
    {
      findings: ["x509.malformed-general-names"],
    },
  );

  // G. Extensions.
  const bc = (ca: boolean, pathLen?: number) =>
    ext(
      "2.5.29.19",
      seq(...(ca ? [hex("0101ff")] : []), ...(pathLen !== undefined ? [int(pathLen)] : [])),
      true,
    );
  const extCases: [string, Bytes[], string[]?][] = [
    ["duplicate subjectAltName", [san(dnsName("a.example")), san(dnsName("b.example"))], [
      "x509.duplicate-extension",
    ]],
    ["duplicate basicConstraints", [bc(true), bc(false)], ["x509.duplicate-extension"]],
    ["basicConstraints CA with pathLen 0", [bc(true, 0)]],
    ["basicConstraints with a negative pathLen", [bc(true, -1)], [
      "x509.malformed-basicConstraints",
    ]],
    ["basicConstraints with a 2-byte BOOLEAN", [ext("2.5.29.19", seq(hex("01020000")))], [
      "x509.malformed-basicConstraints",
    ]],
    ["keyUsage digitalSignature", [ext("2.5.29.15", bits(hex("80"), 7), true)]],
    ["keyUsage with unused bits 8", [ext("2.5.29.15", bits(hex("80"), 8))], [
      "x509.malformed-keyUsage",
    ]],
    ["keyUsage decipherOnly (second byte)", [ext("2.5.29.15", bits(hex("0880"), 7))]],
    ["unknown critical extension", [ext("1.2.3.4.5.6", hex("0500"), true)]],
    ["unknown extension", [ext("1.2.3.4.5.7", utf8("x"))]],
    ["extension with an empty value", [ext("2.5.29.14", new Uint8Array())], [
      "x509.malformed-subjectKeyIdentifier",
    ]],
    ["SCT list with a bad length", [ext("1.3.6.1.4.1.11129.2.4.2", octets(hex("0005 0001 00")))], [
      "x509.malformed-ctPrecertificateSCTs",
    ]],
    ["SCT list of two", [ext("1.3.6.1.4.1.11129.2.4.2", octets(hex("0008 0002 aaaa 0002 bbbb")))]],
    ["extended key usage with unknown purposes", [
      ext("2.5.29.37", seq(oid("1.3.6.1.5.5.7.3.1"), oid("1.2.3.9"))),
    ]],
    ["certificate policies EV and unknown", [
      ext("2.5.29.32", seq(seq(oid("2.23.140.1.1")), seq(oid("1.2.3.10")))),
    ]],
    ["authority information access", [
      ext("1.3.6.1.5.5.7.1.1", seq(seq(oid("1.3.6.1.5.5.7.48.1"), str(0x86, "http://ocsp.odd/")))),
    ]],
    ["CRL distribution points", [
      ext("2.5.29.31", seq(seq(el(0xa0, el(0xa0, str(0x86, "http://crl.odd/c.crl")))))),
    ]],
    ["TLS feature must-staple", [ext("1.3.6.1.5.5.7.1.24", seq(int(5)))]],
    ["netscape comment", [ext("2.16.840.1.113730.1.13", ia5("hello"))]],
    ["GOST subjectSignTool extension", [ext("1.2.643.100.111", utf8("CryptoPro CSP 5.0"))]],
    ["issuerAltName with an ediPartyName", [ext("2.5.29.18", seq(el(0xa5, el(0xa1, utf8("p")))))]],
    ["name constraints", [
      ext("2.5.29.30", seq(el(0xa0, seq(el(0xa0, str(0x82, "odd.example"))))), true),
    ]],
  ];
  const extDiffers: Record<string, Partial<Record<DiffField, string>>> = {
    "duplicate subjectAltName": {
      san: "openssl prints only the first of the two extensions; tlsprobe shows both, flagged",
    },
  };
  for (const [nm, exts, findings] of extCases) {
    add(nm, (p) => p.extensions = exts, { findings, differs: extDiffers[nm] });
  }
  add("empty extension list", (p) => p.extensionsRaw = el(0xa3, seq()), {
    findings: ["x509.empty-extensions"],
  });
  add("extensions in a version 1 certificate", (p) => p.version = null, {
    findings: ["x509.extensions-before-v3"],
  });

  // H. Validity encodings.
  const times: [string, Bytes, Bytes, string[]?][] = [
    ["UTCTime without seconds", utc("2501010000Z"), utc("4912312359Z")],
    ["GeneralizedTime before 2050", gen("20250101000000Z"), gen("20491231235959Z")],
    ["GeneralizedTime after 2050", utc("250101000000Z"), gen("99991231235959Z")],
    ["GeneralizedTime with fractions", gen("20250101000000.5Z"), gen("20491231235959.123Z")],
    ["UTCTime 1950 boundary", utc("500101000000Z"), utc("491231235959Z")],
    ["UTCTime with an offset", utc("250101000000+0100"), utc("491231235959Z"), [
      "x509.malformed-notBefore",
    ]],
    ["UTCTime month 13", utc("251301000000Z"), utc("491231235959Z"), ["x509.malformed-notBefore"]],
    ["UTCTime February 30", utc("250230000000Z"), utc("491231235959Z"), [
      "x509.malformed-notBefore",
    ]],
    ["UTCTime of letters", utc("2501010000AAZ"), utc("491231235959Z"), [
      "x509.malformed-notBefore",
    ]],
    ["GeneralizedTime without Z", gen("20250101000000"), utc("491231235959Z"), [
      "x509.malformed-notBefore",
    ]],
    ["time as a PrintableString", printable("250101000000Z"), utc("491231235959Z"), [
      "x509.malformed-notBefore",
    ]],
    ["notAfter empty", utc("250101000000Z"), utc(""), ["x509.malformed-notAfter"]],
    ["notAfter before notBefore", utc("491231235959Z"), utc("250101000000Z")],
  ];
  for (const [nm, nb, na, findings] of times) {
    add(`validity ${nm}`, (p) => p.validity = seq(nb, na), { findings });
  }

  // I. Versions, serials, signatures.
  add("version 1 (absent)", (p) => {
    p.version = null;
    p.extensions = null;
  });
  add("version 2", (p) => {
    p.version = el(0xa0, int(1));
    p.extensions = null;
  });
  add("version 1 encoded explicitly", (p) => {
    p.version = el(0xa0, int(0));
    p.extensions = null;
  });
  add("version 4 (unknown)", (p) => p.version = el(0xa0, int(3)), {
    findings: ["x509.unknown-version"],
  });
  add("version 10 (unknown)", (p) => p.version = el(0xa0, int(9)), {
    findings: ["x509.unknown-version"],
  });
  add("version -1", (p) => p.version = el(0xa0, int(-1)), { findings: ["x509.unknown-version"] });
  add("serial negative", (p) => p.serial = int(-5));
  add("serial zero", (p) => p.serial = int(0));
  add(
    "serial of 25 bytes",
    (p) => p.serial = derElement(TAG.INTEGER, filler(25, 3).map((b, i) => i ? b : b & 0x7f)),
  );
  add("signature BIT STRING with 1 unused bit", (p) => p.signature = bits(filler(256, 9), 1), {
    findings: ["x509.signature-unused-bits"],
  });
  add("signature BIT STRING with 7 unused bits", (p) => p.signature = bits(filler(64, 9), 7), {
    findings: ["x509.signature-unused-bits"],
  });
  add(
    "signature algorithms differ (TBS SHA-256, outer SHA-1)",
    (p) => p.outerAlg = alg("1.2.840.113549.1.1.5"),
    {
      findings: ["x509.signature-algorithm-mismatch"],
      differs: { signature: "openssl prints the TBS's algorithm first; tlsprobe the outer one" },
    },
  );
  add(
    "signature algorithm with odd parameters",
    (p) => p.innerAlg = alg("1.2.840.113549.1.1.11", int(1)),
  );
  add("issuerUniqueID and subjectUniqueID", (p) => {
    p.extensionsRaw = cat(
      str(0x81, hex("00ab")),
      str(0x82, hex("00cd")),
      el(0xa3, seq(san(dnsName("u.example")))),
    );
  });
  add("trailing data after the certificate", (p) => p.trailing = hex("0000"), {
    findings: ["x509.trailing-data"],
  });

  // J. Keys with odd parameters.
  const rsa = keys.get("rsa2048")!;
  // The RSA SPKI is SEQUENCE { AlgorithmIdentifier (15 bytes), BIT STRING } under a 4-byte header.
  add(
    "RSA key without NULL parameters",
    (p) => p.spki = seq(seq(oid("1.2.840.113549.1.1.1")), rsa.subarray(4 + 15)),
  );
  add("EC key on an unknown curve OID", (p) => {
    p.spki = seq(
      seq(oid("1.2.840.10045.2.1"), oid("1.2.3.4.5.6")),
      bits(cat(Uint8Array.of(4), filler(64, 4))),
    );
    p.innerAlg = alg("1.2.840.10045.4.3.2", null);
  });
  add("unknown key algorithm", (p) => p.spki = seq(seq(oid("1.2.3.4.5.8")), bits(filler(32, 5))));
  add(
    "RSA key whose BIT STRING holds garbage",
    (p) => p.spki = seq(alg("1.2.840.113549.1.1.1"), bits(filler(40, 6))),
    {
      findings: ["x509.malformed-subjectPublicKey"],
    },
  );

  // K. BER where DER is required: OpenSSL reads these lengths, so the display does too.
  const longForm = (tlv: Bytes) => {
    // Re-encode a short-form length (< 128) in the two-octet long form 0x81 LL.
    assert(tlv[1] < 0x80, "short form expected");
    return cat(Uint8Array.of(tlv[0], 0x81, tlv[1]), tlv.subarray(2));
  };
  const indefinite = (tlv: Bytes) => {
    const headerLen = tlv[1] < 0x80 ? 2 : 2 + (tlv[1] & 0x7f);
    return cat(Uint8Array.of(tlv[0], 0x80), tlv.subarray(headerLen), Uint8Array.of(0, 0));
  };
  const berCase = (nm: string, f: (der: Bytes) => Bytes, tweak: (p: Parts) => void = () => {}) => {
    const p = base();
    tweak(p);
    out.push({ name: nm, der: f(build(p)), findings: ["x509.ber-encoding"] });
    serial++;
  };
  const reframe = (der: Bytes, tbsF: (t: Bytes) => Bytes, outerIndefinite: boolean) => {
    const headerLen = 2 + (der[1] & 0x7f);
    const body = der.subarray(headerLen);
    const tbsLen = 4 + ((body[2] << 8) | body[3]);
    const rest = cat(tbsF(body.subarray(0, tbsLen)), body.subarray(tbsLen));
    return outerIndefinite ? cat(hex("3080"), rest, hex("0000")) : seq(rest);
  };
  berCase(
    "BER outer length in four octets",
    (d) => cat(Uint8Array.of(0x30, 0x84, 0, 0, d[2], d[3]), d.subarray(4)),
  );
  berCase("BER outer SEQUENCE of indefinite length", (d) => reframe(d, (t) => t, true));
  berCase("BER TBS of indefinite length", (d) => reframe(d, indefinite, true));
  berCase("BER subject with a long-form length", (d) => d, (p) => p.subject = longForm(p.subject));
  berCase(
    "BER issuer of indefinite length",
    (d) => d,
    (p) => p.issuer = indefinite(p.issuer),
  );

  // What openssl 3.0 cannot display at all (it refuses the whole certificate).
  const canon =
    "openssl's name canonicalisation cannot convert this value to UTF-8 and refuses the certificate";
  const refused: Record<string, string> = {
    "CN VisibleString": canon,
    "CN GeneralString": canon,
    "CN GraphicString": canon,
    "CN UTF8String with invalid UTF-8": canon,
    "CN BMPString with a lone surrogate": canon,
    "CN UniversalString beyond Unicode": canon,
    "CN BMPString of odd length": "openssl's DER decoder refuses a BMPString of odd length",
    "CN UniversalString not a multiple of 4":
      "openssl's DER decoder refuses a UniversalString whose length is not a multiple of 4",
    "CN as an INTEGER": "openssl's name canonicalisation refuses a non-string attribute value",
    "CN as an OCTET STRING": "openssl's name canonicalisation refuses a non-string attribute value",
    "validity time as a PrintableString":
      "openssl's Time type is a CHOICE of UTCTime and GeneralizedTime only",
  };
  for (const c of out) if (refused[c.name]) c.opensslRefuses = refused[c.name];
  return out;
}

/**
 * A chain of `n` certificates, leaf first: certificate i is issued by
 * certificate i+1 (names only; filler signatures), the last one self-issued
 * and a CA. For the chain-ordering bounds (a 2,000-certificate bundle).
 *
 * @param n how many
 * @returns DER of each, leaf first
 */
export function longChain(n: number): Uint8Array[] {
  const rsa = loadKeys().get("ec-prime256v1")!;
  const nm = (i: number) => name([["2.5.4.3", utf8(`chain ${i}`)]]);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    out.push(build({
      version: V3,
      serial: int(i + 1),
      innerAlg: alg("1.2.840.10045.4.3.2", null),
      issuer: nm(last ? i : i + 1),
      validity: seq(utc("250101000000Z"), utc("491231235959Z")),
      subject: nm(i),
      spki: rsa,
      extensions: i === 0 ? [san(dnsName("leaf.example"))] : [
        ext("2.5.29.19", seq(hex("0101ff")), true),
      ],
      signature: bits(filler(72, i + 1)),
    }));
  }
  return out;
}
