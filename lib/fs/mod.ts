/**
 * Small file-system helpers shared by the subsystems, in place of `@std/fs`
 * (JSR is out of reach; see docs/development.md): a walk that never follows
 * links, a folder listed a batch of entries at a time, an atomic write, a
 * write that loops over short writes, existence checks, and OS-level locks.
 *
 * @module
 */
import { join } from "node:path";
import { writeAll } from "./_write.ts";
import { type EntryKind, entryKind } from "./folder.ts";

export { atomicWriteChunks, atomicWriteFile } from "./atomic.ts";
export {
  type BusyLock,
  describeHolder,
  type HeldLock,
  holderPath,
  isHeld,
  LEAST_WAIT_MS,
  type LockInfo,
  type LockMode,
  type LockState,
  lockState,
  readHolder,
  tryLock,
  waitForLock,
} from "./lock.ts";
export { writeAll };
export { type EntryKind, type FolderEntry, readFolderSync } from "./folder.ts";

/** One entry found by {@linkcode walk}. */
export interface WalkEntry {
  /** Path relative to the walk root, `/`-separated on every OS. */
  readonly path: string;
  /** The entry's own name. */
  readonly name: string;
  readonly kind: EntryKind;
  /** 1 for the root's direct children. */
  readonly depth: number;
}

/** Code-unit order: the same on every OS and locale. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Lists every entry under `root`, depth first, names sorted in each
 * directory. Symbolic links (and Windows reparse points) are reported as
 * `symlink` and never followed.
 *
 * @throws {Deno.errors.NotFound} when `root` does not exist.
 */
export async function* walk(root: string): AsyncGenerator<WalkEntry> {
  yield* walkDir(root, "", 1);
}

async function* walkDir(dir: string, prefix: string, depth: number): AsyncGenerator<WalkEntry> {
  // Synchronous listing is three times faster than Deno.readDir here (no op round trip per
  // entry); one directory at a time keeps the event loop responsive enough.
  const entries = [...Deno.readDirSync(dir)];
  entries.sort((a, b) => compareNames(a.name, b.name));
  for (const entry of entries) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    const kind = entryKind(entry);
    yield { path, name: entry.name, kind, depth };
    if (kind === "dir") yield* walkDir(join(dir, entry.name), path, depth + 1);
  }
}

/** The entry's kind without following a link, or `undefined` when nothing is there. */
export async function kindAt(path: string): Promise<EntryKind | undefined> {
  try {
    return entryKind(await Deno.lstat(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
