/**
 * Refreshes the golden fixtures of `openssl ciphers`: runs the local openssl
 * for every case of `tools/cipher_corpus.ts` and records its exit status and
 * standard output (in full when short, else its SHA-256 and length), with the
 * OpenSSL version, in `tests/fixtures/openssl_ciphers/openssl-3.0.json`.
 *
 * Usage: `deno task fixtures:ciphers`
 *
 * @module
 */
import { corpus } from "./cipher_corpus.ts";

/** Where the fixtures live. */
export const FIXTURE_PATH = new URL(
  "../tests/fixtures/openssl_ciphers/openssl-3.0.json",
  import.meta.url,
);

/** Longest stdout kept in full; longer ones are kept as a hash. */
export const FULL_LIMIT = 256;

/** One recorded run. */
export interface FixtureCase {
  args: string[];
  status: number;
  stdout?: string;
  sha256?: string;
  length?: number;
}

/** The fixture file. */
export interface FixtureFile {
  opensslVersion: string;
  generatedBy: string;
  cases: FixtureCase[];
}

/** SHA-256 of a string's UTF-8 bytes, hex. */
export async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Records one run as a fixture case. */
export async function record(args: string[], stdout: string, status: number): Promise<FixtureCase> {
  return stdout.length <= FULL_LIMIT
    ? { args, status, stdout }
    : { args, status, sha256: await sha256(stdout), length: stdout.length };
}

if (import.meta.main) {
  const dec = new TextDecoder();
  const version = dec.decode(
    (await new Deno.Command("openssl", { args: ["version"] }).output()).stdout,
  ).trim();
  const cases: FixtureCase[] = [];
  for (const c of corpus()) {
    const o = await new Deno.Command("openssl", { args: ["ciphers", ...c.args], stderr: "null" })
      .output();
    cases.push(await record(c.args, dec.decode(o.stdout), o.code));
  }
  const file: FixtureFile = {
    opensslVersion: version,
    generatedBy: "tools/refresh_openssl_fixtures.ts",
    cases,
  };
  Deno.writeTextFileSync(
    FIXTURE_PATH,
    JSON.stringify(file, null, 0).replace(/\},\{/g, "},\n{") + "\n",
  );
  console.log(`${cases.length} cases recorded from ${version}`);
}
