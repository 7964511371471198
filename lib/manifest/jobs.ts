/**
 * The job log on the share: every instrument's job runs, where the monthly
 * report of any PC can read them. Each finished run (backup, cleanup, audit,
 * restore, report, a stopped monitor) appends one JSON line, and a running
 * `monitor tail` appends a sign of life each day, to
 * `<manifest_root>/_jobs/<instrument>/YYYY-MM.jsonl` (the UTC month of the
 * line), appended and flushed like the manifest. One file per instrument and
 * month, so two PCs never append to the same file. The per-PC history of
 * `status` (lib/status/runs.ts) is kept as well: it works without the share.
 *
 * @module
 */
import { join } from "node:path";
import { compareNames, kindAt } from "../fs/mod.ts";
import { appendJsonLine } from "./ledger.ts";

/** The folder of the job log inside the manifest root; `_` keeps it apart from instrument names. */
export const JOBS_DIR = "_jobs";

/** A job log file's name: `YYYY-MM.jsonl`. */
const JOB_FILE_PATTERN = /^(\d{4}-\d{2})\.jsonl$/;

/** One line of the job log. */
export interface JobRecord {
  /** The command, e.g. "backup run", "cleanup run", "monitor tail", "audit", "restore", "report". */
  readonly job: string;
  /** `[backup] instrument` of the PC that ran it. */
  readonly instrument: string;
  /** The PC's host name. */
  readonly host: string;
  readonly started_at: string;
  /** When the line was written: the end of a run, or the moment of a sign of life. */
  readonly recorded_at: string;
  /** Null in a sign of life of a job still running (`monitor tail`). */
  readonly finished_at: string | null;
  /** Null in a sign of life. */
  readonly exit_code: number | null;
  /** One line: what happened, e.g. "3 studies backed up". */
  readonly summary: string | null;
  /** Facts of the run the monthly report reads (see {@linkcode JobDetails}). */
  readonly details?: JobDetails;
}

/** A study of a backup run not idle long enough yet. */
export interface WaitingStudyFact {
  readonly study: string;
  /** ISO time of its newest change. */
  readonly newest_change: string;
}

/**
 * What some jobs add to their line; all optional, read defensively:
 * - `backup run`: `waiting`, the studies not idle long enough yet;
 * - `audit`: `backups` audited, `with_findings`, `findings`, `not_on_share`, `s3`, `sample_pct`;
 * - `restore`: `backup`, `source` ("truenas" or "s3"), `files`, `bytes`, `problems`, `waiting_for_s3`;
 * - `report`: `month`, `sent_to` (recipients).
 */
export interface JobDetails {
  readonly waiting?: readonly WaitingStudyFact[];
  readonly backups?: number;
  readonly with_findings?: number;
  readonly findings?: number;
  readonly not_on_share?: number;
  readonly s3?: boolean;
  readonly sample_pct?: number | null;
  readonly backup?: string;
  readonly source?: string;
  readonly files?: number;
  readonly bytes?: number;
  readonly problems?: number;
  readonly waiting_for_s3?: boolean;
  readonly month?: string;
  readonly sent_to?: number;
}

/** `<manifestRoot>/_jobs/<instrument>/YYYY-MM.jsonl` for a line recorded at `recordedAt` (UTC month). */
export function jobFilePath(manifestRoot: string, instrument: string, recordedAt: string): string {
  return join(manifestRoot, JOBS_DIR, instrument, `${recordedAt.slice(0, 7)}.jsonl`);
}

/**
 * Appends `record` to its instrument's file of the month, flushed to disk,
 * when the share is there: on a share that is not mounted, the folders would
 * be created on the PC's own disk instead.
 *
 * @returns the file written; undefined when `shareRoot` is not a folder (nothing written).
 * @throws {Error} when the line cannot be written.
 */
export async function appendJobRecord(
  shareRoot: string,
  manifestRoot: string,
  record: JobRecord,
): Promise<string | undefined> {
  if (await kindAt(shareRoot) !== "dir") return undefined;
  const path = jobFilePath(manifestRoot, record.instrument, record.recorded_at);
  await Deno.mkdir(join(manifestRoot, JOBS_DIR, record.instrument), { recursive: true });
  await appendJsonLine(path, record);
  return path;
}

function isJobRecord(value: unknown): value is JobRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const run = value as Record<string, unknown>;
  const text = (name: string) => typeof run[name] === "string";
  const nullable = (name: string, type: string) => run[name] === null || typeof run[name] === type;
  return text("job") && text("instrument") && text("host") && text("started_at") &&
    text("recorded_at") && nullable("finished_at", "string") && nullable("exit_code", "number") &&
    nullable("summary", "string") &&
    (run.details === undefined || (typeof run.details === "object" && run.details !== null));
}

/** Lines of the job log that could not be read. */
export interface JobLogWarning {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** Parses one job log file's text; unreadable lines (a torn last line) become warnings. */
export function parseJobLog(
  text: string,
  file: string,
): { records: JobRecord[]; warnings: JobLogWarning[] } {
  const records: JobRecord[] = [];
  const warnings: JobLogWarning[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      warnings.push({ file, line: index + 1, message: "not valid JSON (a torn line?); skipped" });
      return;
    }
    if (isJobRecord(value)) records.push(value);
    else warnings.push({ file, line: index + 1, message: "not a job record; skipped" });
  });
  return { records, warnings };
}

/**
 * Every instrument's job records in the files of the months `from` to `to`
 * (`YYYY-MM`, UTC, both included), ordered by `recorded_at`. A missing log
 * reads as empty.
 */
export async function readJobLog(
  manifestRoot: string,
  months: { readonly from: string; readonly to: string },
): Promise<{ records: JobRecord[]; warnings: JobLogWarning[] }> {
  const root = join(manifestRoot, JOBS_DIR);
  const records: JobRecord[] = [];
  const warnings: JobLogWarning[] = [];
  let instruments: string[];
  try {
    instruments = (await Array.fromAsync(Deno.readDir(root)))
      // Instrument names never start with `_`: such folders are the log's own.
      .filter((entry) => entry.isDirectory && !entry.name.startsWith("_"))
      .map((entry) => entry.name).sort(compareNames);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { records, warnings };
    throw error;
  }
  for (const instrument of instruments) {
    const dir = join(root, instrument);
    for await (const entry of Deno.readDir(dir)) {
      const month = JOB_FILE_PATTERN.exec(entry.name)?.[1];
      if (!entry.isFile || month === undefined || month < months.from || month > months.to) {
        continue;
      }
      const file = join(dir, entry.name);
      const parsed = parseJobLog(await Deno.readTextFile(file), file);
      records.push(...parsed.records);
      warnings.push(...parsed.warnings);
    }
  }
  records.sort((a, b) => compareNames(a.recorded_at, b.recorded_at));
  return { records, warnings };
}
