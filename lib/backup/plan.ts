/**
 * The pure decisions of one study's backup: what to do given its manifest
 * records, what changed since its complete backup, what a backup (the
 * first, or a revision) stores where, and which object found in S3 an
 * attempt may replace. No I/O.
 *
 * @module
 */
import { compareNames } from "../fs/mod.ts";
import {
  type AttemptTag,
  describeAttempt,
  parseAttemptTag,
  revisionOf,
  revisionPath,
  type SidecarEntry,
  storingRevision,
  studyPathOf,
} from "../layout/mod.ts";
import type { ManifestRecord } from "../manifest/mod.ts";
import type { ReplaceVerdict } from "../storage/s3.ts";
import type { StudyFile, StudyListing } from "../study/mod.ts";
import type { DigestTable } from "./digest_table.ts";

/** A file of the state a backup stores. */
export interface PlannedFile extends StudyFile {
  /** Where its copy lives in the backup, on the share and in S3: `/`-separated, relative. */
  readonly stored: string;
  /**
   * Its SHA-256 when an earlier revision holds exactly this content already:
   * it is not stored again, only checked to be there.
   */
  readonly kept: string | undefined;
}

/** What changed in a study since the revision its complete backup lists. */
export interface StateChanges {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

/** What one backup (the first, or a revision) stores and lists. */
export interface BackupWork {
  readonly revision: number;
  /** Every file of the study's state, in the listing's order. */
  readonly files: readonly PlannedFile[];
  /** Stored paths of the state's empty folders (kept in S3 as folder markers). */
  readonly emptyDirs: readonly string[];
  /** What changed since the revision before; undefined for a first backup. */
  readonly changes: StateChanges | undefined;
}

/** What the pipeline does with a study it may back up. */
export type StudyDecision =
  /** No complete backup yet: back it up (an earlier attempt's verified copies are kept). */
  | { readonly kind: "first" }
  /**
   * A complete backup exists: compare the study with it file by file; the
   * same → delete the source; changed → store revision `next`.
   */
  | { readonly kind: "compare"; readonly base: ManifestRecord; readonly next: number }
  /** Needs a person: nothing is touched. */
  | { readonly kind: "refuse"; readonly message: string };

/**
 * Decides from the study's latest record, its latest complete one, and
 * whether its backup folder holds a backup the manifest does not know.
 */
export function decideStudy(
  latest: ManifestRecord | undefined,
  lastComplete: ManifestRecord | undefined,
  unknownBackupThere: boolean,
): StudyDecision {
  if (lastComplete !== undefined) {
    return { kind: "compare", base: lastComplete, next: revisionOf(lastComplete) + 1 };
  }
  if (latest === undefined && unknownBackupThere) {
    return {
      kind: "refuse",
      message: "its folder on the share already holds a backup that the manifest does not know " +
        "(a lost manifest, or [truenas] manifest_root changed?): it is never overwritten — point " +
        "manifest_root at the manifest that lists it",
    };
  }
  return { kind: "first" };
}

/** The first backup of a study: every file stored at its own path. */
export function firstBackup(listing: StudyListing): BackupWork {
  return {
    revision: 1,
    files: listing.files.map((file) => new FirstBackupFile(file)),
    emptyDirs: listing.emptyDirs,
    changes: undefined,
  };
}

/**
 * A planned file that reads through to the listing's file rather than
 * copying its fields: a study can hold 100,000 files, and a copy cost some
 * 100 bytes of heap each (two of them boxed numbers) for as long as the
 * backup runs. Being getters, its fields are not seen by a spread
 * (`{ ...file }`).
 */
abstract class ListedPlannedFile implements PlannedFile {
  readonly #file: StudyFile;

  constructor(file: StudyFile) {
    this.#file = file;
  }

  get path(): string {
    return this.#file.path;
  }

  get size(): number {
    return this.#file.size;
  }

  get mtime(): number {
    return this.#file.mtime;
  }

  abstract readonly stored: string;
  abstract readonly kept: string | undefined;
}

/** A file of a first backup, stored at its own path. */
class FirstBackupFile extends ListedPlannedFile {
  get stored(): string {
    return this.path;
  }

  get kept(): undefined {
    return undefined;
  }
}

/**
 * The study's files now, compared with the state a revision's list
 * describes: what changed, and, by each file's place in the listing, its
 * digest now and the revision that already stores that content. Compact, as
 * a first backup's plan is: no object or digest text per file.
 */
export interface StateComparison {
  readonly changes: StateChanges;
  /** Each file's SHA-256 now, at its place in the listing. */
  readonly digests: DigestTable;
  /** At each file's place: the revision that stores its content, 0 when none does. */
  readonly storedIn: Uint32Array;
}

/**
 * Compares `files` (whose digests now `digests` holds at their places) with
 * the entries of a revision's list (stored paths and digests), taken one at
 * a time and not kept: a study path it lists and `files` lacks is removed.
 */
export function compareState(
  files: readonly StudyFile[],
  digests: DigestTable,
  base: Iterable<SidecarEntry>,
): StateComparison {
  const placeOf = new Map<string, number>();
  files.forEach((file, index) => placeOf.set(file.path, index));
  const storedIn = new Uint32Array(files.length);
  const listed = new Uint8Array(files.length);
  const removed: string[] = [];
  for (const entry of base) {
    const path = studyPathOf(entry.path);
    const index = placeOf.get(path);
    if (index === undefined) {
      removed.push(path);
      continue;
    }
    listed[index] = 1;
    storedIn[index] = digests.matches(index, entry.sha256Hex) ? storingRevision(entry.path) : 0;
  }
  const added: string[] = [];
  const changed: string[] = [];
  files.forEach((file, index) => {
    if (storedIn[index] !== 0) return;
    (listed[index] === 1 ? changed : added).push(file.path);
  });
  return { changes: { added, changed, removed: removed.sort(compareNames) }, digests, storedIn };
}

/** Whether nothing changed. */
export function unchanged(changes: StateChanges): boolean {
  return changes.added.length === 0 && changes.changed.length === 0 &&
    changes.removed.length === 0;
}

/**
 * Revision `revision` of a study, its listed `files` compared with the
 * revision before: each file whose content an earlier revision holds stays
 * where it is stored; every new or changed file goes to
 * `_revisions/<revision>/<path>`, and so do the markers of the state's empty
 * folders.
 */
export function revisionWork(
  revision: number,
  files: readonly StudyFile[],
  comparison: StateComparison,
  emptyDirs: readonly string[],
): BackupWork {
  const { digests, storedIn } = comparison;
  return {
    revision,
    files: files.map((file, index) => {
      const storing = storedIn[index] ?? 0;
      return storing === 0
        ? new RevisionFile(file, revisionPath(revision, file.path), undefined, index)
        : new RevisionFile(file, revisionPath(storing, file.path), digests, index);
    }),
    emptyDirs: emptyDirs.map((dir) => revisionPath(revision, dir)),
    changes: comparison.changes,
  };
}

/**
 * A file of a revision: stored where `stored` says (the listing's own path
 * string for a file the first revision holds); a kept file's digest is read
 * from the comparison's table when asked for.
 */
class RevisionFile extends ListedPlannedFile {
  readonly stored: string;
  readonly #keptDigests: DigestTable | undefined;
  readonly #index: number;

  constructor(
    file: StudyFile,
    stored: string,
    keptDigests: DigestTable | undefined,
    index: number,
  ) {
    super(file);
    this.stored = stored;
    this.#keptDigests = keptDigests;
    this.#index = index;
  }

  get kept(): string | undefined {
    return this.#keptDigests?.hex(this.#index);
  }
}

/** What a backup's record counts of `work`. */
export type WorkCounts = Pick<
  ManifestRecord,
  "file_count" | "total_bytes" | "stored_file_count" | "stored_bytes"
>;

/**
 * The record's counts of `work`: every file of the study's state, and, for
 * a revision, the files it stores itself (not kept from an earlier one).
 */
export function workCounts(work: BackupWork): WorkCounts {
  const bytes = (files: readonly PlannedFile[]) => files.reduce((sum, file) => sum + file.size, 0);
  const counts = { file_count: work.files.length, total_bytes: bytes(work.files) };
  if (work.revision === 1) return counts;
  const stored = work.files.filter((file) => file.kept === undefined);
  return { ...counts, stored_file_count: stored.length, stored_bytes: bytes(stored) };
}

/** `3 added, 1 changed, 0 removed`, for log lines. */
export function describeChanges(changes: StateChanges): string {
  return `${changes.added.length} added, ${changes.changed.length} changed, ` +
    `${changes.removed.length} removed`;
}

/**
 * Whether attempt `current` may replace an object holding other content at
 * a key it writes, the object tagged `found` (its metadata `attempt`), given
 * `history`: every record of this backup in the manifest before this run.
 * Only an object written by an attempt of the same backup and revision
 * that the manifest lists, while no attempt of that revision ever
 * completed, is replaced: it is this backup's own unfinished work, which
 * the study's change since made wrong. (`started_at` has whole seconds, so
 * a tag naming `current`'s own start but no listed attempt is not taken as
 * `current`'s: it could be a lost attempt of the same second.) Anything
 * else — no tag, a tag the manifest does not list, another instrument's or
 * revision's, a revision that completed — is refused, with what to do
 * (`command`: how the user starts this program).
 */
export function judgeFoundObject(
  history: readonly ManifestRecord[],
  current: AttemptTag,
  found: string | undefined,
  command: string,
): ReplaceVerdict {
  const refuse = (why: string, advice: string): ReplaceVerdict => ({
    replace: false,
    reason: `${why}: a backup never replaces it — ${advice}`,
  });
  const tag = parseAttemptTag(found);
  if (tag === undefined) {
    return refuse(
      "it names no backup attempt (it was written by an earlier version of fusion-toolkit, or " +
        "by another program), so nothing proves it is an unfinished attempt of this backup",
      "if the manifest that lists its backup was lost or [truenas] manifest_root changed, " +
        "point manifest_root at it; otherwise rename the study folder to back it up under a " +
        "new name",
    );
  }
  if (tag.instrument !== current.instrument || tag.revision !== current.revision) {
    return refuse(
      `it was written by ${describeAttempt(tag)} of instrument ${tag.instrument}, not by an ` +
        `attempt of revision ${current.revision} of ${current.instrument}, which this one is`,
      "the manifest may have lost that attempt's records: point [truenas] manifest_root at the " +
        "manifest that lists them",
    );
  }
  const completed = history.find((record) =>
    record.status === "complete" && revisionOf(record) === current.revision
  );
  if (completed !== undefined) {
    return refuse(
      `revision ${current.revision} of this backup is complete (the attempt started ` +
        `${completed.started_at}) and this object may be part of it`,
      `run \`${command} audit --s3\``,
    );
  }
  const records = history.filter((record) =>
    record.started_at === tag.startedAt && revisionOf(record) === tag.revision &&
    record.instrument === tag.instrument
  );
  const last = records.at(-1);
  if (last === undefined) {
    return refuse(
      `it was written by ${describeAttempt(tag)}, which the manifest does not list (a lost ` +
        "manifest, or [truenas] manifest_root changed?)",
      "point manifest_root at the manifest that lists that attempt",
    );
  }
  return {
    replace: true,
    note: `it was written by ${describeAttempt(tag)} of this backup, which never completed (its ` +
      `last record: ${last.status})`,
  };
}
