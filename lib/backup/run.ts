/**
 * A backup run: hook → refuse on stale study locks → take the share lock →
 * back up each idle study, oldest first, each in isolation. And the dry run,
 * which reads the same inputs and writes nothing anywhere.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config/mod.ts";
import { ConfigError, errorMessage, OperationFailedError } from "../errors.ts";
import { holderOf, kindAt } from "../fs/mod.ts";
import { runHook } from "../hooks/mod.ts";
import {
  acquireShareLock,
  backupFolder,
  findStudyLocks,
  s3Key,
  SHARE_LOCK_NAME,
  shareLockHolder,
} from "../layout/mod.ts";
import type { Logger } from "../log/mod.ts";
import { type ManifestRecord, readManifest } from "../manifest/mod.ts";
import { validateStudy } from "../standard/mod.ts";
import { type StudyContext, totalBytes } from "./context.ts";
import { findStudies, type FoundStudy, selectEligible } from "./eligibility.ts";
import { backupStudy, type StudyOutcome } from "./pipeline.ts";
import { listStudyFiles } from "./steps/list.ts";

/** What a run needs (what each study needs, less its manifest record); the CLI builds it. */
export type BackupRunOptions = Omit<StudyContext, "previous">;

/** What a run did. */
export interface BackupRunResult {
  readonly outcomes: readonly StudyOutcome[];
  /** Studies found but not idle long enough yet. */
  readonly waiting: number;
}

async function requireSourceRoot(config: Config): Promise<void> {
  if (await kindAt(config.backup.sourceRoot) !== "dir") {
    throw new ConfigError(
      `[backup] source_root ${config.backup.sourceRoot} is not a folder; fix it in ${config.file}`,
    );
  }
}

async function refuseStaleLocks(config: Config): Promise<void> {
  const locks = await findStudyLocks(config.backup.sourceRoot);
  if (locks.length === 0) return;
  const holders = await Promise.all(
    locks.map(async (lock) => `${lock} (${await holderOf(lock)})`),
  );
  // The run that crashed usually left the share lock too; say so now, not one run later.
  const shareHolder = await shareLockHolder(config.truenas.root);
  const shareNote = shareHolder === undefined
    ? ""
    : ` The share lock ${
      join(config.truenas.root, SHARE_LOCK_NAME)
    } is held too (${shareHolder}); ` +
      "if no backup or cleanup is running, delete it as well.";
  throw new OperationFailedError(
    `stale study lock${locks.length === 1 ? "" : "s"} found: ${holders.join(", ")}; ` +
      "a backup stopped while processing them — check each study (its copy on the share and " +
      `in S3 may be partial), then delete the lock file and run again.${shareNote}`,
  );
}

function latestRecords(
  contents: {
    latest: ReadonlyMap<string, ManifestRecord>;
    warnings: readonly { file: string; line: number; message: string }[];
  },
  logger: Logger,
): ReadonlyMap<string, ManifestRecord> {
  for (const warning of contents.warnings) {
    logger.warn(`manifest ${warning.file}:${warning.line}: ${warning.message}`);
  }
  return contents.latest;
}

/**
 * Runs the backup.
 *
 * @throws {OperationFailedError} when the hook fails or stale study locks exist (exit 1).
 * @throws {ConfigError} when source_root or the share is missing (exit 2).
 * @throws {LockHeldError} when the share lock is held (exit 2).
 */
export async function runBackup(options: BackupRunOptions): Promise<BackupRunResult> {
  const { config, logger, clock } = options;
  await runHook(config.hooks.backup, "backup", logger);
  await requireSourceRoot(config);
  await refuseStaleLocks(config);
  const shareLock = await acquireShareLock(
    config.truenas.root,
    "backup run",
    options.hostname,
    clock(),
  );
  try {
    const latest = latestRecords(await readManifest(config.truenas.manifestRoot), logger);
    const studies = await findStudies(config.backup.sourceRoot);
    const eligible = selectEligible(studies, config.backup.idleDays, clock());
    logger.info(
      `backup: ${eligible.length} of ${studies.length} studies idle for at least ` +
        `${config.backup.idleDays} days`,
    );
    const outcomes: StudyOutcome[] = [];
    for (const [index, study] of eligible.entries()) {
      logger.info(`backup: [${index + 1}/${eligible.length}] ${study.name}`);
      outcomes.push(
        await backupStudy(study, {
          ...options,
          previous: latest.get(`${config.backup.instrument}/${study.name}`),
        }),
      );
    }
    return { outcomes, waiting: studies.length - eligible.length };
  } finally {
    await shareLock.release();
  }
}

/** One study of a dry run's plan. */
export interface PlannedStudy {
  readonly study: FoundStudy;
  readonly violations: number;
  readonly files: number;
  readonly bytes: number;
  readonly truenasPath: string;
  readonly s3Uri: string;
  /** Why the run would not back it up even though it is idle, if so. */
  readonly blocker: string | undefined;
}

/** What a backup run would do. */
export interface BackupPlan {
  readonly hook: readonly string[];
  readonly staleLocks: readonly string[];
  /** The share lock's holder when it is held, "" when free; undefined when the share is unreachable. */
  readonly shareLock: string | undefined;
  readonly manifestNote: string | undefined;
  readonly studies: readonly PlannedStudy[];
  readonly waiting: number;
}

/** The dry run: reads the source, the share and the manifest; writes nothing anywhere. */
export async function planBackup(config: Config, now: Date): Promise<BackupPlan> {
  await requireSourceRoot(config);
  const staleLocks = await findStudyLocks(config.backup.sourceRoot);
  let shareLock: string | undefined;
  let manifestNote: string | undefined;
  let latest: ReadonlyMap<string, ManifestRecord> = new Map();
  if (await kindAt(config.truenas.root) === "dir") {
    shareLock = await shareLockHolder(config.truenas.root) ?? "";
    try {
      latest = (await readManifest(config.truenas.manifestRoot)).latest;
    } catch (error) {
      manifestNote = `cannot read the manifest: ${errorMessage(error)}`;
    }
  }
  const studies = await findStudies(config.backup.sourceRoot);
  const eligible = selectEligible(studies, config.backup.idleDays, now);
  const planned: PlannedStudy[] = [];
  for (const study of eligible) {
    const report = await validateStudy(study.path);
    const listing = await listStudyFiles(study.path);
    const previous = latest.get(`${config.backup.instrument}/${study.name}`);
    const blocker = previous?.status === "complete"
      ? `a complete backup of this name exists (${previous.completed_at}); it would be refused`
      : undefined;
    planned.push({
      study,
      violations: report.violations.length,
      files: listing.files.length,
      bytes: totalBytes(listing.files),
      truenasPath: backupFolder(config.truenas.root, config.backup.instrument, study.name),
      s3Uri: `s3://${config.s3.bucket}/${
        s3Key(config.s3.prefix, config.backup.instrument, study.name)
      }/`,
      blocker,
    });
  }
  return {
    hook: config.hooks.backup,
    staleLocks,
    shareLock,
    manifestNote,
    studies: planned,
    waiting: studies.length - eligible.length,
  };
}
