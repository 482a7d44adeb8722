/**
 * Chains: ordering a bag of certificates from leaf to root, and checking each
 * link (names, key identifiers, the issuer's signature with WebCrypto,
 * validity, CA flag). This is a view for people, not a trust decision: trust is
 * decided by rustls/webpki in `core/net/`.
 *
 * @module
 */
import { derElement, DerReader, TAG } from "./der.ts";
import type { CertificateInfo } from "./decode.ts";
import { nameKey, namesEqual } from "./name.ts";

/** The outcome of a signature check. */
export type SignatureStatus = "valid" | "invalid" | "unsupported";

/** The result of checking one certificate against its issuer. */
export interface SignatureCheck {
  /** `valid`, `invalid` or `unsupported` (WebCrypto cannot check it). */
  status: SignatureStatus;
  /** Why, in one line (`ecdsa-with-SHA256 by P-256 key`, `ED448 is not in WebCrypto`, …). */
  reason: string;
}

const CURVE_SIZES: Record<string, number> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/** DER ECDSA-Sig-Value (RFC 3279 section 2.2.3) to WebCrypto's fixed-width r||s. */
function ecdsaRaw(sig: Uint8Array, size: number): Uint8Array | undefined {
  try {
    const r = new DerReader(sig, 0, "ECDSA signature");
    const seq = DerReader.inside(r.expect(TAG.SEQUENCE, "ECDSA signature"), "ECDSA signature");
    r.expectEmpty("ECDSA signature");
    const out = new Uint8Array(size * 2);
    for (let k = 0; k < 2; k++) {
      let v = seq.expect(TAG.INTEGER, "ECDSA signature").value;
      while (v.length > 1 && v[0] === 0) v = v.subarray(1);
      if (v.length > size) return undefined;
      out.set(v, k * size + size - v.length);
    }
    seq.expectEmpty("ECDSA signature");
    return out;
  } catch {
    return undefined;
  }
}

/** rsaEncryption AlgorithmIdentifier with NULL parameters (RFC 3279 section 2.3.1). */
const RSA_ENCRYPTION = Uint8Array.from(
  "300d06092a864886f70d0101010500".match(/../g)!,
  (h) => parseInt(h, 16),
);

/**
 * WebCrypto imports RSA keys only under rsaEncryption: an id-RSASSA-PSS key
 * (RFC 4055 section 1.2) is the same RSAPublicKey, so re-wrap its BIT STRING.
 */
function asRsaEncryptionSpki(spki: Uint8Array): Uint8Array {
  const r = DerReader.inside(new DerReader(spki).expect(TAG.SEQUENCE, "spki"), "spki");
  r.expect(TAG.SEQUENCE, "spki algorithm");
  const bits = r.expect(TAG.BIT_STRING, "subjectPublicKey").raw;
  return derElement(TAG.SEQUENCE, Uint8Array.from([...RSA_ENCRYPTION, ...bits]));
}

/**
 * Verifies `cert`'s signature with `issuer`'s public key (WebCrypto).
 * Supported: RSA PKCS#1 v1.5 and RSA-PSS with SHA-1/256/384/512, ECDSA on
 * P-256/P-384/P-521, Ed25519. Anything else is `unsupported`, never an error.
 *
 * @param cert the certificate whose signature is checked
 * @param issuer the certificate holding the signing key
 * @returns the status and a reason
 */
export async function verifySignature(
  cert: CertificateInfo,
  issuer: CertificateInfo,
): Promise<SignatureCheck> {
  const sig = cert.signature;
  const key = issuer.key;
  const hash = sig.hash;
  let importAlg: RsaHashedImportParams | EcKeyImportParams | Algorithm;
  let verifyAlg: Algorithm | RsaPssParams | EcdsaParams;
  let signature = cert.signatureValue;
  const hashOk = hash !== undefined && ["SHA-1", "SHA-256", "SHA-384", "SHA-512"].includes(hash);
  let spki = key.spki;
  if (/WithRSAEncryption$/.test(sig.name) && key.type === "RSA") {
    if (!hashOk) return { status: "unsupported", reason: `${sig.name} is not in WebCrypto` };
    importAlg = { name: "RSASSA-PKCS1-v1_5", hash };
    verifyAlg = { name: "RSASSA-PKCS1-v1_5" };
  } else if (sig.name === "rsassaPss" && (key.type === "RSA" || key.type === "RSA-PSS")) {
    if (!hashOk) {
      return { status: "unsupported", reason: `RSA-PSS with ${hash} is not in WebCrypto` };
    }
    if (key.type === "RSA-PSS") {
      try {
        spki = asRsaEncryptionSpki(spki);
      } catch {
        return { status: "unsupported", reason: "the issuer's RSA-PSS key is malformed" };
      }
    }
    importAlg = { name: "RSA-PSS", hash };
    verifyAlg = { name: "RSA-PSS", saltLength: sig.saltLength ?? 20 } as RsaPssParams;
  } else if (/^ecdsa-with-/.test(sig.name) && key.type === "EC") {
    const size = key.curve ? CURVE_SIZES[key.curve] : undefined;
    if (!size || !hashOk) {
      return { status: "unsupported", reason: `${sig.name} on ${key.curve} is not in WebCrypto` };
    }
    const raw = ecdsaRaw(signature, size);
    if (!raw) return { status: "invalid", reason: "the ECDSA signature is malformed" };
    signature = raw;
    importAlg = { name: "ECDSA", namedCurve: key.curve! };
    verifyAlg = { name: "ECDSA", hash } as EcdsaParams;
  } else if (sig.name === "ED25519" && key.type === "Ed25519") {
    importAlg = { name: "Ed25519" };
    verifyAlg = { name: "Ed25519" };
  } else {
    return {
      status: "unsupported",
      reason: `cannot check ${sig.name} with a ${key.type} key here`,
    };
  }
  let cryptoKey: CryptoKey;
  try {
    cryptoKey = await crypto.subtle.importKey("spki", new Uint8Array(spki), importAlg, false, [
      "verify",
    ]);
  } catch (e) {
    return {
      status: "unsupported",
      reason: `the issuer's ${key.type} key cannot be imported (${
        e instanceof Error ? e.message : e
      })`,
    };
  }
  try {
    const ok = await crypto.subtle.verify(
      verifyAlg,
      cryptoKey,
      new Uint8Array(signature),
      new Uint8Array(cert.tbs),
    );
    const by = `${sig.name}${sig.name === "rsassaPss" ? ` (${hash})` : ""} by ${key.type} ${
      key.curve ?? key.bits ?? ""
    }`.trim();
    return ok
      ? { status: "valid", reason: `signature verified: ${by}` }
      : { status: "invalid", reason: `signature does not verify: ${by}` };
  } catch (e) {
    return {
      status: "invalid",
      reason: `signature check failed: ${e instanceof Error ? e.message : e}`,
    };
  }
}

/** Whether `issuer` may have issued `cert`: names, then key identifiers when both exist. */
export function isIssuerOf(issuer: CertificateInfo, cert: CertificateInfo): boolean {
  if (nameKey(cert.issuer) !== nameKey(issuer.subject)) return false;
  if (cert.authorityKeyId && issuer.subjectKeyId) {
    return cert.authorityKeyId === issuer.subjectKeyId;
  }
  return true;
}

/** A chain in order and the certificates that did not fit in it. */
export interface OrderedChain {
  /** Leaf first, each next certificate the issuer of the one before. */
  chain: CertificateInfo[];
  /** Certificates that are not on the path from the leaf. */
  unused: CertificateInfo[];
}

/**
 * Orders certificates from leaf to root by names and key identifiers
 * (RFC 5280 section 6.1; TLS 1.3 allows any order after the leaf, RFC 8446
 * section 4.4.2). The leaf is the first certificate that issued none of the
 * others.
 *
 * @param certs certificates in any order (a server's list, a bundle)
 * @returns the ordered chain and the rest
 */
export function orderChain(certs: CertificateInfo[]): OrderedChain {
  if (certs.length === 0) return { chain: [], unused: [] };
  // Linear: certificates indexed by subject and by issuer name key (a name is
  // normalised once), so each lookup touches only certificates of that name.
  const bySubject = groupBy(certs, (c) => nameKey(c.subject));
  const byIssuer = groupBy(certs, (c) => nameKey(c.issuer));
  const issuesOther = (c: CertificateInfo) =>
    (byIssuer.get(nameKey(c.subject)) ?? []).some((o) =>
      o !== c && !o.selfSigned && isIssuerOf(c, o) && !isIssuerOf(o, c)
    );
  // Among certificates that issued none of the others, prefer one that is
  // neither self-signed nor a CA: a stray root in a bundle is not the leaf.
  const candidates = certs.filter((c) => !issuesOther(c));
  const leaf = candidates.find((c) => !c.selfSigned && !c.isCA) ??
    candidates.find((c) => !c.selfSigned) ?? candidates[0] ?? certs[0];
  const chain = [leaf];
  const used = new Set<CertificateInfo>([leaf]);
  let cur = leaf;
  while (!cur.selfSigned) {
    const next = (bySubject.get(nameKey(cur.issuer)) ?? []).find((c) =>
      !used.has(c) && isIssuerOf(c, cur)
    );
    if (!next) break;
    used.add(next);
    chain.push(next);
    cur = next;
  }
  return { chain, unused: certs.filter((c) => !used.has(c)) };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const g = m.get(k);
    if (g) g.push(t);
    else m.set(k, [t]);
  }
  return m;
}

/** The check of one link: certificate `index` against the next one (or a root). */
export interface LinkCheck {
  /** Position in the chain, 0 for the leaf. */
  index: number;
  /** RFC 2253 subject of this certificate. */
  subject: string;
  /** RFC 2253 issuer named by this certificate. */
  issuer: string;
  /** Where the issuer was found: the next certificate, a given root, itself, or nowhere. */
  issuerSource: "chain" | "root" | "self" | "missing";
  /** RFC 2253 subject of the issuing certificate, when found. */
  issuerSubject?: string;
  /** The issuer name equals the issuing certificate's subject. */
  nameMatch: boolean;
  /** AKI of this certificate equals SKI of the issuer; undefined when either is absent. */
  keyIdMatch?: boolean;
  /** The signature check, when an issuer was found. */
  signature?: SignatureCheck;
  /** The issuer has basicConstraints CA:TRUE (not checked for a self-signed leaf). */
  issuerIsCA?: boolean;
  /** Validity at `now` (`unreadable` when a malformed time could not be read). */
  validity: "valid" | "expired" | "not yet valid" | "unreadable";
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  /** Problems with this link, one line each. */
  problems: string[];
}

/** The checked chain. */
export interface ChainReport {
  /** One check per certificate, leaf first. */
  links: LinkCheck[];
  /** The chain ends in a self-signed certificate or a given root. */
  complete: boolean;
  /** The chain ends in one of the given roots. */
  anchored: boolean;
  /** Every link passed (names, signatures, validity, CA flags). */
  ok: boolean;
}

/**
 * Checks every link of an ordered chain.
 *
 * @param chain leaf first (see {@link orderChain})
 * @param options `now` for validity (pass it: the core reads no clock), `roots` to anchor the last link
 * @returns a report per link
 */
export async function verifyChain(
  chain: CertificateInfo[],
  options: { now: Date; roots?: CertificateInfo[] },
): Promise<ChainReport> {
  const links: LinkCheck[] = [];
  let anchored = false;
  let complete = false;
  const now = options.now.getTime();
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i];
    let issuer: CertificateInfo | undefined;
    let source: LinkCheck["issuerSource"] = "missing";
    if (i + 1 < chain.length) {
      issuer = chain[i + 1];
      source = "chain";
    } else if (c.selfSigned) {
      issuer = c;
      source = "self";
      complete = true;
      anchored = (options.roots ?? []).some((r) => r.sha256 === c.sha256 && c.sha256 !== "");
    } else {
      issuer = (options.roots ?? []).find((r) => isIssuerOf(r, c));
      if (issuer) {
        source = "root";
        complete = anchored = true;
      }
    }
    const nb = Date.parse(c.notBefore);
    const na = Date.parse(c.notAfter);
    const link: LinkCheck = {
      index: i,
      subject: c.subject.rfc2253,
      issuer: c.issuer.rfc2253,
      issuerSource: source,
      nameMatch: issuer ? namesEqual(c.issuer, issuer.subject) : false,
      validity: Number.isNaN(nb) || Number.isNaN(na)
        ? "unreadable"
        : now < nb
        ? "not yet valid"
        : now > na
        ? "expired"
        : "valid",
      daysLeft: Math.floor((na - now) / 86_400_000),
      problems: [],
    };
    if (link.validity !== "valid") {
      link.problems.push(
        link.validity === "unreadable"
          ? "the validity period cannot be read"
          : `${link.validity} (${c.notBefore} .. ${c.notAfter})`,
      );
    }
    if (issuer) {
      link.issuerSubject = issuer.subject.rfc2253;
      if (c.authorityKeyId && issuer.subjectKeyId) {
        link.keyIdMatch = c.authorityKeyId === issuer.subjectKeyId;
        if (!link.keyIdMatch) {
          link.problems.push(
            "authority key identifier does not match the issuer's subject key identifier",
          );
        }
      }
      if (!link.nameMatch) {
        link.problems.push("issuer name does not match the next certificate's subject");
      }
      link.signature = await verifySignature(c, issuer);
      if (link.signature.status === "invalid") link.problems.push(link.signature.reason);
      if (source !== "self" || i > 0) {
        link.issuerIsCA = issuer.isCA;
        if (!issuer.isCA && !(source === "self" && issuer.version < 3)) {
          link.problems.push(
            "the issuing certificate is not a CA (basicConstraints CA:TRUE missing)",
          );
        }
      }
    } else {
      link.problems.push(`issuer not found: ${c.issuer.rfc2253}`);
    }
    links.push(link);
  }
  return { links, complete, anchored, ok: links.every((l) => l.problems.length === 0) && complete };
}
