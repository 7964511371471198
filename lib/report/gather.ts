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
  /** Lists the bucket per storage class (`--s3`); the estimate comes from the manifest without it. */
  readonly listS3?: (() => Promise<ReadonlyMap<string, Usage>>) | undefined;
}

/** `s3://bucket/prefix/`. */
export function s3Location(config: Config): string {
  return `s3://${config.s3.bucket}/${config.s3.prefix === "" ? "" : `${config.s3.prefix}/`}`;
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

/** Gathers the report's input. Never throws for what it cannot read. */
export async function gatherReport(config: Config, options: GatherOptions): Promise<ReportInput> {
  const problems: string[] = [];
  const root = config.truenas.manifestRoot;
  let manifest: readonly ManifestRecord[] = [];
  let ledger: readonly LedgerLine[] = [];
  let jobs: readonly JobRecord[] = [];
  let space: ReportInput["space"];
  if (await kindAt(config.truenas.root) !== "dir") {
    problems.push(
      `the share ${config.truenas.root} is not reachable (not mounted?): the report has no records`,
    );
  } else {
    try {
      const contents = await readManifest(root);
      manifest = contents.records;
      if (contents.warnings.length > 0) {
        problems.push(
          `${contents.warnings.length} manifest line(s) could not be read${
            firstWarning(contents.warnings)
          }`,
        );
      }
    } catch (error) {
      problems.push(`cannot read the manifest in ${root}: ${errorMessage(error)}`);
    }
    try {
      const read = await readLedger(root);
      ledger = read.lines;
      if (read.unreadable > 0) {
        problems.push(`${read.unreadable} cleanup ledger line(s) in ${root} could not be read`);
      }
    } catch (error) {
      problems.push(`cannot read the cleanup ledger in ${root}: ${errorMessage(error)}`);
    }
    try {
      // The log's files are named by UTC month; a month on each side covers any time zone.
      const log = await readJobLog(root, {
        from: addMonths(options.month, -EXPECT_MONTHS - 1),
        to: addMonths(options.now.toISOString().slice(0, 7), 1),
      });
      jobs = log.records;
      if (log.warnings.length > 0) {
        problems.push(
          `${log.warnings.length} job log line(s) could not be read${firstWarning(log.warnings)}`,
        );
      }
    } catch (error) {
      problems.push(`cannot read the job log in ${root}: ${errorMessage(error)}`);
    }
    try {
      space = await options.readSpace(config.truenas.root);
    } catch (error) {
      problems.push(`cannot read the share's free space: ${errorMessage(error)}`);
    }
  }
  let s3Usage: ReadonlyMap<string, Usage> | undefined;
  if (options.listS3 !== undefined) {
    try {
      s3Usage = await options.listS3();
    } catch (error) {
      problems.push(
        `cannot list ${s3Location(config)} (the S3 figures are estimated from the manifest): ` +
          errorMessage(error),
      );
    }
  }
  return {
    month: options.month,
    now: options.now,
    calendar: options.calendar,
    settings: reportSettings(config),
    manifest,
    ledger,
    jobs,
    space,
    s3Usage,
    problems,
  };
}
