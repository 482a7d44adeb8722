/**
 * `deno doc --lint` over every public entry point of the core: each `mod.ts`
 * under `core/`, and every core module the CLI (`cli/`) or the extension
 * (`extension/src/`) imports directly. The list is computed from the imports,
 * so a new entry point is linted the day it is first imported. Part of
 * `deno task check`.
 *
 * Usage: `deno run --allow-read --allow-run tools/doc_lint.ts`
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url).pathname;

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(ROOT + dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory && e.name !== "node_modules" && e.name !== "out") {
      out.push(...await tsFiles(path));
    } else if (e.isFile && e.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The core modules `file` imports (static and dynamic), as paths from the repository root. */
async function coreImports(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(ROOT + file);
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+\.ts)"/g)) {
    const path = new URL(m[1], `file://${ROOT}${file}`).pathname.slice(ROOT.length);
    if (path.startsWith("core/")) out.push(path);
  }
  return out;
}

const entries = new Set<string>();
for (const f of await tsFiles("core")) if (f.endsWith("/mod.ts")) entries.add(f);
for (const f of [...await tsFiles("cli"), ...await tsFiles("extension/src")]) {
  for (const c of await coreImports(f)) entries.add(c);
}
const files = [...entries].sort();
console.log(`deno doc --lint: ${files.length} entry points`);
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--lint", ...files],
  cwd: ROOT,
}).spawn().status;
Deno.exit(code);
