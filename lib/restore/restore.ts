/**
 * Restoring one backup into a folder: from the share (default when its
 * verified copy is there) or from S3, every file checked against the
 * backup's `_checksums.sha256` (and, from S3, against the object's `sha256`
 * metadata) before it gets its final name; the sidecar itself is checked
 * against the manifest record first.
 *
 * Existing files are never overwritten: one with the backup's content (a
 * restore that stopped midway, run again) is kept and not fetched again; any
 * other, or a link on the way to one, makes the restore refuse before
 * writing anything. Objects in an archive storage class are asked for first
 * (RestoreObject); the restore then writes nothing and a later call, once S3
 * has retrieved them, completes it. Each step's mechanics live in a module
 * of its own.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import { revisionOf } from "../layout/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { RestoreTier, S3Store } from "../storage/s3.ts";
import { requireTrustedCopy } from "./copy_check.ts";
import { checkDestination, foldersOf, makeFolders, type RestoreProgress } from "./destination.ts";
import { compileOnly } from "./glob.ts";
import { locateBackup, type LocatedBackup } from "./locate.ts";
import type { RestoreOutcome } from "./outcome.ts";
import { chooseSource, type RestoreSource, unsafePathReason } from "./plan.ts";
import type { Reader, Selected } from "./reader.ts";
import { requestRetrieval } from "./retrieval.ts";
import { openS3Reader } from "./s3_reader.ts";
import { openShareReader } from "./share_reader.ts";
import { fetchAndVerify } from "./transfer.ts";

/** What `restore` was asked to do. */
export interface RestoreOptions {
  readonly config: Config;
  /** `<instrument>/<study>`, or `<study>` when only one instrument has it. */
  readonly name: string;
  /** An existing folder; the study is restored into `<to>/<study>`. */
  readonly to: string;
  /** `--from`; chosen automatically when absent. */
  readonly from?: RestoreSource | undefined;
  /** `--only` patterns (lib/restore/glob.ts); everything when absent or empty. */
  readonly only?: readonly string[] | undefined;
  /** Retrieval tier for archived objects. */
  readonly tier: RestoreTier;
  /** Days a retrieved copy stays readable in S3. */
  readonly days: number;
  /** The S3 store, opened on first use (restoring from the share needs no S3). */
  readonly store: () => S3Store;
  readonly logger: Logger;
  /** How the user starts this program (lib/invocation.ts), for hints that name a command. */
  readonly command: string;
  readonly progress: RestoreProgress;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Restores one backup (see the module doc).
 *
 * @throws {UsageError} for an unknown or ambiguous name, a missing `--to`
 *   folder, a bad `--only`, a file at the destination that is not the
 *   backup's, or a link on the way to one.
 * @throws {OperationFailedError} when no source can serve the restore, its
 *   copy is not the one the manifest describes, or a failure (S3
 *   unreachable, the destination not writable) stopped it midway.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreOutcome> {
  const { logger, progress } = options;
  const only = options.only ?? [];
  const matches = only.length > 0 ? compileOnly(only) : undefined;
  await requireFolder(options.to);

  const backup = await locateBackup(options);
  const { record } = backup;
  const choice = chooseSource(record, backup.share, options.from);
  const where = choice.source === "truenas" ? "the TrueNAS share" : "S3";
  logger.info(`restore ${record.backup_name}: from ${where} (${choice.reason})`);

  const reader = await openReader(options, backup, choice.source);
  const trustNotes = requireTrustedCopy(record, reader, choice.source, backup.share);
  const { selected, emptyDirs } = select(reader, matches, only, record.backup_name);

  const destination = join(options.to, record.run_name);
  const names = { name: record.backup_name, study: record.run_name };
  const kept = await checkDestination(destination, selected, emptyDirs, names, progress, logger);
  const base = {
    backup: record.backup_name,
    source: choice.source,
    reason: choice.reason,
    manifest: backup.manifest,
    destination,
    selected: selected.length,
    notes: [...trustNotes, ...reader.notes],
  };

  const wanted = selected.filter((file) => !kept.has(file.path));
  const { missing, archived } = await reader.inspect(wanted);
  if (archived.length > 0) return await requestRetrieval(options, base, archived, missing);
  const missingPaths = new Set(missing.map((problem) => problem.path));
  const toRestore = wanted.filter((file) => !missingPaths.has(file.path));
  await makeFolders(destination, foldersOf(toRestore, emptyDirs));
  const done = await fetchAndVerify(reader, toRestore, destination, names, progress, logger);

  const problems = [...missing, ...done.problems]
    .sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  logger.info(
    `restore ${record.backup_name}: ${done.files} files, ${done.bytes} bytes restored and ` +
      `verified into ${destination} in ${done.seconds.toFixed(1)} s; ` +
      `${problems.length} not restored`,
  );
  return {
    ...base,
    kind: "restored",
    files: done.files,
    bytes: done.bytes,
    alreadyThere: kept.size,
    emptyDirs: emptyDirs.length,
    problems,
  };
}

/** @throws {UsageError} when `--to` is not an existing folder. */
async function requireFolder(to: string): Promise<void> {
  if (await kindAt(to) === "dir") return;
  throw new UsageError(
    `--to ${to}: no such folder; create it first (the study is restored into a ` +
      "folder of its own name inside it)",
  );
}

/** The copy of `backup` that `source` holds. */
async function openReader(
  options: RestoreOptions,
  backup: LocatedBackup,
  source: RestoreSource,
): Promise<Reader> {
  return source === "truenas"
    ? await openShareReader(backup.folder, revisionOf(backup.record))
    : await openS3Reader(options.config, backup.record, options.store());
}

/**
 * The files and empty folders `--only` selects (everything without it).
 *
 * @throws {UsageError} when the patterns match nothing.
 */
function select(
  reader: Reader,
  matches: ((path: string) => boolean) | undefined,
  only: readonly string[],
  backupName: string,
): { selected: Selected[]; emptyDirs: string[] } {
  const selected = reader.files.filter((file) => matches?.(file.path) ?? true)
    .map((file) => ({ ...file, size: 0 }));
  const emptyDirs = reader.emptyDirs.filter((dir) =>
    unsafePathReason(dir) === undefined && (matches?.(dir) ?? true)
  );
  if (selected.length === 0 && emptyDirs.length === 0) {
    throw new UsageError(
      `--only ${only.map((pattern) => `'${pattern}'`).join(" ")} matches none of the ` +
        `${reader.files.length} files of ${backupName}`,
    );
  }
  return { selected, emptyDirs };
}
