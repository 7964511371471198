/**
 * The manifest: an append-only JSONL ledger of backups on the share, one file
 * per instrument and month. Each instrument's backup writes its own files;
 * cleanup, audit, restore, status and report read every instrument's. Beside
 * it, the job log: every instrument's job runs.
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
export { type CompletedRevision, completedRevisions, type Stored, storedBy } from "./growth.ts";
export {
  appendJsonLine,
  appendRecord,
  foldComplete,
  foldRecords,
  type ManifestContents,
  manifestFiles,
  type ManifestWarning,
  parseManifest,
  readManifest,
} from "./ledger.ts";
export {
  appendJobRecord,
  type JobDetails,
  jobFilePath,
  type JobLogWarning,
  type JobRecord,
  JOBS_DIR,
  parseJobLog,
  readJobLog,
  type WaitingStudyFact,
} from "./jobs.ts";
