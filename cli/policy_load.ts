/**
 * Loading a policy for `--policy NAME|FILE`: a built-in by name, or a JSON
 * file validated against the committed schema; then resolving its cipher
 * string and suite names.
 *
 * @module
 */
import { isTlsprobeError, TlsprobeError } from "../core/errors.ts";
import { readInputText } from "../core/net/files.ts";

/** A policy file is a few kilobytes; anything past 1 MiB is not one. */
const MAX_POLICY_BYTES = 1024 * 1024;
import {
  BUILTIN_POLICIES,
  builtinPolicy,
  defaultPolicyEnv,
  parsePolicyJson,
  type Policy,
  type ResolvedPolicy,
  resolvePolicy,
} from "../core/policy/mod.ts";

/**
 * Loads a policy: a built-in name, or a path to a JSON file.
 *
 * @param nameOrFile `book-locked-server` or `./policy.json`
 * @returns the policy
 * @throws {TlsprobeError} `USAGE` for an unknown name, `FILE_NOT_FOUND`,
 *   `BAD_INPUT` for a file that breaks the schema (with the JSON path), is
 *   not a regular file, is empty or larger than 1 MiB
 */
export async function loadPolicy(nameOrFile: string): Promise<Policy> {
  const builtin = builtinPolicy(nameOrFile);
  if (builtin) return builtin;
  const looksLikeFile = /[\/\\.]/.test(nameOrFile);
  let text: string;
  try {
    text = await readInputText(nameOrFile, "policy file", MAX_POLICY_BYTES);
  } catch (e) {
    if (isTlsprobeError(e) && e.code === "FILE_NOT_FOUND") {
      if (!looksLikeFile) {
        throw new TlsprobeError(
          "USAGE",
          `No policy named ${nameOrFile}: use one of ${
            BUILTIN_POLICIES.map((p) => p.name).join(", ")
          }, or a JSON file`,
        );
      }
      throw new TlsprobeError("FILE_NOT_FOUND", `Policy file ${nameOrFile} does not exist`);
    }
    throw e;
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
  return resolvePolicy(await loadPolicy(nameOrFile), defaultPolicyEnv());
}
