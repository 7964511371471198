/**
 * Lock files: created exclusively (so two processes cannot both hold one),
 * holding who took them, and removed only by their holder.
 *
 * @module
 */
import { writeAll } from "./_write.ts";

/** What a lock file records about its holder. */
export interface LockInfo {
  readonly hostname: string;
  readonly pid: number;
  readonly started_at: string;
  readonly [detail: string]: string | number;
}

/** A lock this process holds. */
export interface HeldLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Removes the lock file if it is still this holder's; never throws on a missing file. */
  release(): Promise<void>;
}

/** Thrown when the lock file already exists; `holder` is its content when readable. */
export class LockExistsError extends Error {
  constructor(readonly path: string, readonly holder: LockInfo | undefined) {
    super(`lock file exists: ${path}`);
    this.name = "LockExistsError";
  }
}

/** `host pid 123 since 2025-04-01T02:00:03Z` from a lock's content, for messages. */
export function describeHolder(holder: LockInfo | undefined): string {
  if (holder === undefined) return "an unknown holder (the lock file is unreadable)";
  return `${holder.hostname} pid ${holder.pid} since ${holder.started_at}`;
}

/** Who holds the lock file at `path`, for messages (see {@linkcode describeHolder}). */
export async function holderOf(path: string): Promise<string> {
  return describeHolder(await readLock(path));
}

/** Reads a lock file's content; undefined when it is missing or not a lock's JSON. */
export async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    if (typeof value === "object" && value !== null && typeof value.hostname === "string") {
      return value as LockInfo;
    }
  } catch {
    // missing, unreadable or torn: the caller reports an unknown holder
  }
  return undefined;
}

/**
 * Creates `path` exclusively with `info` as JSON, flushed to disk.
 *
 * @throws {LockExistsError} when the file exists already.
 */
export async function createLock(path: string, info: LockInfo): Promise<HeldLock> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, createNew: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new LockExistsError(path, await readLock(path));
    }
    throw error;
  }
  try {
    const bytes = new TextEncoder().encode(`${JSON.stringify(info)}\n`);
    await writeAll(file, bytes);
    await file.syncData();
  } finally {
    file.close();
  }
  return {
    path,
    info,
    async release() {
      const current = await readLock(path);
      if (current === undefined) {
        await Deno.remove(path).catch(() => {});
        return;
      }
      // Someone removed our lock and took their own: theirs is not ours to remove.
      if (current.pid !== info.pid || current.started_at !== info.started_at) return;
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    },
  };
}
