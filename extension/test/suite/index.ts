/**
 * The Mocha entry point loaded by the extension host (extensionTestsPath).
 * Besides the exit status, it writes the counts to $TLSPROBE_TEST_RESULT so
 * run_all.sh can report `N passed, N failed`.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";

/** Runs every `*.test.js` next to this file. */
export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: "tdd",
    color: false,
    timeout: 60_000,
    reporter: "spec",
  });
  for (const f of fs.readdirSync(__dirname)) {
    if (f.endsWith(".test.js")) mocha.addFile(path.join(__dirname, f));
  }
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const out = process.env.TLSPROBE_TEST_RESULT;
      if (out) {
        const s = runner.stats ?? { passes: 0, failures, pending: 0 };
        fs.writeFileSync(
          out,
          JSON.stringify({
            passed: s.passes,
            failed: s.failures,
            skipped: s.pending,
          }),
        );
      }
      if (failures > 0) {
        reject(new Error(`${failures} integration test(s) failed`));
      } else resolve();
    });
  });
}
