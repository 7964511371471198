/**
 * The manifest ledger on disk: append one record (fsync) to its instrument's
 * file of the month, read and fold every instrument's files. A crash
 * mid-append leaves a torn line; readers skip it with a warning and writers
 * never glue a new record onto it.
 *
 * @module
 */
import { basename, join } from "node:path";
import {
  manifestFileName,
  manifestFilesInFoldOrder,
  type ManifestRecord,
  parseManifestFileName,
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
 * Appends `record` to `<manifestRoot>/YYYY-MM.<instrument>.jsonl` (the month
 * of its `started_at`, its instrument) and flushes it to disk. Only the
 * instrument's own PC writes that file: an append over SMB is not atomic
 * between two clients (each computes the end of the file itself), so two PCs
 * must never append to one file.
 *
 * @returns the file written.
 */
export async function appendRecord(manifestRoot: string, record: ManifestRecord): Promise<string> {
  await Deno.mkdir(manifestRoot, { recursive: true });
  const path = join(manifestRoot, manifestFileName(record.started_at, record.instrument));
  await appendJsonLine(path, record);
  return path;
}

/**
 * Appends `value` as one JSON line to `path` (created if missing) and flushes
 * it to disk: one `write` on a file opened for appending, so lines of two
 * processes of one machine never interleave (processes of two machines
 * writing one file over SMB can: callers keep to one writer machine per
 * file), and never glued onto a torn last line.
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

/**
 * The manifest files of a folder, every instrument's and the older shared
 * ones, in the order readers fold them (oldest month first).
 */
export async function manifestFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile) names.push(entry.name);
  }
  return manifestFilesInFoldOrder(names).map((name) => join(dir, name));
}

/**
 * Parses one manifest file's text; unreadable lines become warnings. `file`
 * names it in warnings; when its name says whose file it is
 * (`YYYY-MM.<instrument>.jsonl`), a record of another instrument is kept but
 * warned about: two PCs are writing one file (one instrument name on two
 * PCs, or two names that differ only in case on a share that ignores case).
 */
export function parseManifest(
  text: string,
  file: string,
): { records: ManifestRecord[]; warnings: ManifestWarning[] } {
  const owner = parseManifestFileName(basename(file))?.instrument;
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
          ? "torn last line (still being written, or a crash while appending) skipped"
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
    const record = value as ManifestRecord;
    if (owner !== undefined && record.instrument !== owner) {
      warnings.push({
        file,
        line: index + 1,
        message: `a record of instrument '${record.instrument}' in the file of '${owner}': ` +
          "two PCs are writing one manifest file; give every PC its own [backup] instrument " +
          "name (names differing only in case are one name on the share)",
      });
    }
    records.push(record);
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
 * Reads a manifest file, or every manifest file of a folder (every
 * instrument's `YYYY-MM.<instrument>.jsonl` and the older shared
 * `YYYY-MM.jsonl`) in fold order, and folds them. A folder that does not
 * exist yet reads as empty.
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
