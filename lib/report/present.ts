/**
 * The report's sentences, shared by its three renderings (text, page,
 * email), so they say the same thing the same way. Pure.
 *
 * @module
 */
import { formatBytes } from "../text/mod.ts";
import { formatDate, formatTime, monthName } from "./calendar.ts";
import {
  EXPECTED_JOBS,
  type FailingValidation,
  type FailureStory,
  type JobMonth,
  type MissedJob,
  type MonthlyReport,
  type WaitingStudy,
} from "./types.ts";
import { RATE_MONTHS } from "./forecast.ts";

export { formatBytes };

/** The report's sections, in the order every rendering gives them. */
export const SECTION_ORDER = [
  "missed",
  "header",
  "jobs",
  "backups",
  "failures",
  "waiting",
  "share",
  "s3",
  "audits",
  "restores",
  "problems",
] as const;

/** One of {@linkcode SECTION_ORDER}. */
export type SectionName = typeof SECTION_ORDER[number];

/** A rendering of the report: one function per section. */
export type SectionRenderers<T> = Readonly<Record<SectionName, (report: MonthlyReport) => T>>;

/** Every section of `report` as `renderers` render it, in {@linkcode SECTION_ORDER}. */
export function renderSections<T>(report: MonthlyReport, renderers: SectionRenderers<T>): T[] {
  return SECTION_ORDER.map((name) => renderers[name](report));
}

/** The headings of the sections that have one, the same in every rendering. */
export function heading(
  report: MonthlyReport,
  section: Exclude<SectionName, "missed" | "header">,
): string {
  switch (section) {
    case "jobs":
      return "Jobs";
    case "backups":
      return `Backups in ${monthName(report.month)}`;
    case "failures":
      return "Failures and how they ended";
    case "waiting":
      return "Waiting or failing validation, now";
    case "share":
      return "TrueNAS share";
    case "s3":
      return "S3";
    case "audits":
      return "Audits";
    case "restores":
      return "Restores";
    case "problems":
      return "Problems reading the records";
  }
}

/** Said under the jobs table while the month is not over. */
export const PARTIAL_NOTE = "The month is not over: missed jobs are judged once it is.";

/** A table: its headers, its rows of cells, and which columns are numbers (right-aligned). */
export interface TableData {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly numeric: readonly number[];
}

/** The jobs table: each instrument's expected jobs in the month. */
export function jobsTable(report: MonthlyReport): TableData {
  return {
    headers: ["instrument", ...EXPECTED_JOBS],
    rows: report.jobs.map((row) => [
      row.instrument,
      ...row.jobs.map((job) => jobCell(job, report.partial)),
    ]),
    numeric: [],
  };
}

/** The backups table, per instrument and in total; `files` adds a column of file counts. */
export function backupsTable(report: MonthlyReport, files: boolean): TableData {
  const row = (name: string, line: { backups: number; bytes: number; files: number }) => [
    name,
    String(line.backups),
    formatBytes(line.bytes),
    ...(files ? [String(line.files)] : []),
  ];
  const failures = report.perInstrument.reduce((sum, line) => sum + line.failures, 0);
  const headers = ["instrument", "studies", "size", ...(files ? ["files"] : []), "failed"];
  return {
    headers,
    rows: [
      ...report.perInstrument.map((line) => [...row(line.instrument, line), String(line.failures)]),
      [...row("total", report.totals), String(failures)],
    ],
    numeric: headers.map((_, column) => column).slice(1),
  };
}

/** The S3 table, per storage class and in total; `objects` adds a column of object counts. */
export function classesTable(report: MonthlyReport, objects: boolean): TableData {
  const row = (name: string, count: number, bytes: number, price: string, cost: string) => [
    name,
    ...(objects ? [String(count)] : []),
    formatBytes(bytes),
    price,
    cost,
  ];
  const { s3 } = report;
  const headers = ["class", ...(objects ? ["objects"] : []), "size", "$/GB-month", "$/month"];
  return {
    headers,
    rows: [
      ...s3.classes.map((line) =>
        row(
          line.storageClass,
          line.objects,
          line.bytes,
          line.price === undefined ? "no price" : formatPrice(line.price),
          line.cost === undefined ? "-" : formatUsd(line.cost),
        )
      ),
      row("total", s3.objects, s3.bytes, "", formatUsd(s3.cost)),
    ],
    numeric: headers.map((_, column) => column).slice(1),
  };
}

const DAY_MS = 86_400_000;

/** How the forecast is made, as the report states it. */
export const FORECAST_METHOD = `Forecast: the mean of the bytes backed up per month over the ` +
  `last ${RATE_MONTHS} months (fewer when the records start later), from the free space now, ` +
  "in a straight line; evictions are left out.";

/** `2026-10-01 02:00` in the report's time zone. */
export function when(report: MonthlyReport, time: number): string {
  return formatTime(report.calendar, time);
}

/** `2026-10-01` in the report's time zone. */
export function day(report: MonthlyReport, time: number): string {
  return formatDate(report.calendar, time);
}

/** `3 studies`, `1 study`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Whole days from `from` to the report's generation. */
export function daysSince(report: MonthlyReport, from: number): number {
  return Math.max(0, Math.floor((report.generatedAt - from) / DAY_MS));
}

/** `$12.34`; `< $0.01` for a cost above zero that rounds to nothing. */
export function formatUsd(dollars: number): string {
  if (dollars > 0 && dollars < 0.005) return "< $0.01";
  return `$${dollars.toFixed(dollars >= 1000 ? 0 : 2)}`;
}

/** A price per GB-month as configured, e.g. `$0.00099`. */
export function formatPrice(price: number): string {
  return `$${price}`;
}

/** The report's title. */
export function title(report: MonthlyReport): string {
  return `fusion-toolkit monthly report: ${monthName(report.month)}`;
}

/** One missed job, as the report's first lines say it. */
export function missedLine(report: MonthlyReport, missed: MissedJob): string {
  const what = missed.job === "monitor tail"
    ? `no sign of life from monitor tail on instrument ${missed.instrument}`
    : `no ${missed.job} recorded for instrument ${missed.instrument}`;
  const last = missed.lastSeen === undefined
    ? ""
    : ` (last: ${when(report, missed.lastSeen)}${
      missed.lastHost === undefined ? "" : ` on ${missed.lastHost}`
    })`;
  return `MISSED: ${what} in ${report.month}${last}`;
}

/** The count of things that need a person, e.g. "2 failed attempts, 1 study failing validation". */
function troubles(report: MonthlyReport): string[] {
  const attempts = report.failures.reduce((sum, story) => sum + story.attempts.length, 0);
  const list: string[] = [];
  if (report.missed.length > 0) {
    list.push(plural(report.missed.length, "job missed", "jobs missed"));
  }
  if (attempts > 0) list.push(plural(attempts, "failed or stopped backup"));
  if (report.failedRuns.length > 0) list.push(plural(report.failedRuns.length, "failed job run"));
  if (report.failingValidation.length > 0) {
    list.push(
      plural(
        report.failingValidation.length,
        "study failing validation",
        "studies failing validation",
      ),
    );
  }
  const findings = report.audits.reduce((sum, audit) => sum + audit.findings, 0);
  if (findings > 0) list.push(plural(findings, "audit finding"));
  if (report.problems.length > 0) {
    list.push(
      plural(report.problems.length, "problem reading the records", "problems reading the records"),
    );
  }
  return list;
}

/** One line: what the month did and what needs a person. */
export function summaryLine(report: MonthlyReport): string {
  const { totals } = report;
  const done = `${plural(totals.backups, "study", "studies")} backed up (${
    formatBytes(totals.bytes)
  }) on ${plural(report.instruments.length, "instrument")}`;
  const trouble = troubles(report);
  const verdict = trouble.length > 0
    ? trouble.join(", ")
    : report.partial
    ? "nothing needs a person so far (the month is not over)"
    : "every expected job ran, nothing needs a person";
  return `${done}; ${verdict}.`;
}

/** The email's subject. */
export function subject(report: MonthlyReport): string {
  const [first, ...more] = report.missed;
  if (first !== undefined) {
    const also = more.length > 0 ? ` (and ${more.length} more)` : "";
    return `[fusion-toolkit] monthly report ${report.month}: ${missedLine(report, first)}${also}`;
  }
  return `[fusion-toolkit] monthly report ${report.month}: ${
    summaryLine(report).replace(/\.$/, "")
  }`;
}

/** A job's cell in the jobs table: `ok`, `2 runs, 1 FAILED`, `MISSED`, `-`. */
export function jobCell(job: JobMonth, partial: boolean): string {
  if (job.runs === 0) return job.expected && !partial ? "MISSED" : "-";
  if (job.job === "monitor tail") {
    return job.failed > 0
      ? `${plural(job.runs, "sign")} of life, stopped with an error`
      : "running";
  }
  if (job.failed > 0) return `${plural(job.runs, "run")}, ${job.failed} FAILED`;
  return job.runs === 1 ? "ok" : `ok (${job.runs} runs)`;
}

/** How a backup with failures stands now. */
export function outcome(report: MonthlyReport, story: FailureStory): string {
  switch (story.now) {
    case "complete":
      return story.sourceKept
        ? `backed up ${day(report, story.nowAt)}, but the source is still on the instrument: ${
          story.nowError ?? ""
        }`
        : `backed up ${day(report, story.nowAt)} by a later run`;
    case "in_progress":
      return `stopped part-way (started ${
        when(report, story.nowAt)
      }): the next backup run resumes it`;
    default:
      return `still ${story.now}: ${story.nowError ?? "no error recorded"}`;
  }
}

/** One failure story: the attempts of the month, then where it stands. */
export function failureLine(report: MonthlyReport, story: FailureStory): string {
  const attempts = story.attempts.map((attempt) => `${attempt.status} ${day(report, attempt.at)}`);
  return `${story.backupName}: ${attempts.join(", ") || "backed up"}; now ${
    outcome(report, story)
  }`;
}

/** A waiting study: how long, and when it last changed. */
export function waitingLine(report: MonthlyReport, study: WaitingStudy): string {
  return `${study.instrument}/${study.study}: waiting ${
    plural(daysSince(report, study.since), "day")
  } (first seen ${day(report, study.since)}), last changed ${day(report, study.newestChange)}`;
}

/** A study failing validation: since when, and why. */
export function failingLine(report: MonthlyReport, failing: FailingValidation): string {
  return `${failing.backupName}: failing validation for ${
    plural(daysSince(report, failing.since), "day")
  } (since ${day(report, failing.since)}): ${failing.error ?? "no error recorded"}`;
}

/** The share's space now, in one line. */
export function spaceLine(report: MonthlyReport): string {
  const { freeBytes, totalBytes } = report.share;
  if (freeBytes === undefined || totalBytes === undefined) return "free space: not known";
  const used = totalBytes - freeBytes;
  return `${formatBytes(used)} used, ${formatBytes(freeBytes)} free of ${
    formatBytes(totalBytes)
  } ` +
    `(${(100 * freeBytes / totalBytes).toFixed(1)}% free); cleanup evicts below ` +
    `${report.settings.thresholdPct}% free`;
}

/** The forecast in one sentence. */
export function forecastLine(report: MonthlyReport): string {
  const forecast = report.share.forecast;
  const { freeBytes } = report.share;
  if (freeBytes === undefined) return "No forecast: the free space is not known.";
  if (forecast === undefined) return "No forecast: no backup is recorded yet.";
  const rate = `${formatBytes(forecast.bytesPerMonth)} a month`;
  if (forecast.bytesPerMonth === 0) {
    return `Nothing was backed up in the last ${
      plural(forecast.months, "month")
    }: the share is not filling.`;
  }
  const around = (iso: string | null) =>
    iso === null ? "not within a hundred years" : `around ${day(report, Date.parse(iso))}`;
  const full = forecast.fullAt === null
    ? "would not be full within a hundred years"
    : `would be full ${around(forecast.fullAt)}`;
  if (freeBytes <= forecast.thresholdBytes) {
    return `The share is below the ${report.settings.thresholdPct}% cleanup threshold: cleanup ` +
      `evicts the oldest backups from it (S3 keeps them), about ${rate} at the recent rate; ` +
      `without cleanup it ${full}.`;
  }
  if (forecast.thresholdAt === null) {
    return `At ${rate} (the mean of the last ${plural(forecast.months, "month")}), the free ` +
      "space lasts more than a hundred years.";
  }
  const months = (forecast.monthsToThreshold ?? 0).toFixed(1);
  return `At ${rate} (the mean of the last ${plural(forecast.months, "month")}), the free space ` +
    `reaches the ${report.settings.thresholdPct}% cleanup threshold ${
      around(forecast.thresholdAt)
    } (in ${months} months); from then on cleanup evicts the oldest backups from the share ` +
    `(S3 keeps them). Without cleanup it ${full}.`;
}

/** Where the S3 figures come from. */
export function s3SourceLine(report: MonthlyReport): string {
  return report.s3.source === "listing"
    ? `From a listing of ${report.settings.s3Location} made now.`
    : `Estimated from the manifest: every complete backup, in [s3] storage_class ` +
      `${report.settings.storageClass}; report --s3 lists the bucket for its own figures.`;
}

/** Where the prices come from. */
export function pricesLine(report: MonthlyReport): string {
  const unpriced = report.s3.unpriced.length === 0
    ? ""
    : ` No price is set for ${report.s3.unpriced.join(", ")}: not in the total.`;
  return `Storage only, in US dollars per GB-month (2^30 bytes) from [report] in config.toml, ` +
    `prices as of ${report.settings.pricesAsOf}.${unpriced}`;
}

/** An audit run in one line. */
export function auditLine(report: MonthlyReport, audit: MonthlyReport["audits"][number]): string {
  const scope = [
    audit.samplePct === null ? "every file" : `${audit.samplePct}% sample`,
    ...(audit.s3 ? ["and S3"] : []),
  ].join(" ");
  const result = audit.findings === 0
    ? "no findings"
    : `${plural(audit.findings, "finding")} in ${plural(audit.withFindings, "backup")}`;
  return `${when(report, audit.at)} ${audit.instrument}: ${
    plural(audit.backups, "backup")
  } audited (${scope}): ${result}${audit.exitCode > 1 ? ` (exit ${audit.exitCode})` : ""}`;
}

/** A restore run in one line. */
export function restoreLine(report: MonthlyReport, run: MonthlyReport["restores"][number]): string {
  const from = run.source === "s3" ? "S3" : run.source === "truenas" ? "the share" : run.source;
  const result = run.waitingForS3
    ? "waiting for S3 to retrieve archived objects"
    : `${plural(run.files, "file")}, ${formatBytes(run.bytes)}${
      run.problems > 0 ? `, ${run.problems} NOT restored` : ", all verified"
    }`;
  return `${when(report, run.at)} ${run.instrument}: ${run.backup} from ${from}: ${result}`;
}

/** A failed job run in one line. */
export function failedRunLine(
  report: MonthlyReport,
  run: MonthlyReport["failedRuns"][number],
): string {
  return `${
    when(report, run.at)
  } ${run.instrument} (${run.host}): ${run.job} exited ${run.exitCode}` +
    (run.summary === null ? "" : `: ${run.summary}`);
}

/** Who and what the report covers, and when it was made. */
export function scopeLine(report: MonthlyReport): string {
  return `Share ${report.settings.shareRoot}, bucket ${report.settings.s3Location}; ` +
    `made ${when(report, report.generatedAt)} ${report.zone}; times are ${report.zone}.`;
}
