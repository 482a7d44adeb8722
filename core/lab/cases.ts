/**
 * The test lab (`serve --lab`): a local "badssl" whose endpoints each have one
 * known flaw or property. This module holds the cases as data, the lab's PKI
 * (made with the project's own generator) and the index renderers; the
 * servers live in `core/net/lab.ts`.
 *
 * Cases the runtime's TLS (rustls, through `node:tls`) can serve honestly are
 * served by it; the others (TLS 1.0/1.1, NULL, anonymous DH, RSA key
 * exchange, weak DH, weak certificates, client preference, RC4, 3DES) by
 * the lab engine's server side (`core/handshake/server.ts`). A case the lab
 * cannot serve would be listed with `served: false` and the reason, never
 * faked (none today).
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
import { cipherSuiteByName } from "../registry/cipher_suites.ts";

/** The certificates the lab's endpoints present. */
export type LabCert =
  | "good"
  | "expired"
  | "not-yet-valid"
  | "wrong-host"
  | "self-signed"
  | "untrusted-root"
  | "good-rsa"
  | "sha1-signature"
  | "rsa1024";

/** A case the lab engine serves: exactly these versions, suites, groups and DH size. */
export interface LabEngineServe {
  /** Version codes (0x0301–0x0304). */
  versions: number[];
  /** Suites, in the server's order (codes). */
  suites: number[];
  /** ECDHE / TLS 1.3 groups (default x25519, P-256, P-384). */
  groups?: number[];
  /** DHE prime size (default 2048). */
  dhBits?: number;
  /** Choose by the server's order (default) or the client's. */
  serverPreference: boolean;
}

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
  /** Served by the lab engine with this setup (else by the runtime's TLS). */
  engine?: LabEngineServe;
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

/** Suite codes by IANA name (the registry's). */
function suites(...names: string[]): number[] {
  return names.map((n) => {
    const s = cipherSuiteByName(n);
    if (!s) throw new Error(`lab: unknown suite ${n}`);
    return s.code;
  });
}

const MODERN_ECDSA = suites(
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
);
const TLS13 = [0x1302, 0x1303, 0x1301];

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
  {
    name: "tls10-only",
    description: "speaks TLS 1.0 only (ECDHE-ECDSA with AES-CBC)",
    expect: "reject",
    error: "PROTOCOL_VERSION",
    client: "rejects: protocol version (TLS 1.0 is obsolete, RFC 8996)",
    serve: {
      cert: "good",
      chain: "full",
      engine: {
        versions: [0x0301],
        suites: suites(
          "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
          "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        ),
        serverPreference: true,
      },
    },
  },
  {
    name: "tls11-only",
    description: "speaks TLS 1.1 only (ECDHE-ECDSA with AES-CBC)",
    expect: "reject",
    error: "PROTOCOL_VERSION",
    client: "rejects: protocol version (TLS 1.1 is obsolete, RFC 8996)",
    serve: {
      cert: "good",
      chain: "full",
      engine: {
        versions: [0x0302],
        suites: suites(
          "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
          "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        ),
        serverPreference: true,
      },
    },
  },
  {
    name: "rc4",
    description: "RC4 only (ECDHE-ECDSA-RC4-SHA; RFC 7465 forbids RC4), TLS 1.0–1.2",
    expect: "reject",
    error: "HANDSHAKE_FAILURE",
    client: "rejects: no shared cipher (handshake failure alert; OpenSSL 3.0 has no RC4 at " +
      "all); only a client that offers RC4 (gnutls-cli --priority NORMAL:+ARCFOUR-128) connects",
    serve: {
      cert: "good",
      chain: "full",
      engine: {
        versions: [0x0301, 0x0302, 0x0303],
        suites: suites("TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
        serverPreference: true,
      },
    },
  },
  {
    name: "3des",
    description: "3DES only (ECDHE-ECDSA-DES-CBC3-SHA, 64-bit blocks: Sweet32), TLS 1.0–1.2",
    expect: "reject",
    error: "HANDSHAKE_FAILURE",
    client: "rejects: no shared cipher (handshake failure alert; Debian's OpenSSL 3.0 has no " +
      "3DES); only a client that offers 3DES (gnutls-cli --priority NORMAL:+3DES-CBC) connects",
    serve: {
      cert: "good",
      chain: "full",
      engine: {
        versions: [0x0301, 0x0302, 0x0303],
        suites: suites("TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
        serverPreference: true,
      },
    },
  },
  {
    name: "null",
    description: "NULL encryption only (ECDHE-ECDSA-NULL-SHA: MAC, no encryption), TLS 1.2",
    expect: "reject",
    error: "HANDSHAKE_FAILURE",
    client: "rejects: no shared cipher (handshake failure alert); only a client that " +
      "asks for NULL (openssl -cipher eNULL:@SECLEVEL=0) connects",
    serve: {
      cert: "good",
      chain: "full",
      engine: {
        versions: [0x0303],
        suites: suites("TLS_ECDHE_ECDSA_WITH_NULL_SHA"),
        serverPreference: true,
      },
    },
  },
  {
    name: "anon-dh",
    description: "anonymous DH and ECDH suites (no certificate), TLS 1.2",
    expect: "reject",
    error: "HANDSHAKE_FAILURE",
    client: "rejects: no shared cipher (handshake failure alert); only a client that asks " +
      "for anonymous suites (openssl -cipher aNULL:@SECLEVEL=0) connects",
    serve: {
      cert: "good",
      chain: "full",
      engine: {
        versions: [0x0303],
        suites: suites(
          "TLS_ECDH_anon_WITH_AES_128_CBC_SHA",
          "TLS_DH_anon_WITH_AES_128_GCM_SHA256",
        ),
        serverPreference: true,
      },
    },
  },
  {
    name: "rsa-kex",
    description: "RSA key exchange only (no forward secrecy), RSA certificate, TLS 1.2",
    expect: "reject",
    error: "HANDSHAKE_FAILURE",
    client: "a client without RSA key exchange (rustls, modern browsers) refuses: handshake " +
      "failure; OpenSSL 3.0 and curl still accept it",
    serve: {
      cert: "good-rsa",
      chain: "full",
      engine: {
        versions: [0x0303],
        suites: suites("TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384"),
        serverPreference: true,
      },
    },
  },
  {
    name: "dh512",
    description: "DHE with a 512-bit prime (RSA certificate, TLS 1.2)",
    expect: "reject",
    error: "HANDSHAKE_FAILURE",
    client: "rejects: weak DH key (OpenSSL: dh key too small); clients without DHE " +
      "(rustls): handshake failure",
    serve: {
      cert: "good-rsa",
      chain: "full",
      engine: {
        versions: [0x0303],
        suites: suites("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
        dhBits: 512,
        serverPreference: true,
      },
    },
  },
  {
    name: "dh1024",
    description: "DHE with a 1024-bit prime (RSA certificate, TLS 1.2)",
    expect: "reject",
    error: "HANDSHAKE_FAILURE",
    client: "rejects: weak DH key (OpenSSL at security level 2: dh key too small); clients " +
      "without DHE (rustls): handshake failure",
    serve: {
      cert: "good-rsa",
      chain: "full",
      engine: {
        versions: [0x0303],
        suites: suites("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"),
        dhBits: 1024,
        serverPreference: true,
      },
    },
  },
  {
    name: "sha1-signature",
    description: "leaf signed with SHA-1 (ecdsa-with-SHA1) by the lab intermediate",
    expect: "reject",
    error: "CERT_INVALID",
    client: "rejects: weak signature (OpenSSL at security level 2: CA signature digest " +
      "algorithm too weak)",
    serve: {
      cert: "sha1-signature",
      chain: "full",
      engine: {
        versions: [0x0303, 0x0304],
        suites: [...TLS13, ...MODERN_ECDSA],
        serverPreference: true,
      },
    },
  },
  {
    name: "rsa1024",
    description: "leaf with an RSA 1024-bit key",
    expect: "reject",
    error: "CERT_BAD_SIGNATURE",
    client: "rejects: weak key (OpenSSL at security level 2: EE certificate key too weak)",
    serve: {
      cert: "rsa1024",
      chain: "full",
      engine: {
        versions: [0x0303, 0x0304],
        suites: [
          ...TLS13,
          ...suites(
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          ),
        ],
        serverPreference: true,
      },
    },
  },
  {
    name: "client-preference",
    description: "takes the client's suite order (no server preference), TLS 1.2 and 1.3",
    expect: "connect",
    client: "connects, with the suite the client lists first",
    serve: {
      cert: "good",
      chain: "full",
      engine: {
        versions: [0x0303, 0x0304],
        suites: [...TLS13, ...MODERN_ECDSA],
        serverPreference: false,
      },
    },
  },
];

/** One endpoint of a running lab, for the index. */
export interface LabEndpoint {
  /** The case's name (`expired`, `tls12-only`, …). */
  name: string;
  /** The port, or null when not served. */
  port: number | null;
  /** Whether a correct client connects or must refuse. */
  expect: "connect" | "reject";
  /** The error a correct client reports when it refuses. */
  error?: string;
  /** A command that shows the case. */
  client: string;
  /** What the endpoint does wrong or right, in one line. */
  description: string;
  /** Whether the lab serves it. */
  served: boolean;
  /** Which TLS serves it: the runtime's (rustls) or the lab engine; null when not served. */
  engine?: "runtime" | "lab" | null;
}

/** The lab's index: the CA to trust and every endpoint. */
export interface LabIndex {
  /** The host every endpoint listens on. */
  host: string;
  /** The base port (the HTTPS index page). */
  port: number;
  /** The lab CA file (pass it as `-a`). */
  ca: string;
  /** The lab's directory (certificates, keys, client.pem). */
  dir: string;
  /** Every case, served or not. */
  endpoints: LabEndpoint[];
}

/** A PEM file of the lab: name, text, whether it holds a private key (0600). */
export interface LabFile {
  /** The file name in the lab's directory. */
  name: string;
  /** The PEM text. */
  content: string;
  /** Whether it holds a private key (written 0600). */
  secret: boolean;
}

/** What {@link makeLabPki} made: the files, and each certificate's chain and key. */
export interface LabPki {
  /** Every file to write. */
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
  const [rsaKey, weakKey] = await Promise.all([generateKey("rsa2048"), generateKey("rsa1024")]);
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
        spki: (keyOf[kind] ?? leafKey).spki,
        sha1: kind === "sha1-signature",
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
  const keyOf: Partial<Record<LabCert, GeneratedKey>> = { "good-rsa": rsaKey, "rsa1024": weakKey };
  const viaInter: [NamePart[], GeneratedKey] = [interName, interKey];
  const leaves: Record<LabCert, [string, string]> = {
    "good": [await leaf("good", -1, 30, viaInter), inter],
    "expired": [await leaf("expired", -60, -1, viaInter), inter],
    "not-yet-valid": [await leaf("not-yet-valid", 30, 60, viaInter), inter],
    "wrong-host": [await leaf("wrong-host", -1, 30, viaInter), inter],
    "self-signed": [await leaf("self-signed", -1, 30), ""],
    "untrusted-root": [await leaf("untrusted-root", -1, 30, [otherName, otherKey]), other],
    "good-rsa": [await leaf("good-rsa", -1, 30, viaInter), inter],
    "sha1-signature": [await leaf("sha1-signature", -1, 30, viaInter), inter],
    "rsa1024": [await leaf("rsa1024", -1, 30, viaInter), inter],
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
      { full: l + rest, leaf: l, key: (keyOf[k as LabCert] ?? leafKey).pem },
    ]),
  ) as LabPki["chains"];
  const files: LabFile[] = [
    { name: "labca.crt", content: root, secret: false },
    { name: "client.crt", content: client, secret: false },
    { name: "client.key", content: clientKey.pem, secret: true },
    { name: "client.pem", content: client + clientKey.pem, secret: true },
    { name: "leaf.key", content: leafKey.pem, secret: true },
    { name: "leaf-rsa.key", content: rsaKey.pem, secret: true },
    { name: "leaf-rsa1024.key", content: weakKey.pem, secret: true },
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
