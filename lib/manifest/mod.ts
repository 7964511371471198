/**
 * The manifest: a per-month, append-only JSONL ledger of backups on the
 * share. The backup writes it; cleanup, audit, restore, status and report
 * read it. Beside it, the job log: every instrument's job runs.
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
  appendJsonLine,
  appendRecord,
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
