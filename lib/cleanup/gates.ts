/**
 * The safety gates a backup folder must pass before cleanup deletes it from
 * the share. Pure: each takes what was read (the manifest record, the share
 * copy's files and sidecar, the S3 listing) and returns why the folder must
 * stay, or undefined when that gate is passed.
 *
 * 1. The manifest gate: the backup's latest record is `complete`, and its
 *    source is deleted (a study still on the instrument may yet become a
 *    new revision of this backup, which builds on the share copy).
 * 2. The share gate: the share copy is exactly what was backed up — every
 *    file is listed in the file list of the record's revision
 *    (`_checksums.sha256`, or `_checksums.r<N>.sha256` for a revision; see
 *    lib/layout/revision.ts) or of an earlier one (a file that is not listed
 *    was never uploaded; the backup's copy journal, left by a crash just
 *    after `complete`, is the backup's own bookkeeping, and what an
 *    unfinished later revision left is not part of it), every file of the
 *    record's list is there, and the list is the one the record describes
 *    (its SHA-256, the count of files it lists and their total size: the
 *    check restore and audit make, lib/manifest/agreement.ts). Sizes for the
 *    S3 gate come from these files, so a rewritten list would make it check
 *    the wrong files.
 * 3. The S3 gate: S3 holds every listed file on the share, and each file
 *    list, under the record's `s3_uri`, each with the size of the share
 *    copy's file. (The backup confirmed every object's SHA-256 with
 *    HeadObject before it recorded `complete`; this gate proves the objects
 *    are still there.)
 *
 * @module
 */
import {
  isOwnFile,
  listName,
  listRevision,
  revisionOf,
  type SidecarEntry,
  storingRevision,
} from "../layout/mod.ts";
import { disagreementsWithRecord, type ManifestRecord } from "../manifest/mod.ts";

/** How many example paths a reason names. */
const EXAMPLES = 3;

/** `a, b, c and 4 more`. */
export function examples(paths: readonly string[]): string {
  const shown = paths.slice(0, EXAMPLES).join(", ");
  return paths.length > EXAMPLES ? `${shown} and ${paths.length - EXAMPLES} more` : shown;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** The time a record orders by: `completed_at`, else `started_at` (ms; -Infinity when unreadable). */
export function recordTime(record: ManifestRecord): number {
  const time = Date.parse(record.completed_at ?? record.started_at);
  return Number.isNaN(time) ? -Infinity : time;
}

/** Gate 1: why the folder of `backupName` must stay according to its latest record. */
export function manifestGate(record: ManifestRecord, backupName: string): string | undefined {
  if (record.status === "in_progress") {
    return "its latest manifest record is in_progress (a backup that never finished; check the " +
      "share copy and S3, then back the study up again)";
  }
  if (record.status !== "complete") {
    return `its latest manifest record is ${record.status}: ${record.error ?? "no error recorded"}`;
  }
  if (record.completed_at === null || Number.isNaN(Date.parse(record.completed_at))) {
    return "its complete manifest record has no valid completed_at";
  }
  if (`${record.instrument}/${record.run_name}` !== backupName) {
    return `its manifest record names instrument '${record.instrument}' and study ` +
      `'${record.run_name}', not this folder`;
  }
  if (record.source_deleted_at === null) {
    return "its source is still on the instrument: the next backup run deletes it, or adds what " +
      "changed as a new revision of this backup";
  }
  return undefined;
}

/** What was found in a backup folder on the share. */
export interface ShareCopy {
  /** Every regular file, by `/`-separated path relative to the folder, with its size. */
  readonly files: ReadonlyMap<string, number>;
  /** Links and special files (never part of a backup). */
  readonly others: readonly string[];
  /**
   * The parsed file list of the record's revision (`_checksums.sha256` for a
   * first backup); undefined when missing, a message when unreadable.
   */
  readonly sidecar: readonly SidecarEntry[] | undefined | string;
  /** SHA-256 of that list's bytes as stored, when it was read. */
  readonly sidecarSha256?: string;
  /** What the lists of earlier revisions name (a revision keeps their files). */
  readonly earlier?: readonly SidecarEntry[];
}

/** Whether a stored path belongs to a revision after `revision` (unfinished: not the backup's). */
function laterRevision(path: string, revision: number): boolean {
  return storingRevision(path) > revision;
}

/** Gate 2: why the share copy cannot be proven to be the backup its record describes. */
export function shareGate(copy: ShareCopy, record: ManifestRecord): string | undefined {
  const revision = revisionOf(record);
  const list = listName(revision);
  if (copy.sidecar === undefined) {
    return `it has no ${list}, so what S3 must hold is unknown`;
  }
  if (typeof copy.sidecar === "string") return `its ${list} is unreadable: ${copy.sidecar}`;
  if (copy.others.length > 0) {
    return `it holds links or special files that were never backed up: ${examples(copy.others)}`;
  }
  const listed = new Set([...copy.sidecar, ...copy.earlier ?? []].map((entry) => entry.path));
  const missing = copy.sidecar.filter((entry) => !copy.files.has(entry.path)).map((e) => e.path);
  if (missing.length > 0) {
    return `${plural(missing.length, "file")} listed in ${list} ` +
      `${missing.length === 1 ? "is" : "are"} missing from the share copy: ${examples(missing)}`;
  }
  const unlisted = [...copy.files.keys()].filter((path) =>
    !isOwnFile(path) && !listed.has(path) && !laterRevision(path, revision)
  );
  if (unlisted.length > 0) {
    return `it holds ${plural(unlisted.length, "file")} not listed in ${list}, so not ` +
      `in S3: ${examples(unlisted)}`;
  }
  const disagreements = disagreementsWithRecord(record, {
    sidecarName: list,
    sidecarSha256: copy.sidecarSha256,
    files: copy.sidecar.length,
    // Every listed file is there (checked above), so the total is the copy's.
    bytes: copy.sidecar.reduce((sum, entry) => sum + (copy.files.get(entry.path) ?? 0), 0),
  });
  return disagreements.length > 0 ? disagreements.join("; ") : undefined;
}

/** What S3 holds under a backup's key prefix. */
export interface S3Listing {
  readonly bucket: string;
  readonly keyPrefix: string;
  /** Every key under the prefix with its size. */
  readonly sizes: ReadonlyMap<string, number>;
}

/**
 * Gate 3: why S3 cannot be shown to hold the backup: each listed file on the
 * share, and each file list of the backup's revisions, must be an object of
 * the share copy's size. Call it only once {@linkcode shareGate} passed for
 * the same copy.
 */
export function s3Gate(
  copy: ShareCopy,
  listing: S3Listing,
  record: ManifestRecord,
): string | undefined {
  const revision = revisionOf(record);
  if (copy.sidecar === undefined || typeof copy.sidecar === "string") {
    return `it has no readable ${listName(revision)}`;
  }
  const files = new Set([
    ...copy.sidecar.map((entry) => entry.path),
    ...(copy.earlier ?? []).map((entry) => entry.path).filter((path) => copy.files.has(path)),
  ]);
  const lists = [...copy.files.keys()].filter((path) => {
    const listed = listRevision(path);
    return listed !== undefined && listed <= revision;
  });
  const expected = [...files, ...lists];
  const absent: string[] = [];
  const wrongSize: string[] = [];
  for (const path of expected) {
    const shareSize = copy.files.get(path);
    const objectSize = listing.sizes.get(`${listing.keyPrefix}${path}`);
    if (objectSize === undefined) absent.push(path);
    else if (objectSize !== shareSize) {
      wrongSize.push(`${path} (${objectSize} bytes in S3, ${shareSize} on the share)`);
    }
  }
  const where = `s3://${listing.bucket}/${listing.keyPrefix}`;
  if (absent.length > 0) {
    return `S3 lacks ${absent.length} of ${expected.length} files under ${where}: ${
      examples(absent)
    }`;
  }
  if (wrongSize.length > 0) {
    return `S3 holds ${plural(wrongSize.length, "file")} of the wrong size under ${where}: ${
      examples(wrongSize)
    }`;
  }
  return undefined;
}
