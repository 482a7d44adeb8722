/**
 * Reading input files and writing key files, bounded and without surprises:
 * inputs are regular files (or `-`, standard input) read up to a size cap;
 * files are written as a new file in the target directory and renamed into
 * place, never through a symbolic link.
 *
 * @module
 */
import { TlsprobeError } from "../errors.ts";

/** The most any input file may hold (a system CA bundle is ~220 KB). */
export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

function fileError(e: unknown, path: string, what: string): TlsprobeError {
  if (e instanceof TlsprobeError) return e;
  if (e instanceof Deno.errors.NotFound) {
    return new TlsprobeError("FILE_NOT_FOUND", `Cannot read ${what} ${path}: no such file`, {
      path,
    });
  }
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    return new TlsprobeError("PERMISSION", `Cannot read ${what} ${path}: permission denied`, {
      path,
      raw: String(e),
    });
  }
  if (e instanceof Deno.errors.IsADirectory) {
    return new TlsprobeError("BAD_INPUT", `Cannot read ${what} ${path}: it is a directory`, {
      path,
    });
  }
  return new TlsprobeError(
    "BAD_INPUT",
    `Cannot read ${what} ${path}: ${e instanceof Error ? e.message : String(e)}`,
    { path, raw: String(e) },
  );
}

function kind(st: Deno.FileInfo): string {
  if (st.isDirectory) return "a directory";
  if (st.isFifo) return "a FIFO (named pipe)";
  if (st.isCharDevice || st.isBlockDevice) return "a device";
  if (st.isSocket) return "a socket";
  return "not a regular file";
}

async function readBounded(
  r: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooBig: () => TlsprobeError,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = r.getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) throw tooBig();
      parts.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return joinParts(parts, total);
}

/**
 * Reads an open file to its end, at most `maxBytes`: with the file's own
 * reads, not its `readable` stream, whose machinery costs a command several
 * milliseconds to load.
 */
async function readFileBounded(
  file: Deno.FsFile,
  maxBytes: number,
  tooBig: () => TlsprobeError,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const buf = new Uint8Array(65536);
    const n = await file.read(buf);
    if (n === null) break;
    total += n;
    if (total > maxBytes) throw tooBig();
    parts.push(buf.subarray(0, n));
  }
  return joinParts(parts, total);
}

/**
 * Reads an input file's bytes: a regular file (links followed) or `-` for
 * standard input, at most `maxBytes`, not empty.
 *
 * @param path the file, or `-`
 * @param what what the file is for, for messages (`CA file`, `policy file`)
 * @param maxBytes the cap (default {@link MAX_INPUT_BYTES})
 * @returns the bytes
 * @throws {TlsprobeError} `FILE_NOT_FOUND`, `PERMISSION`; `BAD_INPUT` for a
 *   directory, device, FIFO or socket, a file over the cap, an empty file
 */
export async function readInputBytes(
  path: string,
  what: string,
  maxBytes = MAX_INPUT_BYTES,
): Promise<Uint8Array> {
  const tooBig = () =>
    new TlsprobeError(
      "BAD_INPUT",
      `The ${what} ${path === "-" ? "on standard input" : path} is larger than ${
        maxBytes / 1024 / 1024
      } MiB; it cannot be what it should be`,
      { path, maxBytes },
    );
  let bytes: Uint8Array;
  if (path === "-") {
    bytes = await readBounded(Deno.stdin.readable, maxBytes, tooBig);
  } else {
    let file: Deno.FsFile | undefined;
    try {
      // stat before open: opening a FIFO would wait for a writer.
      const st = await Deno.stat(path);
      if (!st.isFile) {
        throw new TlsprobeError(
          "BAD_INPUT",
          `Cannot read ${what} ${path}: it is ${kind(st)}, not a regular file`,
          { path },
        );
      }
      if (st.size > maxBytes) throw tooBig();
      file = await Deno.open(path, { read: true });
      const again = await file.stat();
      if (!again.isFile) {
        throw new TlsprobeError("BAD_INPUT", `Cannot read ${what} ${path}: not a regular file`, {
          path,
        });
      }
      bytes = await readFileBounded(file, maxBytes, tooBig);
    } catch (e) {
      throw fileError(e, path, what);
    } finally {
      try {
        file?.close();
      } catch { /* closed */ }
    }
  }
  if (bytes.length === 0) {
    throw new TlsprobeError(
      "BAD_INPUT",
      `The ${what} ${path === "-" ? "on standard input" : path} is empty`,
      { path },
    );
  }
  return bytes;
}

/**
 * Reads an input file as UTF-8 text, bounded as {@link readInputBytes}.
 *
 * @param path the file, or `-`
 * @param what what the file is for, for messages
 * @param maxBytes the cap
 * @returns the text
 * @throws {TlsprobeError} as {@link readInputBytes}
 */
export async function readInputText(
  path: string,
  what: string,
  maxBytes = MAX_INPUT_BYTES,
): Promise<string> {
  return new TextDecoder().decode(await readInputBytes(path, what, maxBytes));
}

/**
 * Writes `content` to `dir/name` without following links: a new file is
 * created exclusively in `dir` (mode `mode`), then renamed over the name. An
 * existing entry is replaced only when `replace` is set and it is a regular
 * file; a symbolic link (even a dangling one) is refused.
 *
 * @param dir the directory (must exist)
 * @param name the file name (no slashes)
 * @param content what to write
 * @param opts `mode` (e.g. 0o600 for keys) and `replace`
 * @throws {TlsprobeError} `BAD_INPUT` for a link, a non-regular file, or an
 *   existing file without `replace`; `PERMISSION`
 */
export async function writeFileNoFollow(
  dir: string,
  name: string,
  content: string | Uint8Array,
  opts: { mode: number; replace?: boolean },
): Promise<void> {
  if (name.includes("/") || name === "." || name === "..") {
    throw new TlsprobeError("BAD_INPUT", `Bad file name ${JSON.stringify(name)}`);
  }
  const base = dir.replace(/\/+$/, "") || "/";
  const target = `${base}/${name}`;
  try {
    const st = await Deno.lstat(target);
    if (st.isSymlink) {
      throw new TlsprobeError(
        "BAD_INPUT",
        `${target} is a symbolic link; refusing to write through it (remove it first)`,
        { path: target },
      );
    }
    if (!st.isFile) {
      throw new TlsprobeError("BAD_INPUT", `${target} exists and is not a regular file`, {
        path: target,
      });
    }
    if (!opts.replace) {
      throw new TlsprobeError("BAD_INPUT", `${target} exists`, { path: target });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const rand = crypto.getRandomValues(new Uint8Array(6));
  const tmp = `${base}/.${name}.${Array.from(rand, (b) => b.toString(16)).join("")}.tmp`;
  const data = typeof content === "string" ? new TextEncoder().encode(content) : content;
  // createNew is O_CREAT|O_EXCL: it fails on any existing entry, links included.
  const f = await Deno.open(tmp, { write: true, createNew: true, mode: opts.mode });
  try {
    let off = 0;
    while (off < data.length) off += await f.write(data.subarray(off));
    f.close();
    // The file is ours (created exclusively), so chmod cannot reach anything else.
    await Deno.chmod(tmp, opts.mode);
    // rename replaces the directory entry itself; it never follows a link.
    await Deno.rename(tmp, target);
  } catch (e) {
    try {
      f.close();
    } catch { /* closed */ }
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** The parts, in order, as one array of `total` bytes. */
function joinParts(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
