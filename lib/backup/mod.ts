/**
 * The monthly backup: which studies are idle, the run that takes each one
 * through its steps (see pipeline.ts), and the dry-run plan.
 *
 * @module
 */
export {
  type BackupProgress,
  type BackupStage,
  NO_PROGRESS,
  type StudyContext,
  totalBytes,
} from "./context.ts";
export { findStudies, type FoundStudy, newestMtime, selectEligible } from "./eligibility.ts";
export { backupStudy, type StudyOutcome } from "./pipeline.ts";
export {
  type BackupPlan,
  type BackupRunOptions,
  type BackupRunResult,
  planBackup,
  type PlannedStudy,
  runBackup,
} from "./run.ts";
export { listStudyFiles, type SourceFile, type StudyListing } from "./steps/list.ts";
