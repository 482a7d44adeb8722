/**
 * A stand-in for the extension host in tests: starts the lab exactly as
 * "TLS: Start Test Lab" does (`startLab` from `extension/src/cli_client.ts`,
 * the CLI found the same way), prints `{"pid", "ports"}` on one line, and then
 * waits until it is killed.
 *
 * Run: `deno run -A tests/_helpers/lab_parent.ts`
 *
 * @module
 */
import * as path from "node:path";
import { freeBasePort, resolveCli, startLab } from "../../extension/src/cli_client.ts";

const root = new URL("../../", import.meta.url).pathname;
const cli = resolveCli({ envPath: path.dirname(Deno.execPath()), searchRoots: [root] });
const lab = await startLab(cli, await freeBasePort(40), { timeoutMs: 120_000 });
const served = lab.index.endpoints.filter((e) => e.served).map((e) => e.port!);
console.log(JSON.stringify({ pid: lab.pid, ports: [lab.index.port, ...served] }));
// Like an extension host: alive until killed.
setInterval(() => {}, 60_000);
