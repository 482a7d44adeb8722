/**
 * The probe report: what `tlsprobe probe` observed, as one versioned object
 * (DESIGN.md "Output contract"; schema in `probe.schema.json`), built purely
 * from the inspection {@link Observation}, the decoded chain and the trust
 * verdict of the runtime's verified connection.
 *
 * @module
 */
import type { Observation } from "../handshake/inspect.ts";
import { cipherSuiteByCode, formatCode } from "../registry/cipher_suites.ts";
import { groupByCode, groupName } from "../registry/groups.ts";
import { versionByCode, versionName } from "../registry/versions.ts";
import { decodeCertificateSync, decodeForDisplay } from "../x509/decode.ts";
import type { CertFinding } from "../x509/findings.ts";
import { DerReader } from "../x509/der.ts";
import { decodeName } from "../x509/name.ts";
import { matchIdentity } from "../x509/identity.ts";
import type { TlsprobeError } from "../errors.ts";
import type { Finding } from "./finding.ts";

export type { Finding, FindingValue, Severity } from "./finding.ts";
export type { HandshakeTimings, Observation, OfferedHello } from "../handshake/inspect.ts";

/** Where the probe connected. */
export interface ProbeTarget {
  /** The host name or address asked for. */
  host: string;
  /** The TCP port. */
  port: number;
  /** The IP address connected to. */
  address: string | null;
  /** The SNI sent, or null. */
  serverName: string | null;
  /** STARTTLS protocol, when one was used. */
  starttls: string | null;
}

/** The plaintext dialogue before TLS (`--starttls`). */
export interface ProbeStarttls {
  /** The protocol. */
  protocol: string;
  /** The server's greeting. */
  banner: string;
  /** What the server advertised before the upgrade. */
  capabilities: string[];
  /** What was said in clear (with `-v`). */
  transcript?: { from: "C" | "S"; text: string }[];
}

/** The negotiated cipher suite. */
export interface ProbeCipher {
  /** `0xC02F`. */
  code: string;
  /** The IANA name (or `0x%04X` when unknown). */
  iana: string;
  /** OpenSSL's name, when it has one. */
  openssl: string | null;
  /** Symmetric key bits. */
  bits: number | null;
  /** The version that defined the suite, as `openssl ciphers -v` prints it. */
  definedIn: string | null;
  /** Key exchange, as OpenSSL names it. */
  kx: string | null;
  /** Authentication. */
  au: string | null;
  /** Bulk cipher. */
  enc: string | null;
  /** MAC (`AEAD` for AEAD suites). */
  mac: string | null;
  /** The registry rating: recommended, secure, weak, insecure. */
  rating: string | null;
  /** Why it has that rating. */
  ratingReason: string | null;
}

/** The handshake as observed by the inspection client. */
export interface ProbeHandshake {
  /** OpenSSL's name (`TLSv1.3`). */
  version: string;
  /** The negotiated suite. */
  cipher: ProbeCipher;
  /** The key-exchange group (ECDHE, TLS 1.3) or finite-field DH size. */
  group: { name: string; code: string | null; bits: number | null } | null;
  /** Key exchange family: `ECDHE`, `DHE`, `RSA`, `other`. */
  keyExchange: string;
  /** The ALPN protocol chosen, or null. */
  alpn: string | null;
  /** `none`, or the compression method. */
  compression: string;
  /** The CertificateRequest: acceptable CA names (RFC 2253) and signature schemes, or null. */
  /** What the server asked of a client certificate, or false when it asked for none. */
  clientCertificateRequested: { caNames: string[]; signatureAlgorithms: string[] } | false;
  /** Whether an OCSP response was stapled. */
  ocspStapled: boolean;
  /** null when it could not be seen (TLS 1.3 server that closed before tickets). */
  sessionTicket: boolean | null;
  /** The HelloRetryRequest and the group it asked for, or null. */
  helloRetryRequest: { group: string | null } | null;
  /** The server's handshake signature: checked against the leaf's key. */
  signature: {
    message: string;
    scheme: string;
    valid: boolean | null;
    reason: string | null;
  } | null;
  /** TLS 1.3: the server Finished MAC verified. */
  finishedVerified: boolean | null;
  /**
   * Extended master secret acknowledged (RFC 7627); null in TLS 1.3, where the
   * key schedule always binds the transcript and the extension does not apply.
   */
  extendedMasterSecret: boolean | null;
  /** Secure renegotiation acknowledged (RFC 5746); null in TLS 1.3, which has no renegotiation. */
  secureRenegotiation: boolean | null;
}

/** One certificate of the chain as sent. */
export interface ProbeCertificate {
  /** Subject, RFC 2253. */
  subject: string;
  /** Issuer, RFC 2253. */
  issuer: string;
  /** The subject's common names. */
  commonNames: string[];
  /** DNS and IP subject alternative names. */
  sans: { dns: string[]; ip: string[] };
  /** Start of validity (ISO 8601). */
  notBefore: string;
  /** End of validity (ISO 8601). */
  notAfter: string;
  /** Serial number in upper-case hex. */
  serialNumber: string;
  /** The certificate's signature algorithm. */
  signatureAlgorithm: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex. */
  sha256: string;
  /** Public key type and size or curve. */
  key: { type: string; bits: number | null; curve: string | null };
  /** The certificate as PEM. */
  pem: string;
  /** Violations found while decoding it for display (absent when none). */
  findings?: CertFinding[];
}

/** The identity check of the leaf against the host name. */
export interface ProbeIdentity {
  /** The name matched (the SNI, else the host). */
  hostname: string;
  /** Whether it matched. */
  matched: boolean | null;
  /** The RFC 9525 rule that decided (`dns-san-exact`, `dns-san-wildcard`, `ip-san`, …). */
  rule: string;
  /** Why, in words. */
  reason: string;
}

/** The trust verdict, decided by rustls through the runtime. */
export interface ProbeTrust {
  /** true verified, false refused, null not checkable. */
  verified: boolean | null;
  /** The trust store: `platform`, `cafile`, `mozilla+cafile`, …. */
  store: string | null;
  /** The CA file given with `-a`. */
  caFile: string | null;
  /** Certificates in the CA file (or the platform bundle). */
  caCount: number | null;
  /** The stable error code when refused or not checkable. */
  code: string | null;
  /** Why, in words. */
  message: string | null;
}

/** The probe's body (the envelope adds schemaVersion, tool, command, outcome, error). */
export interface ProbeBody {
  /** Where the probe connected. */
  target: ProbeTarget;
  /** The STARTTLS dialogue, when one ran. */
  starttls?: ProbeStarttls;
  /** The handshake, or null when it failed. */
  handshake: ProbeHandshake | null;
  /** The chain as sent, leaf first. */
  certificates: ProbeCertificate[];
  /** The leaf against the host name, or null without a certificate. */
  identity: ProbeIdentity | null;
  /** The trust verdict, or null when not checked. */
  trust: ProbeTrust | null;
  /** What deserves attention, with severity. */
  findings: Finding[];
}

/**
 * What one probe gives its callers: the report body, the typed observation
 * of the inspection handshake when there was one, and the error when the
 * handshake could not be observed (never both an error and an observation).
 */
export interface ProbeOutcome {
  /** The report body. */
  body: ProbeBody;
  /** The failure, when the handshake could not be observed. */
  error?: TlsprobeError;
  /** What the inspection client saw. */
  observation?: Observation;
}

/**
 * The name of a compression method as the report spells it.
 *
 * @param method the method's code (0 is null compression, RFC 5246 §6.1)
 * @returns `none`, `deflate` (RFC 3749), or the code
 * @example
 * ```ts
 * import { compressionName } from "./probe.ts";
 * console.assert(compressionName(0) === "none" && compressionName(1) === "deflate");
 * ```
 */
export function compressionName(method: number): string {
  return method === 0 ? "none" : method === 1 ? "deflate" : String(method);
}

/** The inputs of {@link buildProbeBody} besides the observation. */
export interface ProbeFacts {
  /** Where the probe connected. */
  target: ProbeTarget;
  /** The host name to match (the SNI, else the host). */
  hostname: string;
  /** The trust verdict, or null when not checked. */
  trust: ProbeTrust | null;
  /** The current time, for validity findings. */
  now: Date;
}

function cipherOf(code: number): ProbeCipher {
  const s = cipherSuiteByCode(code);
  return {
    code: formatCode(code),
    iana: s?.iana ?? formatCode(code),
    openssl: s?.openssl ?? null,
    bits: s?.bits ?? null,
    definedIn: s?.definedIn ?? null,
    kx: s?.kx ?? null,
    au: s?.au ?? null,
    enc: s?.enc ?? null,
    mac: s?.mac ?? null,
    rating: s?.rating ?? null,
    ratingReason: s?.ratingReason ?? null,
  };
}

/**
 * A CA name from a CertificateRequest, as RFC 2253 text (or hex when it does
 * not decode).
 *
 * @param der the DER DistinguishedName
 * @returns the text
 */
export function caNameText(der: Uint8Array): string {
  try {
    return decodeName(new DerReader(der, 0, "certificate_authorities").any(), "name").rfc2253;
  } catch {
    return "#" + Array.from(der, (b) => b.toString(16).padStart(2, "0")).join("");
  }
}

/**
 * Decodes the chain for the report.
 *
 * @param ders the certificates, leaf first
 * @returns the report entries (certificates that do not decode are skipped)
 */
export async function describeChain(ders: Uint8Array[]): Promise<ProbeCertificate[]> {
  // Decoded side by side: each waits on WebCrypto for its fingerprints.
  const decoded = await Promise.all(ders.map((der) => decodeForDisplay(der).catch(() => null)));
  const out: ProbeCertificate[] = [];
  for (const c of decoded) {
    // A certificate whose outer frame cannot be read stays out of the
    // report; the chain length in the handshake still counts it.
    if (c) {
      out.push({
        subject: c.subject.rfc2253,
        issuer: c.issuer.rfc2253,
        commonNames: c.commonNames,
        sans: { dns: c.sans.dns, ip: c.sans.ip },
        notBefore: c.notBefore,
        notAfter: c.notAfter,
        serialNumber: c.serialNumber,
        signatureAlgorithm: c.signatureAlgorithm,
        sha256: c.sha256,
        key: { type: c.key.type, bits: c.key.bits ?? null, curve: c.key.curve ?? null },
        pem: c.pem,
        ...(c.findings.length ? { findings: c.findings } : {}),
      });
    }
  }
  return out;
}

/**
 * Builds the report body from an observation.
 *
 * @param obs what the inspection client saw
 * @param facts target, host name, trust verdict and the time
 * @returns the body
 */
export async function buildProbeBody(obs: Observation, facts: ProbeFacts): Promise<ProbeBody> {
  const kx = obs.keyExchange;
  const g = kx.group !== undefined ? groupByCode(kx.group) : undefined;
  const group = kx.group !== undefined
    ? { name: groupName(kx.group), code: formatCode(kx.group), bits: g?.bits ?? null }
    : kx.dhBits !== undefined
    ? { name: `DH ${kx.dhBits}`, code: null, bits: kx.dhBits }
    : null;
  const cr = obs.certificateRequest;
  const handshake: ProbeHandshake = {
    version: versionName(obs.version),
    cipher: cipherOf(obs.cipherSuite),
    group,
    keyExchange: kx.kind,
    alpn: obs.alpn ?? null,
    compression: compressionName(obs.compression),
    clientCertificateRequested: cr
      ? {
        caNames: cr.certificateAuthorities.map(caNameText),
        signatureAlgorithms: (cr.signatureAlgorithms ?? []).map((s) =>
          "0x" + s.toString(16).padStart(4, "0")
        ),
      }
      : false,
    ocspStapled: !!obs.ocspResponse,
    sessionTicket: obs.sessionTicket.offered,
    helloRetryRequest: obs.helloRetryRequest
      ? {
        group: obs.helloRetryRequest.selectedGroup !== undefined
          ? groupName(obs.helloRetryRequest.selectedGroup)
          : null,
      }
      : null,
    signature: obs.signature
      ? {
        message: obs.signature.message,
        scheme: obs.signature.scheme,
        valid: obs.signature.valid,
        reason: obs.signature.reason ?? null,
      }
      : null,
    finishedVerified: obs.finishedVerified ?? null,
    extendedMasterSecret: obs.version >= 0x0304 ? null : obs.serverHello.extendedMasterSecret,
    secureRenegotiation: obs.version >= 0x0304 ? null : obs.serverHello.secureRenegotiation,
  };
  // Signature schemes by name for people; codes stay in the hex form above when unknown.
  const certificates = await describeChain(obs.certificates);
  const leafInfo = obs.certificates[0] ? decodeLeaf(obs.certificates[0]) : undefined;
  const identity: ProbeIdentity | null = leafInfo
    ? (() => {
      const m = matchIdentity(leafInfo, facts.hostname);
      return { hostname: facts.hostname, matched: m.matched, rule: m.rule, reason: m.reason };
    })()
    : null;
  return {
    target: facts.target,
    handshake,
    certificates,
    identity,
    trust: facts.trust,
    findings: findingsOf(obs, handshake, certificates, facts),
  };
}

/** The leaf, decoded strictly, for the name check (which needs no fingerprints). */
function decodeLeaf(der: Uint8Array) {
  try {
    return decodeCertificateSync(der);
  } catch {
    return undefined;
  }
}

function findingsOf(
  obs: Observation,
  hs: ProbeHandshake,
  certs: ProbeCertificate[],
  facts: ProbeFacts,
): Finding[] {
  const f: Finding[] = [];
  const v = versionByCode(obs.version);
  if (v?.insecure) {
    f.push({ rule: "protocol-version", severity: "error", message: `${v.name}: ${v.reason}` });
  }
  if (hs.cipher.rating === "insecure" || hs.cipher.rating === "weak") {
    f.push({
      rule: "cipher-suite",
      severity: hs.cipher.rating === "insecure" ? "error" : "warning",
      message: `${
        hs.cipher.openssl ?? hs.cipher.iana
      } is ${hs.cipher.rating}: ${hs.cipher.ratingReason}`,
    });
  }
  if (obs.keyExchange.dhBits !== undefined && obs.keyExchange.dhBits < 2048) {
    f.push({
      rule: "dh-size",
      severity: "error",
      message: `DHE prime of ${obs.keyExchange.dhBits} bits is below 2048 (Logjam)`,
    });
  }
  if (obs.compression !== 0) {
    f.push({ rule: "compression", severity: "error", message: "TLS compression is on (CRIME)" });
  }
  if (obs.signature?.valid === false) {
    f.push({
      rule: "handshake-signature",
      severity: "error",
      message:
        `The server's ${obs.signature.message} signature does not verify with the leaf's key`,
    });
  }
  if (obs.finishedVerified === false) {
    f.push({ rule: "finished", severity: "error", message: "The server Finished MAC is wrong" });
  }
  if (obs.version < 0x0304 && !obs.serverHello.secureRenegotiation) {
    f.push({
      rule: "secure-renegotiation",
      severity: "warning",
      message: "The server does not support secure renegotiation (RFC 5746)",
    });
  }
  const leaf = certs[0];
  if (leaf) {
    if (leaf.key.type.startsWith("RSA") && leaf.key.bits !== null && leaf.key.bits < 2048) {
      f.push({ rule: "key-size", severity: "error", message: `RSA key of ${leaf.key.bits} bits` });
    }
    const now = facts.now.getTime();
    if (Date.parse(leaf.notAfter) < now) {
      f.push({ rule: "validity", severity: "error", message: `Expired on ${leaf.notAfter}` });
    } else if (Date.parse(leaf.notBefore) > now) {
      f.push({
        rule: "validity",
        severity: "error",
        message: `Not valid before ${leaf.notBefore}`,
      });
    }
  }
  if (obs.undecrypted) {
    f.push({ rule: "tls13-undecrypted", severity: "info", message: obs.undecrypted });
  }
  if (facts.trust?.verified === null && facts.trust.message) {
    f.push({ rule: "trust-uncheckable", severity: "warning", message: facts.trust.message });
  }
  return f;
}
