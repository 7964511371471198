/**
 * What each backup's records add up to, folded once from the manifest for
 * the sections that count failures (backups, failures, failing studies). Pure.
 *
 * @module
 */
import type { ManifestRecord } from "../../manifest/mod.ts";
import type { Attempt } from "../types.ts";
import { inMonth, type ReportPeriod, time } from "./period.ts";

const FAILED: readonly ManifestRecord["status"][] = [
  "failed_validation",
  "failed_truenas",
  "failed_s3",
];

/** What one backup's records add up to. */
export interface BackupFacts {
  readonly name: string;
  readonly instrument: string;
  latest: ManifestRecord;
  /** From its latest complete record. */
  completedAt: number | undefined;
  /** Start of the unbroken series of failed validations up to the latest record. */
  failingSince: number | undefined;
  /** Its failed attempts in the report's month. */
  attempts: Attempt[];
}

/** Folds the manifest, in the order written, into one entry per backup. */
export function foldBackups(
  period: ReportPeriod,
  records: readonly ManifestRecord[],
): Map<string, BackupFacts> {
  const backups = new Map<string, BackupFacts>();
  for (const record of records) {
    let facts = backups.get(record.backup_name);
    if (facts === undefined) {
      facts = {
        name: record.backup_name,
        instrument: record.instrument,
        latest: record,
        completedAt: undefined,
        failingSince: undefined,
        attempts: [],
      };
      backups.set(record.backup_name, facts);
    }
    facts.latest = record;
    const started = time(record.started_at);
    if (record.status === "complete" && record.completed_at !== null) {
      facts.completedAt = time(record.completed_at);
    }
    facts.failingSince = record.status === "failed_validation"
      ? facts.failingSince ?? started
      : undefined;
    if (FAILED.includes(record.status) && inMonth(period, started)) {
      facts.attempts.push({ status: record.status, at: started, error: record.error });
    }
  }
  return backups;
}
