/**
 * The manifest record and its checks. Pure. Its fields are the format of the
 * ledgers on the share (docs/design.md, "The manifest"): renaming one would
 * break the reading of every file already written.
 *
 * @module
 */

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
  readonly status: BackupStatus;
  /** ISO 8601 UTC timestamps; null until the step happened. */
  readonly started_at: string;
  readonly truenas_verified_at: string | null;
  readonly s3_verified_at: string | null;
  readonly completed_at: string | null;
  readonly source_deleted_at: string | null;
  readonly error: string | null;
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
  if (!BACKUP_STATUSES.includes(record.status as BackupStatus)) {
    return `'status' is not one of ${BACKUP_STATUSES.join(", ")}`;
  }
  return undefined;
}

/** `YYYY-MM.jsonl`: the manifest file a record started at `startedAt` (UTC) belongs to. */
export function manifestFileName(startedAt: string | Date): string {
  const iso = typeof startedAt === "string" ? startedAt : startedAt.toISOString();
  return `${iso.slice(0, 7)}.jsonl`;
}

/** A manifest file name: `YYYY-MM.jsonl`. */
export const MANIFEST_FILE_PATTERN = /^\d{4}-\d{2}\.jsonl$/;

/** An ISO 8601 UTC timestamp without milliseconds, as the manifest writes them. */
export function timestamp(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, "Z");
}
