/**
 * The lab engine's client authentication: the CertificateRequest it sends
 * (RFC 5246 §7.4.4 with certificate types, signature schemes and CA names;
 * RFC 8446 §4.3.2 with signature_algorithms and certificate_authorities), the
 * client's chain checked against the configured CAs (names, signatures,
 * validity, CA flags, and extendedKeyUsage clientAuth when the leaf has one),
 * and its CertificateVerify (RFC 5246 §7.4.8, RFC 8446 §4.4.3; TLS 1.0/1.1:
 * RSA over MD5 ‖ SHA-1, ECDSA over SHA-1).
 *
 * Each refusal carries the alert a server sends: `certificate_required`
 * (TLS 1.3) or `handshake_failure` (TLS 1.0–1.2) for a required certificate
 * that did not come, `unknown_ca`, `certificate_expired` or `bad_certificate`
 * for a chain that does not verify, `decrypt_error` for a signature that does
 * not. Not constant-time: a test server.
 *
 * @module
 */
import { type ErrorCode, TlsprobeError } from "../errors.ts";
import { concat, Reader, Writer } from "../wire/codec.ts";
import { encodeCertificateRequest } from "../wire/encode.ts";
import type { Extension } from "../wire/extensions.ts";
import { type CertificateMessage, parseCertificate } from "../wire/messages.ts";
import { EXT } from "../registry/extensions.ts";
import { TLS1_2, TLS1_3 } from "../registry/versions.ts";
import { type CertificateInfo, decodeCertificate } from "../x509/decode.ts";
import { verifyChain } from "../x509/chain.ts";
import { rsaPublicKeyOfSpki } from "../x509/extensions.ts";
import type { PeerCertificate } from "../report/server_report.ts";
import { verifyHandshakeSignature } from "./signature.ts";
import { fromBigInt, modPow, toBigInt } from "./key_exchange.ts";
import { digest } from "./key_schedule.ts";
import { md5Digest } from "./prf.ts";

export type { PeerCertificate };

/** Client-certificate settings of a lab server. */
export interface LabClientAuth {
  /** The CA certificates (DER) that may sign a client's certificate; their subjects are the CA names sent. */
  roots: Uint8Array[];
  /** Refuse a client that sends no certificate (`require`); otherwise only a bad one is refused. */
  required: boolean;
  /** The clock for validity checks, ms (default: the host's). */
  now?: () => number;
}

/** Schemes accepted in a TLS 1.2 client CertificateVerify, preferred first. */
const SCHEMES_12 = [
  0x0804,
  0x0805,
  0x0806,
  0x0403,
  0x0503,
  0x0603,
  0x0807,
  0x0401,
  0x0501,
  0x0601,
  0x0203,
  0x0201,
];
/** TLS 1.3 leaves out PKCS#1 v1.5 and SHA-1 (RFC 8446 §4.2.3). */
const SCHEMES_13 = [0x0804, 0x0805, 0x0806, 0x0403, 0x0503, 0x0603, 0x0807];

function refuse(code: ErrorCode, alert: number, message: string, detail = {}): TlsprobeError {
  return new TlsprobeError(code, message, { ...detail, sendAlert: alert });
}

const decodedRoots = new WeakMap<Uint8Array[], Promise<CertificateInfo[]>>();

function rootsOf(auth: LabClientAuth): Promise<CertificateInfo[]> {
  let p = decodedRoots.get(auth.roots);
  if (!p) {
    p = Promise.all(auth.roots.map((der) => decodeCertificate(der)));
    decodedRoots.set(auth.roots, p);
  }
  return p;
}

/**
 * The CertificateRequest body for a version: RSA and ECDSA certificate types
 * (before TLS 1.3), the schemes this server checks, and the CAs' subjects.
 *
 * @param auth the client-certificate settings
 * @param version the negotiated version
 * @returns the body
 */
export async function certificateRequestBody(
  auth: LabClientAuth,
  version: number,
): Promise<Uint8Array> {
  const names = (await rootsOf(auth)).map((r) => r.subject.der);
  if (version >= TLS1_3) {
    const sa = new Writer().lengthPrefixed(2, (w) => SCHEMES_13.forEach((s) => w.u16(s)))
      .finish();
    const extensions: Extension[] = [{ type: EXT.signatureAlgorithms, data: sa, offset: 0 }];
    if (names.length) {
      extensions.push({
        type: EXT.certificateAuthorities,
        data: new Writer().lengthPrefixed(2, (w) => names.forEach((n) => w.vec16(n))).finish(),
        offset: 0,
      });
    }
    return encodeCertificateRequest(
      { context: new Uint8Array(0), extensions, certificateAuthorities: [] },
      version,
    );
  }
  return encodeCertificateRequest({
    certificateTypes: [1, 64], // rsa_sign, ecdsa_sign (RFC 8422 §5.5)
    signatureAlgorithms: SCHEMES_12,
    certificateAuthorities: names,
  }, version);
}

/**
 * Reads the client's Certificate message and checks the chain it carries.
 *
 * @param auth the client-certificate settings
 * @param version the negotiated version
 * @param body the Certificate message body
 * @param offset its offset in the stream, for errors
 * @returns the leaf (DER) and its description, or undefined when the client sent none and none is required
 * @throws TlsprobeError CLIENT_CERT_REQUIRED, CLIENT_CERT_REJECTED, PEER_MALFORMED (with the alert to send)
 */
export async function checkClientCertificate(
  auth: LabClientAuth,
  version: number,
  body: Uint8Array,
  offset: number,
): Promise<{ leaf: Uint8Array; peer: PeerCertificate } | undefined> {
  const msg: CertificateMessage = parseCertificate(body, version >= TLS1_3, offset);
  if (msg.context?.length) {
    throw refuse(
      "PEER_MALFORMED",
      47,
      "The client's Certificate carries a request context the server did not send (illegal_parameter)",
    );
  }
  if (!msg.entries.length) {
    if (!auth.required) return undefined;
    throw refuse(
      "CLIENT_CERT_REQUIRED",
      version >= TLS1_3 ? 116 : 40,
      `The client sent no certificate; this server requires one signed by ${
        (await rootsOf(auth)).map((r) => r.subject.rfc2253).join(" or ") || "its CA"
      }`,
    );
  }
  let chain: CertificateInfo[];
  try {
    chain = await Promise.all(msg.entries.map((e) => decodeCertificate(e.der)));
  } catch (e) {
    throw refuse(
      "CLIENT_CERT_REJECTED",
      42,
      `The client's certificate cannot be decoded (bad_certificate): ${(e as Error).message}`,
    );
  }
  const leaf = chain[0];
  const report = await verifyChain(chain, {
    now: new Date((auth.now ?? Date.now)()),
    roots: await rootsOf(auth),
  });
  const problems = report.links.flatMap((l) => [
    ...l.problems,
    ...(l.signature && l.signature.status !== "valid"
      ? [`signature ${l.signature.status}: ${l.signature.reason}`]
      : []),
  ]);
  const eku = leaf.extendedKeyUsage;
  if (eku && !eku.some((u) => /client ?auth|Client Authentication|any/i.test(u))) {
    problems.push(`its extendedKeyUsage (${eku.join(", ")}) does not allow client authentication`);
  }
  const peer: PeerCertificate = {
    subject: leaf.subject.rfc2253,
    issuer: leaf.issuer.rfc2253,
    names: [
      ...leaf.sans.dns.map((n) => `DNS:${n}`),
      ...leaf.sans.ip.map((n) => `IP Address:${n}`),
      ...leaf.sans.email.map((n) => `email:${n}`),
    ],
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    sha256: leaf.sha256,
    chain: chain.map((c) => c.subject.rfc2253),
    verified: report.anchored && problems.length === 0,
  };
  if (!report.anchored) {
    throw refuse(
      "CLIENT_CERT_REJECTED",
      48,
      `The client's certificate (${peer.subject}, issued by ${peer.issuer}) does not chain to a CA of this server (unknown_ca)`,
      { clientCertificate: peer },
    );
  }
  if (problems.length) {
    const expired = report.links.some((l) => l.validity === "expired");
    throw refuse(
      "CLIENT_CERT_REJECTED",
      expired ? 45 : 42,
      `The client's certificate (${peer.subject}) does not verify (${
        expired ? "certificate_expired" : "bad_certificate"
      }): ${problems.join("; ")}`,
      { clientCertificate: peer },
    );
  }
  return { leaf: leaf.der, peer };
}

/** TLS 1.0/1.1 RSA: the signature opens to type 1 padding over MD5 ‖ SHA-1 (RFC 2246 §7.4.8). */
async function verifyMd5Sha1(
  leafDer: Uint8Array,
  signature: Uint8Array,
  signed: Uint8Array,
): Promise<boolean> {
  const info = await decodeCertificate(leafDer);
  if (info.key.type !== "RSA") return false;
  const { modulus, exponent } = rsaPublicKeyOfSpki(info.key.spki);
  const n = toBigInt(modulus), e = toBigInt(exponent);
  const k = Math.ceil(n.toString(16).length / 2);
  const s = toBigInt(signature);
  if (signature.length !== k || s >= n) return false;
  const em = fromBigInt(modPow(s, e, n), k);
  const t = concat(await md5Digest(signed), await digest("SHA-1", signed));
  if (em[0] !== 0 || em[1] !== 1 || em[k - t.length - 1] !== 0) return false;
  for (let i = 2; i < k - t.length - 1; i++) if (em[i] !== 0xff) return false;
  return t.every((b, i) => em[k - t.length + i] === b);
}

/**
 * Checks the client's CertificateVerify over the transcript so far.
 *
 * @param version the negotiated version
 * @param leaf the client's certificate (DER)
 * @param body the CertificateVerify body
 * @param offset its offset, for errors
 * @param transcript TLS 1.0–1.2: the handshake messages so far; TLS 1.3: their hash
 * @returns the scheme used (undefined before TLS 1.2)
 * @throws TlsprobeError HANDSHAKE_FAILURE (decrypt_error, illegal_parameter), PEER_MALFORMED
 */
export async function checkClientVerify(
  version: number,
  leaf: Uint8Array,
  body: Uint8Array,
  offset: number,
  transcript: Uint8Array,
): Promise<number | undefined> {
  const r = new Reader(body, offset);
  const scheme = version >= TLS1_2 ? r.u16("certificate_verify.algorithm") : undefined;
  const signature = r.vec16("certificate_verify.signature", 1);
  r.expectEmpty("certificate_verify");
  let valid: boolean | null;
  let reason = "";
  if (scheme === undefined) {
    const key = (await decodeCertificate(leaf)).key.type;
    if (key === "RSA") valid = await verifyMd5Sha1(leaf, signature, transcript);
    else {
      const v = await verifyHandshakeSignature(leaf, 0x0203, signature, transcript);
      valid = v.valid;
      reason = v.reason ?? "";
    }
  } else {
    if (!(version >= TLS1_3 ? SCHEMES_13 : SCHEMES_12).includes(scheme)) {
      throw refuse(
        "HANDSHAKE_FAILURE",
        47,
        `The client signed with scheme 0x${
          scheme.toString(16).padStart(4, "0")
        }, which this server did not offer (illegal_parameter)`,
      );
    }
    const signed = version >= TLS1_3
      ? concat(
        new Uint8Array(64).fill(0x20),
        new TextEncoder().encode("TLS 1.3, client CertificateVerify"),
        Uint8Array.of(0),
        transcript,
      )
      : transcript;
    const v = await verifyHandshakeSignature(leaf, scheme, signature, signed);
    valid = v.valid;
    reason = v.reason ?? "";
  }
  if (valid !== true) {
    throw refuse(
      "HANDSHAKE_FAILURE",
      51,
      `The client's CertificateVerify does not verify with its certificate's key (decrypt_error)${
        reason ? `: ${reason}` : ""
      }`,
    );
  }
  return scheme;
}
