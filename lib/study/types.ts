/**
 * What an assessment of a study says (assess.ts makes it, verdict.ts judges
 * it): the study's listing, what could not be read, its violations, and
 * whether the backup would take it.
 *
 * @module
 */
import type { Violation } from "../standard/mod.ts";

/** A file of the study as found on the source. */
export interface StudyFile {
  /** Relative, `/`-separated. */
  readonly path: string;
  readonly size: number;
  /** Modification time, ms. */
  readonly mtime: number;
}

/** What a study folder holds, as the backup copies it (the study lock left out). */
export interface StudyListing {
  readonly files: readonly StudyFile[];
  readonly dirs: readonly string[];
  /** Relative paths of folders that hold nothing (kept as S3 folder markers). */
  readonly emptyDirs: readonly string[];
  /** Links and special files: never copied (the naming rules reject them, R5). */
  readonly unsupported: readonly string[];
}

/** A listing of nothing, for studies that were never listed. */
export const EMPTY_LISTING: StudyListing = { files: [], dirs: [], emptyDirs: [], unsupported: [] };

/** Something inside the study the walk could not read. */
export interface Unreadable {
  /** Relative, `/`-separated; `.` is the study folder itself. */
  readonly path: string;
  readonly message: string;
}

/** What the entry in the source root is: a study folder, or a link that stands in for one. */
export type StudyKind = "dir" | "symlink";

/** Everything known about one study folder, and whether the backup would take it. */
export interface StudyAssessment {
  /** The folder's name. */
  readonly name: string;
  /** Absolute. */
  readonly path: string;
  readonly kind: StudyKind;
  readonly listing: StudyListing;
  readonly unreadable: readonly Unreadable[];
  /** R1–R8, as far as the folder could be read. */
  readonly violations: readonly Violation[];
  /**
   * The newest modification time of anything inside (ms; 0 when empty). The
   * folder's own time is left out — it changes when the backup's lock file
   * is made or removed, which is not the instrument writing — and so is the
   * lock file itself.
   */
  readonly newestMtime: number;
  /**
   * Why the backup will not take this study as it is, whatever its age; one
   * line that says what to fix. Undefined when it would.
   */
  readonly refusal: string | undefined;
}
