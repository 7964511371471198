/**
 * The monthly report's numbers, from the records of every instrument on the
 * share: the manifest, the cleanup ledger, the job log, the share's free
 * space and (when asked) the bucket's listing. Records in, numbers out: no
 * clock, no file, no network. Each section is made by its own builder in
 * sections/.
 *
 * @module
 */
import { zoneName } from "./calendar.ts";
import { addedPerMonth, backupsOfMonth } from "./sections/backups.ts";
import { foldBackups } from "./sections/facts.ts";
import { failureStories } from "./sections/failures.ts";
import { failedRuns, instrumentsOf, jobsOfMonth, missedJobs } from "./sections/jobs.ts";
import { chartMonths, reportPeriod, storedRevisions } from "./sections/period.ts";
import { auditRuns, restoreRuns } from "./sections/runs.ts";
import { s3Section } from "./sections/s3.ts";
import { shareSection } from "./sections/share.ts";
import { failingValidation, waitingStudies } from "./sections/studies.ts";
import type { MonthlyReport, ReportInput } from "./types.ts";

/** Builds the report. Pure. */
export function buildReport(input: ReportInput): MonthlyReport {
  const { settings, manifest, jobs: log } = input;
  const period = reportPeriod(input.month, input.calendar, input.now);
  const chart = chartMonths(period);
  const backups = foldBackups(period, manifest);
  const stored = storedRevisions(manifest);
  const instruments = instrumentsOf(period, settings.instrument, manifest, log);
  const jobs = jobsOfMonth(period, instruments, log, manifest);
  const added = addedPerMonth(chart, instruments, stored);
  return {
    month: period.month,
    generatedAt: period.now,
    calendar: period.calendar,
    zone: zoneName(period.calendar, period.now),
    partial: period.partial,
    settings,
    instruments,
    missed: missedJobs(period, jobs, log),
    jobs,
    ...backupsOfMonth(period, instruments, stored, backups),
    failures: failureStories(period, backups),
    failedRuns: failedRuns(period, log),
    waiting: waitingStudies(log),
    failingValidation: failingValidation(backups),
    share: shareSection(period, chart, input, stored, added),
    s3: s3Section(chart, input, stored, added),
    audits: auditRuns(period, log),
    restores: restoreRuns(period, log),
    problems: input.problems,
  };
}
