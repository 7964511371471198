/**
 * Generated records of an archive shared by several instruments, shaped like
 * the ones the tool writes: the manifest (every step of every backup), the
 * job log (backup and cleanup runs, the monitor's daily signs of life) and
 * the cleanup ledger. Deterministic, with simple rules, so a test knows every
 * total: instrument `i` (from 0) backs up `studies(i)` studies each month,
 * each `bytes(i)` bytes in `files(i)` files, on the 3rd from 10:00 UTC.
 * For the report's tests, its benchmark and the demo.
 *
 * @module
 */
import { join } from "node:path";
import { ledgerFileName, type LedgerLine } from "../lib/cleanup/mod.ts";
import {
  type JobDetails,
  jobFilePath,
  type JobRecord,
  manifestFileName,
  type ManifestRecord,
  timestamp,
} from "../lib/manifest/mod.ts";

const MINUTE = 60_000;

/** `YYYY-MM` + `n` months. */
function addMonths(month: string, count: number): string {
  const [year, number] = month.split("-").map(Number) as [number, number];
  const index = year * 12 + number - 1 + count;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
}

/** A UTC time in `month`: `day` at `hour`:`minute`. */
export function at(month: string, day: number, hour = 0, minute = 0): Date {
  const [year, number] = month.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(year, number - 1, day, hour, minute));
}

/** What one backup looks like. */
export interface SampleBackup {
  readonly instrument: string;
  readonly study: string;
  readonly startedAt: Date;
  readonly bytes: number;
  readonly files: number;
}

function baseRecord(backup: SampleBackup): ManifestRecord {
  return {
    backup_name: `${backup.instrument}/${backup.study}`,
    run_name: backup.study,
    instrument: backup.instrument,
    source_path: `D:\\FusionData\\${backup.study}`,
    truenas_path: `\\\\truenas\\fusion-backup\\${backup.instrument}\\${backup.study}`,
    s3_uri: `s3://lab-fusion-archive/fusion/${backup.instrument}/${backup.study}/`,
    file_count: 0,
    total_bytes: 0,
    status: "in_progress",
    started_at: timestamp(backup.startedAt),
    truenas_verified_at: null,
    s3_verified_at: null,
    completed_at: null,
    source_deleted_at: null,
    error: null,
  };
}

function step(backup: SampleBackup, minutes: number): string {
  return timestamp(new Date(backup.startedAt.getTime() + minutes * MINUTE));
}

/**
 * The five records a successful backup appends, as the pipeline does: counted
 * (in progress), verified on the share, verified in S3, complete, source deleted.
 */
export function completeBackup(backup: SampleBackup): ManifestRecord[] {
  const counted = { ...baseRecord(backup), file_count: backup.files, total_bytes: backup.bytes };
  const onShare = { ...counted, truenas_verified_at: step(backup, 10) };
  const inS3 = { ...onShare, s3_verified_at: step(backup, 20) };
  const complete = { ...inS3, status: "complete" as const, completed_at: step(backup, 21) };
  return [counted, onShare, inS3, complete, { ...complete, source_deleted_at: step(backup, 22) }];
}

/** A later revision of a backup: the study's whole state (`bytes`, `files`) and what it stored. */
export interface SampleRevision extends SampleBackup {
  /** 2, 3, … */
  readonly revision: number;
  /** The new and changed files it stored under `_revisions/<revision>/`, and their bytes. */
  readonly storedFiles: number;
  readonly storedBytes: number;
}

/** The five records of a successful revision, as the pipeline appends them. */
export function completeRevision(revision: SampleRevision): ManifestRecord[] {
  return completeBackup(revision).map((record) => ({
    ...record,
    revision: revision.revision,
    stored_file_count: revision.storedFiles,
    stored_bytes: revision.storedBytes,
  }));
}

/** The records of an attempt that failed with `status`, as the pipeline appends them. */
export function failedBackup(
  backup: SampleBackup,
  status: "failed_validation" | "failed_truenas" | "failed_s3",
  error: string,
): ManifestRecord[] {
  // A study that fails validation is never counted: its failure is its only record.
  if (status === "failed_validation") return [{ ...baseRecord(backup), status, error }];
  const counted = { ...baseRecord(backup), file_count: backup.files, total_bytes: backup.bytes };
  if (status === "failed_truenas") return [counted, { ...counted, status, error }];
  const onShare = { ...counted, truenas_verified_at: step(backup, 10) };
  return [counted, onShare, { ...onShare, status, error }];
}

/** A finished job run. */
export function jobRun(
  fields: {
    readonly job: string;
    readonly instrument: string;
    readonly startedAt: Date;
    readonly minutes?: number;
    readonly exitCode?: number;
    readonly summary?: string | null;
    readonly details?: JobDetails;
  },
): JobRecord {
  const finished = timestamp(
    new Date(fields.startedAt.getTime() + (fields.minutes ?? 30) * MINUTE),
  );
  return {
    job: fields.job,
    instrument: fields.instrument,
    host: `PC-${fields.instrument.toUpperCase()}`,
    started_at: timestamp(fields.startedAt),
    recorded_at: finished,
    finished_at: finished,
    exit_code: fields.exitCode ?? 0,
    summary: fields.summary ?? null,
    ...(fields.details === undefined ? {} : { details: fields.details }),
  };
}

/** A running monitor's sign of life, written at `time`. */
export function signOfLife(instrument: string, since: Date, time: Date): JobRecord {
  return {
    job: "monitor tail",
    instrument,
    host: `PC-${instrument.toUpperCase()}`,
    started_at: timestamp(since),
    recorded_at: timestamp(time),
    finished_at: null,
    exit_code: null,
    summary: null,
  };
}

/** The `evicted` ledger line of a backup taken off the share at `time`. */
export function evicted(backup: ManifestRecord, time: Date, host = "PC-CLEANUP"): LedgerLine {
  return {
    event: "evicted",
    backup_name: backup.backup_name,
    path: backup.truenas_path,
    evicting_path: `${backup.instrument}/.evicting/${backup.run_name}`,
    files: backup.file_count + 1,
    bytes: backup.total_bytes,
    completed_at: backup.completed_at,
    s3_uri: backup.s3_uri,
    started_at: timestamp(time),
    evicted_at: timestamp(time),
    share_bytes: 0,
    free_before_bytes: 0,
    free_before_pct: 0,
    free_after_bytes: null,
    free_after_pct: null,
    resumed: false,
    host,
    error: null,
  };
}

/** The rules of a generated archive. */
export interface ArchiveRules {
  readonly instruments: readonly string[];
  /** First and last month (UTC), both included. */
  readonly from: string;
  readonly to: string;
  /** Studies instrument `index` backs up each month. */
  readonly studies: (index: number) => number;
  readonly bytes: (index: number) => number;
  readonly files: (index: number) => number;
  /** Whether each running monitor writes its daily sign of life (many lines). */
  readonly signsOfLife?: boolean;
}

/** A generated archive's records. */
export interface SampleArchive {
  readonly manifest: ManifestRecord[];
  readonly jobs: JobRecord[];
  readonly ledger: LedgerLine[];
}

/**
 * The records of `rules`: every month, each instrument's backup run on the
 * 2nd, its backups on the 3rd from 10:00, its cleanup run on the 20th, and
 * (with `signsOfLife`) its monitor's sign of life every day, the runs and
 * signs at 12:00 UTC: the same day and month on any PC's clock.
 */
export function sampleArchive(rules: ArchiveRules): SampleArchive {
  const archive: SampleArchive = { manifest: [], jobs: [], ledger: [] };
  for (let month = rules.from; month <= rules.to; month = addMonths(month, 1)) {
    rules.instruments.forEach((instrument, index) => {
      const count = rules.studies(index);
      archive.jobs.push(
        jobRun({
          job: "backup run",
          instrument,
          startedAt: at(month, 2, 12),
          summary: `${count} studies backed up`,
          details: { waiting: [] },
        }),
      );
      for (let study = 0; study < count; study++) {
        archive.manifest.push(
          ...completeBackup({
            instrument,
            study: `${month.replace("-", "")}03_user${index}_panel_run${study}`,
            startedAt: at(month, 3, 10, study),
            bytes: rules.bytes(index),
            files: rules.files(index),
          }),
        );
      }
      archive.jobs.push(jobRun({ job: "cleanup run", instrument, startedAt: at(month, 20, 12) }));
      if (rules.signsOfLife === true) {
        const days = new Date(at(addMonths(month, 1), 1).getTime() - 1).getUTCDate();
        for (let day = 1; day <= days; day++) {
          archive.jobs.push(signOfLife(instrument, at(rules.from, 1), at(month, day, 12)));
        }
      }
    });
  }
  return archive;
}

/** Writes `lines` as JSON lines, grouped into the files `fileOf` names. */
async function writeGrouped<T>(lines: readonly T[], fileOf: (line: T) => string): Promise<void> {
  const files = new Map<string, string[]>();
  for (const line of lines) {
    const file = fileOf(line);
    const text = files.get(file) ?? [];
    text.push(JSON.stringify(line));
    files.set(file, text);
  }
  for (const [file, text] of files) {
    await Deno.mkdir(join(file, ".."), { recursive: true });
    await Deno.writeTextFile(file, `${text.join("\n")}\n`, { append: true });
  }
}

/**
 * Writes `archive` into `manifestRoot` in the tool's layout: manifest files
 * by month, the job log by instrument and month, the cleanup ledger by month.
 */
export async function writeSampleArchive(
  manifestRoot: string,
  archive: SampleArchive,
): Promise<void> {
  await writeGrouped(
    archive.manifest,
    (record) => join(manifestRoot, manifestFileName(record.started_at, record.instrument)),
  );
  await writeGrouped(
    archive.jobs,
    (record) => jobFilePath(manifestRoot, record.instrument, record.recorded_at),
  );
  await writeGrouped(
    archive.ledger,
    (line) => join(manifestRoot, ledgerFileName(new Date(line.started_at))),
  );
}
