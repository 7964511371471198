/**
 * Step: list the study folder as the backup sees it — files with their size
 * and modification time, folders, empty folders (kept in S3 as markers), and
 * what cannot be backed up (links, special files). The study lock is left out.
 *
 * @module
 */
import { walk } from "../../fs/mod.ts";
import { localPath, STUDY_LOCK_FILE } from "../../layout/mod.ts";

/** A file of the study as found on the source. */
export interface SourceFile {
  /** Relative, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly mtime: number;
}

/** What a study folder holds, as the backup sees it (the study lock excluded). */
export interface StudyListing {
  readonly files: readonly SourceFile[];
  readonly dirs: readonly string[];
  /** Relative paths of folders that hold nothing (kept as S3 folder markers). */
  readonly emptyDirs: readonly string[];
  /** Links and special files: never copied (validation rejects them). */
  readonly unsupported: readonly string[];
}

/** A listing of nothing, for outcomes of studies that were never listed. */
export const EMPTY_LISTING: StudyListing = { files: [], dirs: [], emptyDirs: [], unsupported: [] };

/** Lists a study folder without following links. */
export async function listStudyFiles(studyPath: string): Promise<StudyListing> {
  const files: SourceFile[] = [];
  const dirs: string[] = [];
  const unsupported: string[] = [];
  const nonEmpty = new Set<string>();
  for await (const entry of walk(studyPath)) {
    if (entry.depth === 1 && entry.name === STUDY_LOCK_FILE) continue;
    const parent = entry.path.includes("/") ? entry.path.slice(0, entry.path.lastIndexOf("/")) : "";
    nonEmpty.add(parent);
    if (entry.kind === "dir") {
      dirs.push(entry.path);
    } else if (entry.kind === "file") {
      const info = await Deno.lstat(localPath(studyPath, entry.path));
      files.push({ path: entry.path, size: info.size, mtime: info.mtime?.getTime() ?? 0 });
    } else {
      unsupported.push(entry.path);
    }
  }
  return { files, dirs, emptyDirs: dirs.filter((dir) => !nonEmpty.has(dir)), unsupported };
}

/** What changed between two listings of the same study (the first difference), if anything. */
export function listingChange(a: StudyListing, b: StudyListing): string | undefined {
  const before = new Map(a.files.map((file) => [file.path, file]));
  for (const file of b.files) {
    const old = before.get(file.path);
    if (old === undefined) return `${file.path} appeared`;
    if (old.size !== file.size || old.mtime !== file.mtime) return `${file.path} changed`;
    before.delete(file.path);
  }
  const [gone] = before.keys();
  return gone === undefined ? undefined : `${gone} disappeared`;
}
