/**
 * `status`: one screen for the operator — last runs, studies waiting,
 * backups needing attention, the share's space, the monitor, stale locks.
 *
 * @module
 */
export {
  type Attention,
  attentionFor,
  type GatherOptions,
  gatherStatus,
  monthlyAverage,
  type Space,
  type StatusReport,
  type WaitingStudy,
} from "./gather.ts";
export { renderStatus } from "./render.ts";
export { appendRun, lastRuns, type RunRecord, runsFilePath } from "./runs.ts";
