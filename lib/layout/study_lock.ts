/**
 * The per-study `.fusion-toolkit.lock`: written before a study is processed
 * and removed in a `finally`. One left behind means a run crashed mid-study;
 * the next run refuses to start until an operator has looked.
 *
 * @module
 */
import { join } from "node:path";
import { createLock, type HeldLock, kindAt } from "../fs/mod.ts";
import { STUDY_LOCK_FILE } from "../standard/mod.ts";

export { STUDY_LOCK_FILE };

/** Paths of every study lock directly inside a study folder under `root`. */
export async function findStudyLocks(root: string): Promise<string[]> {
  const locks: string[] = [];
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isDirectory || entry.isSymlink) continue;
    const lock = join(root, entry.name, STUDY_LOCK_FILE);
    if (await kindAt(lock) !== undefined) locks.push(lock);
  }
  return locks.sort();
}

/**
 * Writes the study's lock file (hostname, pid, started_at, run_name).
 *
 * @throws {LockExistsError} when it exists already.
 */
export function lockStudy(
  studyPath: string,
  runName: string,
  hostname: string,
  startedAt: string,
): Promise<HeldLock> {
  return createLock(join(studyPath, STUDY_LOCK_FILE), {
    hostname,
    pid: Deno.pid,
    started_at: startedAt,
    run_name: runName,
  });
}
