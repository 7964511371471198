/**
 * The report as one self-contained page (`report --html`): inline CSS and SVG
 * charts, no script, nothing fetched. It reads on a phone (one column, charts
 * that scale, tables that wrap) and prints on one or two A4 pages. A missed
 * job is the first thing on it. Pure.
 *
 * @module
 */
import type { MonthlyReport } from "./types.ts";
import { monthName, shortMonthName } from "./calendar.ts";
import { COLORS, escapeHtml, instrumentColor } from "./_html.ts";
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
  formatUsd,
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

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: #1b1f24;
  font: 15px/1.45 "Segoe UI", system-ui, -apple-system, Arial, sans-serif; }
main { max-width: 760px; margin: 0 auto; padding: 12px; background: #fff; }
h1 { font-size: 1.35em; margin: 0.2em 0; }
h2 { font-size: 1.1em; margin: 1.1em 0 0.4em; padding-bottom: 2px; border-bottom: 2px solid ${COLORS.rule}; }
p { margin: 0.35em 0; }
.scope, .note { color: ${COLORS.muted}; font-size: 0.88em; }
.missed { background: ${COLORS.alertBackground}; border-left: 6px solid ${COLORS.alert};
  color: ${COLORS.alert}; font-weight: 600; padding: 8px 12px; margin: 0 0 8px; }
.missed p { margin: 0.2em 0; }
.summary { font-weight: 600; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 8px;
  margin: 10px 0; }
.tile { border: 1px solid ${COLORS.rule}; border-radius: 6px; padding: 6px 10px; }
.tile b { display: block; font-size: 1.25em; }
.tile span { color: ${COLORS.muted}; font-size: 0.85em; }
.bad { color: ${COLORS.alert}; }
table { width: 100%; border-collapse: collapse; font-size: 0.92em; }
th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid ${COLORS.rule};
  overflow-wrap: anywhere; vertical-align: top; }
th { font-weight: 600; }
.num { text-align: right; white-space: nowrap; }
ul { margin: 0.3em 0; padding-left: 1.2em; }
li { margin: 0.15em 0; overflow-wrap: anywhere; }
figure { margin: 0.5em 0; }
svg { display: block; width: 100%; height: auto; max-width: 640px; }
svg text { font: 11px "Segoe UI", system-ui, Arial, sans-serif; fill: #1b1f24; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 0.85em; margin: 4px 0; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
footer { margin-top: 14px; }
@page { size: A4; margin: 11mm; }
@media print {
  body { background: #fff; font-size: 9pt; }
  main { max-width: none; padding: 0; }
  h2 { margin-top: 0.7em; }
  section, figure { break-inside: avoid; }
  svg { max-width: 120mm; }
}
`;

/** One series of a stacked bar chart. */
interface Series {
  readonly label: string;
  readonly color: string;
  readonly values: readonly number[];
}

/** A level drawn across a chart (capacity, threshold). */
interface Level {
  readonly label: string;
  readonly value: number;
  readonly color: string;
}

const WIDTH = 420;
const HEIGHT = 190;
const LEFT = 52;
const RIGHT = 6;
const TOP = 10;
const BOTTOM = 30;

/** Where a chart's values go: its top value, and the height (`y`) of a value. */
interface Scale {
  readonly max: number;
  readonly y: (value: number) => number;
}

/** The value lines at zero, half and the top of the values, each with its label. */
function gridLines(scale: Scale): string[] {
  return [0, 0.5, 1].flatMap((fraction) => {
    const value = (scale.max / 1.08) * fraction;
    const at = scale.y(value).toFixed(1);
    return [
      `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${at}" y2="${at}" stroke="${COLORS.rule}"/>`,
      `<text x="${LEFT - 4}" y="${at}" text-anchor="end" dominant-baseline="middle">${
        escapeHtml(formatBytes(value))
      }</text>`,
    ];
  });
}

/** One month's stacked bar, each segment with a tooltip, and the month (and year) under it. */
function monthBar(
  scale: Scale,
  slot: number,
  month: string,
  index: number,
  series: readonly Series[],
): string[] {
  const parts: string[] = [];
  const x = LEFT + index * slot + slot * 0.15;
  let base = 0;
  for (const item of series) {
    const value = Math.max(0, item.values[index] ?? 0);
    if (value === 0) continue;
    const top = scale.y(base + value);
    const height = scale.y(base) - top;
    parts.push(
      `<rect class="bar" data-month="${month}" x="${x.toFixed(1)}" y="${top.toFixed(1)}" ` +
        `width="${(slot * 0.7).toFixed(1)}" height="${Math.max(0.5, height).toFixed(1)}" ` +
        `fill="${item.color}"><title>${
          escapeHtml(`${monthName(month)}, ${item.label}: ${formatBytes(value)}`)
        }</title></rect>`,
    );
    base += value;
  }
  // The month under its bar; the year on a line of its own, under the first and each January.
  const middle = (LEFT + index * slot + slot / 2).toFixed(1);
  parts.push(
    `<text x="${middle}" y="${HEIGHT - 17}" text-anchor="middle">${shortMonthName(month)}</text>`,
  );
  if (index === 0 || month.endsWith("-01")) {
    parts.push(
      `<text x="${middle}" y="${HEIGHT - 4}" text-anchor="middle">${month.slice(0, 4)}</text>`,
    );
  }
  return parts;
}

/** A dashed line across the chart at `level`, labelled at its right end. */
function levelLine(scale: Scale, level: Level): string[] {
  const at = scale.y(level.value).toFixed(1);
  return [
    `<line class="level" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${at}" y2="${at}" ` +
    `stroke="${level.color}" stroke-width="1.5" stroke-dasharray="5 3"/>`,
    `<text x="${WIDTH - RIGHT - 2}" y="${(Number(at) - 3).toFixed(1)}" text-anchor="end" ` +
    `fill="${level.color}" style="fill:${level.color}">${escapeHtml(level.label)}</text>`,
  ];
}

/** A stacked bar chart of months as inline SVG; every bar has a tooltip with its value. */
function barChart(
  id: string,
  caption: string,
  months: readonly string[],
  series: readonly Series[],
  levels: readonly Level[] = [],
): string {
  const totals = months.map((_, index) =>
    series.reduce((sum, item) => sum + Math.max(0, item.values[index] ?? 0), 0)
  );
  const max = Math.max(1, ...totals, ...levels.map((level) => level.value)) * 1.08;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const scale: Scale = { max, y: (value) => TOP + plotHeight - (value / max) * plotHeight };
  const slot = (WIDTH - LEFT - RIGHT) / Math.max(1, months.length);
  const parts = [
    ...gridLines(scale),
    ...months.flatMap((month, index) => monthBar(scale, slot, month, index, series)),
    ...levels.flatMap((level) => levelLine(scale, level)),
  ];
  return `<svg id="${id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" ` +
    `aria-label="${escapeHtml(caption)}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${escapeHtml(caption)}</title>${parts.join("")}</svg>`;
}

/** The share's space now as one bar: used, free, and where the threshold lies. */
function spaceBar(report: MonthlyReport): string {
  const { freeBytes, totalBytes } = report.share;
  if (freeBytes === undefined || totalBytes === undefined || totalBytes <= 0) return "";
  const width = 400;
  const used = ((totalBytes - freeBytes) / totalBytes) * width;
  const threshold = (1 - report.settings.thresholdPct / 100) * width;
  return `<svg id="chart-space" viewBox="0 0 ${width} 34" role="img" ` +
    `aria-label="share space now" xmlns="http://www.w3.org/2000/svg"><title>${
      escapeHtml(spaceLine(report))
    }</title>` +
    `<rect x="0" y="4" width="${width}" height="16" fill="${COLORS.free}"/>` +
    `<rect class="bar" x="0" y="4" width="${
      used.toFixed(1)
    }" height="16" fill="${COLORS.share}"/>` +
    `<line x1="${threshold.toFixed(1)}" x2="${threshold.toFixed(1)}" y1="0" y2="24" ` +
    `stroke="${COLORS.threshold}" stroke-width="2"/>` +
    `<text x="${threshold.toFixed(1)}" y="33" text-anchor="end" fill="${COLORS.threshold}" ` +
    `style="fill:${COLORS.threshold}">cleanup starts</text></svg>`;
}

function list(items: readonly string[], none: string): string {
  if (items.length === 0) return `<p class="note">${escapeHtml(none)}</p>`;
  return `<ul>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join("")}</ul>`;
}

function table({ headers, rows, numeric }: TableData): string {
  const cell = (tag: string, text: string, column: number) =>
    `<${tag}${numeric.includes(column) ? ' class="num"' : ""}>${escapeHtml(text)}</${tag}>`;
  return `<table><thead><tr>${headers.map((text, column) => cell("th", text, column)).join("")}` +
    `</tr></thead><tbody>${
      rows.map((row) => `<tr>${row.map((text, column) => cell("td", text, column)).join("")}</tr>`)
        .join("")
    }</tbody></table>`;
}

function legend(report: MonthlyReport): string {
  return `<p class="legend">${
    report.instruments.map((name, index) =>
      `<span><i style="background:${instrumentColor(index)}"></i>${escapeHtml(name)}</span>`
    ).join("")
  }</p>`;
}

function tiles(report: MonthlyReport): string {
  const { freeBytes, totalBytes } = report.share;
  const trouble = report.missed.length + report.failures.length + report.failedRuns.length +
    report.failingValidation.length;
  const tile = (value: string, label: string, bad = false) =>
    `<div class="tile${bad ? " bad" : ""}"><b>${escapeHtml(value)}</b><span>${
      escapeHtml(label)
    }</span></div>`;
  return `<div class="tiles">${
    [
      tile(String(report.totals.backups), `studies backed up, ${formatBytes(report.totals.bytes)}`),
      tile(
        freeBytes === undefined || totalBytes === undefined
          ? "?"
          : `${(100 * freeBytes / totalBytes).toFixed(0)}%`,
        "of the share free",
      ),
      tile(formatUsd(report.s3.cost), `a month for ${formatBytes(report.s3.bytes)} in S3`),
      tile(String(trouble), "things that need a person", trouble > 0),
    ].join("")
  }</div>`;
}

function jobsSection(report: MonthlyReport): string {
  return `<section id="jobs"><h2>${escapeHtml(heading(report, "jobs"))}</h2>${
    table(jobsTable(report))
  }${report.partial ? `<p class="note">${escapeHtml(PARTIAL_NOTE)}</p>` : ""}${
    report.failedRuns.length === 0
      ? ""
      : list(report.failedRuns.map((run) => failedRunLine(report, run)), "")
  }</section>`;
}

function backupsSection(report: MonthlyReport): string {
  const chart = barChart(
    "chart-added",
    "bytes backed up per month, by instrument",
    report.s3.added.map((point) => point.month),
    report.instruments.map((label, index) => ({
      label,
      color: instrumentColor(index),
      values: report.s3.added.map((point) => point.byInstrument[index] ?? 0),
    })),
  );
  return `<section id="backups"><h2>${escapeHtml(heading(report, "backups"))}</h2>${
    table(backupsTable(report, false))
  }<figure>${chart}${legend(report)}` +
    `<p class="note">Bytes backed up per month, by instrument.</p></figure></section>`;
}

function waitingSection(report: MonthlyReport): string {
  return `<section id="waiting"><h2>${escapeHtml(heading(report, "waiting"))}</h2>${
    list(report.waiting.map((study) => waitingLine(report, study)), "No study waiting.")
  }${
    list(
      report.failingValidation.map((failing) => failingLine(report, failing)),
      "No study failing validation.",
    )
  }</section>`;
}

function shareSection(report: MonthlyReport): string {
  const { totalBytes, evicted } = report.share;
  const levels = totalBytes === undefined ? [] : [
    { label: "capacity", value: totalBytes, color: COLORS.capacity },
    {
      label: `cleanup at ${report.settings.thresholdPct}% free`,
      value: totalBytes * (1 - report.settings.thresholdPct / 100),
      color: COLORS.threshold,
    },
  ];
  const chart = barChart(
    "chart-share",
    "backups on the share at each month's end",
    report.share.history.map((point) => point.month),
    [{
      label: "backups on the share",
      color: COLORS.share,
      values: report.share.history.map((point) => point.backupBytes),
    }],
    levels,
  );
  return `<section id="share"><h2>${escapeHtml(heading(report, "share"))}</h2><p>${
    escapeHtml(spaceLine(report))
  }</p>${spaceBar(report)}<figure>${chart}<p class="note">Backups on the share at each ` +
    `month's end, from the manifest and the cleanup ledger; evicted in ${report.month}: ${
      escapeHtml(`${plural(evicted.count, "backup")}, ${formatBytes(evicted.bytes)}`)
    }.</p></figure><p>${escapeHtml(forecastLine(report))}</p><p class="note">${
      escapeHtml(FORECAST_METHOD)
    }</p></section>`;
}

/** A section of a heading and a list, or a note when the list is empty. */
function listSection(
  report: MonthlyReport,
  name: "failures" | "audits" | "restores",
  items: readonly string[],
  none: string,
): string {
  return `<section id="${name}"><h2>${escapeHtml(heading(report, name))}</h2>${
    list(items, none)
  }</section>`;
}

const PAGE: SectionRenderers<string> = {
  missed: (report) =>
    report.missed.length === 0
      ? ""
      : `<section class="missed" id="missed">${
        report.missed.map((item) => `<p>${escapeHtml(missedLine(report, item))}</p>`).join("")
      }</section>`,
  header: (report) =>
    `<header><h1>${escapeHtml(title(report))}</h1><p class="scope">${
      escapeHtml(scopeLine(report))
    }</p></header>\n<p class="summary">${escapeHtml(summaryLine(report))}</p>\n${tiles(report)}`,
  jobs: jobsSection,
  backups: backupsSection,
  failures: (report) =>
    listSection(
      report,
      "failures",
      report.failures.map((story) => failureLine(report, story)),
      "None.",
    ),
  waiting: waitingSection,
  share: shareSection,
  s3: (report) =>
    `<section id="s3"><h2>${escapeHtml(heading(report, "s3"))}</h2><p class="note">${
      escapeHtml(s3SourceLine(report))
    }</p>${table(classesTable(report, false))}<p class="note">${
      escapeHtml(pricesLine(report))
    }</p></section>`,
  audits: (report) =>
    listSection(
      report,
      "audits",
      report.audits.map((audit) => auditLine(report, audit)),
      "No audit ran.",
    ),
  restores: (report) =>
    listSection(
      report,
      "restores",
      report.restores.map((run) => restoreLine(report, run)),
      "No restore ran.",
    ),
  problems: (report) =>
    report.problems.length === 0
      ? ""
      : `<section id="problems"><h2 class="bad">${escapeHtml(heading(report, "problems"))}</h2>${
        list(report.problems, "")
      }</section>`,
};

/** The page. */
export function renderPage(report: MonthlyReport): string {
  const body = [
    ...renderSections(report, PAGE),
    `<footer class="note">Made by fusion-toolkit from the records on the share alone.</footer>`,
  ];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title(report))}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body.filter((part) => part !== "").join("\n")}
</main>
</body>
</html>
`;
}
