/**
 * The monthly backup: eligibility, locks, hooks, the per-study pipeline and
 * the run that ties them together, plus the dry-run plan.
 *
 * @module
 */
export type { Archive, ArchivedObject, ObjectCheck } from "./archive.ts";
export { findStudies, type FoundStudy, newestMtime, selectEligible } from "./eligibility.ts";
export { runHook } from "./hooks.ts";
export { COPY_JOURNAL_NAME } from "./journal.ts";
export { findStudyLocks, lockStudy } from "./locks.ts";
export {
  type BackupProgress,
  type BackupStage,
  backupStudy,
  listStudyFiles,
  metadataStorageClass,
  NO_PROGRESS,
  type SourceFile,
  type StudyContext,
  type StudyListing,
  type StudyOutcome,
  totalBytes,
} from "./pipeline.ts";
export { forEachLimited } from "./pool.ts";
export {
  type BackupPlan,
  type BackupRunOptions,
  type BackupRunResult,
  planBackup,
  type PlannedStudy,
  runBackup,
} from "./run.ts";
