/**
 * Making certificates: a local CA, a server leaf and a client certificate
 * (`tlsprobe certs init`), with WebCrypto keys (RSA 2048 or ECDSA P-256) and
 * the ASN.1 schemas of `@peculiar/asn1-x509` for the encoding.
 *
 * The leaf is what strict verifiers (rustls/webpki) accept: X.509 v3,
 * basicConstraints CA:FALSE, keyUsage, extendedKeyUsage, subjectAltName with
 * every name (RFC 9525 ignores the CN), key identifiers (RFC 5280 section 4.2.1.1/2).
 * Pure: randomness from WebCrypto, the clock passed in.
 *
 * @module
 */
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from "@peculiar/asn1-x509";
import { TlsprobeError } from "../errors.ts";
import { DerReader, TAG } from "./der.ts";
import { type CertificateInfo, decodeCertificate } from "./decode.ts";
import { formatIp, parseIp, toALabels } from "./identity.ts";
import { toPem } from "./pem.ts";

/** Key types `certs init` makes. */
export const KEY_KINDS = ["rsa2048", "ecdsa-p256"] as const;
/** A key type: what `certs init` makes, and a weak RSA 1024 for the test lab. */
export type KeyKind = typeof KEY_KINDS[number] | "rsa1024";

/** A key pair with its public key's SubjectPublicKeyInfo DER. */
export interface GeneratedKey {
  /** The key type. */
  kind: KeyKind;
  /** The WebCrypto private key (extractable). */
  privateKey: CryptoKey;
  /** The public key's SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  pem: string;
}

/**
 * Generates a key pair with WebCrypto.
 *
 * @param kind `rsa2048` (RSASSA-PKCS1-v1_5, e=65537) or `ecdsa-p256`
 * @returns the key, its SPKI and its PKCS#8 PEM
 */
export async function generateKey(kind: KeyKind): Promise<GeneratedKey> {
  const alg = kind !== "ecdsa-p256"
    ? {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: kind === "rsa1024" ? 1024 : 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    }
    : { name: "ECDSA", namedCurve: "P-256" };
  const pair = await crypto.subtle.generateKey(alg, true, ["sign", "verify"]) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return { kind, privateKey: pair.privateKey, spki, pem: toPem(pkcs8, "PRIVATE KEY") };
}

/** One attribute of a subject: `["CN", "localhost"]`. */
export type NamePart = ["C" | "O" | "OU" | "CN", string];

const NAME_OIDS = { C: "2.5.4.6", O: "2.5.4.10", OU: "2.5.4.11", CN: "2.5.4.3" };

function buildName(parts: NamePart[]): Name {
  return new Name(parts.map(([t, v]) =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({
        type: NAME_OIDS[t],
        // RFC 5280 section 4.1.2.4: countryName is a PrintableString; the rest UTF8String.
        value: new AttributeValue(t === "C" ? { printableString: v } : { utf8String: v }),
      }),
    ])
  ));
}

function ext(oid: string, critical: boolean, value: unknown): Extension {
  return new Extension({
    extnID: oid,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(value)),
  });
}

/** RFC 5280 section 4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
async function keyId(spki: Uint8Array): Promise<Uint8Array> {
  const r = DerReader.inside(new DerReader(spki).expect(TAG.SEQUENCE, "spki"), "spki");
  r.expect(TAG.SEQUENCE, "spki algorithm");
  const bits = r.expect(TAG.BIT_STRING, "subjectPublicKey").value.subarray(1);
  return new Uint8Array(await crypto.subtle.digest("SHA-1", new Uint8Array(bits)));
}

/** WebCrypto's r||s to DER ECDSA-Sig-Value (RFC 3279 section 2.2.3). */
function ecdsaDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return v[0] & 0x80 ? [2, v.length + 1, 0, ...v] : [2, v.length, ...v];
  };
  const body = [...int(raw.subarray(0, half)), ...int(raw.subarray(half))];
  return Uint8Array.from([0x30, body.length, ...body]);
}

/** What a certificate is for. */
export interface IssueOptions {
  /** The subject name, in order. */
  subject: NamePart[];
  /** The subject's public key (SPKI DER). */
  spki: Uint8Array;
  /** The issuer: its name and key; absent for a self-signed certificate (then `signer` is the subject's own key). */
  issuer?: { subject: NamePart[]; spki: Uint8Array };
  /** The key that signs: the issuer's, or the subject's own when self-signed. */
  signer: GeneratedKey;
  /** Start of validity. */
  notBefore: Date;
  /** End of validity. */
  notAfter: Date;
  /** A CA certificate (CA:TRUE, keyCertSign) or an end entity (CA:FALSE). */
  ca: boolean;
  /** DNS names for subjectAltName. */
  dns?: string[];
  /** IP addresses for subjectAltName. */
  ips?: string[];
  /** Extended key usage OIDs. */
  eku?: string[];
  /** Sign with SHA-1 (a deliberately weak certificate for the test lab); default SHA-256. */
  sha1?: boolean;
}

/**
 * Issues one X.509 v3 certificate.
 *
 * @param o subject, keys, validity and role
 * @returns the certificate's DER
 */
export async function issueCertificate(o: IssueOptions): Promise<Uint8Array> {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] & 0x7f) || 1; // positive, no leading zero (RFC 5280 section 4.1.2.2)
  const rsa = o.signer.kind !== "ecdsa-p256";
  // sha256WithRSAEncryption / sha1WithRSAEncryption, ecdsa-with-SHA256 / ecdsa-with-SHA1.
  const sigAlg = rsa
    ? new AlgorithmIdentifier({
      algorithm: o.sha1 ? "1.2.840.113549.1.1.5" : "1.2.840.113549.1.1.11",
      parameters: new Uint8Array([5, 0]).buffer,
    })
    : new AlgorithmIdentifier({ algorithm: o.sha1 ? "1.2.840.10045.4.1" : "1.2.840.10045.4.3.2" });
  // A WebCrypto RSA key is bound to its hash: SHA-1 needs the key imported again.
  const signKey = rsa && o.sha1
    ? await crypto.subtle.importKey(
      "pkcs8",
      await crypto.subtle.exportKey("pkcs8", o.signer.privateKey),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-1" },
      false,
      ["sign"],
    )
    : o.signer.privateKey;
  const ski = await keyId(o.spki);
  const aki = await keyId(o.issuer?.spki ?? o.spki);
  const ku = o.ca
    ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature
    : KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment;
  const extensions = [
    ext("2.5.29.19", true, new BasicConstraints({ cA: o.ca })),
    ext("2.5.29.15", true, new KeyUsage(ku)),
  ];
  if (o.eku?.length) extensions.push(ext("2.5.29.37", false, new ExtendedKeyUsage(o.eku)));
  const names = [
    ...(o.dns ?? []).map((d) => new GeneralName({ dNSName: d })),
    ...(o.ips ?? []).map((i) => new GeneralName({ iPAddress: i })),
  ];
  if (names.length) extensions.push(ext("2.5.29.17", false, new SubjectAlternativeName(names)));
  extensions.push(ext("2.5.29.14", false, new SubjectKeyIdentifier(ski)));
  if (o.issuer) {
    extensions.push(
      ext(
        "2.5.29.35",
        false,
        new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(aki) }),
      ),
    );
  }
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial.buffer,
    signature: sigAlg,
    issuer: buildName(o.issuer?.subject ?? o.subject),
    validity: new Validity({ notBefore: o.notBefore, notAfter: o.notAfter }),
    subject: buildName(o.subject),
    subjectPublicKeyInfo: AsnConvert.parse(o.spki, SubjectPublicKeyInfo),
    extensions: new Extensions(extensions),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const sig = new Uint8Array(
    await crypto.subtle.sign(
      rsa ? { name: "RSASSA-PKCS1-v1_5" } : { name: "ECDSA", hash: o.sha1 ? "SHA-1" : "SHA-256" },
      signKey,
      tbsDer,
    ),
  );
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: sigAlg,
    signatureValue: (rsa ? sig : ecdsaDer(sig)).slice().buffer,
  });
  return new Uint8Array(AsnConvert.serialize(cert));
}

/** Options of {@link generatePki}. */
export interface PkiOptions {
  /** DNS names of the server (default `localhost`). */
  names?: string[];
  /** IP addresses of the server (default `127.0.0.1` and `::1` when no names nor IPs are given). */
  ips?: string[];
  /** Key type of all three certificates (default `ecdsa-p256`). */
  key?: KeyKind;
  /** Validity of the server and client certificates in days (the CA gets at least ten years). */
  days?: number;
  /** The current time (the core reads no clock). */
  now: Date;
}

/** A file to write: its name in the directory, its text, and whether it holds a private key. */
export interface PkiFile {
  /** File name in the directory. */
  name: string;
  /** PEM text. */
  content: string;
  /** Holds a private key: write it with mode 0600. */
  secret: boolean;
}

/** What {@link generatePki} made. */
export interface Pki {
  /** The files to write. */
  files: PkiFile[];
  /** The CA certificate, decoded. */
  ca: CertificateInfo;
  /** The server certificate, decoded. */
  server: CertificateInfo;
  /** The client certificate, decoded. */
  client: CertificateInfo;
}

/**
 * Makes a CA, a server certificate and a client certificate in the book's
 * layout: `ca.crt`, `ca.key`, `localhost.crt`, `localhost.key`,
 * `localhost.pem` (certificate then key), `client.crt`, `client.key`,
 * `client.pem`.
 *
 * @param o names, IPs, key type, days, now
 * @returns the files and the decoded certificates
 * @throws TlsprobeError `BAD_INPUT` for a bad name, IP or day count
 */
export async function generatePki(o: PkiOptions): Promise<Pki> {
  const days = o.days ?? 825;
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new TlsprobeError("BAD_INPUT", `Days ${days} is not a whole number from 1 to 36500`);
  }
  const names = (o.names ?? []).map((n) => {
    const a = n.startsWith("*.") ? toALabels(n.slice(2)) : toALabels(n);
    if (a === undefined) {
      throw new TlsprobeError("BAD_INPUT", `Name ${JSON.stringify(n)} is not a DNS name`);
    }
    return n.startsWith("*.") ? "*." + a : a;
  });
  const ips = (o.ips ?? []).map((i) => {
    const b = parseIp(i);
    if (!b) {
      throw new TlsprobeError(
        "BAD_INPUT",
        `IP ${JSON.stringify(i)} is not an IPv4 or IPv6 address`,
      );
    }
    return formatIp(b);
  });
  if (names.length === 0 && ips.length === 0) {
    names.push("localhost");
    ips.push("127.0.0.1", "::1");
  }
  const kind = o.key ?? "ecdsa-p256";
  const [caKey, serverKey, clientKey] = await Promise.all([
    generateKey(kind),
    generateKey(kind),
    generateKey(kind),
  ]);
  const org: NamePart = ["O", "tlsprobe local PKI (do not trust)"];
  const caName: NamePart[] = [org, ["CN", "tlsprobe local CA"]];
  // A little slack for clocks that run behind.
  const notBefore = new Date(o.now.getTime() - 3600_000);
  const dayMs = 86_400_000;
  const caDer = await issueCertificate({
    subject: caName,
    spki: caKey.spki,
    signer: caKey,
    notBefore,
    notAfter: new Date(o.now.getTime() + Math.max(days, 3650) * dayMs),
    ca: true,
  });
  const issuer = { subject: caName, spki: caKey.spki };
  const leafNotAfter = new Date(o.now.getTime() + days * dayMs);
  const serverDer = await issueCertificate({
    subject: [org, ["CN", names[0] ?? ips[0]]],
    spki: serverKey.spki,
    issuer,
    signer: caKey,
    notBefore,
    notAfter: leafNotAfter,
    ca: false,
    dns: names,
    ips,
    eku: ["1.3.6.1.5.5.7.3.1"],
  });
  const clientDer = await issueCertificate({
    subject: [org, ["CN", "tlsprobe client"]],
    spki: clientKey.spki,
    issuer,
    signer: caKey,
    notBefore,
    notAfter: leafNotAfter,
    ca: false,
    eku: ["1.3.6.1.5.5.7.3.2"],
  });
  const [ca, server, client] = await Promise.all(
    [caDer, serverDer, clientDer].map((d) => decodeCertificate(d)),
  );
  const files: PkiFile[] = [
    { name: "ca.crt", content: ca.pem, secret: false },
    { name: "ca.key", content: caKey.pem, secret: true },
    { name: "localhost.crt", content: server.pem, secret: false },
    { name: "localhost.key", content: serverKey.pem, secret: true },
    { name: "localhost.pem", content: server.pem + serverKey.pem, secret: true },
    { name: "client.crt", content: client.pem, secret: false },
    { name: "client.key", content: clientKey.pem, secret: true },
    { name: "client.pem", content: client.pem + clientKey.pem, secret: true },
  ];
  return { files, ca, server, client };
}
