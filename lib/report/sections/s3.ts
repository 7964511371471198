/**
 * The S3 section: bytes, objects and cost per storage class — from the
 * bucket's listing when there is one, else estimated from every complete
 * revision at the configured class — and the archive's growth and cost at
 * each chart month's end. Pure.
 *
 * @module
 */
import { monthlyCost, type Usage } from "../cost.ts";
import type {
  ClassLine,
  MonthBytes,
  ReportInput,
  ReportSettings,
  S3Month,
  S3Section,
} from "../types.ts";
import { type ChartMonth, type StoredRevision, sumOf } from "./period.ts";

/** S3's objects of a revision: its files and its list (_checksums.sha256, _checksums.r<N>.sha256). */
function objectsOf(revision: StoredRevision): number {
  return revision.files + 1;
}

/** What every complete revision stored, all in the configured class. */
function estimatedUsage(
  settings: ReportSettings,
  stored: readonly StoredRevision[],
): Map<string, Usage> {
  if (stored.length === 0) return new Map();
  return new Map([[settings.storageClass, {
    objects: sumOf(stored, objectsOf),
    bytes: sumOf(stored, (revision) => revision.bytes),
  }]]);
}

/** One line per storage class, by name, each at its price. */
function classLines(
  settings: ReportSettings,
  usage: ReadonlyMap<string, Usage>,
): ClassLine[] {
  return [...usage].sort(([a], [b]) => a.localeCompare(b)).map(([storageClass, used]) => ({
    storageClass,
    objects: used.objects,
    bytes: used.bytes,
    price: settings.prices[storageClass],
    cost: monthlyCost(storageClass, used, settings.prices),
  }));
}

/** The archive at each chart month's end, at the configured class's price. */
function growth(
  settings: ReportSettings,
  chart: readonly ChartMonth[],
  stored: readonly StoredRevision[],
): S3Month[] {
  return chart.map(({ month, end }) => {
    const until = stored.filter((revision) => revision.at < end);
    const bytes = sumOf(until, (revision) => revision.bytes);
    const objects = sumOf(until, objectsOf);
    return {
      month,
      bytes,
      cost: monthlyCost(settings.storageClass, { objects, bytes }, settings.prices),
    };
  });
}

/** The S3 section; `added` is the bytes backed up per chart month (its first chart). */
export function s3Section(
  chart: readonly ChartMonth[],
  input: Pick<ReportInput, "s3Usage" | "settings">,
  stored: readonly StoredRevision[],
  added: readonly MonthBytes[],
): S3Section {
  const { settings } = input;
  const classes = classLines(settings, input.s3Usage ?? estimatedUsage(settings, stored));
  return {
    source: input.s3Usage === undefined ? "manifest" : "listing",
    classes,
    bytes: sumOf(classes, (line) => line.bytes),
    objects: sumOf(classes, (line) => line.objects),
    cost: sumOf(classes, (line) => line.cost ?? 0),
    unpriced: classes.filter((line) => line.cost === undefined && line.bytes > 0)
      .map((line) => line.storageClass),
    added,
    growth: growth(settings, chart, stored),
  };
}
