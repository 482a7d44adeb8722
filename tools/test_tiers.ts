/**
 * The test tiers, each with the permissions it needs and no more:
 *
 * - `unit`: literal inputs only (byte fixtures, recorded messages, hand-written
 *   facts); no network peer, no subprocess. Reads files, nothing else.
 * - `fuzz`: mutated and random inputs through the codecs (`*fuzz_test.ts`);
 *   reads the fixtures it mutates.
 * - `doc`: every `@example` in `core/` runs (as `deno test --doc` would run
 *   it, in one isolate: tools/doc_examples.ts).
 * - `integration`: everything else: real peers (openssl, gnutls-serv, the
 *   project's own server) on loopback, the CLI as a subprocess.
 *
 * A new test file is an integration test until it is listed as a unit test
 * (its unit-tier permissions then prove it needs no peer).
 *
 * @module
 */

/** A tier: its files and the `deno test` arguments it runs with. */
export interface Tier {
  /** `unit`, `fuzz`, `doc` or `integration`. */
  name: string;
  /** `deno test` permission flags. */
  permissions: string[];
  /** Files or folders to test. */
  files: string[];
  /** Extra `deno test` flags. */
  flags?: string[];
  /**
   * How the files become test modules. `isolate-per-file` (the default):
   * `deno test` runs each file in its own isolate, in parallel.
   * `one-isolate`: one generated module imports them all (a fresh isolate
   * costs about 0.3 s of CPU, more than most unit files' tests).
   * `doc-examples`: `files` are folders whose `@example` blocks run, each
   * imported by its own test of one generated module (tools/doc_examples.ts).
   * `shared-isolates`: the {@link SLOW_FIRST} and {@link DEADLINE_SUITES}
   * files keep an isolate each; the others share one per
   * {@link SHARED_ISOLATE_FILES} files, in order (their tests then run one
   * after another, as they do within a file).
   */
  modules?: "isolate-per-file" | "one-isolate" | "doc-examples" | "shared-isolates";
}

/** Unit test files (paths from the repository root). */
export const UNIT_TESTS: readonly string[] = [
  "tests/cli/advice_test.ts",
  "tests/cli/args_parser_test.ts",
  "tests/cli/client_target_test.ts",
  "tests/cli/commands/ciphers_test.ts",
  "tests/core/address_test.ts",
  "tests/core/handshake/aes_ccm_test.ts",
  "tests/core/handshake/key_schedule_test.ts",
  "tests/core/handshake/offer_test.ts",
  "tests/core/handshake/replay_test.ts",
  "tests/core/handshake/server_client_auth_test.ts",
  "tests/core/lab/cases_test.ts",
  "tests/core/lab/policy_table_test.ts",
  "tests/core/net/classify_test.ts",
  "tests/core/openssl/cipher_string_test.ts",
  "tests/core/policy/check_test.ts",
  "tests/core/policy/evaluate_test.ts",
  "tests/core/policy/model_test.ts",
  "tests/core/policy/policy_file_test.ts",
  "tests/core/policy/schema_test.ts",
  "tests/core/policy/stream_test.ts",
  "tests/core/registry/tables_test.ts",
  "tests/core/report/probe_report_test.ts",
  "tests/core/report/pyrepr_test.ts",
  "tests/core/scan/grade_test.ts",
  "tests/core/scan/plan_test.ts",
  "tests/core/starttls/dialogue_test.ts",
  "tests/core/wire/codec_test.ts",
  "tests/core/wire/fixtures_test.ts",
  "tests/core/x509/decode_test.ts",
  "tests/core/x509/identity_test.ts",
  "tests/extension/cipher_locate_test.ts",
  "tests/extension/lab_view_test.ts",
  "tests/extension/panel_model_test.ts",
];

/**
 * Integration files that take longest (summed test times in a full run on
 * the shared machine), longest first: `deno test --parallel` hands files to
 * its workers in the order given, so these start first and no long file is
 * left running alone at the end. The others follow in path order.
 */
export const SLOW_FIRST: readonly string[] = [
  "tests/core/net/scan_servers_test.ts",
  "tests/tools/dist_test.ts",
  "tests/core/net/starttls/daemons_test.ts",
  "tests/cli/commands/ciphers_differential_test.ts",
  "tests/core/net/starttls/serve_test.ts",
  "tests/cli/serve_test.ts",
  "tests/core/x509/odd_corpus_test.ts",
  "tests/core/x509/openssl_diff_test.ts",
  "tests/cli/probe_test.ts",
  "tests/cli/policy_check_test.ts",
  "tests/core/handshake/lab_server_test.ts",
  "tests/core/net/starttls/dovecot_test.ts",
  "tests/core/net/probe_test.ts",
  "tests/cli/serve_lab_test.ts",
  "tests/core/net/starttls/postfix_test.ts",
  "tests/tools/demo_test.ts",
  "tests/cli/serve_policy_test.ts",
  "tests/cli/connect_test.ts",
  "tests/cli/args_test.ts",
  // Run last (DEADLINE_SUITES), in this order.
  "tests/hostile/servers_test.ts",
  "tests/cli/serve_hostile_test.ts",
];

/**
 * Integration files whose cases must finish CPU-bound work (reading a flood
 * up to its cap) inside a short `--timeout`: `deno task test` runs them after
 * the quick tiers and the other integration files, with the CPU to
 * themselves (starved, a flood case ends in TIMEOUT instead of its code).
 */
export const DEADLINE_SUITES: readonly string[] = [
  "tests/hostile/servers_test.ts",
  "tests/cli/serve_hostile_test.ts",
  "tests/cli/starttls_hostile_test.ts",
  "tests/core/handshake/lab_server_hostile_test.ts",
];

/**
 * How many quick integration files share one isolate (Tier.modules
 * `shared-isolates`): fewer isolates, while enough modules remain for the
 * test workers to finish together.
 */
export const SHARED_ISOLATE_FILES = 5;

/** Whether a test file is in the fuzz tier. */
export function isFuzzTest(path: string): boolean {
  return /(^|\/)fuzz_test\.ts$/.test(path);
}

/**
 * The tiers over the given test files.
 *
 * @param files every `*_test.ts` under `tests/`, from the repository root
 * @returns unit, fuzz, doc and integration, in that order (integration's
 *   files slow first, {@link SLOW_FIRST})
 */
export function tiers(files: string[]): Tier[] {
  const unit = files.filter((f) => UNIT_TESTS.includes(f));
  const fuzz = files.filter(isFuzzTest);
  const rank = (f: string) => {
    const i = SLOW_FIRST.indexOf(f);
    return i < 0 ? SLOW_FIRST.length : i;
  };
  const integration = files.filter((f) => !unit.includes(f) && !fuzz.includes(f))
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return [
    {
      name: "unit",
      permissions: ["--allow-read", "--allow-env=NO_COLOR"],
      files: unit,
      modules: "one-isolate",
    },
    {
      name: "fuzz",
      permissions: ["--allow-read", "--allow-env=NO_COLOR,TLSPROBE_FUZZ_FULL"],
      files: fuzz,
    },
    {
      name: "doc",
      permissions: ["--allow-read"],
      files: ["core/", "cli/", "extension/src/pure/"],
      modules: "doc-examples",
    },
    // `--allow-all`: the hostile-peer suites read a child's descriptors and peak
    // memory from /proc/PID, which Deno 2.9 grants only with all permissions.
    {
      name: "integration",
      permissions: ["--allow-all"],
      files: integration,
      modules: "shared-isolates",
    },
  ];
}
