/**
 * What a restore reads a backup through: the share copy (share_reader.ts)
 * or the S3 copy (s3_reader.ts), each behind the same `Reader`.
 *
 * @module
 */
import type { CopyTotals } from "../manifest/mod.ts";
import type { SidecarEntry } from "../layout/mod.ts";
import type { ObjectInfo } from "../storage/s3.ts";

/** A file that could not be restored, and why. */
export interface FileProblem {
  readonly path: string;
  readonly problem: string;
}

/** A file to restore, with its size once known. */
export interface Selected extends SidecarEntry {
  size: number;
}

/** What a source supplies. */
export interface Reader {
  /** "the share copy" or "the S3 copy", for messages. */
  readonly label: string;
  readonly files: readonly SidecarEntry[];
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
