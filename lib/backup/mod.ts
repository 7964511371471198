/**
 * The monthly backup: the run that takes each due study through its steps
 * (see pipeline.ts), the pure decisions of a study's backup (plan.ts), and
 * the dry-run plan. Which studies are due, and why one is refused, is the
 * shared assessment of lib/study.
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
export { backupStudy, type StudyOutcome } from "./pipeline.ts";
export {
  type BackupWork,
  compareState,
  decideStudy,
  firstBackup,
  judgeFoundObject,
  type PlannedFile,
  revisionWork,
  type StateChanges,
  type StateComparison,
  type StudyDecision,
  unchanged,
  type WorkCounts,
  workCounts,
} from "./plan.ts";
export {
  type BackupPlan,
  type BackupRunOptions,
  type BackupRunResult,
  planBackup,
  type PlannedStudy,
  runBackup,
} from "./run.ts";
export { deletingPath } from "./steps/delete_source.ts";
export { spaceNeeded } from "./steps/space.ts";
