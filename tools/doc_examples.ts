/**
 * The doc tier in one isolate: `deno test --doc` runs each `@example` as its
 * own test module, and each test module costs a fresh isolate (about 0.3 s of
 * CPU, more than the example itself: 56 examples were 18 s of wall). Here the
 * runner extracts the same code blocks, writes each as a module, and one test
 * file imports each in its own test, so every example still runs, alone in
 * its module scope, and a throw fails its test. So does a false
 * `console.assert` (the examples' way of stating a result): in that file it
 * throws instead of printing "Assertion failed" and passing.
 *
 * Which blocks: fenced ```ts (or js, tsx, jsx, typescript, javascript) inside
 * JSDoc comments of `.ts` files, except those marked `ignore` — what
 * `deno test --doc` runs. Relative imports are resolved against the source
 * file. `deno task check` type-checks the examples (`deno check --doc`).
 *
 * @module
 */

/** One code block of a JSDoc comment. */
export interface DocExample {
  /** The source file, from the repository root. */
  file: string;
  /** First and last line of the code (1-based, in the source file). */
  lines: [number, number];
  /** The code, with the comment's ` * ` margin taken off. */
  code: string;
}

const LANGS = new Set(["ts", "js", "tsx", "jsx", "typescript", "javascript"]);

/**
 * The runnable code blocks of one source file's JSDoc comments.
 *
 * @param file the file's path (kept in the result)
 * @param text its contents
 * @returns its examples, in order
 */
export function docExamples(file: string, text: string): DocExample[] {
  const out: DocExample[] = [];
  const lines = text.split("\n");
  let inDoc = false;
  let block: { start: number; code: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!inDoc) {
      if (/^\s*\/\*\*/.test(line) && !line.includes("*/")) inDoc = true;
      continue;
    }
    if (/\*\/\s*$/.test(line) && !block) {
      inDoc = false;
      continue;
    }
    // Inside the comment: its text without the " * " margin.
    const body = line.replace(/^\s*\*( |$)/, "");
    const fence = /^```(\S*)(.*)$/.exec(body.trim());
    if (block) {
      if (fence && fence[1] === "") {
        out.push({ file, lines: [block.start + 1, i], code: block.code.join("\n") });
        block = undefined;
      } else block.code.push(body);
    } else if (fence && LANGS.has(fence[1]) && !/\bignore\b/.test(fence[2])) {
      block = { start: i + 1, code: [] };
    } else if (fence && fence[1] !== "") {
      // Another language, or `ignore`: skip to its closing fence.
      while (++i < lines.length && lines[i].replace(/^\s*\*( |$)/, "").trim() !== "```");
    }
  }
  return out;
}

/** Prepended to the generated test file: a false `console.assert` fails the example's test. */
const ASSERT_THROWS = `console.assert = (condition, ...data) => {
  if (!condition) throw new Error(["Assertion failed", ...data.map(String)].join(": "));
};`;

/**
 * Writes each example of `files` as a module under `dir` (relative imports
 * made absolute) and one test file that imports each in its own test.
 *
 * @param root the repository root (a path ending in `/`)
 * @param files source files, from the root
 * @param dir an empty folder
 * @returns the test file's path and how many examples it runs
 */
export async function writeDocTests(
  root: string,
  files: string[],
  dir: string,
): Promise<{ entry: string; count: number }> {
  const tests: string[] = [];
  for (const file of files) {
    const source = new URL(file, `file://${root}`);
    for (const e of docExamples(file, await Deno.readTextFile(source))) {
      const code = e.code.replace(
        /(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.\.?\/[^"']+)\2/g,
        (_, head, q, spec) => `${head}${q}${new URL(spec, source).href}${q}`,
      );
      const name = `${file}#${e.lines[0]}-${e.lines[1]}`;
      const path = `${dir}/${file.replaceAll("/", "_")}_${e.lines[0]}-${e.lines[1]}.ts`;
      await Deno.writeTextFile(path, code + "\n");
      tests.push(
        `Deno.test(${JSON.stringify(name)}, async () => {\n  await import(${
          JSON.stringify(`file://${path}`)
        });\n});`,
      );
    }
  }
  const entry = `${dir}/doc_examples_test.ts`;
  await Deno.writeTextFile(entry, [ASSERT_THROWS, ...tests].join("\n") + "\n");
  return { entry, count: tests.length };
}
