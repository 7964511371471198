/**
 * The audits and restores sections: the month's finished `audit` and
 * `restore` runs of every instrument, from the facts each recorded in the
 * share's job log. Pure.
 *
 * @module
 */
import type { JobRecord } from "../../manifest/mod.ts";
import type { AuditRun, RestoreRun } from "../types.ts";
import { inMonth, jobTime, type ReportPeriod } from "./period.ts";

function number(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

/** The finished runs of `job` in the month. */
function finishedInMonth(
  period: ReportPeriod,
  jobs: readonly JobRecord[],
  job: string,
): JobRecord[] {
  return jobs.filter((record) =>
    record.job === job && record.exit_code !== null && inMonth(period, jobTime(record))
  );
}

/** Who ran it, where, when, and how it ended. */
function runOf(record: JobRecord) {
  return {
    instrument: record.instrument,
    host: record.host,
    at: jobTime(record),
    exitCode: record.exit_code ?? 0,
  };
}

/** The month's audits. */
export function auditRuns(period: ReportPeriod, jobs: readonly JobRecord[]): AuditRun[] {
  return finishedInMonth(period, jobs, "audit").map((record) => ({
    ...runOf(record),
    backups: number(record.details?.backups),
    withFindings: number(record.details?.with_findings),
    findings: number(record.details?.findings),
    notOnShare: number(record.details?.not_on_share),
    s3: record.details?.s3 === true,
    samplePct: typeof record.details?.sample_pct === "number" ? record.details.sample_pct : null,
  }));
}

/** The month's restores. */
export function restoreRuns(period: ReportPeriod, jobs: readonly JobRecord[]): RestoreRun[] {
  return finishedInMonth(period, jobs, "restore").map((record) => ({
    ...runOf(record),
    backup: record.details?.backup ?? "?",
    source: record.details?.source ?? "?",
    files: number(record.details?.files),
    bytes: number(record.details?.bytes),
    problems: number(record.details?.problems),
    waitingForS3: record.details?.waiting_for_s3 === true,
  }));
}
