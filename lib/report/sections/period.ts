/**
 * The month a report covers, in the PC's time zone, and what every section
 * counts from: the month's bounds, the charts' months, when a record counts,
 * and what each backup and revision stored. Pure.
 *
 * @module
 */
import {
  type CompletedRevision,
  completedRevisions,
  type JobRecord,
  type ManifestRecord,
} from "../../manifest/mod.ts";
import { addMonths, type Calendar, monthStart } from "../calendar.ts";

/** The months of the charts, the report's month last. */
export const CHART_MONTHS = 12;

/** How far back a job counts as one the instrument runs: a job seen in these months must run. */
export const EXPECT_MONTHS = 12;

/** The report's month and the times around it (ms). */
export interface ReportPeriod {
  /** `YYYY-MM`. */
  readonly month: string;
  readonly calendar: Calendar;
  /** When the report is made. */
  readonly now: number;
  /** The month's first instant, and the next month's. */
  readonly start: number;
  readonly end: number;
  /** {@linkcode EXPECT_MONTHS} before `start`. */
  readonly expectFrom: number;
  /** The month is not over. */
  readonly partial: boolean;
}

/** The period of `month` in `calendar`, as of `now`. */
export function reportPeriod(month: string, calendar: Calendar, now: Date): ReportPeriod {
  const end = monthStart(calendar, addMonths(month, 1));
  return {
    month,
    calendar,
    now: now.getTime(),
    start: monthStart(calendar, month),
    end,
    expectFrom: monthStart(calendar, addMonths(month, -EXPECT_MONTHS)),
    partial: end > now.getTime(),
  };
}

/** Whether `at` (ms) falls in the report's month. */
export function inMonth(period: ReportPeriod, at: number): boolean {
  return at >= period.start && at < period.end;
}

/** One month of the charts and its bounds (ms). */
export interface ChartMonth {
  readonly month: string;
  readonly start: number;
  readonly end: number;
}

/** The charts' {@linkcode CHART_MONTHS} months, the report's month last. */
export function chartMonths(period: ReportPeriod): ChartMonth[] {
  return Array.from({ length: CHART_MONTHS }, (_, index) => {
    const month = addMonths(period.month, index - CHART_MONTHS + 1);
    return {
      month,
      start: monthStart(period.calendar, month),
      end: monthStart(period.calendar, addMonths(month, 1)),
    };
  });
}

/** An ISO time as ms. */
export function time(iso: string): number {
  return Date.parse(iso);
}

/** The time a job record counts at: a run at its start, a sign of life when written. */
export function jobTime(record: JobRecord): number {
  return time(record.finished_at === null ? record.recorded_at : record.started_at);
}

/** What a backup or a revision stored, counted once, at its completion (`at`, ms). */
export interface StoredRevision extends CompletedRevision {
  readonly at: number;
}

/** What each backup and each revision stored: the share's and S3's growth. */
export function storedRevisions(manifest: readonly ManifestRecord[]): StoredRevision[] {
  return completedRevisions(manifest).map((revision) => ({
    ...revision,
    at: time(revision.completedAt),
  }));
}

/** The sum of `value` over `items`. */
export function sumOf<T>(items: Iterable<T>, value: (item: T) => number): number {
  let sum = 0;
  for (const item of items) sum += value(item);
  return sum;
}
