/**
 * The monthly report's numbers, from the records of every instrument on the
 * share: the manifest, the cleanup ledger, the job log, the share's free
 * space and (when asked) the bucket's listing. Records in, numbers out: no
 * clock, no file, no network.
 *
 * @module
 */
import type { LedgerLine } from "../cleanup/mod.ts";
import {
  completedRevisions,
  type JobRecord,
  type ManifestRecord,
  type WaitingStudyFact,
} from "../manifest/mod.ts";
import {
  addMonths,
  type Calendar,
  monthOf,
  monthsBetween,
  monthStart,
  zoneName,
} from "./calendar.ts";
import { monthlyCost, type Usage } from "./cost.ts";
import { forecastShare, type ShareForecast } from "./forecast.ts";

/** The months of the charts, the report's month last. */
export const CHART_MONTHS = 12;

/** How far back a job counts as one the instrument runs: a job seen in these months must run. */
export const EXPECT_MONTHS = 12;

/** The jobs every instrument is expected to run each month, once it has run them. */
export const EXPECTED_JOBS = ["backup run", "cleanup run", "monitor tail"] as const;

/** One of {@linkcode EXPECTED_JOBS}. */
export type ExpectedJob = typeof EXPECTED_JOBS[number];

/** What the report needs besides the records; from config.toml. */
export interface ReportSettings {
  /** This PC's instrument: always listed, even before its first record. */
  readonly instrument: string;
  /** Where the report reads from, for its header. */
  readonly shareRoot: string;
  readonly s3Location: string;
  /** `[cleanup] free_threshold_pct`. */
  readonly thresholdPct: number;
  /** `[s3] storage_class`: the class the estimate from the manifest assumes. */
  readonly storageClass: string;
  /** Dollars per GB-month by storage class, and when they were taken. */
  readonly prices: Readonly<Record<string, number>>;
  readonly pricesAsOf: string;
}

/** Everything the report is computed from. */
export interface ReportInput {
  /** `YYYY-MM`. */
  readonly month: string;
  readonly now: Date;
  readonly calendar: Calendar;
  readonly settings: ReportSettings;
  /** Every manifest record, in the order written. */
  readonly manifest: readonly ManifestRecord[];
  /** Every cleanup ledger line. */
  readonly ledger: readonly LedgerLine[];
  /** The job log, at least from {@linkcode EXPECT_MONTHS} before the month until now. */
  readonly jobs: readonly JobRecord[];
  /** The share's free space now, when it could be read. */
  readonly space: { readonly freeBytes: number; readonly totalBytes: number } | undefined;
  /** The bucket's listing per storage class, when asked for and read. */
  readonly s3Usage: ReadonlyMap<string, Usage> | undefined;
  /** What could not be read, one line each (an unreachable share, a failed listing). */
  readonly problems: readonly string[];
}

/** A job an instrument runs every month that left no record in the month. */
export interface MissedJob {
  readonly instrument: string;
  readonly job: ExpectedJob;
  /** Its last record before the month (ms), and the host that wrote it. */
  readonly lastSeen: number | undefined;
  readonly lastHost: string | undefined;
}

/** One instrument's month. */
export interface InstrumentMonth {
  readonly instrument: string;
  /**
   * Backups completed in the month (a revision counts as one), and the bytes
   * and files they stored (a revision only its new and changed files).
   */
  readonly backups: number;
  readonly bytes: number;
  readonly files: number;
  /** Backup attempts that failed in the month. */
  readonly failures: number;
}

/** One attempt of a backup in the month that did not end well. */
export interface Attempt {
  readonly status: ManifestRecord["status"];
  /** When it started (ms). */
  readonly at: number;
  readonly error: string | null;
}

/** A backup with failed attempts in the month, and where it stands now. */
export interface FailureStory {
  readonly backupName: string;
  readonly instrument: string;
  readonly attempts: readonly Attempt[];
  /** Its latest record. */
  readonly now: ManifestRecord["status"];
  /** When the latest record's step happened (ms): completion, else the attempt's start. */
  readonly nowAt: number;
  readonly nowError: string | null;
  /** Backed up, but the source is still on the instrument. */
  readonly sourceKept: boolean;
}

/** A finished job run of the month that ended non-zero. */
export interface FailedRun {
  readonly instrument: string;
  readonly host: string;
  readonly job: string;
  readonly at: number;
  readonly exitCode: number;
  readonly summary: string | null;
}

/** A study on an instrument not idle long enough to be backed up yet. */
export interface WaitingStudy {
  readonly instrument: string;
  readonly study: string;
  readonly newestChange: number;
  /** The first backup run, in the unbroken series up to the latest, that found it waiting. */
  readonly since: number;
}

/** A backup whose latest record is `failed_validation`. */
export interface FailingValidation {
  readonly backupName: string;
  readonly instrument: string;
  /** The first failed validation of the series up to now. */
  readonly since: number;
  readonly error: string | null;
}

/** One month of a chart. */
export interface MonthBytes {
  readonly month: string;
  /** Bytes per instrument, in the order of `MonthlyReport.instruments`. */
  readonly byInstrument: readonly number[];
  readonly total: number;
}

/** The share's backups at the end of a month. */
export interface ShareMonth {
  readonly month: string;
  /** Bytes of backups on the share: stored by then, less those evicted by then. */
  readonly backupBytes: number;
}

/** S3 bytes at the end of a month and what they cost a month. */
export interface S3Month {
  readonly month: string;
  readonly bytes: number;
  readonly cost: number | undefined;
}

/** One storage class of the bucket. */
export interface ClassLine {
  readonly storageClass: string;
  readonly objects: number;
  readonly bytes: number;
  /** Dollars per GB-month; undefined when `[report]` prices no such class. */
  readonly price: number | undefined;
  readonly cost: number | undefined;
}

/** An audit run of the month. */
export interface AuditRun {
  readonly instrument: string;
  readonly host: string;
  readonly at: number;
  readonly exitCode: number;
  readonly backups: number;
  readonly withFindings: number;
  readonly findings: number;
  readonly notOnShare: number;
  readonly s3: boolean;
  readonly samplePct: number | null;
}

/** A restore run of the month. */
export interface RestoreRun {
  readonly instrument: string;
  readonly host: string;
  readonly at: number;
  readonly exitCode: number;
  readonly backup: string;
  readonly source: string;
  readonly files: number;
  readonly bytes: number;
  readonly problems: number;
  readonly waitingForS3: boolean;
}

/** How one instrument's expected job fared in the month. */
export interface JobMonth {
  readonly job: ExpectedJob;
  /** Runs (or signs of life, for the monitor) in the month. */
  readonly runs: number;
  /** Of them, runs that ended non-zero. */
  readonly failed: number;
  /** Whether it has run in the months before, so it should have run in this one. */
  readonly expected: boolean;
  /** Its latest record up to the month's end (ms). */
  readonly last: number | undefined;
}

/** The report: every figure, ready to render. */
export interface MonthlyReport {
  readonly month: string;
  /** Ms. */
  readonly generatedAt: number;
  /** The time zone every time is shown in, and its name (`UTC+08:00`). */
  readonly calendar: Calendar;
  readonly zone: string;
  /** The month is not over: missed jobs are not judged yet. */
  readonly partial: boolean;
  readonly settings: ReportSettings;
  /** Every instrument with records in the last year, and this PC's, sorted. */
  readonly instruments: readonly string[];
  /** First in the report when not empty. */
  readonly missed: readonly MissedJob[];
  readonly jobs: readonly { readonly instrument: string; readonly jobs: readonly JobMonth[] }[];
  readonly perInstrument: readonly InstrumentMonth[];
  readonly totals: { readonly backups: number; readonly bytes: number; readonly files: number };
  readonly failures: readonly FailureStory[];
  readonly failedRuns: readonly FailedRun[];
  /** Now (as of the generation), not in the month. */
  readonly waiting: readonly WaitingStudy[];
  readonly failingValidation: readonly FailingValidation[];
  readonly share: {
    readonly freeBytes: number | undefined;
    readonly totalBytes: number | undefined;
    readonly history: readonly ShareMonth[];
    /** Undefined without the free space, or before the first backup. */
    readonly forecast: ShareForecast | undefined;
    readonly evicted: { readonly count: number; readonly bytes: number };
  };
  readonly s3: {
    /** Where the bytes per class come from. */
    readonly source: "listing" | "manifest";
    readonly classes: readonly ClassLine[];
    readonly bytes: number;
    readonly objects: number;
    /** The sum of the priced classes. */
    readonly cost: number;
    /** Classes with bytes but no price. */
    readonly unpriced: readonly string[];
    /** Bytes stored per month by backups and revisions (the first chart). */
    readonly added: readonly MonthBytes[];
    /** The archive at each month's end, at the configured class's price. */
    readonly growth: readonly S3Month[];
  };
  readonly audits: readonly AuditRun[];
  readonly restores: readonly RestoreRun[];
  readonly problems: readonly string[];
}

const FAILED: readonly ManifestRecord["status"][] = [
  "failed_validation",
  "failed_truenas",
  "failed_s3",
];

/** What one backup's records add up to. */
interface BackupFacts {
  readonly name: string;
  readonly instrument: string;
  latest: ManifestRecord;
  /** From its latest complete record. */
  completedAt: number | undefined;
  /** Start of the unbroken series of failed validations up to the latest record. */
  failingSince: number | undefined;
  attempts: Attempt[];
}

function time(iso: string): number {
  return Date.parse(iso);
}

/** Folds the manifest into one entry per backup; `attempts` are the failures in [from, to). */
function foldBackups(
  records: readonly ManifestRecord[],
  from: number,
  to: number,
): Map<string, BackupFacts> {
  const backups = new Map<string, BackupFacts>();
  for (const record of records) {
    let facts = backups.get(record.backup_name);
    if (facts === undefined) {
      facts = {
        name: record.backup_name,
        instrument: record.instrument,
        latest: record,
        completedAt: undefined,
        failingSince: undefined,
        attempts: [],
      };
      backups.set(record.backup_name, facts);
    }
    facts.latest = record;
    const started = time(record.started_at);
    if (record.status === "complete" && record.completed_at !== null) {
      facts.completedAt = time(record.completed_at);
    }
    facts.failingSince = record.status === "failed_validation"
      ? facts.failingSince ?? started
      : undefined;
    if (FAILED.includes(record.status) && started >= from && started < to) {
      facts.attempts.push({ status: record.status, at: started, error: record.error });
    }
  }
  return backups;
}

/** The time a job record counts at: a run at its start, a sign of life when written. */
function jobTime(record: JobRecord): number {
  return time(record.finished_at === null ? record.recorded_at : record.started_at);
}

function number(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function waitingFacts(record: JobRecord): readonly WaitingStudyFact[] | undefined {
  const waiting = record.details?.waiting;
  return Array.isArray(waiting) ? waiting : undefined;
}

/** Studies waiting now, per instrument, from its backup runs that listed them. */
function waitingStudies(jobs: readonly JobRecord[]): WaitingStudy[] {
  const byInstrument = new Map<string, JobRecord[]>();
  for (const record of jobs) {
    if (record.job !== "backup run" || waitingFacts(record) === undefined) continue;
    const runs = byInstrument.get(record.instrument) ?? [];
    runs.push(record);
    byInstrument.set(record.instrument, runs);
  }
  const waiting: WaitingStudy[] = [];
  for (const [instrument, runs] of byInstrument) {
    runs.sort((a, b) => jobTime(a) - jobTime(b));
    const latest = runs[runs.length - 1];
    for (const fact of (latest === undefined ? [] : waitingFacts(latest)) ?? []) {
      let since = jobTime(latest as JobRecord);
      for (let index = runs.length - 2; index >= 0; index--) {
        const run = runs[index] as JobRecord;
        if (!(waitingFacts(run) ?? []).some((other) => other.study === fact.study)) break;
        since = jobTime(run);
      }
      waiting.push({
        instrument,
        study: fact.study,
        newestChange: time(fact.newest_change),
        since,
      });
    }
  }
  return waiting.sort((a, b) => a.since - b.since || a.study.localeCompare(b.study));
}

/** Builds the report. Pure. */
export function buildReport(input: ReportInput): MonthlyReport {
  const { calendar, settings, month } = input;
  const now = input.now.getTime();
  const start = monthStart(calendar, month);
  const end = monthStart(calendar, addMonths(month, 1));
  const expectFrom = monthStart(calendar, addMonths(month, -EXPECT_MONTHS));
  const inMonth = (at: number) => at >= start && at < end;

  const backups = foldBackups(input.manifest, start, end);
  // What each backup and each revision stored, once, when it completed: the share's and S3's growth.
  const stored = completedRevisions(input.manifest).map((revision) => ({
    ...revision,
    at: time(revision.completedAt),
  }));

  // The instruments: records in the last year up to now, and this PC's.
  const names = new Set([settings.instrument]);
  for (const record of input.manifest) {
    if (time(record.started_at) >= expectFrom) names.add(record.instrument);
  }
  for (const record of input.jobs) {
    if (jobTime(record) >= expectFrom) names.add(record.instrument);
  }
  const instruments = [...names].sort();

  // Jobs: which ran, which should have.
  const partial = end > now;
  const jobs = instruments.map((instrument) => ({
    instrument,
    jobs: EXPECTED_JOBS.map((job): JobMonth => {
      let runs = 0;
      let failed = 0;
      let expected = false;
      let last: number | undefined;
      for (const record of input.jobs) {
        if (record.instrument !== instrument || record.job !== job) continue;
        const at = jobTime(record);
        if (at >= expectFrom && at < start) expected = true;
        if (inMonth(at)) {
          runs++;
          if (record.exit_code !== null && record.exit_code !== 0) failed++;
        }
        if (at < end && (last === undefined || at > last)) last = at;
      }
      if (job === "backup run") {
        // A backup that wrote the manifest ran, even before the job log existed.
        for (const record of input.manifest) {
          if (record.instrument !== instrument) continue;
          const at = time(record.started_at);
          if (at >= expectFrom && at < start) expected = true;
          if (inMonth(at) && runs === 0) runs = 1;
          if (at < end && (last === undefined || at > last)) last = at;
        }
      }
      return { job, runs, failed, expected, last };
    }),
  }));
  const missed: MissedJob[] = [];
  // The backup first: it is the one that keeps the data.
  for (const [index, kind] of EXPECTED_JOBS.entries()) {
    for (const row of partial ? [] : jobs) {
      const job = row.jobs[index] as JobMonth;
      if (!job.expected || job.runs > 0) continue;
      const lastRecord = input.jobs.filter((record) =>
        record.instrument === row.instrument && record.job === kind && jobTime(record) < start
      ).at(-1);
      missed.push({
        instrument: row.instrument,
        job: kind,
        lastSeen: job.last,
        lastHost: lastRecord?.host,
      });
    }
  }

  // Backups of the month, per instrument.
  const perInstrument = instruments.map((instrument): InstrumentMonth => {
    let count = 0;
    let bytes = 0;
    let files = 0;
    let failures = 0;
    for (const facts of backups.values()) {
      if (facts.instrument === instrument) failures += facts.attempts.length;
    }
    for (const revision of stored) {
      if (revision.instrument !== instrument || !inMonth(revision.at)) continue;
      count++;
      bytes += revision.bytes;
      files += revision.files;
    }
    return { instrument, backups: count, bytes, files, failures };
  });
  const totals = {
    backups: perInstrument.reduce((sum, line) => sum + line.backups, 0),
    bytes: perInstrument.reduce((sum, line) => sum + line.bytes, 0),
    files: perInstrument.reduce((sum, line) => sum + line.files, 0),
  };

  // Failures of the month and how they ended; in-progress and kept sources too.
  const failures: FailureStory[] = [];
  for (const facts of backups.values()) {
    const latest = facts.latest;
    const latestStart = time(latest.started_at);
    const stopped = latest.status === "in_progress" && inMonth(latestStart);
    const sourceKept = latest.status === "complete" && latest.source_deleted_at === null &&
      latest.error !== null;
    const keptThisMonth = sourceKept && facts.completedAt !== undefined &&
      inMonth(facts.completedAt);
    if (facts.attempts.length === 0 && !stopped && !keptThisMonth) continue;
    failures.push({
      backupName: facts.name,
      instrument: facts.instrument,
      attempts: stopped
        ? [...facts.attempts, { status: "in_progress", at: latestStart, error: null }]
        : facts.attempts,
      now: latest.status,
      nowAt: latest.status === "complete" ? facts.completedAt ?? latestStart : latestStart,
      nowError: latest.error,
      sourceKept,
    });
  }
  failures.sort((a, b) =>
    (a.attempts[0]?.at ?? 0) - (b.attempts[0]?.at ?? 0) || a.backupName.localeCompare(b.backupName)
  );

  const failedRuns: FailedRun[] = input.jobs
    .filter((record) =>
      ["backup run", "cleanup run", "monitor tail", "report"].includes(record.job) &&
      record.exit_code !== null && record.exit_code !== 0 && inMonth(jobTime(record))
    )
    .map((record) => ({
      instrument: record.instrument,
      host: record.host,
      job: record.job,
      at: jobTime(record),
      exitCode: record.exit_code ?? 0,
      summary: record.summary,
    }));

  const failingValidation: FailingValidation[] = [...backups.values()]
    .filter((facts) => facts.latest.status === "failed_validation")
    .map((facts) => ({
      backupName: facts.name,
      instrument: facts.instrument,
      since: facts.failingSince ?? time(facts.latest.started_at),
      error: facts.latest.error,
    }))
    .sort((a, b) => a.since - b.since || a.backupName.localeCompare(b.backupName));

  // The charts' months, the report's month last, with each month's end.
  const chartMonths = Array.from(
    { length: CHART_MONTHS },
    (_, index) => addMonths(month, index - CHART_MONTHS + 1),
  );
  const ends = chartMonths.map((chartMonth) => monthStart(calendar, addMonths(chartMonth, 1)));
  const starts = chartMonths.map((chartMonth) => monthStart(calendar, chartMonth));

  const added: MonthBytes[] = chartMonths.map((chartMonth, index) => {
    const byInstrument = instruments.map(() => 0);
    for (const revision of stored) {
      const column = instruments.indexOf(revision.instrument);
      if (
        revision.at >= (starts[index] as number) && revision.at < (ends[index] as number) &&
        column >= 0
      ) {
        byInstrument[column] = (byInstrument[column] ?? 0) + revision.bytes;
      }
    }
    return {
      month: chartMonth,
      byInstrument,
      total: byInstrument.reduce((sum, bytes) => sum + bytes, 0),
    };
  });

  // The share: what each eviction took off it, once per backup: what all its revisions stored.
  const storedPerBackup = new Map<string, number>();
  for (const revision of stored) {
    storedPerBackup.set(
      revision.backupName,
      (storedPerBackup.get(revision.backupName) ?? 0) + revision.bytes,
    );
  }
  const evictions = new Map<string, { at: number; bytes: number }>();
  for (const line of input.ledger) {
    if (line.event !== "evicted" || line.evicted_at === null) continue;
    if (evictions.has(line.backup_name)) continue;
    const bytes = storedPerBackup.get(line.backup_name) ?? line.bytes;
    evictions.set(line.backup_name, { at: time(line.evicted_at), bytes });
  }
  const history: ShareMonth[] = chartMonths.map((chartMonth, index) => {
    const until = ends[index] as number;
    let bytes = 0;
    for (const revision of stored) if (revision.at < until) bytes += revision.bytes;
    for (const eviction of evictions.values()) if (eviction.at < until) bytes -= eviction.bytes;
    return { month: chartMonth, backupBytes: bytes };
  });
  const evictedInMonth = [...evictions.values()].filter((eviction) => inMonth(eviction.at));

  // The forecast's rate: months since the first backup, up to the report's month.
  const firstBackup = stored.reduce((first, revision) => Math.min(first, revision.at), Infinity);
  let forecast: ShareForecast | undefined;
  if (input.space !== undefined && Number.isFinite(firstBackup)) {
    const since = monthsBetween(monthOf(calendar, firstBackup), month) + 1;
    if (since > 0) {
      forecast = forecastShare({
        now,
        freeBytes: input.space.freeBytes,
        totalBytes: input.space.totalBytes,
        thresholdPct: settings.thresholdPct,
        monthlyBytes: added.slice(-since).map((point) => point.total),
      });
    }
  }

  // S3: the listing when there is one, else what every complete revision stored, at the
  // configured class.
  let usage: ReadonlyMap<string, Usage> | undefined = input.s3Usage;
  if (usage === undefined) {
    const bytes = stored.reduce((sum, revision) => sum + revision.bytes, 0);
    // Each revision's files and its list (_checksums.sha256, _checksums.r<N>.sha256).
    const objects = stored.reduce((sum, revision) => sum + revision.files + 1, 0);
    usage = new Map(stored.length === 0 ? [] : [[settings.storageClass, { objects, bytes }]]);
  }
  const classes: ClassLine[] = [...usage].sort(([a], [b]) => a.localeCompare(b)).map((
    [storageClass, { objects, bytes }],
  ) => ({
    storageClass,
    objects,
    bytes,
    price: settings.prices[storageClass],
    cost: monthlyCost(storageClass, { objects, bytes }, settings.prices),
  }));
  const growth: S3Month[] = chartMonths.map((chartMonth, index) => {
    const until = ends[index] as number;
    let bytes = 0;
    let objects = 0;
    for (const revision of stored) {
      if (revision.at >= until) continue;
      bytes += revision.bytes;
      objects += revision.files + 1;
    }
    return {
      month: chartMonth,
      bytes,
      cost: monthlyCost(settings.storageClass, { objects, bytes }, settings.prices),
    };
  });

  const ofMonth = (job: string) =>
    input.jobs.filter((record) =>
      record.job === job && record.exit_code !== null && inMonth(jobTime(record))
    );
  const audits: AuditRun[] = ofMonth("audit").map((record) => ({
    instrument: record.instrument,
    host: record.host,
    at: jobTime(record),
    exitCode: record.exit_code ?? 0,
    backups: number(record.details?.backups),
    withFindings: number(record.details?.with_findings),
    findings: number(record.details?.findings),
    notOnShare: number(record.details?.not_on_share),
    s3: record.details?.s3 === true,
    samplePct: typeof record.details?.sample_pct === "number" ? record.details.sample_pct : null,
  }));
  const restores: RestoreRun[] = ofMonth("restore").map((record) => ({
    instrument: record.instrument,
    host: record.host,
    at: jobTime(record),
    exitCode: record.exit_code ?? 0,
    backup: record.details?.backup ?? "?",
    source: record.details?.source ?? "?",
    files: number(record.details?.files),
    bytes: number(record.details?.bytes),
    problems: number(record.details?.problems),
    waitingForS3: record.details?.waiting_for_s3 === true,
  }));

  return {
    month,
    generatedAt: now,
    calendar,
    zone: zoneName(calendar, now),
    partial,
    settings,
    instruments,
    missed,
    jobs,
    perInstrument,
    totals,
    failures,
    failedRuns,
    waiting: waitingStudies(input.jobs),
    failingValidation,
    share: {
      freeBytes: input.space?.freeBytes,
      totalBytes: input.space?.totalBytes,
      history,
      forecast,
      evicted: {
        count: evictedInMonth.length,
        bytes: evictedInMonth.reduce((sum, eviction) => sum + eviction.bytes, 0),
      },
    },
    s3: {
      source: input.s3Usage === undefined ? "manifest" : "listing",
      classes,
      bytes: classes.reduce((sum, line) => sum + line.bytes, 0),
      objects: classes.reduce((sum, line) => sum + line.objects, 0),
      cost: classes.reduce((sum, line) => sum + (line.cost ?? 0), 0),
      unpriced: classes.filter((line) => line.cost === undefined && line.bytes > 0).map((line) =>
        line.storageClass
      ),
      added,
      growth,
    },
    audits,
    restores,
    problems: input.problems,
  };
}
