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
 * A file of a first backup, stored at its own path. It reads through to the
 * listing's file rather than copying its fields: a study can hold 100,000
 * files, and a copy cost some 100 bytes of heap each (two of them boxed
 * numbers) for as long as the backup runs. Being getters, its fields are
 * not seen by a spread (`{ ...file }`).
 */
class FirstBackupFile implements PlannedFile {
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

  get stored(): string {
    return this.#file.path;
  }

  get kept(): undefined {
    return undefined;
  }
}

/** A source file with the SHA-256 of its content now. */
export interface HashedFile extends StudyFile {
  readonly sha256Hex: string;
}

/**
 * Compares the study now with the state a revision's list describes (stored
 * paths and digests).
 */
export function diffState(
  base: readonly SidecarEntry[],
  source: readonly HashedFile[],
): StateChanges {
  const before = new Map(base.map((entry) => [studyPathOf(entry.path), entry.sha256Hex]));
  const added: string[] = [];
  const changed: string[] = [];
  for (const file of source) {
    const digest = before.get(file.path);
    if (digest === undefined) added.push(file.path);
    else if (digest !== file.sha256Hex) changed.push(file.path);
    before.delete(file.path);
  }
  return { added, changed, removed: [...before.keys()].sort(compareNames) };
}

/** Whether nothing changed. */
export function unchanged(changes: StateChanges): boolean {
  return changes.added.length === 0 && changes.changed.length === 0 &&
    changes.removed.length === 0;
}

/**
 * Revision `revision` of a study whose previous revision lists `base`: each
 * file whose content that revision holds stays where it is stored; every new
 * or changed file goes to `_revisions/<revision>/<path>`, and so do the
 * markers of the state's empty folders.
 */
export function revisionWork(
  revision: number,
  base: readonly SidecarEntry[],
  source: readonly HashedFile[],
  emptyDirs: readonly string[],
): BackupWork {
  const before = new Map(base.map((entry) => [studyPathOf(entry.path), entry]));
  const files = source.map(({ path, size, mtime, sha256Hex }): PlannedFile => {
    const earlier = before.get(path);
    if (earlier === undefined || earlier.sha256Hex !== sha256Hex) {
      return { path, size, mtime, stored: revisionPath(revision, path), kept: undefined };
    }
    // The same text as the base list's stored path and digest, but not its strings: those are
    // slices of the list's whole text (some 11 MB at 100,000 files), which any one of them kept
    // would keep alive for the rest of the run.
    const stored = revisionPath(storingRevision(earlier.path), path);
    return { path, size, mtime, stored, kept: sha256Hex };
  });
  return {
    revision,
    files,
    emptyDirs: emptyDirs.map((dir) => revisionPath(revision, dir)),
    changes: diffState(base, source),
  };
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
