/**
 * The test lab (`serve --lab`): a local "badssl" whose endpoints each have one
 * known flaw or property. This module holds the cases as data, the lab's PKI
 * (made with the project's own generator) and the index renderers; the
 * servers live in `core/net/lab.ts`.
 *
 * Only what the runtime's TLS (rustls, through `node:tls`) can serve honestly
 * is served. The cases that need the project's own server-side engine (issue
 * 17 item 1: TLS 1.0/1.1, legacy suites, weak DH, …) are listed with
 * `served: false`, never faked.
 *
 * Pure: randomness from WebCrypto, the clock passed in.
 *
 * @module
 */
import { SCHEMA_VERSION } from "../report/envelope.ts";
import {
  type GeneratedKey,
  generateKey,
  issueCertificate,
  type NamePart,
} from "../x509/generate.ts";
import { toPem } from "../x509/pem.ts";

/** The certificates the lab's endpoints present. */
export type LabCert =
  | "good"
  | "expired"
  | "not-yet-valid"
  | "wrong-host"
  | "self-signed"
  | "untrusted-root";

/** How a served endpoint is set up. */
export interface LabServe {
  /** The leaf it presents. */
  cert: LabCert;
  /** `full`: leaf then intermediate (or the untrusted root); `leaf-only`: the leaf alone. */
  chain: "full" | "leaf-only";
  /** The versions it speaks (default TLS 1.2 to 1.3). */
  versions?: { min: "TLSv1.2" | "TLSv1.3"; max: "TLSv1.2" | "TLSv1.3" };
  /** ALPN protocols it accepts. */
  alpn?: string[];
  /** Refuses clients without a certificate from the lab CA. */
  clientCert?: boolean;
}

/** One case of the lab. */
export interface LabCase {
  /** A short stable name (`expired`). */
  name: string;
  /** What the endpoint is. */
  description: string;
  /** What a correct, verifying client does there: connect, or reject. */
  expect: "connect" | "reject";
  /** The tlsprobe error code a correct client reports when it rejects. */
  error?: string;
  /** What a correct client does, in words (with the usual error of common clients). */
  client: string;
  /** How it is served, or absent when it is not served yet. */
  serve?: LabServe;
}

const NEEDS_ENGINE = "not served (needs the lab engine, issue 17 item 1)";

/** The lab's cases, in port order: served cases take BASE+1, BASE+2, … in this order. */
export const LAB_CASES: readonly LabCase[] = [
  {
    name: "good",
    description: "reference: valid chain (leaf + intermediate) for localhost, 127.0.0.1, ::1",
    expect: "connect",
    client: "connects and verifies",
    serve: { cert: "good", chain: "full" },
  },
  {
    name: "expired",
    description: "leaf expired yesterday",
    expect: "reject",
    error: "CERT_EXPIRED",
    client: "rejects: certificate has expired",
    serve: { cert: "expired", chain: "full" },
  },
  {
    name: "not-yet-valid",
    description: "leaf valid from 30 days ahead",
    expect: "reject",
    error: "CERT_NOT_YET_VALID",
    client: "rejects: certificate is not yet valid",
    serve: { cert: "not-yet-valid", chain: "full" },
  },
  {
    name: "wrong-host",
    description: "leaf for wrong.host.invalid only (no localhost, no IP)",
    expect: "reject",
    error: "CERT_NAME_MISMATCH",
    client: "rejects: hostname mismatch",
    serve: { cert: "wrong-host", chain: "full" },
  },
  {
    name: "self-signed",
    description: "self-signed leaf for localhost (not from the lab CA)",
    expect: "reject",
    error: "CERT_UNKNOWN_ISSUER",
    client: "rejects: self-signed certificate",
    serve: { cert: "self-signed", chain: "leaf-only" },
  },
  {
    name: "untrusted-root",
    description: "leaf from another CA (sent along) that nobody trusts",
    expect: "reject",
    error: "CERT_UNKNOWN_ISSUER",
    client: "rejects: self-signed certificate in chain (unknown CA)",
    serve: { cert: "untrusted-root", chain: "full" },
  },
  {
    name: "incomplete-chain",
    description: "the good leaf without its intermediate",
    expect: "reject",
    error: "CERT_UNKNOWN_ISSUER",
    client: "rejects: unable to get local issuer certificate",
    serve: { cert: "good", chain: "leaf-only" },
  },
  {
    name: "tls12-only",
    description: "speaks TLS 1.2 only",
    expect: "connect",
    client: "connects with TLS 1.2; a client that requires TLS 1.3 rejects (protocol version)",
    serve: { cert: "good", chain: "full", versions: { min: "TLSv1.2", max: "TLSv1.2" } },
  },
  {
    name: "tls13-only",
    description: "speaks TLS 1.3 only",
    expect: "connect",
    client: "connects with TLS 1.3; a TLS 1.2-only client is refused (protocol version)",
    serve: { cert: "good", chain: "full", versions: { min: "TLSv1.3", max: "TLSv1.3" } },
  },
  {
    name: "client-cert-required",
    description: "requires a client certificate from the lab CA (client.pem in the lab dir)",
    expect: "reject",
    error: "CLIENT_CERT_REQUIRED",
    client:
      "without a certificate: refused (certificate required alert); with client.pem: connects",
    serve: { cert: "good", chain: "full", clientCert: true },
  },
  {
    name: "alpn-h2-only",
    description: "accepts ALPN h2 only",
    expect: "connect",
    client: "offering h2 (or no ALPN): connects; offering only http/1.1: refused " +
      "(no_application_protocol alert)",
    serve: { cert: "good", chain: "full", alpn: ["h2"] },
  },
  ...[
    ["tls10-only", "speaks TLS 1.0 only", "rejects: protocol version (TLS 1.0 is obsolete)"],
    ["tls11-only", "speaks TLS 1.1 only", "rejects: protocol version (TLS 1.1 is obsolete)"],
    ["rc4", "RC4 suites only", "rejects: no shared cipher"],
    ["3des", "3DES suites only", "rejects: no shared cipher"],
    ["null", "NULL (unencrypted) suites only", "rejects: no shared cipher"],
    ["anon-dh", "anonymous DH (no certificate)", "rejects: no shared cipher"],
    ["rsa-kex", "RSA key exchange only (no forward secrecy)", "a modern client rejects"],
    ["dh512", "DHE with a 512-bit prime", "rejects: weak DH key"],
    ["dh1024", "DHE with a 1024-bit prime", "rejects: weak DH key"],
    ["sha1-signature", "leaf signed with SHA-1", "rejects: weak signature"],
    ["rsa1024", "leaf with an RSA 1024-bit key", "rejects: weak key"],
    ["client-preference", "takes the client's suite order", "connects"],
  ].map(([name, description, client]): LabCase => ({
    name,
    description: `${description}: ${NEEDS_ENGINE}`,
    expect: client === "connects" ? "connect" : "reject",
    client,
  })),
];

/** One endpoint of a running lab, for the index. */
export interface LabEndpoint {
  name: string;
  /** The port, or null when not served. */
  port: number | null;
  expect: "connect" | "reject";
  error?: string;
  client: string;
  description: string;
  served: boolean;
}

/** The lab's index: the CA to trust and every endpoint. */
export interface LabIndex {
  host: string;
  /** The base port (the HTTPS index page). */
  port: number;
  /** The lab CA file (pass it as `-a`). */
  ca: string;
  /** The lab's directory (certificates, keys, client.pem). */
  dir: string;
  endpoints: LabEndpoint[];
}

/** A PEM file of the lab: name, text, whether it holds a private key (0600). */
export interface LabFile {
  name: string;
  content: string;
  secret: boolean;
}

/** What {@link makeLabPki} made: the files, and each certificate's chain and key. */
export interface LabPki {
  files: LabFile[];
  /** PEM chains (leaf first) per certificate kind, full and leaf-only. */
  chains: Record<LabCert, { full: string; leaf: string; key: string }>;
  /** The lab CA certificate (PEM). */
  caPem: string;
}

const ORG: NamePart = ["O", "tlsprobe lab (do not trust)"];
const DAY = 86_400_000;

/**
 * Makes the lab's PKI: a root CA (`labca.crt`), an intermediate, one leaf per
 * certificate kind, an untrusted CA, and a client certificate (`client.pem`).
 * All keys ECDSA P-256.
 *
 * @param now the current time
 * @returns the files to write and the chains to serve
 */
export async function makeLabPki(now: Date): Promise<LabPki> {
  const t = now.getTime();
  const [rootKey, interKey, otherKey, leafKey, clientKey] = await Promise.all(
    Array.from({ length: 5 }, () => generateKey("ecdsa-p256")),
  );
  const rootName: NamePart[] = [ORG, ["CN", "tlsprobe lab CA"]];
  const interName: NamePart[] = [ORG, ["CN", "tlsprobe lab intermediate"]];
  const otherName: NamePart[] = [ORG, ["CN", "tlsprobe lab untrusted CA"]];
  const pem = (der: Uint8Array) => toPem(der, "CERTIFICATE");
  const ca = (subject: NamePart[], key: GeneratedKey, issuer?: [NamePart[], GeneratedKey]) =>
    issueCertificate({
      subject,
      spki: key.spki,
      issuer: issuer ? { subject: issuer[0], spki: issuer[1].spki } : undefined,
      signer: issuer ? issuer[1] : key,
      notBefore: new Date(t - DAY),
      notAfter: new Date(t + 3650 * DAY),
      ca: true,
    });
  const root = pem(await ca(rootName, rootKey));
  const inter = pem(await ca(interName, interKey, [rootName, rootKey]));
  const other = pem(await ca(otherName, otherKey));
  const leaf = async (
    kind: LabCert,
    from: number,
    to: number,
    issuer?: [NamePart[], GeneratedKey],
  ) =>
    pem(
      await issueCertificate({
        subject: [ORG, ["CN", kind === "wrong-host" ? "wrong.host.invalid" : "localhost"]],
        spki: leafKey.spki,
        issuer: issuer ? { subject: issuer[0], spki: issuer[1].spki } : undefined,
        signer: issuer ? issuer[1] : leafKey,
        notBefore: new Date(t + from * DAY),
        notAfter: new Date(t + to * DAY),
        ca: false,
        dns: kind === "wrong-host" ? ["wrong.host.invalid"] : ["localhost"],
        ips: kind === "wrong-host" ? [] : ["127.0.0.1", "::1"],
        eku: ["1.3.6.1.5.5.7.3.1"],
      }),
    );
  const viaInter: [NamePart[], GeneratedKey] = [interName, interKey];
  const leaves: Record<LabCert, [string, string]> = {
    "good": [await leaf("good", -1, 30, viaInter), inter],
    "expired": [await leaf("expired", -60, -1, viaInter), inter],
    "not-yet-valid": [await leaf("not-yet-valid", 30, 60, viaInter), inter],
    "wrong-host": [await leaf("wrong-host", -1, 30, viaInter), inter],
    "self-signed": [await leaf("self-signed", -1, 30), ""],
    "untrusted-root": [await leaf("untrusted-root", -1, 30, [otherName, otherKey]), other],
  };
  const client = pem(
    await issueCertificate({
      subject: [ORG, ["CN", "tlsprobe lab client"]],
      spki: clientKey.spki,
      issuer: { subject: rootName, spki: rootKey.spki },
      signer: rootKey,
      notBefore: new Date(t - DAY),
      notAfter: new Date(t + 30 * DAY),
      ca: false,
      eku: ["1.3.6.1.5.5.7.3.2"],
    }),
  );
  const chains = Object.fromEntries(
    Object.entries(leaves).map(([k, [l, rest]]) => [
      k,
      { full: l + rest, leaf: l, key: leafKey.pem },
    ]),
  ) as LabPki["chains"];
  const files: LabFile[] = [
    { name: "labca.crt", content: root, secret: false },
    { name: "client.crt", content: client, secret: false },
    { name: "client.key", content: clientKey.pem, secret: true },
    { name: "client.pem", content: client + clientKey.pem, secret: true },
    { name: "leaf.key", content: leafKey.pem, secret: true },
    ...Object.entries(leaves).map(([k, [l, rest]]) => ({
      name: `${k}.crt`,
      content: l + rest,
      secret: false,
    })),
  ];
  return { files, chains, caPem: root };
}

/**
 * The index as one JSON object (`serve --lab --json`).
 *
 * @param index the running lab
 * @returns `{schemaVersion, lab: {host, port, ca, dir, endpoints}}`
 */
export function labJson(index: LabIndex): { schemaVersion: number; lab: LabIndex } {
  return { schemaVersion: SCHEMA_VERSION, lab: index };
}

/**
 * The index as text lines: port, name, what it is, what a correct client does.
 *
 * @param index the running lab
 * @returns the lines
 */
export function labText(index: LabIndex): string[] {
  const w = Math.max(...index.endpoints.map((e) => e.name.length));
  const lines = [
    `tlsprobe lab at ${index.host}, index page https://${hostPort(index.host, index.port)}/`,
    `Trust the lab CA to test a client: ${index.ca}  (e.g. tlsprobe connect -a ${index.ca} ...)`,
    `Client certificate for client-cert-required: ${index.dir}/client.pem`,
    "",
    `${"port".padEnd(6)}${"name".padEnd(w + 2)}what it is / what a correct client does`,
  ];
  for (const e of index.endpoints) {
    lines.push(
      `${String(e.port ?? "-").padEnd(6)}${e.name.padEnd(w + 2)}${e.description}`,
      `${"".padEnd(w + 8)}-> ${e.client}${e.error ? ` [${e.error}]` : ""}`,
    );
  }
  return lines;
}

function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The index as a small HTML page (served on the base port).
 *
 * @param index the running lab
 * @returns the page
 */
export function labHtml(index: LabIndex): string {
  const rows = index.endpoints.map((e) =>
    `<tr><td>${e.port ?? "-"}</td><td>${escapeHtml(e.name)}</td><td>${
      escapeHtml(e.description)
    }</td><td>${escapeHtml(e.client)}${e.error ? ` (${e.error})` : ""}</td><td>${
      e.served ? "served" : "not served"
    }</td></tr>`
  ).join("\n");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>tlsprobe lab</title></head>
<body><h1>tlsprobe lab</h1>
<p>Trust the lab CA <code>${escapeHtml(index.ca)}</code> to test a client against these
endpoints on ${escapeHtml(index.host)}. For testing only: never trust it elsewhere.</p>
<table border="1"><tr><th>port</th><th>name</th><th>what it is</th><th>a correct client</th><th>served</th></tr>
${rows}
</table></body></html>
`;
}
