/**
 * Which file a log is, apart from its name: the device and inode number on
 * POSIX, the volume serial number and file index on Windows (what Deno
 * reports as `dev` and `ino`). A renamed file keeps its identity, so a
 * rotated log can be found again by it, as `tail -F` follows a file.
 *
 * An identity is a hint, not a proof: a deleted file's inode can be reused
 * by the next file, and Windows file indexes above 2^53 lose their low bits
 * in a JavaScript number. The tail therefore also checks a file's size and
 * first bytes before trusting it.
 *
 * @module
 */
import { dirname, join } from "node:path";

/** A file's identity on its volume. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/** The identity in `info`, or undefined where the platform or file system gives none. */
export function identityOf(info: Deno.FileInfo): FileIdentity | undefined {
  return info.ino === null ? undefined : { dev: info.dev, ino: info.ino };
}

/** Whether `a` and `b` are known and the same file. */
export function sameIdentity(a: FileIdentity | undefined, b: FileIdentity | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

/**
 * Whether `file` (`info` its stat) can be the file a saved position belongs
 * to: it holds at least `offset` bytes, and starts with the first bytes
 * remembered of it (`head`, as far as it holds them).
 */
export async function holdsPosition(
  file: Deno.FsFile,
  info: Deno.FileInfo,
  offset: number,
  head: Uint8Array,
): Promise<boolean> {
  if (info.size < offset) return false;
  const start = new Uint8Array(Math.min(info.size, head.length));
  await file.seek(0, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < start.length) {
    const count = await file.read(start.subarray(filled));
    if (count === null) break;
    filled += count;
  }
  return start.subarray(0, filled).every((byte, index) => byte === head[index]);
}

/** A file found by its identity, open for reading. */
export interface FoundFile {
  readonly path: string;
  readonly file: Deno.FsFile;
}

/**
 * The file beside `logPath` (in the same folder, under another name) whose
 * identity is `identity` and that `accept`s it (its size and first bytes),
 * opened for reading; undefined when there is none or the folder cannot be
 * listed. Where a log rotation leaves the renamed log.
 */
export async function findRenamedFile(
  logPath: string,
  identity: FileIdentity,
  accept: (file: Deno.FsFile, info: Deno.FileInfo) => Promise<boolean>,
): Promise<FoundFile | undefined> {
  const folder = dirname(logPath);
  try {
    for await (const entry of Deno.readDir(folder)) {
      const path = join(folder, entry.name);
      if (!entry.isFile || path === logPath) continue;
      const info = await Deno.stat(path).catch(() => undefined);
      if (info === undefined || !sameIdentity(identityOf(info), identity)) continue;
      const file = await Deno.open(path, { read: true }).catch(() => undefined);
      if (file === undefined) continue;
      // The handle's own identity: the name may have changed hands since the stat.
      const opened = await file.stat().catch(() => undefined);
      if (opened !== undefined && sameIdentity(identityOf(opened), identity)) {
        if (await accept(file, opened).catch(() => false)) return { path, file };
      }
      file.close();
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
  }
  return undefined;
}
