/**
 * What an audit is asked to do and what it finds: the options, the findings
 * and the report of every backup.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { RestoreProgress } from "../restore/mod.ts";
import type { S3Store } from "../storage/s3.ts";

/** Receives progress; the CLI draws it on a terminal. */
export type AuditProgress = RestoreProgress;

/** What `audit` was asked to do. */
export interface AuditOptions {
  readonly config: Config;
  /** `--sample`: the percentage of each backup's files read (and, with `s3`, HEADed); all when absent. */
  readonly samplePct?: number | undefined;
  /** Picks the sample (see sample.ts). */
  readonly seed: number;
  /** `--s3`: also check the S3 copy of every complete backup. */
  readonly s3: boolean;
  /** The S3 store, opened on first use. */
  readonly store: () => S3Store;
  readonly logger: Logger;
  readonly progress: AuditProgress;
}

/** Something wrong with a stored copy. */
export interface Finding {
  readonly place: "share" | "s3";
  /** The file (relative to the study), or the sidecar. */
  readonly path: string;
  readonly problem: string;
}

/** How the share copy of a backup was checked. */
export type ShareState = "checked" | "evicted" | "evicted during the audit";

/** The audit of one backup. */
export interface BackupAudit {
  readonly backup: string;
  readonly share: ShareState;
  /** Files its sidecar lists (0 when no sidecar could be read). */
  readonly files: number;
  /** Files read and hashed on the share. */
  readonly shareChecked: number;
  readonly shareBytes: number;
  /** Objects checked by HeadObject; undefined without `--s3`. */
  readonly s3Checked: number | undefined;
  readonly findings: readonly Finding[];
  /** Worth knowing, not wrong: files on the share the sidecar does not list. */
  readonly notes: readonly string[];
}

/** The whole audit. */
export interface AuditReport {
  readonly manifest: string;
  readonly backups: readonly BackupAudit[];
  readonly samplePct: number | undefined;
  readonly seed: number;
  readonly s3: boolean;
  /** Who holds the share lock, when a backup or cleanup runs during the audit. */
  readonly shareLockHolder: string | undefined;
}
