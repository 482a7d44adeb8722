/**
 * Runs `tlsprobe policy check 127.0.0.1:PORT --policy NAME` for tests, as text
 * or as JSON checked against the policy schema.
 *
 * @module
 */
import { tlsprobe } from "./process.ts";
import { assertPolicySchema } from "./schema.ts";

/**
 * `policy check` against a loopback port.
 *
 * @param port the server's port on 127.0.0.1
 * @param policy a built-in policy name or a policy file
 * @param extra more arguments
 * @returns the exit status and output
 */
export function policyCheck(
  port: number,
  policy: string,
  extra: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return tlsprobe(["policy", "check", `127.0.0.1:${port}`, "--policy", policy, ...extra]);
}

/**
 * `policy check --json` against a loopback port; the output must be one
 * object valid under the policy schema (on errors too).
 *
 * @param port the server's port on 127.0.0.1
 * @param policy a built-in policy name or a policy file
 * @param extra more arguments
 * @returns the exit status, the parsed object and stderr
 */
export async function policyCheckJson(
  port: number,
  policy: string,
  extra: string[] = [],
  // deno-lint-ignore no-explicit-any
): Promise<{ code: number; body: any; stderr: string }> {
  const r = await policyCheck(port, policy, ["--json", ...extra]);
  let body;
  try {
    body = JSON.parse(r.stdout);
  } catch {
    throw new Error(`policy check printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  assertPolicySchema(body);
  return { code: r.code, body, stderr: r.stderr };
}
