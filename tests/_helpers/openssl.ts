/**
 * Test helper: whether the `openssl` CLI is on PATH, and its version line.
 *
 * @module
 */

/** The `openssl version` line, or undefined when no openssl is installed. */
export async function opensslVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("openssl", { args: ["version"], stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `openssl ciphers ARGS`: stdout, stderr and exit status. */
export async function runOpensslCiphers(
  args: string[],
): Promise<{ stdout: string; stderr: string; code: number }> {
  const out = await new Deno.Command("openssl", { args: ["ciphers", ...args] }).output();
  const d = new TextDecoder();
  return { stdout: d.decode(out.stdout), stderr: d.decode(out.stderr), code: out.code };
}
