/**
 * The manifest: an append-only JSONL ledger of backups on the share, one file
 * per instrument and month. Each instrument's backup writes its own files;
 * cleanup, audit, restore and status read every instrument's.
 *
 * @module
 */
export {
  BACKUP_STATUSES,
  type BackupStatus,
  type ManifestFileName,
  manifestFileName,
  manifestFilesInFoldOrder,
  type ManifestRecord,
  parseManifestFileName,
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
