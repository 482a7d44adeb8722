/**
 * Builds what users install (see README "Install"):
 *
 * - `deno task compile [--target T …] [--out DIR]`: single binaries
 *   `DIR/tlsprobe-<target>` made by `deno compile`, which needs `denort` —
 *   `DENORT_BIN` (used for the host target only) or Deno's download. When it
 *   cannot be had, one sentence per target says so; nothing is left behind.
 * - `deno task dist [--target T …] [--out DIR] [--no-vsix] [--fast]`: portable
 *   archives `DIR/tlsprobe-<version>-<target>.tar.gz` (`.zip` for Windows):
 *   the Deno runtime from npm (`@deno/<platform>`, cached under
 *   `.ci/cache/deno-runtime/`), the CLI `deno bundle`d with code splitting
 *   into `lib/tlsprobe/` (entry `main.js`: a run loads only its verb's
 *   chunks, which starts faster than one file holding every verb), and a
 *   launcher (`tlsprobe` for sh, `tlsprobe.cmd`) that applies
 *   `cli/runtime.env` and the permissions of the `tlsprobe` task. Then the
 *   VS Code extension: one `.vsix` per target carrying that runtime and
 *   bundle, and a universal `.vsix` without it. `--fast` compresses at
 *   level 1 (what the archive test builds).
 *
 * Both write `DIR/SHA256SUMS` over every artefact in DIR. `DIR` defaults to
 * `dist/`. Exit status 0 when every requested target was built, 1 otherwise,
 * 2 for a usage error.
 */
import { VERSION } from "../core/version.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DENO = Deno.execPath();

/** Every target, named as VS Code names platforms (`vsce --target`). */
export const TARGETS = {
  "linux-x64": { triple: "x86_64-unknown-linux-gnu", npm: "@deno/linux-x64-glibc", win: false },
  "linux-arm64": {
    triple: "aarch64-unknown-linux-gnu",
    npm: "@deno/linux-arm64-glibc",
    win: false,
  },
  "darwin-x64": { triple: "x86_64-apple-darwin", npm: "@deno/darwin-x64", win: false },
  "darwin-arm64": { triple: "aarch64-apple-darwin", npm: "@deno/darwin-arm64", win: false },
  "win32-x64": { triple: "x86_64-pc-windows-msvc", npm: "@deno/win32-x64", win: true },
} as const;
type Target = keyof typeof TARGETS;

/** The target this machine runs, if it is one of ours. */
function hostTarget(): Target | undefined {
  const os = ({ linux: "linux", darwin: "darwin", windows: "win32" } as Record<string, string>)[
    Deno.build.os
  ];
  const arch = ({ x86_64: "x64", aarch64: "arm64" } as Record<string, string>)[Deno.build.arch];
  const t = `${os}-${arch}`;
  return t in TARGETS ? t as Target : undefined;
}

class BuildError extends Error {}

/**
 * What the `tlsprobe` task passes to Deno: its permissions, env file and
 * unstable switches (`--unstable-lazy-dynamic-imports`: a verb's modules are
 * read when it runs, not all of them at start-up) — one source.
 */
export function taskFlags(): { allow: string[]; envFile: string; unstable: string[] } {
  const config = JSON.parse(Deno.readTextFileSync(ROOT + "deno.json"));
  const words = String(config.tasks.tlsprobe).split(/\s+/);
  const allow = words.filter((w) => w.startsWith("--allow-"));
  const unstable = words.filter((w) => w.startsWith("--unstable-"));
  const envFile = words.find((w) => w.startsWith("--env-file="))?.slice("--env-file=".length);
  if (allow.length === 0 || !envFile) {
    throw new BuildError("deno.json's tlsprobe task no longer names its permissions and env file.");
  }
  return { allow, envFile, unstable };
}

async function exec(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; clearDenort?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: { NO_COLOR: "1", ...opts.env },
    stdout: "piped",
    stderr: "piped",
  });
  let out;
  try {
    out = await c.output();
  } catch (e) {
    throw new BuildError(`Cannot run ${cmd}: ${e instanceof Error ? e.message : e}.`);
  }
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

/** The innermost cause of a Rust-style error chain, without colours or backtrace. */
function rootCause(stderr: string): string {
  // deno's "Caused by:" chain: numbered lines, outermost first.
  // deno-lint-ignore no-control-regex
  const text = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("Stack backtrace:")[0];
  const causes = [...text.matchAll(/^\s*\d+: (.+)$/gm)].map((m) => m[1].trim());
  const first = /error: (.+)/.exec(text)?.[1]?.trim();
  const host = /https:\/\/([^/\s]+)\/\S*denort/.exec(text)?.[1];
  const last = (causes.at(-1) ?? first ?? text.trim().split("\n").pop() ?? "").replace(/\.$/, "");
  return host ? `cannot download denort ${Deno.version.deno} from ${host} (${last})` : last;
}

async function removeIfEmpty(dir: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(dir)) return;
    await Deno.remove(dir);
  } catch {
    // absent
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Writes `SHA256SUMS` over every `tlsprobe*` artefact in `out`. */
async function writeSums(out: string): Promise<void> {
  const names: string[] = [];
  for await (const e of Deno.readDir(out)) {
    if (e.isFile && e.name.startsWith("tlsprobe")) names.push(e.name);
  }
  names.sort();
  const lines: string[] = [];
  for (const n of names) {
    const digest = new Uint8Array(
      await crypto.subtle.digest("SHA-256", await Deno.readFile(`${out}/${n}`)),
    );
    lines.push(`${Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("")}  ${n}`);
  }
  if (lines.length) await Deno.writeTextFile(`${out}/SHA256SUMS`, lines.join("\n") + "\n");
}

// ---------------------------------------------------------------- compile

async function compileTarget(t: Target, out: string): Promise<string> {
  const { allow, envFile } = taskFlags();
  const name = `tlsprobe-${t}${TARGETS[t].win ? ".exe" : ""}`;
  const denort = Deno.env.get("DENORT_BIN");
  // DENORT_BIN is a runtime for this machine; other targets need their own.
  if (denort && t === hostTarget()) {
    if (!(await exists(denort))) {
      throw new BuildError(`DENORT_BIN names ${denort}, which does not exist.`);
    }
  }
  const childEnv = Deno.env.toObject();
  if (t !== hostTarget()) delete childEnv.DENORT_BIN;
  // deno compile creates the output folder even when it fails: use a scratch one.
  const scratch = await Deno.makeTempDir({ prefix: "tlsprobe-compile-" });
  try {
    const c = new Deno.Command(DENO, {
      args: [
        "compile",
        "--no-check",
        "--quiet",
        "--target",
        TARGETS[t].triple,
        `--env-file=${ROOT}${envFile}`,
        ...allow,
        "--output",
        `${scratch}/${name}`,
        `${ROOT}cli/main.ts`,
      ],
      clearEnv: true,
      env: { ...childEnv, NO_COLOR: "1", RUST_BACKTRACE: "0" },
      stdout: "piped",
      stderr: "piped",
    });
    const r = await c.output();
    if (r.code !== 0) {
      const why = rootCause(new TextDecoder().decode(r.stderr));
      const hint = /denort|dl\.deno\.land|dns|download|request/i.test(why)
        ? " (set DENORT_BIN to a denort " + Deno.version.deno + " for this machine, " +
          "or use `deno task dist` for portable archives)"
        : "";
      throw new BuildError(`Cannot compile tlsprobe for ${"${TARGET}"}: ${why}${hint}.`);
    }
    await Deno.mkdir(out, { recursive: true });
    await Deno.rename(`${scratch}/${name}`, `${out}/${name}`).catch(async () => {
      await Deno.copyFile(`${scratch}/${name}`, `${out}/${name}`);
      await Deno.chmod(`${out}/${name}`, 0o755);
    });
    return `${out}/${name}`;
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}

// ---------------------------------------------------------------- dist

const CACHE = ROOT + ".ci/cache/deno-runtime";

/** The npm package of Deno's runtime for `t`, from the cache or the registry. */
async function runtimePackage(t: Target): Promise<string> {
  const pkg = `${TARGETS[t].npm}@${Deno.version.deno}`;
  const file = `${CACHE}/${pkg.replace("@deno/", "deno-").replace("@", "-")}.tgz`;
  if (await exists(file)) return file;
  await Deno.mkdir(CACHE, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: CACHE, prefix: ".download-" });
  try {
    const r = await exec("npm", ["pack", pkg, "--pack-destination", tmp, "--silent"]);
    const packed = r.stdout.trim().split("\n").pop() ?? "";
    if (r.code !== 0 || !packed) {
      throw new BuildError(
        `Cannot download ${pkg} from the npm registry: ${
          r.stderr.trim().split("\n").find((l) => /error/i.test(l)) ?? `npm exited ${r.code}`
        }.`,
      );
    }
    // Rename into place: concurrent builds never see half a file.
    await Deno.rename(`${tmp}/${packed}`, file);
    return file;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/**
 * `deno bundle` of the CLI into `destDir` (entry `main.js`), split into
 * chunks: each verb is loaded on demand (`cli/commands/mod.ts`), so a run
 * reads and compiles only what its verb needs, as the source does, in a
 * handful of files instead of dozens of modules (`deno task compare` shows
 * both).
 *
 * @param destDir an empty or absent folder
 */
export async function bundleCli(destDir: string): Promise<void> {
  const r = await exec(DENO, [
    "bundle",
    "--quiet",
    "--platform",
    "deno",
    "--code-splitting",
    "--outdir",
    destDir,
    `${ROOT}cli/main.ts`,
  ], { cwd: ROOT });
  if (r.code !== 0) throw new BuildError(`deno bundle failed: ${rootCause(r.stderr)}.`);
}

/**
 * The bundled CLI laid out as the portable archive unpacks it (`lib/tlsprobe/`
 * beside the env file) in a new temporary folder, with the words that run it
 * exactly as the launcher does (`lib/launch.json`'s arguments), for the
 * benchmarks that time the bundle against the source.
 *
 * @param prefix the temporary folder's name prefix
 * @returns the folder (the caller removes it) and the `deno` arguments that run the CLI
 */
export async function stageBundle(prefix: string): Promise<{ here: string; words: string[] }> {
  const here = await Deno.makeTempDir({ prefix });
  await bundleCli(`${here}/lib/tlsprobe`);
  const flags = taskFlags();
  await Deno.copyFile(ROOT + flags.envFile, `${here}/lib/${flags.envFile.split("/").pop()}`);
  const words = launchArgs(flags.envFile, flags.allow, flags.unstable).map((a) =>
    a.replaceAll("${here}", here)
  );
  return { here, words };
}

/**
 * The arguments that run the bundle, with `${here}` for the unpacked folder:
 * the launchers and the extension read them from `lib/launch.json`.
 */
export function launchArgs(envFile: string, allow: string[], unstable: string[] = []): string[] {
  return [
    "run",
    "--quiet",
    "--no-config",
    "--no-lock",
    ...unstable,
    `--env-file=\${here}/lib/${envFile.split("/").pop()}`,
    ...allow,
    "${here}/lib/tlsprobe/main.js",
  ];
}

const SH_LAUNCHER = (args: string[]) =>
  `#!/bin/sh
# tlsprobe ${VERSION}: runs the bundled CLI on the Deno runtime shipped beside this file.
self=$0
# Follow links (for example ~/.local/bin/tlsprobe -> this file) to the unpacked folder.
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=\${self%/*}/$link ;;
  esac
done
case $self in
  */*) here=\${self%/*} ;;
  *) here=. ;;
esac
DENO_NO_UPDATE_CHECK=1
DENO_NO_PROMPT=1
export DENO_NO_UPDATE_CHECK DENO_NO_PROMPT
exec "$here/bin/deno" ${args.map((a) => `"${a}"`).join(" ")} "$@"
`;

const CMD_LAUNCHER = (args: string[]) =>
  [
    "@echo off",
    `rem tlsprobe ${VERSION}: runs the bundled CLI on the Deno runtime shipped beside this file.`,
    "setlocal",
    'set "DENO_NO_UPDATE_CHECK=1"',
    'set "DENO_NO_PROMPT=1"',
    `"%~dp0bin\\deno.exe" ${
      args.map((a) => `"${a.replaceAll("${here}/", "%~dp0").replaceAll("/", "\\")}"`).join(" ")
    } %*`,
    "exit /b %ERRORLEVEL%",
    "",
  ].join("\r\n");

/** Lays out the unpacked folder for `t` in `dir`. */
async function stage(t: Target, dir: string, bundleDir: string): Promise<void> {
  const { allow, envFile, unstable } = taskFlags();
  const tgz = await runtimePackage(t);
  await Deno.mkdir(`${dir}/bin`, { recursive: true });
  await Deno.mkdir(`${dir}/lib`, { recursive: true });
  const exe = TARGETS[t].win ? "deno.exe" : "deno";
  const x = await exec("tar", ["-xzf", tgz, "-C", `${dir}/bin`, "--strip-components=1"]);
  if (x.code !== 0) throw new BuildError(`Cannot unpack ${tgz}: ${x.stderr.trim()}.`);
  if (!(await exists(`${dir}/bin/${exe}`))) {
    throw new BuildError(`${tgz} holds no ${exe}: is ${TARGETS[t].npm} still Deno's runtime?`);
  }
  for (const f of ["package.json", "README.md"]) {
    await Deno.remove(`${dir}/bin/${f}`).catch(() => {});
  }
  if (!TARGETS[t].win) await Deno.chmod(`${dir}/bin/${exe}`, 0o755);
  const cp = await exec("cp", ["-R", bundleDir, `${dir}/lib/tlsprobe`]);
  if (cp.code !== 0) throw new BuildError(`Cannot stage the bundle: ${cp.stderr.trim()}.`);
  await Deno.copyFile(ROOT + envFile, `${dir}/lib/${envFile.split("/").pop()}`);
  const args = launchArgs(envFile, allow, unstable);
  await Deno.writeTextFile(
    `${dir}/lib/launch.json`,
    JSON.stringify(
      {
        version: VERSION,
        deno: `bin/${exe}`,
        args,
        env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
      },
      null,
      2,
    ) + "\n",
  );
  await Deno.writeTextFile(`${dir}/tlsprobe`, SH_LAUNCHER(args), { mode: 0o755 });
  await Deno.chmod(`${dir}/tlsprobe`, 0o755);
  await Deno.writeTextFile(`${dir}/tlsprobe.cmd`, CMD_LAUNCHER(args));
  await Deno.copyFile(ROOT + "LICENSE", `${dir}/LICENSE`);
  await Deno.writeTextFile(
    `${dir}/README.txt`,
    `tlsprobe ${VERSION} for ${t}\n\n` +
      `Run ./tlsprobe --help (tlsprobe.cmd on Windows), or put this folder on PATH.\n` +
      `bin/ holds the Deno ${Deno.version.deno} runtime (from the npm package ${
        TARGETS[t].npm
      }, MIT);\n` +
      `lib/tlsprobe/ is the CLI bundled by deno bundle (entry main.js). Nothing else is needed: no Node, no Deno install.\n`,
  );
}

/**
 * @param fast compress at level 1 instead of the default 6 (`--fast`: the
 *   archive test's build; same files, about 8% larger, 2.5× less CPU)
 */
async function archive(
  t: Target,
  out: string,
  bundleDir: string,
  work: string,
  fast = false,
): Promise<string> {
  const base = `tlsprobe-${VERSION}-${t}`;
  const dir = `${work}/${base}`;
  await stage(t, dir, bundleDir);
  await Deno.mkdir(out, { recursive: true });
  const file = TARGETS[t].win ? `${base}.zip` : `${base}.tar.gz`;
  const tmpFile = `${out}/.${file}.partial`;
  const r = TARGETS[t].win
    ? await exec("zip", ["-q", "-r", "-X", ...(fast ? ["-1"] : []), tmpFile, base], { cwd: work })
    : await exec(
      "tar",
      ["-cf", tmpFile, "-I", fast ? "gzip -1" : "gzip", "--owner=0", "--group=0", base],
      { cwd: work },
    );
  if (r.code !== 0) {
    await Deno.remove(tmpFile).catch(() => {});
    throw new BuildError(`Cannot write ${file}: ${r.stderr.trim() || "exit " + r.code}.`);
  }
  await Deno.rename(tmpFile, `${out}/${file}`);
  return dir;
}

/** Builds extension/out/extension.js (installing the extension's dev dependencies once). */
async function buildExtension(): Promise<void> {
  const ext = ROOT + "extension";
  if (!(await exists(`${ext}/node_modules/@vscode/vsce`))) {
    const r = await exec("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: ext,
    });
    if (r.code !== 0) throw new BuildError(`npm ci in extension/ failed: ${r.stderr.trim()}.`);
  }
  const r = await exec("node", ["esbuild.mjs"], { cwd: ext });
  if (r.code !== 0) throw new BuildError(`The extension does not build: ${r.stderr.trim()}.`);
}

/** Packages the extension, with `runtimeDir` as its `runtime/` folder when given. */
async function vsix(out: string, t: Target | undefined, runtimeDir?: string): Promise<string> {
  const ext = ROOT + "extension";
  const stageDir = await Deno.makeTempDir({ prefix: "tlsprobe-vsix-" });
  try {
    const manifest = JSON.parse(await Deno.readTextFile(`${ext}/package.json`));
    // Built already; the staged copy has no sources to build from.
    delete manifest.scripts?.["vscode:prepublish"];
    await Deno.writeTextFile(`${stageDir}/package.json`, JSON.stringify(manifest, null, 2));
    for (const f of [".vscodeignore", "README.md", "LICENSE", "CHANGELOG.md"]) {
      if (await exists(`${ext}/${f}`)) await Deno.copyFile(`${ext}/${f}`, `${stageDir}/${f}`);
    }
    for (const d of ["media", "out"]) {
      const r = await exec("cp", ["-a", `${ext}/${d}`, `${stageDir}/${d}`]);
      if (r.code !== 0) throw new BuildError(`Cannot stage extension/${d}: ${r.stderr.trim()}.`);
    }
    if (runtimeDir) {
      const r = await exec("cp", ["-a", runtimeDir, `${stageDir}/runtime`]);
      if (r.code !== 0) throw new BuildError(`Cannot stage the runtime: ${r.stderr.trim()}.`);
    }
    const name = `tlsprobe-${VERSION}${t ? "-" + t : ""}.vsix`;
    await Deno.mkdir(out, { recursive: true });
    const vsce = `${ext}/node_modules/.bin/vsce`;
    const r = await exec(vsce, [
      "package",
      "--no-dependencies",
      // The README's images ship in the package; keep its links to them.
      "--no-rewrite-relative-links",
      ...(t ? ["--target", t] : []),
      "-o",
      `${out}/${name}`,
    ], { cwd: stageDir });
    if (r.code !== 0) {
      throw new BuildError(
        `vsce package${t ? " --target " + t : ""} failed: ${
          (r.stderr + r.stdout).trim().split("\n").slice(-3).join(" ")
        }.`,
      );
    }
    return `${out}/${name}`;
  } finally {
    await Deno.remove(stageDir, { recursive: true }).catch(() => {});
  }
}

// ---------------------------------------------------------------- main

function usage(msg: string): never {
  console.error(
    `${msg}\nUsage: deno task compile|dist [--target ${
      Object.keys(TARGETS).join("|")
    } …] [--out DIR]${" [--no-vsix] [--fast]"}`,
  );
  Deno.exit(2);
}

async function main(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb !== "compile" && verb !== "dist") usage(`Unknown verb ${verb ?? "(none)"}.`);
  const targets: Target[] = [];
  let out = ROOT + "dist";
  let withVsix = true;
  let fast = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--target" || a === "-t") {
      const t = rest[++i];
      if (!(t in TARGETS)) usage(`Unknown target ${t ?? "(none)"}.`);
      targets.push(t as Target);
    } else if (a === "--out") {
      out = rest[++i] ?? usage("--out needs a folder.");
    } else if (a === "--no-vsix") {
      withVsix = false;
    } else if (a === "--fast") {
      fast = true;
    } else usage(`Unknown argument ${a}.`);
  }
  if (targets.length === 0) targets.push(...Object.keys(TARGETS) as Target[]);
  const outExisted = await exists(out);
  let failed = 0;
  const built: string[] = [];
  const work = await Deno.makeTempDir({ prefix: "tlsprobe-dist-" });
  try {
    if (verb === "compile") {
      // One sentence per distinct reason, naming the targets it stopped.
      const reasons = new Map<string, Target[]>();
      for (const t of targets) {
        try {
          built.push(await compileTarget(t, out));
          console.log(`built ${built.at(-1)!.slice(out.length + 1)}`);
        } catch (e) {
          if (!(e instanceof BuildError)) throw e;
          reasons.set(e.message, [...(reasons.get(e.message) ?? []), t]);
          failed++;
        }
      }
      for (const [why, ts] of reasons) {
        console.error(why.replace("${TARGET}", ts.join(", ")));
      }
    } else {
      const bundleDir = `${work}/tlsprobe`;
      await bundleCli(bundleDir);
      if (withVsix) await buildExtension();
      for (const t of targets) {
        try {
          const dir = await archive(t, out, bundleDir, work, fast);
          console.log(`built tlsprobe-${VERSION}-${t}.${TARGETS[t].win ? "zip" : "tar.gz"}`);
          if (withVsix) console.log(`built ${(await vsix(out, t, dir)).slice(out.length + 1)}`);
          built.push(t);
        } catch (e) {
          if (!(e instanceof BuildError)) throw e;
          console.error(e.message);
          failed++;
        }
      }
      if (withVsix && failed === 0) {
        console.log(`built ${(await vsix(out, undefined)).slice(out.length + 1)}`);
      }
    }
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    console.error(e.message);
    failed++;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  if (built.length) await writeSums(out);
  else if (!outExisted) await removeIfEmpty(out);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
