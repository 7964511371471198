/**
 * What a restore reads a backup through: the share copy (share_reader.ts)
 * or the S3 copy (s3_reader.ts), each behind the same `Reader`.
 *
 * @module
 */
import type { CopyTotals } from "../manifest/mod.ts";
import { isRevisionPath, revisionPath, type SidecarEntry, studyPathOf } from "../layout/mod.ts";
import type { ObjectInfo } from "../storage/s3.ts";

/** A file that could not be restored, and why. */
export interface FileProblem {
  readonly path: string;
  readonly problem: string;
}

/** A file of the backup: where it goes in the study, where it is stored, its digest. */
export interface BackupFile {
  /** In the study, `/`-separated. */
  readonly path: string;
  /** In the backup's folder or prefix (the same for a first backup; see lib/layout/revision.ts). */
  readonly stored: string;
  readonly sha256Hex: string;
}

/** The files a revision's list names, each with its study path. */
export function backupFiles(list: readonly SidecarEntry[]): BackupFile[] {
  return list.map((entry) => ({
    path: studyPathOf(entry.path),
    stored: entry.path,
    sha256Hex: entry.sha256Hex,
  }));
}

/**
 * The folders of revision `revision` that hold nothing, as study paths, from
 * the stored paths of a backup's folders and of what each one holds.
 */
export function emptyFoldersOf(
  revision: number,
  dirs: readonly string[],
  nonEmpty: ReadonlySet<string>,
): string[] {
  const area = revision === 1 ? undefined : revisionPath(revision, "");
  return dirs
    .filter((dir) => !nonEmpty.has(dir))
    .filter((dir) => area === undefined ? !isRevisionPath(dir) : dir.startsWith(area))
    .map(studyPathOf);
}

/** A file to restore, with its size once known. */
export interface Selected extends BackupFile {
  size: number;
}

/** What a source supplies. */
export interface Reader {
  /** "the share copy" or "the S3 copy", for messages. */
  readonly label: string;
  readonly files: readonly BackupFile[];
  readonly emptyDirs: readonly string[];
  readonly notes: readonly string[];
  /** What the copy shows of itself, to be checked against the manifest record. */
  readonly totals: CopyTotals;
  /** Small files restored at once. */
  readonly concurrency: number;
  /** Sizes (and, for S3, storage state) of the selected files; missing ones become problems. */
  inspect(files: Selected[]): Promise<{ missing: FileProblem[]; archived: ObjectInfo[] }>;
  /**
   * Writes one file to `temp`. Returns the problem when its digest does not
   * match; throws for failures that stop the whole restore.
   */
  fetch(
    file: Selected,
    temp: string,
    onBytes: (bytes: number) => void,
  ): Promise<string | undefined>;
}
