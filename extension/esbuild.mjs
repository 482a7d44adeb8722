// Bundles the extension (src/extension.ts, with the pure core it imports
// from ../core) into out/extension.js for VS Code's Node extension host, and
// the integration tests into out/test/. Bare specifiers the core uses are
// resolved through the root deno.json "imports" map.
import * as esbuild from "esbuild";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const denoImports = JSON.parse(fs.readFileSync(path.join(root, "deno.json"), "utf8")).imports ??
  {};

/** Maps the core's bare specifiers (deno.json imports) to installed npm packages. */
const denoImportMap = {
  name: "deno-imports",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path === "vscode" || args.path.startsWith("node:")) {
        return undefined;
      }
      if (args.pluginData === "deno-imports") return undefined; // our own lookup below
      const target = denoImports[args.path];
      if (!target) return undefined;
      const m = /^npm:((?:@[^/]+\/)?[^@/]+)(?:@[^/]*)?(\/.*)?$/.exec(target);
      if (!m) {
        return {
          errors: [{ text: `cannot bundle ${args.path} -> ${target}` }],
        };
      }
      const spec = m[1] + (m[2] ?? "");
      for (const resolveDir of [root, here]) {
        const r = await build.resolve(spec, {
          kind: args.kind,
          resolveDir,
          pluginData: "deno-imports",
        });
        if (r.errors.length === 0) return { path: r.path };
      }
      return {
        errors: [{
          text: `${spec} is not installed (run deno install at the repository root)`,
        }],
      };
    });
  },
};

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["vscode", "mocha"],
  sourcemap: true,
  logLevel: "warning",
  plugins: [denoImportMap],
};

await esbuild.build({
  ...common,
  entryPoints: [path.join(here, "src", "extension.ts")],
  outfile: path.join(here, "out", "extension.js"),
});

if (process.argv.includes("--tests")) {
  const suite = path.join(here, "test", "suite");
  await esbuild.build({
    ...common,
    entryPoints: fs.readdirSync(suite).filter((f) => f.endsWith(".ts")).map((
      f,
    ) => path.join(suite, f)),
    outdir: path.join(here, "out", "test", "suite"),
    external: ["vscode", "mocha"],
  });
}
