/**
 * The per-study `.fusion-toolkit.lock`: a marker written into a study folder
 * while a backup works on it (who: host, pid, since, instrument), removed
 * when the study is done. It is not an OS lock of its own: the backup holds
 * its instrument's lock on the share (share_lock.ts) for the whole run, and
 * that lock keeps every other backup of the instrument away. So a study lock
 * is live exactly while its instrument's lock is held; one found by a run
 * that holds that lock was left by a run that ended mid-study, and the run
 * takes it over and resumes the study.
 *
 * @module
 */
import { join } from "node:path";
import { type LockInfo, readHolder } from "../fs/mod.ts";
import { STUDY_LOCK_FILE } from "../standard/mod.ts";

export { STUDY_LOCK_FILE };

/** A study lock this run wrote. */
export interface StudyLock {
  readonly path: string;
  /** The lock found in the folder: a run that ended mid-study left it (its content, when readable). */
  readonly tookOver: LockInfo | "unreadable" | undefined;
  /**
   * Removes the lock file.
   *
   * @throws {Error} when it cannot be removed (a missing one is fine).
   */
  release(): Promise<void>;
}

/** A study lock found under the source root. */
export interface FoundStudyLock {
  readonly study: string;
  readonly path: string;
  /** Its content, when readable. */
  readonly holder: LockInfo | undefined;
}

/** Every study lock directly inside a study folder under `root`, by study name. */
export async function findStudyLocks(root: string): Promise<FoundStudyLock[]> {
  const locks: FoundStudyLock[] = [];
  for await (const entry of Deno.readDir(root)) {
    if (!entry.isDirectory || entry.isSymlink || entry.name.startsWith(".")) continue;
    const path = join(root, entry.name, STUDY_LOCK_FILE);
    try {
      await Deno.lstat(path);
    } catch {
      continue; // none, or the folder cannot be read (the assessment reports that)
    }
    locks.push({ study: entry.name, path, holder: await readHolder(path) });
  }
  return locks.sort((a, b) => a.study < b.study ? -1 : a.study > b.study ? 1 : 0);
}

/**
 * Writes the study's lock file with `holder`, replacing one a run that
 * ended mid-study left. Call it only while holding the instrument's lock.
 */
export async function lockStudy(studyPath: string, holder: LockInfo): Promise<StudyLock> {
  const path = join(studyPath, STUDY_LOCK_FILE);
  let tookOver: StudyLock["tookOver"];
  try {
    await Deno.lstat(path);
    tookOver = await readHolder(path) ?? "unreadable";
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  // A plain write, not write-and-rename: a crash must not leave a temp file in the study.
  await Deno.writeTextFile(path, `${JSON.stringify(holder)}\n`);
  return {
    path,
    tookOver,
    async release() {
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      });
    },
  };
}
