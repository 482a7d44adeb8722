// Runs the Mocha integration tests (test/suite/) in code-server's extension
// host through @vscode/test-electron's runTests, pointed at launcher.sh.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runTests } from "@vscode/test-electron";

const here = path.dirname(fileURLToPath(import.meta.url));
const extensionDir = path.resolve(here, "../..");
try {
  await runTests({
    vscodeExecutablePath: path.join(here, "launcher.sh"),
    extensionDevelopmentPath: extensionDir,
    extensionTestsPath: path.join(extensionDir, "out/test/suite/index.js"),
    launchArgs: [path.join(extensionDir, "test/workspace")],
    extensionTestsEnv: {
      TLSPROBE_REPO: path.resolve(extensionDir, ".."),
    },
  });
  process.exit(0);
} catch (e) {
  console.error(
    "integration tests failed:",
    e instanceof Error ? e.message : e,
  );
  process.exit(1);
}
