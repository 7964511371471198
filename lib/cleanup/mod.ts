/**
 * Capacity-driven cleanup of the TrueNAS share: when its free space falls
 * below `[cleanup] free_threshold_pct`, the oldest backups are deleted from
 * the share, each only after the gates prove it is complete and in S3.
 * S3 is only read, never changed.
 *
 * @module
 */
export {
  examples,
  manifestGate,
  recordTime,
  s3Gate,
  type S3Listing,
  type ShareCopy,
  shareGate,
} from "./gates.ts";
export {
  appendLedgerLine,
  type LedgerEvent,
  ledgerFileName,
  type LedgerLine,
  readLedger,
} from "./ledger.ts";
export {
  type Assessment,
  type Candidate,
  type CleanupPlan,
  matchShare,
  planCleanup,
  type PlanInput,
  type PlannedEviction,
  type ShareContents,
  type ShareEntry,
  type SkippedCandidate,
  targetFreeBytes,
  type UnknownEntry,
} from "./plan.ts";
export {
  type CleanupPreview,
  type CleanupRunOptions,
  type CleanupRunResult,
  type EvictionOutcome,
  formatPercent,
  needsOperator,
  previewCleanup,
  runCleanup,
  type S3Lister,
} from "./run.ts";
export {
  EVICTING_DIR,
  evictingPath,
  isSameOrInside,
  type Leftover,
  listLeftovers,
  listShare,
  readShareCopy,
  removeTree,
} from "./share.ts";
export {
  freePercent,
  readShareSpace,
  type ShareSpace,
  spaceFromStatfs,
  type SpaceReader,
  type StatfsFigures,
} from "./space.ts";
