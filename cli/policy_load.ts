/**
 * Loading a policy for `--policy NAME|FILE`: a built-in by name, or a JSON
 * file validated against the committed schema; then resolving its cipher
 * string and suite names.
 *
 * @module
 */
import { TlsprobeError } from "../core/errors.ts";
import {
  BUILTIN_POLICIES,
  builtinPolicy,
  parsePolicyJson,
  type Policy,
  type PolicyEnv,
  registryEnv,
  type ResolvedPolicy,
  resolvePolicy,
  type SuiteRef,
} from "../core/policy/mod.ts";
import { findRegistrySuite } from "../core/policy/env.ts";

/**
 * Expands a cipher string by asking the local `openssl ciphers -V` (OpenSSL
 * 3.0 on these machines). A stopgap until `core/openssl/`'s engine lands on
 * this branch; it is OpenSSL itself, so it cannot disagree with it.
 *
 * @param cipherString the OpenSSL cipher string
 * @returns the suites in OpenSSL's order (TLS 1.3 suites included; resolution drops them)
 * @throws {TlsprobeError} `BAD_INPUT` when OpenSSL rejects the string
 */
export function expandWithOpenssl(cipherString: string): SuiteRef[] {
  let r: Deno.CommandOutput;
  try {
    r = new Deno.Command("openssl", {
      args: ["ciphers", "-V", cipherString],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
  } catch (e) {
    throw new TlsprobeError(
      "UNSUPPORTED",
      "Cannot expand cipher strings: the openssl command is not available",
      { raw: e instanceof Error ? e.message : String(e) },
    );
  }
  const text = new TextDecoder().decode(r.stdout);
  if (r.code !== 0) {
    throw new TlsprobeError(
      "BAD_INPUT",
      `OpenSSL matches no cipher suite with ${JSON.stringify(cipherString)}`,
      { raw: new TextDecoder().decode(r.stderr).trim() },
    );
  }
  const out: SuiteRef[] = [];
  for (const m of text.matchAll(/0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)/g)) {
    const code = parseInt(m[1] + m[2], 16);
    out.push(findRegistrySuite(`0x${m[1]}${m[2]}`) ?? { code, openssl: m[3] });
  }
  return out;
}

/** The environment policies are resolved in. */
export function cliPolicyEnv(): PolicyEnv {
  return registryEnv(expandWithOpenssl);
}

/**
 * Loads a policy: a built-in name, or a path to a JSON file.
 *
 * @param nameOrFile `book-locked-server` or `./policy.json`
 * @returns the policy
 * @throws {TlsprobeError} `USAGE` for an unknown name, `FILE_NOT_FOUND`,
 *   `BAD_INPUT` for a file that breaks the schema (with the JSON path)
 */
export async function loadPolicy(nameOrFile: string): Promise<Policy> {
  const builtin = builtinPolicy(nameOrFile);
  if (builtin) return builtin;
  const looksLikeFile = /[\/\\.]/.test(nameOrFile);
  let text: string;
  try {
    text = await Deno.readTextFile(nameOrFile);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && !looksLikeFile) {
      throw new TlsprobeError(
        "USAGE",
        `No policy named ${nameOrFile}: use one of ${
          BUILTIN_POLICIES.map((p) => p.name).join(", ")
        }, or a JSON file`,
      );
    }
    if (e instanceof Deno.errors.NotFound) {
      throw new TlsprobeError("FILE_NOT_FOUND", `Policy file ${nameOrFile} does not exist`);
    }
    throw new TlsprobeError(
      "PERMISSION",
      `Cannot read policy file ${nameOrFile}: ${e instanceof Error ? e.message : String(e)}`,
      { raw: e instanceof Error ? e.message : String(e) },
    );
  }
  return parsePolicyJson(text, nameOrFile);
}

/**
 * Loads and resolves a policy.
 *
 * @param nameOrFile a built-in name or a JSON file
 * @returns the resolved policy
 */
export async function loadResolvedPolicy(nameOrFile: string): Promise<ResolvedPolicy> {
  return resolvePolicy(await loadPolicy(nameOrFile), cliPolicyEnv());
}
