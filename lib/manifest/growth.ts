/**
 * What backups added to the share and to S3 over time: each complete
 * revision of each backup once, with the files and bytes it stored — every
 * file for a first backup, only the new and changed ones for a revision
 * (lib/layout/revision.ts). What `status` averages a month and the monthly
 * report charts and forecasts from. Pure.
 *
 * @module
 */
import { revisionOf } from "../layout/mod.ts";
import type { ManifestRecord } from "./record.ts";

/** Files and bytes stored. */
export interface Stored {
  readonly files: number;
  readonly bytes: number;
}

/**
 * What the backup revision `record` describes stored: a first backup every
 * file it lists; a revision its `stored_file_count` and `stored_bytes`, or,
 * in a record without them, its whole size (the most it can have stored).
 */
export function storedBy(record: ManifestRecord): Stored {
  if (revisionOf(record) === 1) return { files: record.file_count, bytes: record.total_bytes };
  return {
    files: record.stored_file_count ?? record.file_count,
    bytes: record.stored_bytes ?? record.total_bytes,
  };
}

/** One complete revision of a backup: what it stored, and when it completed. */
export interface CompletedRevision extends Stored {
  readonly backupName: string;
  readonly instrument: string;
  readonly revision: number;
  /** Its `completed_at`. */
  readonly completedAt: string;
}

/**
 * Every revision of every backup that completed, once (the lines that
 * settle it later repeat its complete record), in the order they first
 * completed in `records`.
 */
export function completedRevisions(records: Iterable<ManifestRecord>): CompletedRevision[] {
  const found = new Map<string, CompletedRevision>();
  for (const record of records) {
    if (record.status !== "complete" || record.completed_at === null) continue;
    const revision = revisionOf(record);
    const key = `${record.backup_name}\n${revision}`;
    if (found.has(key)) continue;
    found.set(key, {
      backupName: record.backup_name,
      instrument: record.instrument,
      revision,
      completedAt: record.completed_at,
      ...storedBy(record),
    });
  }
  return [...found.values()];
}
