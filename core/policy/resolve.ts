/**
 * Resolution: a {@link Policy} as written (cipher strings, names in any
 * spelling) turned into sets of code points the evaluator and the handshake
 * engine can compare with what was observed.
 *
 * Cipher strings are expanded by the OpenSSL 3.0 cipher-string engine
 * (`core/openssl/`) and suite names looked up in the registry
 * (`core/registry/`), both reached through a {@link PolicyEnv} so this module
 * never second-guesses OpenSSL's semantics.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";
import { isTls13Suite, TLS13_CIPHER_SUITES } from "../registry/cipher_suites.ts";
import { groupByName } from "../registry/groups.ts";
import {
  normalizeGroup,
  normalizeVersion,
  type Policy,
  VERSION_CODES,
  VERSION_NAMES,
  type VersionName,
} from "./model.ts";

/** One cipher suite as the policy code sees it. */
export interface SuiteRef {
  /** The 16-bit code point. */
  code: number;
  /** IANA name. */
  iana?: string;
  /** OpenSSL name. */
  openssl?: string;
}

/** What resolution needs from the registry and the cipher-string engine. */
export interface PolicyEnv {
  /**
   * Expands an OpenSSL cipher string (TLS 1.0–1.2 suites) with the semantics
   * of the OpenSSL version the policy is written for (3.0).
   *
   * @throws {TlsprobeError} `BAD_INPUT` for a malformed string
   */
  expandCipherString(cipherString: string): SuiteRef[];
  /** Looks a suite up by OpenSSL name, IANA name or `0xC02F`. */
  findSuite(name: string): SuiteRef | undefined;
}

/** A policy with every list turned into code points. */
export interface ResolvedPolicy {
  /** The policy as written. */
  policy: Policy;
  /** The environment it was resolved with (to name suites seen only by code). */
  env: PolicyEnv;
  /** Allowed versions, or null when the policy does not restrict them. */
  versions: Set<VersionName> | null;
  /** Allowed TLS 1.0–1.2 suites in policy order, or null when unrestricted. */
  suites: SuiteRef[] | null;
  /** Allowed TLS 1.3 suites in policy order, or null when unrestricted. */
  tls13Suites: SuiteRef[] | null;
  /** Allowed groups (IANA names, lower case), or null when unrestricted. */
  groups: Set<string> | null;
}

/**
 * The TLS 1.3 suites a policy can name (RFC 8446 §B.4; the registry's TLS 1.3
 * suites OpenSSL implements), which no cipher string names.
 */
export const TLS13_SUITE_REFS: readonly SuiteRef[] = TLS13_CIPHER_SUITES
  .filter((s) => s.openssl)
  .map((s) => ({ code: s.code, iana: s.iana, openssl: s.openssl! }));

export { isTls13Suite };

/**
 * Resolves a policy's lists to code points.
 *
 * @param policy the policy
 * @param env the registry and cipher-string engine
 * @returns the resolved policy
 * @throws {TlsprobeError} `BAD_INPUT` when a suite name is unknown or the
 *   cipher string is malformed (the engine's error, with the policy named)
 */
export function resolvePolicy(policy: Policy, env: PolicyEnv): ResolvedPolicy {
  const versions = policy.versions
    ? new Set(policy.versions.map((v) => {
      const n = normalizeVersion(v);
      if (!n) throw new TlsprobeError("BAD_INPUT", `Policy ${policy.name}: unknown version ${v}`);
      return n;
    }))
    : null;

  let suites: SuiteRef[] | null = null;
  if (policy.ciphers?.string !== undefined) {
    try {
      suites = env.expandCipherString(policy.ciphers.string).filter((s) => !isTls13Suite(s.code));
    } catch (e) {
      if (e instanceof TlsprobeError) {
        throw new TlsprobeError(
          e.code,
          `Policy ${policy.name}: cipher string ${
            JSON.stringify(policy.ciphers.string)
          }: ${e.message}`,
          e.detail,
        );
      }
      throw e;
    }
  }
  if (policy.ciphers?.suites !== undefined) {
    const listed = policy.ciphers.suites.map((name, i) => {
      const s = env.findSuite(name);
      if (!s) {
        throw new TlsprobeError(
          "BAD_INPUT",
          `Policy ${policy.name}: unknown cipher suite ${name} at $.ciphers.suites[${i}]`,
          { field: `$.ciphers.suites[${i}]` },
        );
      }
      return s;
    });
    if (suites === null) suites = listed;
    else {
      const codes = new Set(listed.map((s) => s.code));
      suites = suites.filter((s) => codes.has(s.code));
    }
  }

  let tls13Suites: SuiteRef[] | null = null;
  if (policy.tls13Suites !== undefined) {
    tls13Suites = policy.tls13Suites.map((name, i) => {
      const s = TLS13_SUITE_REFS.find((t) => t.iana === name);
      if (!s) {
        throw new TlsprobeError(
          "BAD_INPUT",
          `Policy ${policy.name}: unknown TLS 1.3 suite ${name} at $.tls13Suites[${i}]`,
          { field: `$.tls13Suites[${i}]` },
        );
      }
      return s;
    });
  }

  policy.groups?.forEach((g, i) => {
    if (!groupByName(g) && !groupByName(normalizeGroup(g))) {
      throw new TlsprobeError(
        "BAD_INPUT",
        `Policy ${policy.name}: unknown group ${g} at $.groups[${i}]`,
        { field: `$.groups[${i}]` },
      );
    }
  });
  const groups = policy.groups ? new Set(policy.groups.map(normalizeGroup)) : null;
  return { policy, env, versions, suites, tls13Suites, groups };
}

/**
 * The versions a resolved policy allows, newest first (every known version
 * when it does not restrict them).
 *
 * @param rp the resolved policy
 * @returns version names, newest first
 */
export function allowedVersions(rp: ResolvedPolicy): VersionName[] {
  return [...VERSION_NAMES].reverse().filter((v) => rp.versions === null || rp.versions.has(v));
}

/**
 * Whether a suite code is allowed by the policy (TLS 1.3 suites by
 * `tls13Suites`, the rest by `ciphers`).
 *
 * @param rp the resolved policy
 * @param code the suite code
 * @returns true when allowed
 */
export function suiteAllowed(rp: ResolvedPolicy, code: number): boolean {
  const list = isTls13Suite(code) ? rp.tls13Suites : rp.suites;
  return list === null || list.some((s) => s.code === code);
}

/** The wire code of a version name. */
export function versionCode(v: VersionName): number {
  return VERSION_CODES[v];
}
