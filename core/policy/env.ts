/**
 * The policy environment backed by the project's registry and cipher-string
 * engine: suite names and codes from `core/registry/`, cipher strings
 * expanded with OpenSSL 3.0 semantics by `core/openssl/`.
 *
 * @module
 */
import { expandCipherString } from "../openssl/cipher_string.ts";
import { cipherSuiteByCode, cipherSuiteByName } from "../registry/cipher_suites.ts";
import { groupByCode, groupName } from "../registry/groups.ts";
import type { PolicyEnv, SuiteRef } from "./resolve.ts";

/**
 * Looks a suite up by OpenSSL name, IANA name or code (`0xC02F`).
 *
 * @param name the name or code
 * @returns the suite, or undefined when unknown
 */
export function findRegistrySuite(name: string): SuiteRef | undefined {
  const s = /^0x[0-9a-f]{1,4}$/i.test(name)
    ? cipherSuiteByCode(parseInt(name, 16))
    : cipherSuiteByName(name);
  return s ? { code: s.code, iana: s.iana, openssl: s.openssl } : undefined;
}

/**
 * Builds the environment a policy is resolved in.
 *
 * @param expandCipherString the OpenSSL 3.0 cipher-string engine
 * @returns the environment
 */
export function registryEnv(expandCipherString: (s: string) => SuiteRef[]): PolicyEnv {
  return { expandCipherString, findSuite: findRegistrySuite };
}

/**
 * The IANA name of a group code point (`0x001D` → `x25519`).
 *
 * @param code the code point
 * @returns the name, or `0x%04X`
 */
export function registryGroupName(code: number): string {
  return groupByCode(code)?.name ?? groupName(code);
}

/**
 * Expands a policy's cipher string with the OpenSSL 3.0 engine, as
 * `openssl ciphers STRING` lists it (the list `SSL_CTX_set_cipher_list()`
 * keeps; TLS 1.3 suites are dropped by resolution).
 *
 * @param cipherString the cipher string
 * @returns the suites in OpenSSL's order
 * @throws {TlsprobeError} `BAD_INPUT` when OpenSSL would reject the string
 */
export function expandPolicyCipherString(cipherString: string): SuiteRef[] {
  return expandCipherString(cipherString).suites.map((s) => ({
    code: s.code,
    iana: s.iana,
    openssl: s.openssl,
  }));
}

/**
 * The environment policies are resolved in: the registry and the OpenSSL 3.0
 * cipher-string engine.
 *
 * @returns the environment
 * @example
 * ```ts
 * import { defaultPolicyEnv } from "./env.ts";
 * const env = defaultPolicyEnv();
 * console.assert(env.expandCipherString("ECDH+AES128").length > 0);
 * ```
 */
export function defaultPolicyEnv(): PolicyEnv {
  return registryEnv(expandPolicyCipherString);
}
