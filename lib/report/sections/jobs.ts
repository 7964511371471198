/**
 * The jobs section: which instruments the report covers, which of their
 * monthly jobs ran or failed, which were missed, and every job run of the
 * month that ended non-zero. Pure.
 *
 * @module
 */
import type { JobRecord, ManifestRecord } from "../../manifest/mod.ts";
import {
  EXPECTED_JOBS,
  type ExpectedJob,
  type FailedRun,
  type InstrumentJobs,
  type JobMonth,
  type MissedJob,
} from "../types.ts";
import { inMonth, jobTime, type ReportPeriod, time } from "./period.ts";

/** The jobs whose failed runs the report lists. */
const REPORTED_JOBS = ["backup run", "cleanup run", "monitor tail", "report"];

/** Every instrument with records since `period.expectFrom`, and this PC's; sorted. */
export function instrumentsOf(
  period: ReportPeriod,
  own: string,
  manifest: readonly ManifestRecord[],
  jobs: readonly JobRecord[],
): string[] {
  const names = new Set([own]);
  for (const record of manifest) {
    if (time(record.started_at) >= period.expectFrom) names.add(record.instrument);
  }
  for (const record of jobs) {
    if (jobTime(record) >= period.expectFrom) names.add(record.instrument);
  }
  return [...names].sort();
}

/** A job's month so far, and the record seen at `at` added to it. */
class JobTally {
  runs = 0;
  failed = 0;
  expected = false;
  last: number | undefined;

  constructor(readonly period: ReportPeriod) {}

  /** A record of the job at `at`; `failed` when it ended non-zero. */
  seen(at: number, failed: boolean): void {
    if (at >= this.period.expectFrom && at < this.period.start) this.expected = true;
    if (inMonth(this.period, at)) {
      this.runs++;
      if (failed) this.failed++;
    }
    if (at < this.period.end && (this.last === undefined || at > this.last)) this.last = at;
  }
}

/** How one instrument's job fared in the month, from the job log (and the manifest). */
function jobMonth(
  period: ReportPeriod,
  instrument: string,
  job: ExpectedJob,
  jobs: readonly JobRecord[],
  manifest: readonly ManifestRecord[],
): JobMonth {
  const tally = new JobTally(period);
  for (const record of jobs) {
    if (record.instrument !== instrument || record.job !== job) continue;
    tally.seen(jobTime(record), record.exit_code !== null && record.exit_code !== 0);
  }
  if (job === "backup run") {
    // A backup that wrote the manifest ran, even before the job log existed: the log's count
    // of runs, else one when the manifest has a backup in the month.
    const logged = tally.runs;
    for (const record of manifest) {
      if (record.instrument === instrument) tally.seen(time(record.started_at), false);
    }
    tally.runs = logged > 0 ? logged : Math.min(tally.runs, 1);
  }
  const { runs, failed, expected, last } = tally;
  return { job, runs, failed, expected, last };
}

/** The jobs table: each instrument's {@linkcode EXPECTED_JOBS} in the month. */
export function jobsOfMonth(
  period: ReportPeriod,
  instruments: readonly string[],
  jobs: readonly JobRecord[],
  manifest: readonly ManifestRecord[],
): InstrumentJobs[] {
  return instruments.map((instrument) => ({
    instrument,
    jobs: EXPECTED_JOBS.map((job) => jobMonth(period, instrument, job, jobs, manifest)),
  }));
}

/**
 * The jobs an instrument runs every month that left no record in it, the
 * backup first (it is the one that keeps the data); none while the month is
 * not over.
 */
export function missedJobs(
  period: ReportPeriod,
  table: readonly InstrumentJobs[],
  jobs: readonly JobRecord[],
): MissedJob[] {
  if (period.partial) return [];
  return EXPECTED_JOBS.flatMap((kind, index) =>
    table.flatMap((row): MissedJob[] => {
      const job = row.jobs[index] as JobMonth;
      if (!job.expected || job.runs > 0) return [];
      const lastRecord = jobs.filter((record) =>
        record.instrument === row.instrument && record.job === kind &&
        jobTime(record) < period.start
      ).at(-1);
      return [{
        instrument: row.instrument,
        job: kind,
        lastSeen: job.last,
        lastHost: lastRecord?.host,
      }];
    })
  );
}

/** The finished runs of the month that ended non-zero. */
export function failedRuns(period: ReportPeriod, jobs: readonly JobRecord[]): FailedRun[] {
  return jobs
    .filter((record) =>
      REPORTED_JOBS.includes(record.job) && record.exit_code !== null &&
      record.exit_code !== 0 && inMonth(period, jobTime(record))
    )
    .map((record) => ({
      instrument: record.instrument,
      host: record.host,
      job: record.job,
      at: jobTime(record),
      exitCode: record.exit_code ?? 0,
      summary: record.summary,
    }));
}
