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
  backupsTable,
  classesTable,
  failedRunLine,
  failingLine,
  failureLine,
  FORECAST_METHOD,
  forecastLine,
  formatBytes,
  heading,
  jobsTable,
  missedLine,
  PARTIAL_NOTE,
  plural,
  pricesLine,
  renderSections,
  restoreLine,
  s3SourceLine,
  scopeLine,
  type SectionRenderers,
  spaceLine,
  summaryLine,
  type TableData,
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

function section(title: string, lines: readonly string[]): string {
  return `\n${title}\n${lines.join("\n")}\n`;
}

function indented(lines: readonly string[], none: string): string[] {
  return lines.length === 0 ? [`  ${none}`] : lines.map((line) => `  ${line}`);
}

/** A table, indented under its section's heading. */
function table(data: TableData): string[] {
  const align = data.headers.map((_, column) => data.numeric.includes(column) ? "right" : "left");
  return renderTable(data.headers, data.rows, align).trimEnd().split("\n").map((line) =>
    `  ${line}`
  );
}

function jobsText(report: MonthlyReport): string {
  return section(`${heading(report, "jobs")} in ${monthName(report.month)}`, [
    ...table(jobsTable(report)),
    ...(report.partial ? [`  ${PARTIAL_NOTE}`] : []),
    ...report.failedRuns.map((run) => `  ${failedRunLine(report, run)}`),
  ]);
}

function backupsText(report: MonthlyReport): string {
  return section(heading(report, "backups"), [
    ...table(backupsTable(report, true)),
    "",
    "  Backed up per month:",
    ...textChart(report.s3.added.map((point) => ({ month: point.month, value: point.total }))),
  ]);
}

function waitingText(report: MonthlyReport): string {
  return section(heading(report, "waiting"), [
    ...indented(report.waiting.map((study) => waitingLine(report, study)), "no study waiting"),
    ...indented(
      report.failingValidation.map((failing) => failingLine(report, failing)),
      "no study failing validation",
    ),
  ]);
}

function shareText(report: MonthlyReport): string {
  const evicted = report.share.evicted;
  return section(heading(report, "share"), [
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
}

const TEXT: SectionRenderers<string> = {
  missed: (report) => report.missed.map((missed) => `${missedLine(report, missed)}\n`).join(""),
  header: (report) => `${title(report)}\n${scopeLine(report)}\n${summaryLine(report)}\n`,
  jobs: jobsText,
  backups: backupsText,
  failures: (report) =>
    section(
      heading(report, "failures"),
      indented(report.failures.map((story) => failureLine(report, story)), "none"),
    ),
  waiting: waitingText,
  share: shareText,
  s3: (report) =>
    section(heading(report, "s3"), [
      `  ${s3SourceLine(report)}`,
      ...table(classesTable(report, true)),
      `  ${pricesLine(report)}`,
    ]),
  audits: (report) =>
    section(
      heading(report, "audits"),
      indented(report.audits.map((audit) => auditLine(report, audit)), "no audit ran"),
    ),
  restores: (report) =>
    section(
      heading(report, "restores"),
      indented(report.restores.map((run) => restoreLine(report, run)), "no restore ran"),
    ),
  problems: (report) =>
    report.problems.length === 0
      ? ""
      : section(heading(report, "problems"), indented(report.problems, "")),
};

/** The whole report as text. */
export function renderText(report: MonthlyReport): string {
  return renderSections(report, TEXT).join("");
}
