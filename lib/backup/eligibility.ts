/**
 * Which studies a backup run takes: folders under `source_root` whose newest
 * modification (any entry, at any depth) is at least `idle_days` old, oldest
 * first.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { compareNames, walk } from "../fs/mod.ts";

/** A study folder found under the source root. */
export interface FoundStudy {
  readonly name: string;
  /** Absolute. */
  readonly path: string;
  /** The newest modification time of the folder or anything in it, in ms. */
  readonly newestMtime: number;
}

const DAY_MS = 86_400_000;

/**
 * The studies idle for at least `idleDays` at `now`, oldest first (ties by
 * name). Pure.
 */
export function selectEligible(
  studies: readonly FoundStudy[],
  idleDays: number,
  now: Date,
): FoundStudy[] {
  const cutoff = now.getTime() - idleDays * DAY_MS;
  return studies
    .filter((study) => study.newestMtime <= cutoff)
    .sort((a, b) => a.newestMtime - b.newestMtime || compareNames(a.name, b.name));
}

/**
 * The newest mtime of everything under the study folder `path` (links
 * themselves, not their targets). The folder's own mtime is left out: it
 * changes when anything at its top is created or removed — the backup's own
 * lock file, or an operator deleting a stale one — which is not the
 * instrument writing.
 */
export async function newestMtime(path: string): Promise<number> {
  let newest = 0;
  for await (const entry of walk(path)) {
    const mtime = (await Deno.lstat(join(path, entry.path))).mtime?.getTime() ?? 0;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}

/**
 * Every study folder directly under `root` (names starting with `.` are
 * skipped, as `validate root` does; links are not studies and not followed).
 */
export async function findStudies(root: string): Promise<FoundStudy[]> {
  const absolute = resolve(root);
  const studies: FoundStudy[] = [];
  for await (const entry of Deno.readDir(absolute)) {
    if (!entry.isDirectory || entry.isSymlink || entry.name.startsWith(".")) continue;
    const path = join(absolute, entry.name);
    studies.push({ name: entry.name, path, newestMtime: await newestMtime(path) });
  }
  return studies.sort((a, b) => compareNames(a.name, b.name));
}
