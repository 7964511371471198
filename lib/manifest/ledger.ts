/**
 * The manifest ledger on disk: append one record (fsync), read and fold the
 * monthly files. A crash mid-append leaves a torn line; readers skip it with
 * a warning and writers never glue a new record onto it.
 *
 * @module
 */
import { join } from "node:path";
import { compareNames } from "../fs/mod.ts";
import {
  MANIFEST_FILE_PATTERN,
  manifestFileName,
  type ManifestRecord,
  recordProblem,
} from "./record.ts";

/** A line that could not be read as a record. */
export interface ManifestWarning {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly message: string;
}

/** Every record read, in order, and the latest one per backup. */
export interface ManifestContents {
  /** The files read, in order. */
  readonly files: readonly string[];
  readonly records: readonly ManifestRecord[];
  /** `{backup_name: latest record}`: the current state of every backup. */
  readonly latest: ReadonlyMap<string, ManifestRecord>;
  readonly warnings: readonly ManifestWarning[];
}

/**
 * Appends `record` to `<manifestRoot>/YYYY-MM.jsonl` (the month of its
 * `started_at`) and flushes it to disk. Each record is one `write` on a file
 * opened for appending, so records of two processes never interleave.
 *
 * @returns the file written.
 */
export async function appendRecord(manifestRoot: string, record: ManifestRecord): Promise<string> {
  await Deno.mkdir(manifestRoot, { recursive: true });
  const path = join(manifestRoot, manifestFileName(record.started_at));
  await appendJsonLine(path, record);
  return path;
}

/**
 * Appends `value` as one JSON line to `path` (created if missing) and flushes
 * it to disk: one `write` on a file opened for appending, so lines of two
 * processes never interleave, and never glued onto a torn last line.
 */
export async function appendJsonLine(path: string, value: unknown): Promise<void> {
  let line = `${JSON.stringify(value)}\n`;
  if (await endsTorn(path)) line = `\n${line}`;
  const bytes = new TextEncoder().encode(line);
  const file = await Deno.open(path, { append: true, create: true });
  try {
    const written = await file.write(bytes);
    if (written !== bytes.length) {
      throw new Error(`short write to ${path}: ${written} of ${bytes.length} bytes`);
    }
    await file.syncData();
  } finally {
    file.close();
  }
}

/** True when the file exists, is not empty and does not end with a newline (a crash mid-append). */
async function endsTorn(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  try {
    const size = (await file.stat()).size;
    if (size === 0) return false;
    await file.seek(size - 1, Deno.SeekMode.Start);
    const last = new Uint8Array(1);
    await file.read(last);
    return last[0] !== 0x0a;
  } finally {
    file.close();
  }
}

/** The manifest files of a folder, oldest month first. */
export async function manifestFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && MANIFEST_FILE_PATTERN.test(entry.name)) names.push(entry.name);
  }
  return names.sort(compareNames).map((name) => join(dir, name));
}

/** Parses one manifest file's text; unreadable lines become warnings. */
export function parseManifest(
  text: string,
  file: string,
): { records: ManifestRecord[]; warnings: ManifestWarning[] } {
  const records: ManifestRecord[] = [];
  const warnings: ManifestWarning[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") return;
    const isLast = index === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      warnings.push({
        file,
        line: index + 1,
        message: isLast
          ? "torn last line (a crash while appending?) skipped"
          : "line is not valid JSON; skipped",
      });
      return;
    }
    const problem = recordProblem(value);
    if (problem !== undefined) {
      warnings.push({
        file,
        line: index + 1,
        message: `not a manifest record (${problem}); skipped`,
      });
      return;
    }
    records.push(value as ManifestRecord);
  });
  return { records, warnings };
}

/** Folds records, in order, into `{backup_name: latest record}`. */
export function foldRecords(records: readonly ManifestRecord[]): Map<string, ManifestRecord> {
  const latest = new Map<string, ManifestRecord>();
  for (const record of records) latest.set(record.backup_name, record);
  return latest;
}

/**
 * Folds records, in order, into `{backup_name: latest complete record}`: the
 * last state of each backup that was proven in both places, which a later
 * revision still in progress or failed leaves standing.
 */
export function foldComplete(records: readonly ManifestRecord[]): Map<string, ManifestRecord> {
  const complete = new Map<string, ManifestRecord>();
  for (const record of records) {
    if (record.status === "complete") complete.set(record.backup_name, record);
  }
  return complete;
}

/**
 * Reads a manifest file, or every `YYYY-MM.jsonl` of a folder in month
 * order, and folds them. A folder that does not exist yet reads as empty.
 */
export async function readManifest(path: string): Promise<ManifestContents> {
  let files: string[];
  try {
    const info = await Deno.stat(path);
    files = info.isDirectory ? await manifestFiles(path) : [path];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { files: [], records: [], latest: new Map(), warnings: [] };
    }
    throw error;
  }
  const records: ManifestRecord[] = [];
  const warnings: ManifestWarning[] = [];
  for (const file of files) {
    const parsed = parseManifest(await Deno.readTextFile(file), file);
    records.push(...parsed.records);
    warnings.push(...parsed.warnings);
  }
  return { files, records, latest: foldRecords(records), warnings };
}
