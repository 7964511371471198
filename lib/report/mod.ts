/**
 * `report`: the monthly report of the whole archive, every instrument on the
 * share: backups, failures, missed jobs, the share's space and forecast, S3
 * bytes and cost, audits and restores. Gathering (I/O) feeds a pure
 * aggregation; the numbers are rendered as text, as a page and as an email.
 *
 * ```ts
 * const input = await gatherReport(config, { month, now, calendar: localCalendar, readSpace });
 * const report = buildReport(input);
 * console.log(renderText(report));
 * ```
 *
 * @module
 */
export { buildReport } from "./aggregate.ts";
export { CHART_MONTHS, EXPECT_MONTHS } from "./sections/period.ts";
export {
  EXPECTED_JOBS,
  type MonthlyReport,
  type ReportInput,
  type ReportSettings,
} from "./types.ts";
export {
  addMonths,
  type Calendar,
  isMonth,
  lastFullMonth,
  localCalendar,
  monthOf,
} from "./calendar.ts";
export { GIB, monthlyCost, type Usage } from "./cost.ts";
export { forecastShare, MONTH_MS, RATE_MONTHS, type ShareForecast } from "./forecast.ts";
export { type GatherOptions, gatherReport, reportSettings } from "./gather.ts";
export { summaryLine } from "./present.ts";
export { renderText } from "./text.ts";
export { renderPage } from "./page.ts";
export { composeReportEmail, renderEmailHtml, type ReportEmail } from "./email.ts";
export {
  claimPath,
  previewReport,
  REPORT_EVENT,
  sendReport,
  type SendReportResult,
} from "./send.ts";
