/**
 * The report as an email's HTML, written for Outlook's Word engine: tables
 * for layout, inline styles and `bgcolor` only (no style sheet, no SVG, no
 * script, no image), and charts as bars of table cells. The plain-text part
 * is {@linkcode renderText}. Pure.
 *
 * @module
 */
import type { MonthlyReport } from "./types.ts";
import { chartLabel, COLORS, escapeHtml, instrumentColor } from "./_html.ts";
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
  pricesLine,
  renderSections,
  restoreLine,
  s3SourceLine,
  scopeLine,
  type SectionRenderers,
  spaceLine,
  subject,
  summaryLine,
  type TableData,
  title,
  waitingLine,
} from "./present.ts";
import { renderText } from "./text.ts";

const FONT = "font-family:'Segoe UI',Arial,sans-serif;";
const CELL = `${FONT}font-size:13px;line-height:18px;color:#1b1f24;padding:3px 6px;` +
  `border-bottom:1px solid ${COLORS.rule};vertical-align:top;word-break:break-word;`;
const TABLE = 'role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"';

function row(cells: string): string {
  return `<tr>${cells}</tr>`;
}

function headingRow(text: string): string {
  return row(
    `<td style="${FONT}font-size:16px;line-height:22px;font-weight:bold;color:#1b1f24;` +
      `padding:16px 12px 4px;border-bottom:2px solid ${COLORS.rule}">${escapeHtml(text)}</td>`,
  );
}

function paragraph(text: string, color = "#1b1f24", weight = "normal"): string {
  return row(
    `<td style="${FONT}font-size:14px;line-height:20px;color:${color};font-weight:${weight};` +
      `padding:4px 12px;word-break:break-word">${escapeHtml(text)}</td>`,
  );
}

function items(lines: readonly string[], none: string): string {
  if (lines.length === 0) return paragraph(none, COLORS.muted);
  return lines.map((line) => paragraph(`• ${line}`)).join("");
}

/** A data table inside the layout's one column. */
function dataTable({ headers, rows, numeric }: TableData): string {
  const cell = (text: string, column: number, header: boolean) =>
    `<td${numeric.includes(column) ? ' align="right"' : ""} style="${CELL}${
      header ? "font-weight:bold;" : ""
    }${numeric.includes(column) ? "white-space:nowrap;" : ""}">${escapeHtml(text)}</td>`;
  return row(
    `<td style="padding:4px 12px"><table ${TABLE}>${
      row(headers.map((text, column) => cell(text, column, true)).join(""))
    }${
      rows.map((cells) => row(cells.map((text, column) => cell(text, column, false)).join("")))
        .join("")
    }</table></td>`,
  );
}

/** One bar of table cells: coloured segments in proportion to `max`, then the rest empty. */
function bar(segments: readonly { value: number; color: string }[], max: number): string {
  const cells: string[] = [];
  let used = 0;
  for (const segment of segments) {
    if (segment.value <= 0 || max <= 0) continue;
    const percent = Math.max(1, Math.min(100 - used, Math.round((segment.value / max) * 100)));
    if (percent <= 0) continue;
    used += percent;
    cells.push(
      `<td width="${percent}%" height="12" bgcolor="${segment.color}" ` +
        `style="background:${segment.color};height:12px;font-size:1px;line-height:1px">&nbsp;</td>`,
    );
  }
  if (used < 100) {
    cells.push(
      `<td width="${100 - used}%" height="12" style="height:12px;font-size:1px;line-height:1px">` +
        "&nbsp;</td>",
    );
  }
  return `<table ${TABLE}><tr>${cells.join("")}</tr></table>`;
}

/** A chart of months as rows: label, bar, value. */
function barRows(
  points: readonly { month: string; segments: readonly { value: number; color: string }[] }[],
  max: number,
): string {
  const lines = points.map((point, index) => {
    const total = point.segments.reduce((sum, segment) => sum + segment.value, 0);
    return row(
      `<td width="52" style="${FONT}font-size:12px;line-height:16px;white-space:nowrap;` +
        `padding:1px 6px 1px 0">${escapeHtml(chartLabel(point.month, index === 0))}</td>` +
        `<td style="padding:1px 0">${bar(point.segments, max)}</td>` +
        `<td width="72" align="right" style="${FONT}font-size:12px;line-height:16px;` +
        `white-space:nowrap;padding:1px 0 1px 6px">${escapeHtml(formatBytes(total))}</td>`,
    );
  });
  return row(`<td style="padding:4px 12px"><table ${TABLE}>${lines.join("")}</table></td>`);
}

function legend(report: MonthlyReport): string {
  const keys = report.instruments.map((name, index) =>
    `<td style="padding:0 4px 0 0"><table role="presentation" cellpadding="0" cellspacing="0" ` +
    `border="0"><tr><td width="10" height="10" bgcolor="${instrumentColor(index)}" ` +
    `style="background:${instrumentColor(index)};font-size:1px;line-height:1px">&nbsp;</td>` +
    `</tr></table></td><td style="${FONT}font-size:12px;padding:0 12px 0 0;` +
    `white-space:nowrap">${escapeHtml(name)}</td>`
  );
  return row(
    `<td style="padding:2px 12px"><table role="presentation" cellpadding="0" cellspacing="0" ` +
      `border="0"><tr>${keys.join("")}</tr></table></td>`,
  );
}

function backupsRows(report: MonthlyReport): string[] {
  const added = report.s3.added;
  return [
    headingRow(heading(report, "backups")),
    dataTable(backupsTable(report, false)),
    paragraph("Bytes backed up per month, by instrument:", COLORS.muted),
    barRows(
      added.map((point) => ({
        month: point.month,
        segments: point.byInstrument.map((value, index) => ({
          value,
          color: instrumentColor(index),
        })),
      })),
      Math.max(0, ...added.map((point) => point.total)),
    ),
    legend(report),
  ];
}

function shareRows(report: MonthlyReport): string[] {
  const { history, totalBytes } = report.share;
  return [
    headingRow(heading(report, "share")),
    paragraph(spaceLine(report)),
    paragraph(
      `Backups on the share at each month's end${
        totalBytes === undefined ? "" : ` (a full bar is the share's ${formatBytes(totalBytes)})`
      }:`,
      COLORS.muted,
    ),
    barRows(
      history.map((point) => ({
        month: point.month,
        segments: [{ value: point.backupBytes, color: COLORS.share }],
      })),
      Math.max(0, totalBytes ?? 0, ...history.map((point) => point.backupBytes)),
    ),
    paragraph(forecastLine(report)),
    paragraph(FORECAST_METHOD, COLORS.muted),
  ];
}

const EMAIL: SectionRenderers<string[]> = {
  missed: (report) =>
    report.missed.map((item) =>
      row(
        `<td bgcolor="${COLORS.alertBackground}" style="background:${COLORS.alertBackground};` +
          `border-left:6px solid ${COLORS.alert};${FONT}font-size:15px;line-height:21px;` +
          `font-weight:bold;color:${COLORS.alert};padding:8px 12px">${
            escapeHtml(missedLine(report, item))
          }</td>`,
      )
    ),
  header: (report) => [
    row(
      `<td style="${FONT}font-size:20px;line-height:26px;font-weight:bold;color:#1b1f24;` +
        `padding:12px 12px 2px">${escapeHtml(title(report))}</td>`,
    ),
    paragraph(scopeLine(report), COLORS.muted),
    paragraph(summaryLine(report), "#1b1f24", "bold"),
  ],
  jobs: (report) => [
    headingRow(heading(report, "jobs")),
    dataTable(jobsTable(report)),
    ...(report.partial ? [paragraph(PARTIAL_NOTE, COLORS.muted)] : []),
    ...report.failedRuns.map((run) => paragraph(`• ${failedRunLine(report, run)}`)),
  ],
  backups: backupsRows,
  failures: (report) => [
    headingRow(heading(report, "failures")),
    items(report.failures.map((story) => failureLine(report, story)), "None."),
  ],
  waiting: (report) => [
    headingRow(heading(report, "waiting")),
    items(report.waiting.map((study) => waitingLine(report, study)), "No study waiting."),
    items(
      report.failingValidation.map((failing) => failingLine(report, failing)),
      "No study failing validation.",
    ),
  ],
  share: shareRows,
  s3: (report) => [
    headingRow(heading(report, "s3")),
    paragraph(s3SourceLine(report), COLORS.muted),
    dataTable(classesTable(report, false)),
    paragraph(pricesLine(report), COLORS.muted),
  ],
  audits: (report) => [
    headingRow(heading(report, "audits")),
    items(report.audits.map((audit) => auditLine(report, audit)), "No audit ran."),
  ],
  restores: (report) => [
    headingRow(heading(report, "restores")),
    items(report.restores.map((run) => restoreLine(report, run)), "No restore ran."),
  ],
  problems: (report) =>
    report.problems.length === 0
      ? []
      : [headingRow(heading(report, "problems")), items(report.problems, "")],
};

/** The email's HTML part; `footer` says why the reader got it. */
export function renderEmailHtml(report: MonthlyReport, footer?: string): string {
  const content = [
    ...renderSections(report, EMAIL).flat(),
    paragraph(
      "Made by fusion-toolkit from the records on the share alone. If this email stops " +
        "arriving, the report task or this PC needs a look.",
      COLORS.muted,
    ),
    ...(footer === undefined ? [] : [paragraph(footer, COLORS.muted)]),
  ];
  return `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" ` +
    `"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title(report))}</title>
</head>
<body style="margin:0;padding:0;background:#f4f5f7">
<table ${TABLE} bgcolor="#f4f5f7" style="background:#f4f5f7"><tr><td align="center" style="padding:8px 4px">
<!--[if mso]><table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
<table ${TABLE} bgcolor="#ffffff" style="max-width:640px;background:#ffffff">
${content.join("\n")}
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr></table>
</body>
</html>
`;
}

/** The email: subject, plain text and HTML. */
export interface ReportEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** The report as an email to the addresses listed in `recipientsFile`. */
export function composeReportEmail(report: MonthlyReport, recipientsFile: string): ReportEmail {
  const footer = `You receive this because your address is listed in ${recipientsFile}; edit ` +
    "that file to change who receives the monthly report.";
  return {
    subject: subject(report),
    text: `${renderText(report)}
${footer}
`,
    html: renderEmailHtml(report, footer),
  };
}
