/**
 * The share section: its free space now, the bytes of backups on it at each
 * chart month's end (stored, less what cleanup evicted), the month's
 * evictions, and the forecast of when it fills. Pure.
 *
 * @module
 */
import type { LedgerLine } from "../../cleanup/mod.ts";
import { monthOf, monthsBetween } from "../calendar.ts";
import { forecastShare, type ShareForecast } from "../forecast.ts";
import type { MonthBytes, ReportInput, ShareMonth, ShareSection } from "../types.ts";
import {
  type ChartMonth,
  inMonth,
  type ReportPeriod,
  type StoredRevision,
  sumOf,
  time,
} from "./period.ts";

/** A backup cleanup evicted from the share: when (ms), and the bytes it took off. */
interface Eviction {
  readonly at: number;
  readonly bytes: number;
}

/** Each backup's first eviction; it took off what all its revisions stored. */
function evictions(ledger: readonly LedgerLine[], stored: readonly StoredRevision[]): Eviction[] {
  const storedPerBackup = new Map<string, number>();
  for (const revision of stored) {
    storedPerBackup.set(
      revision.backupName,
      (storedPerBackup.get(revision.backupName) ?? 0) + revision.bytes,
    );
  }
  const found = new Map<string, Eviction>();
  for (const line of ledger) {
    if (line.event !== "evicted" || line.evicted_at === null) continue;
    if (found.has(line.backup_name)) continue;
    const bytes = storedPerBackup.get(line.backup_name) ?? line.bytes;
    found.set(line.backup_name, { at: time(line.evicted_at), bytes });
  }
  return [...found.values()];
}

/** The share's forecast at the rate of the months since the first backup, up to the report's. */
function shareForecast(
  period: ReportPeriod,
  space: NonNullable<ReportInput["space"]>,
  thresholdPct: number,
  stored: readonly StoredRevision[],
  added: readonly MonthBytes[],
): ShareForecast | undefined {
  const firstBackup = stored.reduce((first, revision) => Math.min(first, revision.at), Infinity);
  if (!Number.isFinite(firstBackup)) return undefined;
  const since = monthsBetween(monthOf(period.calendar, firstBackup), period.month) + 1;
  if (since <= 0) return undefined;
  return forecastShare({
    now: period.now,
    freeBytes: space.freeBytes,
    totalBytes: space.totalBytes,
    thresholdPct,
    monthlyBytes: added.slice(-since).map((point) => point.total),
  });
}

/** The share section. */
export function shareSection(
  period: ReportPeriod,
  chart: readonly ChartMonth[],
  input: Pick<ReportInput, "space" | "ledger" | "settings">,
  stored: readonly StoredRevision[],
  added: readonly MonthBytes[],
): ShareSection {
  const evicted = evictions(input.ledger, stored);
  const history: ShareMonth[] = chart.map(({ month, end }) => ({
    month,
    backupBytes: sumOf(stored, (revision) => revision.at < end ? revision.bytes : 0) -
      sumOf(evicted, (eviction) => eviction.at < end ? eviction.bytes : 0),
  }));
  const evictedInMonth = evicted.filter((eviction) => inMonth(period, eviction.at));
  return {
    freeBytes: input.space?.freeBytes,
    totalBytes: input.space?.totalBytes,
    history,
    forecast: input.space === undefined
      ? undefined
      : shareForecast(period, input.space, input.settings.thresholdPct, stored, added),
    evicted: {
      count: evictedInMonth.length,
      bytes: sumOf(evictedInMonth, (eviction) => eviction.bytes),
    },
  };
}
