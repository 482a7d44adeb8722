/**
 * Checks the pure core stays pure: outside `core/net/`, no module under
 * `core/` may use `Deno.*` or import `node:*`, so the extension (Node) and a
 * browser can load it as it is.
 */
const root = new URL("../core/", import.meta.url);
const bad: string[] = [];

async function walk(dir: URL, rel: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const path = rel + entry.name;
    if (entry.isDirectory) {
      if (path === "net") continue;
      await walk(new URL(entry.name + "/", dir), path + "/");
    } else if (entry.name.endsWith(".ts")) {
      const text = await Deno.readTextFile(new URL(entry.name, dir));
      text.split("\n").forEach((line, i) => {
        if (/^\s*(\*|\/\/|\/\*)/.test(line)) return; // comments and JSDoc
        const code = line.replace(/\/\/.*$/, "");
        if (/\bDeno\.|from\s+["']node:|import\(["']node:/.test(code)) {
          bad.push(`core/${path}:${i + 1}: ${line.trim()}`);
        }
      });
    }
  }
}

await walk(root, "");
if (bad.length) {
  console.error("I/O outside core/net/ (the core must stay pure):\n" + bad.join("\n"));
  Deno.exit(1);
}
console.log("core purity: ok");
