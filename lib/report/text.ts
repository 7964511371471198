/**
 * The report as plain text: what `report` prints and the email's plain-text
 * part. A missed job is its first line. Pure.
 *
 * @module
 */
import { renderTable } from "../text/mod.ts";
import type { MonthlyReport } from "./types.ts";
import { monthName } from "./calendar.ts";
import {
  auditLine,
  failedRunLine,
  failingLine,
  failureLine,
  FORECAST_METHOD,
  forecastLine,
  formatBytes,
  formatPrice,
  formatUsd,
  jobCell,
  missedLine,
  plural,
  pricesLine,
  restoreLine,
  s3SourceLine,
  scopeLine,
  spaceLine,
  summaryLine,
  title,
  waitingLine,
} from "./present.ts";

/** Width of the text charts' longest bar. */
const BAR_WIDTH = 30;

/** A text chart: one line per month with a bar of `#` and the value. */
function textChart(points: readonly { month: string; value: number }[]): string[] {
  const max = Math.max(0, ...points.map((point) => point.value));
  return points.map((point) => {
    const bar = max === 0 ? "" : "#".repeat(Math.round((point.value / max) * BAR_WIDTH));
    return `  ${point.month}  ${bar.padEnd(BAR_WIDTH)}  ${formatBytes(point.value)}`;
  });
}

function section(heading: string, lines: readonly string[]): string {
  return `\n${heading}\n${lines.join("\n")}\n`;
}

function indented(lines: readonly string[], none: string): string[] {
  return lines.length === 0 ? [`  ${none}`] : lines.map((line) => `  ${line}`);
}

/** The whole report as text. */
export function renderText(report: MonthlyReport): string {
  let text = "";
  for (const missed of report.missed) text += `${missedLine(report, missed)}\n`;
  text += `${title(report)}\n${scopeLine(report)}\n${summaryLine(report)}\n`;

  const jobs = renderTable(
    ["instrument", "backup run", "cleanup run", "monitor tail"],
    report.jobs.map((row) => [
      row.instrument,
      ...row.jobs.map((job) => jobCell(job, report.partial)),
    ]),
  );
  text += section(`Jobs in ${monthName(report.month)}`, [
    ...jobs.trimEnd().split("\n").map((line) => `  ${line}`),
    ...(report.partial ? ["  The month is not over: missed jobs are judged once it is."] : []),
    ...report.failedRuns.map((run) => `  ${failedRunLine(report, run)}`),
  ]);

  const backups = renderTable(
    ["instrument", "studies", "size", "files", "failed"],
    [
      ...report.perInstrument.map((line) => [
        line.instrument,
        String(line.backups),
        formatBytes(line.bytes),
        String(line.files),
        String(line.failures),
      ]),
      [
        "total",
        String(report.totals.backups),
        formatBytes(report.totals.bytes),
        String(report.totals.files),
        String(report.perInstrument.reduce((sum, line) => sum + line.failures, 0)),
      ],
    ],
    ["left", "right", "right", "right", "right"],
  );
  text += section(`Backups in ${monthName(report.month)}`, [
    ...backups.trimEnd().split("\n").map((line) => `  ${line}`),
    "",
    "  Backed up per month:",
    ...textChart(report.s3.added.map((point) => ({ month: point.month, value: point.total }))),
  ]);

  text += section(
    "Failures and how they ended",
    indented(report.failures.map((story) => failureLine(report, story)), "none"),
  );
  text += section("Waiting or failing validation, now", [
    ...indented(report.waiting.map((study) => waitingLine(report, study)), "no study waiting"),
    ...indented(
      report.failingValidation.map((failing) => failingLine(report, failing)),
      "no study failing validation",
    ),
  ]);

  const evicted = report.share.evicted;
  text += section("TrueNAS share", [
    `  ${spaceLine(report)}`,
    `  evicted in ${report.month}: ${plural(evicted.count, "backup")}, ${
      formatBytes(evicted.bytes)
    }`,
    "  Backups on the share at each month's end:",
    ...textChart(
      report.share.history.map((point) => ({ month: point.month, value: point.backupBytes })),
    ),
    `  ${forecastLine(report)}`,
    `  ${FORECAST_METHOD}`,
  ]);

  const classes = renderTable(
    ["class", "objects", "size", "$/GB-month", "$/month"],
    [
      ...report.s3.classes.map((line) => [
        line.storageClass,
        String(line.objects),
        formatBytes(line.bytes),
        line.price === undefined ? "no price" : formatPrice(line.price),
        line.cost === undefined ? "-" : formatUsd(line.cost),
      ]),
      [
        "total",
        String(report.s3.objects),
        formatBytes(report.s3.bytes),
        "",
        formatUsd(report.s3.cost),
      ],
    ],
    ["left", "right", "right", "right", "right"],
  );
  text += section("S3", [
    `  ${s3SourceLine(report)}`,
    ...classes.trimEnd().split("\n").map((line) => `  ${line}`),
    `  ${pricesLine(report)}`,
  ]);

  text += section(
    "Audits",
    indented(report.audits.map((audit) => auditLine(report, audit)), "no audit ran"),
  );
  text += section(
    "Restores",
    indented(report.restores.map((run) => restoreLine(report, run)), "no restore ran"),
  );
  if (report.problems.length > 0) {
    text += section("Problems reading the records", indented(report.problems, ""));
  }
  return text;
}
