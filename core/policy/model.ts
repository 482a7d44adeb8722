/**
 * The declarative context policy: what a TLS connection must be, stated as
 * data. A policy is what `ssl.create_default_context()` or a hand-locked
 * `SSLContext` decides, written down so it can be shown, applied where the
 * runtime allows, and checked against what was observed.
 *
 * The JSON form of {@link Policy} is validated by `policy.schema.json` (the
 * committed JSON Schema beside this file).
 *
 * @module
 */
import { groupByName, GROUPS, type NamedGroup } from "../registry/groups.ts";
import { versionByName, VERSIONS } from "../registry/versions.ts";

/**
 * The protocol versions a policy can name, spelled as OpenSSL and Mozilla's
 * guidelines spell them (the registry's names; SSLv2 cannot be negotiated by
 * anything a policy configures).
 */
export const VERSION_NAMES = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;

/** A protocol version name. */
export type VersionName = typeof VERSION_NAMES[number];

/** Wire codes of the versions, from the registry (`core/registry/versions.ts`). */
export const VERSION_CODES: Record<VersionName, number> = Object.fromEntries(
  VERSION_NAMES.map((n) => [n, VERSIONS.find((v) => v.name === n)!.code]),
) as Record<VersionName, number>;

/** Who applies the policy: a client connecting out, or a server accepting. */
export type PolicyRole = "client" | "server";

/** Certificate verification mode (Python's `CERT_REQUIRED` / `CERT_OPTIONAL` / `CERT_NONE`). */
export type VerifyMode = "required" | "optional" | "none";

/** Where trust anchors come from. */
export type TrustSource = "platform" | "caFile" | "both";

/** What a policy says about client certificates. */
export type ClientCertificateRule =
  | "none" // a client does not present one; a server does not ask
  | "optional" // a server asks but accepts none; a client presents one if asked
  | "required"; // a server requires one; a client must present one

/** Where a built-in's choices come from. */
export interface PolicySource {
  /** What is modelled, e.g. "Python 3.13 ssl.create_default_context(Purpose.SERVER_AUTH)". */
  title: string;
  /** Version of the modelled thing ("3.13", "5.7"). */
  version?: string;
  /** Where to read it. */
  url?: string;
  /** Anything the model simplifies or cannot express. */
  notes?: string[];
}

/**
 * A context policy. Every field but `name` and `role` is optional: a field
 * left out places no requirement.
 */
export interface Policy {
  /** Optional pointer to the schema (ignored). */
  $schema?: string;
  /** Comments for people, one string per line (ignored). */
  $comment?: string[];
  /** Short name, used by `policy show NAME` and `--policy NAME`. */
  name: string;
  /** One sentence saying what the policy is for. */
  description?: string;
  /** Who applies it. */
  role: PolicyRole;
  /** The source of a built-in's choices. */
  source?: PolicySource;
  /** Allowed protocol versions; anything else breaks the policy. */
  versions?: VersionName[];
  /**
   * TLS 1.0–1.2 cipher suites: an OpenSSL cipher string (expanded with the
   * OpenSSL 3.0 engine), and/or an explicit list of suite names (OpenSSL or
   * IANA). When both are given a suite must be in both.
   */
  ciphers?: { string?: string; suites?: string[] };
  /** TLS 1.3 cipher suites (IANA names), as OpenSSL's `-ciphersuites`. */
  tls13Suites?: string[];
  /** Allowed key-exchange groups (IANA names; `prime256v1` is accepted for `secp256r1`). */
  groups?: string[];
  /** Minimum key sizes, in bits: RSA keys, finite-field DH groups, EC keys and ECDHE groups. */
  minKeySizes?: { rsa?: number; dh?: number; ec?: number };
  /** Key types the peer's certificate may have (Mozilla's `certificate_types`). */
  certificateKeyTypes?: Array<"rsa" | "ecdsa" | "ed25519" | "ed448" | "dsa">;
  /** Peer certificate verification. */
  verification?: {
    mode: VerifyMode;
    /** Trust anchors: the platform store, a CA file, or both. */
    trust?: TrustSource;
    /** The CA file, when trust uses one. */
    caFile?: string;
  };
  /** Whether the peer's name is checked against its certificate (RFC 6125). */
  checkHostname?: boolean;
  /** Client certificates. */
  clientCertificate?: ClientCertificateRule;
  /** ALPN: the protocols allowed, in preference order; `required` makes a missing ALPN fail. */
  alpn?: { protocols: string[]; required?: boolean };
  /** Whether TLS compression is allowed (CRIME, so normally false). */
  compression?: boolean;
  /** Whether the server's cipher order decides (OpenSSL `SSL_OP_CIPHER_SERVER_PREFERENCE`). */
  serverCipherPreference?: boolean;
}

/**
 * Normalises a version given as a name ("TLSv1.2", "TLS 1.2", "tls1_2") or a
 * wire code (0x0303).
 *
 * @param v the version
 * @returns the canonical name, or undefined when it is not a known version
 * @example
 * ```ts
 * import { normalizeVersion } from "./model.ts";
 * console.assert(normalizeVersion("TLS 1.2") === "TLSv1.2");
 * console.assert(normalizeVersion(0x0304) === "TLSv1.3");
 * ```
 */
export function normalizeVersion(v: string | number | undefined | null): VersionName | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") {
    return VERSION_NAMES.find((n) => VERSION_CODES[n] === v);
  }
  const name = versionByName(v)?.name;
  return VERSION_NAMES.find((n) => n === name);
}

/**
 * Normalises a group name to its IANA spelling in lower case
 * (`X25519` → `x25519`, `prime256v1` → `secp256r1`).
 *
 * @param g the group name
 * @returns the canonical name
 */
export function normalizeGroup(g: string): string {
  const k = g.trim().toLowerCase();
  // The registry knows IANA and OpenSSL names (`P-256`, `prime256v1`); `p256` is `P-256` unhyphenated.
  const known = groupByName(k) ?? groupByName(k.replace(/^p(\d{3})$/, "p-$1"));
  return known ? known.name.toLowerCase() : k;
}

/**
 * Size class in bits of an EC group, for `minKeySizes.ec`. X25519 counts as
 * the 256-bit class (about 128-bit security like P-256, RFC 7748 §1), as
 * Mozilla's guidelines do when they list X25519 beside `ecdh_param_size: 256`;
 * OpenSSL prints its key as 253 bits.
 */
export const EC_GROUP_BITS: Record<string, number> = sizesOf("ecdhe");

/** Size in bits of the RFC 7919 finite-field groups, for `minKeySizes.dh`. */
export const FFDHE_GROUP_BITS: Record<string, number> = sizesOf("ffdhe");

/** The registry's groups of one kind, by lower-case name, with their size class. */
function sizesOf(kind: NamedGroup["kind"]): Record<string, number> {
  return Object.fromEntries(
    GROUPS.filter((g) => g.kind === kind).map((g) => [g.name.toLowerCase(), sizeClass(g)]),
  );
}

/** X25519's 253-bit key is in the 256-bit class (RFC 7748 §1); other sizes are the registry's. */
function sizeClass(g: NamedGroup): number {
  return g.name === "x25519" ? 256 : g.bits;
}

/**
 * What a policy asks that the runtime cannot do on one side (Deno 2.9:
 * `Deno.listenTls` cannot request client certificates; `Deno.connectTls` and
 * `Deno.startTls` always verify the chain and the name), as sentences to show
 * the user, so nothing is silently not enforced.
 *
 * @param p the policy
 * @param side `server` for `serve`, `client` for `connect`
 * @returns notices, empty when everything asked can be enforced or checked
 */
export function runtimeLimits(p: Policy, side: "client" | "server"): string[] {
  const out: string[] = [];
  if (side === "server") {
    // Client certificates and versions are enforced by serve (node:tls); suites by its gate.
  } else {
    if (p.verification?.mode === "none" || p.verification?.mode === "optional") {
      out.push(
        `Policy ${p.name} relaxes verification (${p.verification.mode}), but the runtime's TLS ` +
          "client always verifies the chain: a bad chain still fails.",
      );
    }
    if (p.checkHostname === false) {
      out.push(
        `Policy ${p.name} turns the hostname check off, but the runtime's TLS client always ` +
          "checks the name (name the certificate's host to connect by another address).",
      );
    }
  }
  return out;
}
