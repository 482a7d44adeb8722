/**
 * Text rendering of certificates and chains for `tlsprobe cert`: a summary
 * (subject, issuer, validity with days left, names, key, each chain link) and a
 * full view. Pure: returns lines; the CLI prints and colours them.
 *
 * @module
 */
import type { ChainReport, LinkCheck } from "../x509/chain.ts";
import type { CertificateInfo } from "../x509/decode.ts";
import type { IdentityMatch } from "../x509/identity.ts";

/** Options of {@link renderCertificates}. */
export interface CertTextOptions {
  /** The chain came from a server (`cert HOST:PORT`), not from a file. */
  fromServer?: boolean;
  /** The full view: every decoded field. */
  verbose?: boolean;
  /** The instant validity is judged at. */
  now: Date;
  /** Identity result to print under the leaf. */
  identity?: IdentityMatch;
}

/** `CN` values, or the RFC 2253 form when there is no CN. */
export function shortName(c: CertificateInfo, which: "subject" | "issuer" = "subject"): string {
  const cn = c[which].rdns.flat().filter((a) => a.oid === "2.5.4.3").map((a) => a.value);
  return cn.length ? cn.join(", ") : c[which].rfc2253 || "(empty name)";
}

/**
 * The one-line form Twisted prints for a certificate:
 * `<Certificate Subject=www.example.com Issuer=R3>`.
 */
export function certificateRepr(c: CertificateInfo): string {
  return `<Certificate Subject=${shortName(c)} Issuer=${shortName(c, "issuer")}>`;
}

/** The names a certificate is for, `DNS:a, IP:b, …`. */
export function namesLine(c: CertificateInfo): string {
  const names = [
    ...c.sans.dns.map((d) => `DNS:${d}`),
    ...c.sans.ip.map((i) => `IP:${i}`),
    ...c.sans.email.map((e) => `email:${e}`),
    ...c.sans.uri.map((u) => `URI:${u}`),
    ...c.sans.other,
  ];
  if (names.length) return names.join(", ");
  return c.commonNames.length ? `(no SAN; CN ${c.commonNames.join(", ")})` : "(none)";
}

/** `EC P-256`, `RSA 2048 bits`, `Ed25519`, `EC explicit parameters (256 bits)`, `DSA 2048 bits`. */
export function keyLine(c: CertificateInfo): string {
  const k = c.key;
  if (k.curve) {
    return k.bits && !/\d/.test(k.curve)
      ? `${k.type} ${k.curve} (${k.bits} bits)`
      : `${k.type} ${k.curve}`;
  }
  if (k.bits && !/^(Ed|X)\d/.test(k.type)) return `${k.type} ${k.bits} bits`;
  return k.type;
}

/**
 * The findings of one certificate, one line each:
 * `Finding  error x509.duplicate-extension: … [RFC 5280 section 4.2]`.
 */
export function findingLines(c: CertificateInfo): string[] {
  return c.findings.map((f) =>
    `  ${"Finding".padEnd(15)}${f.severity} ${f.rule}: ${f.message} [${f.clause}]`
  );
}

function validityLine(c: CertificateInfo, now: Date): string {
  const na = Date.parse(c.notAfter);
  const nb = Date.parse(c.notBefore);
  if (Number.isNaN(na) || Number.isNaN(nb)) {
    return `${c.notBefore || "(unreadable)"} .. ${c.notAfter || "(unreadable)"} (validity unknown)`;
  }
  const days = Math.floor((na - now.getTime()) / 86_400_000);
  const state = now.getTime() < nb
    ? `NOT YET VALID (starts in ${Math.ceil((nb - now.getTime()) / 86_400_000)} days)`
    : days < 0
    ? `EXPIRED ${-days} days ago`
    : `${days} days left`;
  return `${c.notBefore} .. ${c.notAfter} (${state})`;
}

function role(i: number, n: number, c: CertificateInfo): string {
  if (n === 1) return c.selfSigned ? "self-signed" : "single certificate";
  if (i === 0) return "leaf";
  return c.selfSigned ? "root" : "intermediate";
}

function linkLine(l: LinkCheck, where: string): string {
  const parts: string[] = [];
  if (l.issuerSource === "missing") {
    parts.push(`issuer ${where}: ${l.issuer}`);
  } else {
    const by = l.issuerSource === "self"
      ? "self-signed"
      : l.issuerSource === "root"
      ? `issued by given root ${l.issuerSubject}`
      : `issued by #${l.index + 1}`;
    parts.push(by);
    parts.push(l.nameMatch ? "names match" : "NAMES DIFFER");
    if (l.keyIdMatch !== undefined) parts.push(l.keyIdMatch ? "key ids match" : "KEY IDS DIFFER");
    if (l.signature) {
      parts.push(
        l.signature.status === "valid"
          ? "signature valid"
          : l.signature.status === "invalid"
          ? "SIGNATURE INVALID"
          : `signature not checked (${l.signature.reason})`,
      );
    }
    if (l.issuerIsCA === false) parts.push("ISSUER IS NOT A CA");
  }
  parts.push(l.validity === "valid" ? `valid, ${l.daysLeft} days left` : l.validity.toUpperCase());
  const subject = l.subject || "(empty subject)";
  return `  #${l.index} ${subject}\n      ${parts.join("; ")}`;
}

function detail(c: CertificateInfo): string[] {
  const rows: [string, string | undefined][] = [
    ["Version", String(c.version)],
    ["Serial", c.serialNumber],
    [
      "Signature",
      c.signature.hash && c.signature.name === "rsassaPss"
        ? `${c.signatureAlgorithm} (${c.signature.hash}, salt ${c.signature.saltLength})`
        : c.signatureAlgorithm,
    ],
    [
      "Key",
      `${keyLine(c)}${c.key.exponent ? `, e=${c.key.exponent}` : ""}${
        c.key.algorithm !== c.key.type ? ` (${c.key.algorithm})` : ""
      }`,
    ],
    [
      "Basic constr.",
      c.basicConstraints
        ? `CA:${c.basicConstraints.ca ? "TRUE" : "FALSE"}${
          c.basicConstraints.pathLen !== undefined ? `, pathlen:${c.basicConstraints.pathLen}` : ""
        }${c.basicConstraints.critical ? " (critical)" : ""}`
        : undefined,
    ],
    ["Key usage", c.keyUsage?.join(", ")],
    ["Ext. key usage", c.extendedKeyUsage?.join(", ")],
    ["Subject key id", c.subjectKeyId],
    ["Authority key", c.authorityKeyId],
    ["OCSP", c.aia.ocsp.join(", ") || undefined],
    ["CA issuers", c.aia.caIssuers.join(", ") || undefined],
    ["CRL", c.crlDistributionPoints.join(", ") || undefined],
    ["Policies", c.policies.join(", ") || undefined],
    ["SCTs", c.sctCount !== undefined ? String(c.sctCount) : undefined],
    [
      "Extensions",
      c.extensions.map((e) => `${e.name}${e.critical ? " (critical)" : ""}`).join(", ") ||
      undefined,
    ],
    ["SHA-1", c.sha1],
  ];
  return rows.filter(([, v]) => v !== undefined).map(([k, v]) => `  ${k.padEnd(15)}${v}`);
}

/**
 * Renders ordered certificates and their chain report.
 *
 * @param chain the certificates, leaf first (see `orderChain`)
 * @param report the chain check (see `verifyChain`)
 * @param options verbosity, `now`, identity
 * @returns the lines to print
 */
export function renderCertificates(
  chain: CertificateInfo[],
  report: ChainReport,
  options: CertTextOptions,
): string[] {
  const lines: string[] = [];
  chain.forEach((c, i) => {
    if (i > 0 && !options.verbose) return;
    lines.push(`Certificate #${i} (${role(i, chain.length, c)})`);
    lines.push(`  ${"Subject".padEnd(15)}${c.subject.rfc2253 || "(empty)"}`);
    lines.push(`  ${"Issuer".padEnd(15)}${c.issuer.rfc2253 || "(empty)"}`);
    lines.push(`  ${"Validity".padEnd(15)}${validityLine(c, options.now)}`);
    lines.push(`  ${"Names".padEnd(15)}${namesLine(c)}`);
    if (!options.verbose) {
      lines.push(`  ${"Key".padEnd(15)}${keyLine(c)}, signed with ${c.signatureAlgorithm}`);
    } else {
      lines.push(...detail(c));
    }
    lines.push(`  ${"SHA-256".padEnd(15)}${c.sha256}`);
    lines.push(...findingLines(c));
    if (i === 0 && options.identity) {
      const m = options.identity;
      lines.push(
        `  ${"Identity".padEnd(15)}${
          m.matched ? "OK" : "MISMATCH"
        } for ${m.reference}: ${m.reason} [${m.rule}]`,
      );
    }
    lines.push("");
  });
  // A chain read from a server was not "in a file".
  const missing = options.fromServer ? "not among those sent" : "not in the file";
  const end = report.anchored
    ? "anchored in the given roots"
    : report.complete
    ? "ends in a self-signed certificate"
    : `incomplete: the issuer of the last one is ${missing}`;
  lines.push(`Chain (${chain.length} certificate${chain.length === 1 ? "" : "s"}, ${end})`);
  for (const l of report.links) lines.push(linkLine(l, missing));
  return lines;
}
