/**
 * Whether a stored copy of a backup (on the share, or in S3) is the one its
 * manifest record describes: its sidecar's own SHA-256 (`sidecar_sha256`),
 * the number of files the sidecar lists (`file_count`) and their total size
 * (`total_bytes`). A file changed together with its sidecar line passes the
 * per-file checks; it does not pass this one. Restore and audit both ask it.
 * Pure.
 *
 * @module
 */
import { shortDigest } from "../text/mod.ts";
import type { ManifestRecord } from "./record.ts";

/** What a stored copy shows of itself. */
export interface CopyTotals {
  /** The sidecar's name, for messages (`_checksums.sha256`). */
  readonly sidecarName: string;
  /**
   * SHA-256 of the sidecar's bytes as stored; undefined when the copy tells
   * none (an S3 sidecar without its `sha256` metadata, reported on its own).
   */
  readonly sidecarSha256: string | undefined;
  /**
   * Files the sidecar lists; undefined when the list at hand is another
   * copy's (the same list, checked with that copy).
   */
  readonly files: number | undefined;
  /**
   * Their total size; undefined when some listed file is not there (each
   * missing file is reported on its own, so the total says nothing more).
   */
  readonly bytes: number | undefined;
}

/**
 * The sidecar digest `record` holds, or undefined for a record of a version
 * that did not record it (or one written before its share copy was verified).
 */
export function recordedSidecarSha256(record: ManifestRecord): string | undefined {
  return record.sidecar_sha256 ?? undefined;
}

/**
 * Every way `copy` disagrees with `record`, one phrase each; empty when it
 * agrees. The sidecar digest is compared only when the record holds one.
 */
export function disagreementsWithRecord(record: ManifestRecord, copy: CopyTotals): string[] {
  const found: string[] = [];
  const recorded = recordedSidecarSha256(record);
  if (
    recorded !== undefined && copy.sidecarSha256 !== undefined && copy.sidecarSha256 !== recorded
  ) {
    found.push(
      `its ${copy.sidecarName} has SHA-256 ${shortDigest(copy.sidecarSha256)}, the manifest ` +
        `recorded ${shortDigest(recorded)} (the list was changed after the backup)`,
    );
  }
  if (copy.files !== undefined && copy.files !== record.file_count) {
    found.push(
      `its ${copy.sidecarName} lists ${copy.files} files, the manifest recorded ${record.file_count}`,
    );
  } else if (copy.bytes !== undefined && copy.bytes !== record.total_bytes) {
    found.push(
      `its files hold ${copy.bytes} bytes, the manifest recorded ${record.total_bytes}`,
    );
  }
  return found;
}

/** The line that says a record of an earlier version leaves the sidecar itself unchecked. */
export function unrecordedSidecarNote(record: ManifestRecord, sidecarName: string): string {
  return `the manifest record of ${record.backup_name} holds no sidecar_sha256 (written by an ` +
    `earlier version, or before its share copy was verified): ${sidecarName} itself could not be ` +
    "checked against the manifest; its file count and bytes were";
}
