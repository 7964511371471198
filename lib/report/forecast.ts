/**
 * When the share fills at the recent rate. The method, as the report states
 * it: the rate is the mean of the bytes backed up per month over the last
 * {@linkcode RATE_MONTHS} months up to the report's month (fewer when the
 * records start later; a month with no backup counts as zero); from the free
 * space now, at that rate, the free space reaches the cleanup threshold, and
 * later zero. Evictions are left out: it is the date cleanup starts deleting
 * the oldest backups from the share (S3 keeps them), and the date the share
 * would be full without it. Pure.
 *
 * @module
 */

/** Months the rate averages over, at most. */
export const RATE_MONTHS = 6;

/** An average month in milliseconds: a Gregorian year / 12. */
export const MONTH_MS = (365.2425 / 12) * 86_400_000;

/** Beyond this many months a date means nothing (and may not fit in a Date): a century. */
export const HORIZON_MONTHS = 1200;

/** The forecast. */
export interface ShareForecast {
  /** Months the rate averaged over. */
  readonly months: number;
  /** Bytes backed up per month, on average. */
  readonly bytesPerMonth: number;
  /** Free bytes below which cleanup evicts. */
  readonly thresholdBytes: number;
  /** Months until the free space reaches the threshold: 0 when it is there already; null at a rate of 0. */
  readonly monthsToThreshold: number | null;
  /** Months until the share is full without cleanup; null at a rate of 0. */
  readonly monthsToFull: number | null;
  /** ISO dates of the two; null at a rate of 0 or beyond {@linkcode HORIZON_MONTHS}. */
  readonly thresholdAt: string | null;
  readonly fullAt: string | null;
}

/**
 * The forecast from `free` and `total` bytes at `now`, the bytes backed up in
 * each of the last months (oldest first, the report's month last) and the
 * cleanup threshold in percent.
 */
export function forecastShare(options: {
  readonly now: number;
  readonly freeBytes: number;
  readonly totalBytes: number;
  readonly thresholdPct: number;
  readonly monthlyBytes: readonly number[];
}): ShareForecast {
  const recent = options.monthlyBytes.slice(-RATE_MONTHS);
  const months = recent.length;
  const bytesPerMonth = months === 0 ? 0 : recent.reduce((sum, bytes) => sum + bytes, 0) / months;
  const thresholdBytes = (options.totalBytes * options.thresholdPct) / 100;
  const until = (bytes: number) => bytesPerMonth > 0 ? Math.max(0, bytes) / bytesPerMonth : null;
  const monthsToThreshold = until(options.freeBytes - thresholdBytes);
  const monthsToFull = until(options.freeBytes);
  const date = (inMonths: number | null) =>
    inMonths === null || inMonths > HORIZON_MONTHS
      ? null
      : new Date(options.now + inMonths * MONTH_MS).toISOString();
  return {
    months,
    bytesPerMonth,
    thresholdBytes,
    monthsToThreshold,
    monthsToFull,
    thresholdAt: date(monthsToThreshold),
    fullAt: date(monthsToFull),
  };
}
