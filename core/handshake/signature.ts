/**
 * Checks the server's handshake signatures with WebCrypto: the TLS 1.3
 * CertificateVerify (RFC 8446 §4.4.3) and the TLS 1.2 ServerKeyExchange
 * signature (RFC 5246 §7.4.3, RFC 8422 §5.4), against the leaf's public key.
 *
 * @module
 */
import { malformed, Reader } from "../wire/codec.ts";
import { signatureSchemeName } from "../registry/signature_schemes.ts";

// deno-lint-ignore no-explicit-any
const subtle = crypto.subtle as any;

/** The outcome of a signature check. */
export interface HandshakeSignature {
  /** The scheme's IANA name. */
  scheme: string;
  /** true valid, false invalid, null when it could not be checked. */
  valid: boolean | null;
  /** Why it could not be checked, when `valid` is null. */
  reason?: string;
}

/**
 * The SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1): the
 * seventh element of TBSCertificate when the version is present, else the
 * sixth. A minimal DER walk, just enough to hand the key to WebCrypto.
 *
 * @param der the certificate
 * @returns the SPKI DER
 * @throws TlsprobeError PEER_MALFORMED when the DER does not have that shape
 */
export function spkiOf(der: Uint8Array): Uint8Array {
  const cert = readTlv(new Reader(der), 0x30, "certificate");
  const tbs = readTlv(cert.inner, 0x30, "tbsCertificate");
  const r = tbs.inner;
  if (r.peek() === 0xa0) readTlv(r, 0xa0, "version");
  for (const f of ["serialNumber", "signature", "issuer", "validity", "subject"]) {
    readTlv(r, undefined, f);
  }
  return readTlv(r, 0x30, "subjectPublicKeyInfo").whole;
}

interface Tlv {
  tag: number;
  inner: Reader;
  whole: Uint8Array;
}

function readTlv(r: Reader, expect: number | undefined, field: string): Tlv {
  const start = r.offset;
  const tag = r.u8(`${field}.tag`);
  if (expect !== undefined && tag !== expect) {
    throw malformed(
      `Expected DER tag 0x${expect.toString(16)}, got 0x${tag.toString(16)}`,
      start,
      field,
    );
  }
  let len = r.u8(`${field}.length`);
  let hl = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw malformed("Unsupported DER length", start, field);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + r.u8(`${field}.length`);
    hl += n;
  }
  const body = r.bytes(len, field);
  // The header precedes the body in the same buffer (Reader returns views).
  const whole = new Uint8Array(body.buffer, body.byteOffset - hl, hl + len);
  const inner = new Reader(body, start + hl);
  return { tag, inner, whole };
}

interface VerifyAlg {
  importAlgs: Record<string, unknown>[];
  verifyAlg: Record<string, unknown>;
  ecdsaLen?: number[];
}

const HASH: Record<string, string> = {
  sha1: "SHA-1",
  sha256: "SHA-256",
  sha384: "SHA-384",
  sha512: "SHA-512",
};

const CURVES: [string, number][] = [["P-256", 32], ["P-384", 48], ["P-521", 66]];

function algorithmFor(scheme: number): VerifyAlg | string {
  const name = signatureSchemeName(scheme);
  let m = /^rsa_pss_(rsae|pss)_(sha\d+)$/.exec(name);
  if (m) {
    const hash = HASH[m[2]];
    const saltLength = { "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 }[hash]!;
    return {
      importAlgs: [{ name: "RSA-PSS", hash }],
      verifyAlg: { name: "RSA-PSS", saltLength },
    };
  }
  m = /^rsa_pkcs1_(sha\d+)$/.exec(name);
  if (m) {
    const hash = HASH[m[1]];
    if (!hash) return `${name} is not available in WebCrypto`;
    return {
      importAlgs: [{ name: "RSASSA-PKCS1-v1_5", hash }],
      verifyAlg: { name: "RSASSA-PKCS1-v1_5" },
    };
  }
  m = /^ecdsa_(?:secp\d+r1_)?(sha\d+)$/.exec(name);
  if (m) {
    const hash = HASH[m[1]];
    if (!hash) return `${name} is not available in WebCrypto`;
    return {
      importAlgs: CURVES.map(([c]) => ({ name: "ECDSA", namedCurve: c })),
      verifyAlg: { name: "ECDSA", hash },
      ecdsaLen: CURVES.map(([, n]) => n),
    };
  }
  if (name === "ed25519") {
    return { importAlgs: [{ name: "Ed25519" }], verifyAlg: { name: "Ed25519" } };
  }
  return `${name} is not available in WebCrypto`;
}

/**
 * Whether this engine can check a server signature made with a scheme.
 *
 * @param scheme the signature scheme code
 * @returns true when WebCrypto has what it needs
 */
export function canVerify(scheme: number): boolean {
  return typeof algorithmFor(scheme) !== "string";
}

/** ECDSA signatures are DER in TLS and fixed-width r||s in WebCrypto. */
function ecdsaDerToRaw(sig: Uint8Array, n: number): Uint8Array {
  const seq = readTlv(new Reader(sig), 0x30, "ecdsa_signature");
  const r = readTlv(seq.inner, 0x02, "ecdsa_signature.r").whole;
  const s = readTlv(seq.inner, 0x02, "ecdsa_signature.s").whole;
  const fix = (tlv: Uint8Array) => {
    let v = tlv.subarray(2);
    if (tlv[1] & 0x80) v = tlv.subarray(2 + (tlv[1] & 0x7f));
    while (v.length > n && v[0] === 0) v = v.subarray(1);
    if (v.length > n) throw malformed("ECDSA integer too long", 0, "ecdsa_signature");
    const o = new Uint8Array(n);
    o.set(v, n - v.length);
    return o;
  };
  const out = new Uint8Array(2 * n);
  out.set(fix(r));
  out.set(fix(s), n);
  return out;
}

/**
 * Verifies a signature with the leaf certificate's public key.
 *
 * @param leafDer the leaf certificate
 * @param scheme the signature scheme code
 * @param signature the signature as sent
 * @param signed the signed content
 * @returns valid, invalid, or not checkable (with why)
 */
export async function verifyHandshakeSignature(
  leafDer: Uint8Array,
  scheme: number,
  signature: Uint8Array,
  signed: Uint8Array,
): Promise<HandshakeSignature> {
  const name = signatureSchemeName(scheme);
  const alg = algorithmFor(scheme);
  if (typeof alg === "string") return { scheme: name, valid: null, reason: alg };
  let spki: Uint8Array;
  try {
    spki = spkiOf(leafDer);
  } catch (e) {
    return { scheme: name, valid: null, reason: `cannot read the leaf's key: ${String(e)}` };
  }
  for (let i = 0; i < alg.importAlgs.length; i++) {
    let key: CryptoKey;
    try {
      key = await subtle.importKey("spki", spki, alg.importAlgs[i], false, ["verify"]);
    } catch {
      continue;
    }
    try {
      const sig = alg.ecdsaLen ? ecdsaDerToRaw(signature, alg.ecdsaLen[i]) : signature;
      const valid = await subtle.verify(alg.verifyAlg, key, sig, signed) as boolean;
      return { scheme: name, valid };
    } catch {
      return { scheme: name, valid: false };
    }
  }
  // No import worked: the key type does not fit the scheme, or WebCrypto
  // cannot import it (an id-RSASSA-PSS key): not checkable rather than invalid.
  return {
    scheme: name,
    valid: null,
    reason: `the leaf's public key cannot be used for ${name} here`,
  };
}
