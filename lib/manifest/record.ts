/**
 * The manifest record and its checks, and the names of the manifest files.
 * Pure. The fields and the file names are the format of the ledgers on the
 * share (docs/design.md, "The manifest"): renaming one would break the
 * reading of every file already written.
 *
 * @module
 */
import { compareNames } from "../fs/mod.ts";
import { INSTRUMENT_NAME_PATTERN } from "../layout/mod.ts";

/** Where a backup stands. */
export type BackupStatus =
  | "in_progress"
  | "complete"
  | "failed_validation"
  | "failed_truenas"
  | "failed_s3";

/** Every status, in pipeline order. */
export const BACKUP_STATUSES: readonly BackupStatus[] = [
  "in_progress",
  "complete",
  "failed_validation",
  "failed_truenas",
  "failed_s3",
];

/** One line of a manifest file: the state of one backup at one moment (docs/design.md). */
export interface ManifestRecord {
  /** `<instrument>/<study>`: the key readers fold on. */
  readonly backup_name: string;
  /** The study folder's name. */
  readonly run_name: string;
  readonly instrument: string;
  readonly source_path: string;
  readonly truenas_path: string;
  /** `s3://bucket/prefix/<instrument>/<study>/` */
  readonly s3_uri: string;
  readonly file_count: number;
  readonly total_bytes: number;
  /**
   * SHA-256 of the file list of the revision this record describes
   * (`_checksums.sha256`, or `_checksums.r<N>.sha256`), recorded when the
   * share copy is verified; null before that. Absent in records of versions
   * before it was recorded: their list cannot be checked against the manifest.
   */
  readonly sidecar_sha256?: string | null;
  readonly status: BackupStatus;
  /** ISO 8601 UTC timestamps; null until the step happened. */
  readonly started_at: string;
  readonly truenas_verified_at: string | null;
  readonly s3_verified_at: string | null;
  readonly completed_at: string | null;
  readonly source_deleted_at: string | null;
  readonly error: string | null;
  /**
   * Which revision of the backup the record describes: absent for the first
   * backup, 2, 3, … when the study changed after a complete backup and what
   * changed was added (lib/layout/revision.ts).
   */
  readonly revision?: number;
  /**
   * For a revision (2, 3, …): the new and changed files it stored under
   * `_revisions/<N>/`, and their total size; the other files it lists stay
   * where earlier revisions stored them. Absent for a first backup, which
   * stores every file it lists (`file_count`, `total_bytes`).
   */
  readonly stored_file_count?: number;
  readonly stored_bytes?: number;
}

const STRING_FIELDS = [
  "backup_name",
  "run_name",
  "instrument",
  "source_path",
  "truenas_path",
  "s3_uri",
  "started_at",
] as const;
const NULLABLE_STRING_FIELDS = [
  "truenas_verified_at",
  "s3_verified_at",
  "completed_at",
  "source_deleted_at",
  "error",
] as const;

/** 64 lowercase hex digits, as every digest in the manifest and the sidecar is written. */
function isSha256Hex(value: unknown): boolean {
  return typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
}

/** Why `value` is not a manifest record, or undefined when it is one. */
export function recordProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "not a JSON object";
  }
  const record = value as Record<string, unknown>;
  for (const field of STRING_FIELDS) {
    if (typeof record[field] !== "string") return `'${field}' is not a string`;
  }
  for (const field of NULLABLE_STRING_FIELDS) {
    if (record[field] !== null && typeof record[field] !== "string") {
      return `'${field}' is neither a string nor null`;
    }
  }
  for (const field of ["file_count", "total_bytes"]) {
    const count = record[field];
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
      return `'${field}' is not a whole number`;
    }
  }
  for (const field of ["stored_file_count", "stored_bytes"]) {
    const count = record[field];
    if (
      count !== undefined && (typeof count !== "number" || !Number.isInteger(count) || count < 0)
    ) {
      return `'${field}' is not a whole number`;
    }
  }
  const sidecar = record.sidecar_sha256;
  if (sidecar !== undefined && sidecar !== null && !isSha256Hex(sidecar)) {
    return "'sidecar_sha256' is neither a SHA-256 hex digest nor null";
  }
  const revision = record["revision"];
  if (
    revision !== undefined &&
    (typeof revision !== "number" || !Number.isInteger(revision) || revision < 1)
  ) {
    return "'revision' is not a whole number of at least 1";
  }
  if (!BACKUP_STATUSES.includes(record.status as BackupStatus)) {
    return `'status' is not one of ${BACKUP_STATUSES.join(", ")}`;
  }
  return undefined;
}

/**
 * `YYYY-MM.<instrument>.jsonl`: the manifest file of `instrument`'s records
 * started at `startedAt` (its month, UTC). Each instrument's PC writes only
 * its own files, so appends of two PCs never meet in one file.
 *
 * @throws {Error} when `instrument` is not a valid instrument name (its file would not be read back).
 */
export function manifestFileName(startedAt: string | Date, instrument: string): string {
  if (!INSTRUMENT_NAME_PATTERN.regex.test(instrument)) {
    throw new Error(
      `${JSON.stringify(instrument)} cannot name an instrument's manifest file: ` +
        `use ${INSTRUMENT_NAME_PATTERN.meaning}`,
    );
  }
  const iso = typeof startedAt === "string" ? startedAt : startedAt.toISOString();
  return `${iso.slice(0, 7)}.${instrument}.jsonl`;
}

/** What a manifest file's name says. */
export interface ManifestFileName {
  /** `YYYY-MM`. */
  readonly month: string;
  /**
   * The instrument whose PC writes it; undefined for `YYYY-MM.jsonl`, the one
   * file of every instrument that versions before per-instrument files wrote.
   */
  readonly instrument: string | undefined;
}

/**
 * Reads a manifest file's name (`YYYY-MM.<instrument>.jsonl`, or the older
 * `YYYY-MM.jsonl`); undefined for any other name (the cleanup ledger, a copy
 * such as `2025-04.fusion-01 - Copy.jsonl`).
 */
export function parseManifestFileName(name: string): ManifestFileName | undefined {
  const match = /^(\d{4}-\d{2})(?:\.(.+))?\.jsonl$/.exec(name);
  if (match === null) return undefined;
  const instrument = match[2];
  if (instrument !== undefined && !INSTRUMENT_NAME_PATTERN.regex.test(instrument)) return undefined;
  return { month: match[1] ?? "", instrument };
}

/**
 * The manifest files among `names` (file names, not paths), in the order
 * readers fold them: by month; within a month the older shared
 * `YYYY-MM.jsonl` first, since a PC upgraded mid-month wrote its later
 * records to its own file; then by instrument. Records of different
 * instruments never fold onto each other, so their order among themselves
 * does not matter, only that it is fixed.
 */
export function manifestFilesInFoldOrder(names: Iterable<string>): string[] {
  const files: { name: string; month: string; instrument: string }[] = [];
  for (const name of names) {
    const file = parseManifestFileName(name);
    if (file !== undefined) {
      files.push({ name, month: file.month, instrument: file.instrument ?? "" });
    }
  }
  return files
    .sort((a, b) => compareNames(a.month, b.month) || compareNames(a.instrument, b.instrument))
    .map((file) => file.name);
}

/** An ISO 8601 UTC timestamp without milliseconds, as the manifest writes them. */
export function timestamp(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, "Z");
}
