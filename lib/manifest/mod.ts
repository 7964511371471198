/**
 * The manifest: a per-month, append-only JSONL ledger of backups on the
 * share. The backup writes it; cleanup, audit, restore and status read it.
 *
 * @module
 */
export {
  BACKUP_STATUSES,
  type BackupStatus,
  MANIFEST_FILE_PATTERN,
  manifestFileName,
  type ManifestRecord,
  recordProblem,
  timestamp,
} from "./record.ts";
export {
  type CopyTotals,
  disagreementsWithRecord,
  recordedSidecarSha256,
  unrecordedSidecarNote,
} from "./agreement.ts";
export {
  appendJsonLine,
  appendRecord,
  foldRecords,
  type ManifestContents,
  manifestFiles,
  type ManifestWarning,
  parseManifest,
  readManifest,
} from "./ledger.ts";
