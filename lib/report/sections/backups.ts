/**
 * The backups section: per instrument, the backups and revisions completed
 * in the month (what they stored) and the failed attempts, with the totals;
 * and the bytes backed up month by month, the first chart. Pure.
 *
 * @module
 */
import type { BackupsOfMonth, InstrumentMonth, MonthBytes } from "../types.ts";
import type { BackupFacts } from "./facts.ts";
import {
  type ChartMonth,
  inMonth,
  type ReportPeriod,
  type StoredRevision,
  sumOf,
} from "./period.ts";

/** Each instrument's backups of the month, and the totals. */
export function backupsOfMonth(
  period: ReportPeriod,
  instruments: readonly string[],
  stored: readonly StoredRevision[],
  backups: ReadonlyMap<string, BackupFacts>,
): BackupsOfMonth {
  const perInstrument = instruments.map((instrument): InstrumentMonth => {
    const completed = stored.filter((revision) =>
      revision.instrument === instrument && inMonth(period, revision.at)
    );
    return {
      instrument,
      backups: completed.length,
      bytes: sumOf(completed, (revision) => revision.bytes),
      files: sumOf(completed, (revision) => revision.files),
      failures: sumOf(
        backups.values(),
        (facts) => facts.instrument === instrument ? facts.attempts.length : 0,
      ),
    };
  });
  return {
    perInstrument,
    totals: {
      backups: sumOf(perInstrument, (line) => line.backups),
      bytes: sumOf(perInstrument, (line) => line.bytes),
      files: sumOf(perInstrument, (line) => line.files),
    },
  };
}

/** The bytes backups and revisions stored in each chart month, per instrument. */
export function addedPerMonth(
  chart: readonly ChartMonth[],
  instruments: readonly string[],
  stored: readonly StoredRevision[],
): MonthBytes[] {
  return chart.map(({ month, start, end }) => {
    const byInstrument = instruments.map((instrument) =>
      sumOf(
        stored,
        (revision) =>
          revision.instrument === instrument && revision.at >= start && revision.at < end
            ? revision.bytes
            : 0,
      )
    );
    return { month, byInstrument, total: sumOf(byInstrument, (bytes) => bytes) };
  });
}
