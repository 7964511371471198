/**
 * Reads what the report is computed from, for every instrument on the share:
 * the manifest (through `readManifest`, whatever its file layout), the
 * cleanup ledger, the job log, the share's free space and, when asked, the
 * bucket's listing. Reads only; what cannot be read becomes a problem line
 * of the report, never an exception.
 *
 * @module
 */
import { type LedgerLine, readLedger, type SpaceReader } from "../cleanup/mod.ts";
import type { Config } from "../config/mod.ts";
import { errorMessage } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import { type JobRecord, type ManifestRecord, readJobLog, readManifest } from "../manifest/mod.ts";
import { EXPECT_MONTHS } from "./sections/period.ts";
import type { ReportInput, ReportSettings } from "./types.ts";
import { addMonths, type Calendar } from "./calendar.ts";
import type { Usage } from "./cost.ts";

/** What gathering needs besides the config; the CLI passes the real ones. */
export interface GatherOptions {
  readonly month: string;
  readonly now: Date;
  readonly calendar: Calendar;
  /** The share's free space (statfs). */
  readonly readSpace: SpaceReader;
  /**
   * Lists the keys under `keyPrefix` per storage class (`--s3`); the estimate
   * comes from the manifest without it.
   */
  readonly listS3?: ((keyPrefix: string) => Promise<ReadonlyMap<string, Usage>>) | undefined;
}

/** The keys of everything the toolkit writes start with this: `<prefix>/`, or "" (the bucket). */
function keyPrefix(config: Config): string {
  return config.s3.prefix === "" ? "" : `${config.s3.prefix}/`;
}

/** `s3://bucket/prefix/`. */
export function s3Location(config: Config): string {
  return `s3://${config.s3.bucket}/${keyPrefix(config)}`;
}

/** The report's settings from config.toml. */
export function reportSettings(config: Config): ReportSettings {
  return {
    instrument: config.backup.instrument,
    shareRoot: config.truenas.root,
    s3Location: s3Location(config),
    thresholdPct: config.cleanup.freeThresholdPct,
    storageClass: config.s3.storageClass,
    prices: config.report.prices,
    pricesAsOf: config.report.pricesAsOf,
  };
}

function firstWarning(warnings: readonly { file: string; line: number; message: string }[]) {
  const [first] = warnings;
  return first === undefined ? "" : ` (first: ${first.file}:${first.line}: ${first.message})`;
}

/** What `read` gives, or `fallback` and a problem line `<what>: <the error>` when it throws. */
async function orProblem<T>(
  problems: string[],
  what: string,
  fallback: T,
  read: () => Promise<T>,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    problems.push(`${what}: ${errorMessage(error)}`);
    return fallback;
  }
}

/** The records on the share, and its free space. */
type ShareRecords = Pick<ReportInput, "manifest" | "ledger" | "jobs" | "space">;

/** The records a share that cannot be reached gives: none, and a problem line that says so. */
function unreachableShare(config: Config, problems: string[]): ShareRecords {
  problems.push(
    `the share ${config.truenas.root} is not reachable (not mounted?): the report has no records`,
  );
  return { manifest: [], ledger: [], jobs: [], space: undefined };
}

/** Every instrument's manifest records, whatever the files' layout. */
function readManifestRecords(root: string, problems: string[]): Promise<readonly ManifestRecord[]> {
  return orProblem(problems, `cannot read the manifest in ${root}`, [], async () => {
    const contents = await readManifest(root);
    if (contents.warnings.length > 0) {
      problems.push(
        `${contents.warnings.length} manifest line(s) could not be read${
          firstWarning(contents.warnings)
        }`,
      );
    }
    return contents.records;
  });
}

/** Every line of the cleanup ledger. */
function readLedgerLines(root: string, problems: string[]): Promise<readonly LedgerLine[]> {
  return orProblem(problems, `cannot read the cleanup ledger in ${root}`, [], async () => {
    const read = await readLedger(root);
    if (read.unreadable > 0) {
      problems.push(`${read.unreadable} cleanup ledger line(s) in ${root} could not be read`);
    }
    return read.lines;
  });
}

/** The job log from {@linkcode EXPECT_MONTHS} before the month until now. */
function readJobs(
  root: string,
  options: GatherOptions,
  problems: string[],
): Promise<readonly JobRecord[]> {
  return orProblem(problems, `cannot read the job log in ${root}`, [], async () => {
    // The log's files are named by UTC month; a month on each side covers any time zone.
    const log = await readJobLog(root, {
      from: addMonths(options.month, -EXPECT_MONTHS - 1),
      to: addMonths(options.now.toISOString().slice(0, 7), 1),
    });
    if (log.warnings.length > 0) {
      problems.push(
        `${log.warnings.length} job log line(s) could not be read${firstWarning(log.warnings)}`,
      );
    }
    return log.records;
  });
}

/** The records on a share that is there. */
async function readShareRecords(
  config: Config,
  options: GatherOptions,
  problems: string[],
): Promise<ShareRecords> {
  const root = config.truenas.manifestRoot;
  return {
    manifest: await readManifestRecords(root, problems),
    ledger: await readLedgerLines(root, problems),
    jobs: await readJobs(root, options, problems),
    space: await orProblem(
      problems,
      "cannot read the share's free space",
      undefined,
      () => options.readSpace(config.truenas.root),
    ),
  };
}

/** Gathers the report's input. Never throws for what it cannot read. */
export async function gatherReport(config: Config, options: GatherOptions): Promise<ReportInput> {
  const problems: string[] = [];
  const records = await kindAt(config.truenas.root) === "dir"
    ? await readShareRecords(config, options, problems)
    : unreachableShare(config, problems);
  const { listS3 } = options;
  const s3Usage = listS3 === undefined ? undefined : await orProblem(
    problems,
    `cannot list ${s3Location(config)} (the S3 figures are estimated from the manifest)`,
    undefined,
    () => listS3(keyPrefix(config)),
  );
  return {
    month: options.month,
    now: options.now,
    calendar: options.calendar,
    settings: reportSettings(config),
    ...records,
    s3Usage,
    problems,
  };
}
