/**
 * Checks the server's handshake signatures with WebCrypto: the TLS 1.3
 * CertificateVerify (RFC 8446 §4.4.3) and the TLS 1.2 ServerKeyExchange
 * signature (RFC 5246 §7.4.3, RFC 8422 §5.4), against the leaf's public key.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { malformed } from "../wire/codec.ts";
import { DerReader, TAG } from "../x509/der.ts";
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

/** Runs a DER read of bytes the server sent: a decoding failure is the server's (`PEER_MALFORMED`). */
function fromPeer<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof TlsprobeError && e.code === "CERT_INVALID") {
      throw new TlsprobeError("PEER_MALFORMED", e.message, e.detail);
    }
    throw e;
  }
}

/**
 * The SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1): the
 * seventh element of TBSCertificate when the version is present, else the
 * sixth. Read with the one DER reader (`core/x509/der.ts`), just far enough
 * to hand the key to WebCrypto.
 *
 * @param der the certificate
 * @returns the SPKI DER
 * @throws TlsprobeError PEER_MALFORMED when the DER does not have that shape
 */
export function spkiOf(der: Uint8Array): Uint8Array {
  return fromPeer(() => {
    const cert = new DerReader(der, 0, "certificate").expect(TAG.SEQUENCE, "certificate");
    const tbs = DerReader.inside(cert, "certificate").expect(TAG.SEQUENCE, "tbsCertificate");
    const r = DerReader.inside(tbs, "tbsCertificate");
    r.optional(0xa0); // version
    for (let i = 0; i < 5; i++) r.any(); // serialNumber, signature, issuer, validity, subject
    return r.expect(TAG.SEQUENCE, "subjectPublicKeyInfo").raw;
  });
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
  const [r, s] = fromPeer(() => {
    const seq = new DerReader(sig, 0, "ecdsa_signature").expect(TAG.SEQUENCE, "ecdsa_signature");
    const inner = DerReader.inside(seq, "ecdsa_signature");
    const ints = [
      inner.expect(TAG.INTEGER, "ecdsa_signature.r").value,
      inner.expect(TAG.INTEGER, "ecdsa_signature.s").value,
    ];
    inner.expectEmpty("ecdsa_signature");
    return ints;
  });
  const fix = (v: Uint8Array) => {
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
