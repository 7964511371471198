/**
 * The report's shape: what it is computed from and every figure of it, one
 * section after another (the builders in sections/ make them, the
 * renderers say them). Types only, and the expected jobs.
 *
 * @module
 */
import type { LedgerLine } from "../cleanup/mod.ts";
import type { JobRecord, ManifestRecord } from "../manifest/mod.ts";
import type { Calendar } from "./calendar.ts";
import type { Usage } from "./cost.ts";
import type { ShareForecast } from "./forecast.ts";

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

/** What a report is of, from its input to its figures. */
export interface ReportBasis {
  /** `YYYY-MM`. */
  readonly month: string;
  /** The time zone the month and every time are told in. */
  readonly calendar: Calendar;
  readonly settings: ReportSettings;
  /** What could not be read, one line each (an unreachable share, a failed listing). */
  readonly problems: readonly string[];
}

/** Everything the report is computed from. */
export interface ReportInput extends ReportBasis {
  readonly now: Date;
  /** Every manifest record, in the order written. */
  readonly manifest: readonly ManifestRecord[];
  /** Every cleanup ledger line. */
  readonly ledger: readonly LedgerLine[];
  /** The job log, from `EXPECT_MONTHS` (sections/period.ts) before the month until now. */
  readonly jobs: readonly JobRecord[];
  /** The share's free space now, when it could be read. */
  readonly space: { readonly freeBytes: number; readonly totalBytes: number } | undefined;
  /** The bucket's listing per storage class, when asked for and read. */
  readonly s3Usage: ReadonlyMap<string, Usage> | undefined;
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

/** One instrument's row of the jobs table. */
export interface InstrumentJobs {
  readonly instrument: string;
  /** In the order of {@linkcode EXPECTED_JOBS}. */
  readonly jobs: readonly JobMonth[];
}

/** The backups of the month per instrument, and their totals. */
export interface BackupsOfMonth {
  readonly perInstrument: readonly InstrumentMonth[];
  readonly totals: { readonly backups: number; readonly bytes: number; readonly files: number };
}

/** The share: its space now, its backups month by month, the forecast, the month's evictions. */
export interface ShareSection {
  readonly freeBytes: number | undefined;
  readonly totalBytes: number | undefined;
  readonly history: readonly ShareMonth[];
  /** Undefined without the free space, or before the first backup. */
  readonly forecast: ShareForecast | undefined;
  readonly evicted: { readonly count: number; readonly bytes: number };
}

/** S3: bytes and cost per storage class now, and month by month. */
export interface S3Section {
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
}

/** The report: every figure, ready to render. */
export interface MonthlyReport extends ReportBasis, BackupsOfMonth {
  /** Ms. */
  readonly generatedAt: number;
  /** The name of the report's time zone (`UTC+08:00`). */
  readonly zone: string;
  /** The month is not over: missed jobs are not judged yet. */
  readonly partial: boolean;
  /** Every instrument with records in the last year, and this PC's, sorted. */
  readonly instruments: readonly string[];
  /** First in the report when not empty. */
  readonly missed: readonly MissedJob[];
  readonly jobs: readonly InstrumentJobs[];
  readonly failures: readonly FailureStory[];
  readonly failedRuns: readonly FailedRun[];
  /** Now (as of the generation), not in the month. */
  readonly waiting: readonly WaitingStudy[];
  readonly failingValidation: readonly FailingValidation[];
  readonly share: ShareSection;
  readonly s3: S3Section;
  readonly audits: readonly AuditRun[];
  readonly restores: readonly RestoreRun[];
}
