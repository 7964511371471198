/**
 * `audit`: re-reads the TrueNAS copies of complete backups against their
 * sidecars (bit rot, missing files) and, with `--s3`, checks that S3 holds
 * every object with the recorded digest. Reads only; takes no lock.
 *
 * @module
 */
export { allFindings, runAudit } from "./audit.ts";
export type {
  AuditOptions,
  AuditProgress,
  AuditReport,
  BackupAudit,
  Finding,
  ShareState,
} from "./types.ts";
export { sampleItems, sampleSize } from "./sample.ts";
