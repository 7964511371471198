/**
 * A backup run: hook → take the share's locks (waiting a bounded time for
 * a cleanup or another run of this instrument) → finish what earlier runs
 * left at the end of a backup → back up each due study, oldest first, each
 * in isolation. And the dry run, which reads the same inputs, makes the same
 * decisions, and writes nothing anywhere.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import { ConfigError } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import { runHook } from "../hooks/mod.ts";
import {
  backupFolder,
  findStudyLocks,
  type FoundStudyLock,
  lockShareForBackup,
  s3Key,
  type ShareLockReport,
  shareLockReport,
  SIDECAR_NAME,
} from "../layout/mod.ts";
import type { Logger } from "../log/mod.ts";
import {
  foldComplete,
  type ManifestContents,
  type ManifestRecord,
  readManifest,
  timestamp,
} from "../manifest/mod.ts";
import { assessRoot, dueStudies, type StudyAssessment } from "../study/mod.ts";
import { formatBytes } from "../text/mod.ts";
import { join } from "node:path";
import { type StudyContext, totalBytes } from "./context.ts";
import { backupStudy, type StudyOutcome } from "./pipeline.ts";
import { decideStudy, firstBackup, type StudyDecision } from "./plan.ts";
import { planCopy } from "./steps/copy.ts";
import { catchUpManifestMirror } from "./steps/record.ts";
import { settleEarlierRuns } from "./steps/settle.ts";
import { spaceNeeded } from "./steps/space.ts";

/** What a run needs (what each study needs, less its manifest records); the CLI builds it. */
export type BackupRunOptions = Omit<StudyContext, "previous" | "lastComplete" | "history">;

/** What a run did. */
export interface BackupRunResult {
  readonly outcomes: readonly StudyOutcome[];
  /** Studies found but not idle long enough yet. */
  readonly waiting: readonly StudyAssessment[];
}

async function requireSourceRoot(config: Config): Promise<void> {
  if (await kindAt(config.backup.sourceRoot) !== "dir") {
    throw new ConfigError(
      `[backup] source_root ${config.backup.sourceRoot} is not a folder; fix it in ${config.file}`,
    );
  }
}

function logWarnings(contents: ManifestContents, logger: Logger): void {
  for (const warning of contents.warnings) {
    logger.warn(`manifest ${warning.file}:${warning.line}: ${warning.message}`);
  }
}

/** Every backup's records, in the order read (oldest first), by `backup_name`. */
function recordsByBackup(
  records: readonly ManifestRecord[],
): ReadonlyMap<string, readonly ManifestRecord[]> {
  const byBackup = new Map<string, ManifestRecord[]>();
  for (const record of records) {
    const history = byBackup.get(record.backup_name);
    if (history === undefined) byBackup.set(record.backup_name, [record]);
    else history.push(record);
  }
  return byBackup;
}

/** The minutes a job waits for a lock, in ms. */
function lockWaitMs(config: Config): number {
  return config.truenas.lockWaitMinutes * 60_000;
}

/**
 * Runs the backup.
 *
 * @throws {OperationFailedError} when the hook fails, or the source root cannot be listed (exit 1).
 * @throws {ConfigError} when source_root or the share is missing (exit 2).
 * @throws {LockHeldError} when a cleanup or another run of this instrument kept a lock for the
 *   whole wait (exit 2).
 */
export async function runBackup(options: BackupRunOptions): Promise<BackupRunResult> {
  const { config, logger, clock } = options;
  const instrument = config.backup.instrument;
  await runHook(config.hooks.backup, "backup", logger);
  await requireSourceRoot(config);
  const locks = await lockShareForBackup({
    root: config.truenas.root,
    holder: {
      hostname: options.hostname,
      pid: Deno.pid,
      started_at: timestamp(clock()),
      command: "backup run",
      instrument,
    },
    waitMs: lockWaitMs(config),
    logger,
  }, instrument);
  try {
    const manifest = await readManifest(config.truenas.manifestRoot);
    logWarnings(manifest, logger);
    const lastComplete = foldComplete(manifest.records);
    const histories = recordsByBackup(manifest.records);
    const settled = await settleEarlierRuns({
      context: options,
      latest: manifest.latest,
      lastComplete,
      histories,
    });
    const studies = assessRoot(config.backup.sourceRoot);
    const due = dueStudies(studies, config.backup.idleDays, clock());
    const taken = new Set(due);
    logger.info(
      `backup: ${due.length} of ${studies.length} studies due (idle for at least ` +
        `${config.backup.idleDays} days, or refused whatever their age)`,
    );
    const outcomes: StudyOutcome[] = [...settled];
    for (const [index, study] of due.entries()) {
      logger.info(`backup: [${index + 1}/${due.length}] ${study.name}`);
      const name = `${instrument}/${study.name}`;
      outcomes.push(
        await backupStudy(study, {
          ...options,
          previous: manifest.latest.get(name),
          lastComplete: lastComplete.get(name),
          history: histories.get(name) ?? [],
        }),
      );
    }
    // Records whose mirror was skipped (S3 unreachable) or failed, in this run or an earlier one.
    await catchUpManifestMirror(options);
    return { outcomes, waiting: studies.filter((study) => !taken.has(study)) };
  } finally {
    await locks.release();
  }
}

/** One study of a dry run's plan. */
export interface PlannedStudy {
  readonly study: StudyAssessment;
  readonly violations: number;
  readonly files: number;
  readonly bytes: number;
  readonly truenasPath: string;
  readonly s3Uri: string;
  /** What the run would do with it, in words. */
  readonly action: string;
  /** Why the run would not back it up, if so. */
  readonly blocker: string | undefined;
}

/** What a backup run would do. */
export interface BackupPlan {
  readonly hook: readonly string[];
  /** The share's locks; undefined when the share is unreachable. */
  readonly locks: ShareLockReport | undefined;
  /** Study locks left in study folders, and whether a live run holds them. */
  readonly studyLocks: readonly (FoundStudyLock & { readonly live: boolean })[];
  /** The share's free space; undefined when it cannot be read. */
  readonly freeBytes: number | undefined;
  readonly manifestNote: string | undefined;
  readonly studies: readonly PlannedStudy[];
  readonly waiting: number;
}

/** What the run does with a study, in words, for the plan. */
function actionText(decision: StudyDecision): string {
  switch (decision.kind) {
    case "first":
      return "back up";
    case "compare":
      return `compare with its complete backup (revision ${decision.next - 1}): delete the ` +
        `source if unchanged, else back up what changed as revision ${decision.next}`;
    case "refuse":
      return "refuse";
  }
}

/**
 * The dry run: reads the source, the share and the manifest, makes the run's
 * decisions (the same assessment, the same rules, the same space check), and
 * writes nothing anywhere. `command` is how the user starts this program,
 * for the hints of the checks it shares with the run.
 */
export async function planBackup(
  config: Config,
  now: Date,
  readSpace: StudyContext["readSpace"],
  command: string,
): Promise<BackupPlan> {
  await requireSourceRoot(config);
  const instrument = config.backup.instrument;
  let locks: ShareLockReport | undefined;
  let manifestNote: string | undefined;
  let latest: ReadonlyMap<string, ManifestRecord> = new Map();
  let lastComplete: ReadonlyMap<string, ManifestRecord> = new Map();
  let freeBytes: number | undefined;
  if (await kindAt(config.truenas.root) === "dir") {
    locks = await shareLockReport(config.truenas.root);
    freeBytes = await readSpace(config.truenas.root).then(
      (space) => space.freeBytes,
      () => undefined,
    );
    try {
      const manifest = await readManifest(config.truenas.manifestRoot);
      latest = manifest.latest;
      lastComplete = foldComplete(manifest.records);
    } catch (error) {
      manifestNote = `cannot read the manifest: ${(error as Error).message}`;
    }
  }
  const ownLock = locks?.backups.find((item) => item.instrument === instrument);
  const running = ownLock?.state.state === "held";
  const studyLocks = (await findStudyLocks(config.backup.sourceRoot)).map((lock) => ({
    ...lock,
    live: running,
  }));
  const studies = assessRoot(config.backup.sourceRoot);
  const due = dueStudies(studies, config.backup.idleDays, now);
  const planned: PlannedStudy[] = [];
  let free = freeBytes;
  for (const study of due) {
    const name = `${instrument}/${study.name}`;
    const destination = backupFolder(config.truenas.root, instrument, study.name);
    const previous = latest.get(name);
    const unknownBackupThere = previous === undefined &&
      await kindAt(join(destination, SIDECAR_NAME)) !== undefined;
    const decision = decideStudy(previous, lastComplete.get(name), unknownBackupThere);
    let blocker = study.refusal ?? (decision.kind === "refuse" ? decision.message : undefined);
    if (blocker === undefined && decision.kind === "first" && free !== undefined) {
      const plan = await planCopy(previous, firstBackup(study.listing), destination, command);
      const needed = spaceNeeded(plan);
      if (plan.toCopy.length > 0 && needed > free) {
        blocker = `the share would have ${formatBytes(free)} free and this study needs ` +
          `${formatBytes(needed)}: it would not be copied`;
      } else {
        free -= plan.bytesToWrite;
      }
    }
    planned.push({
      study,
      violations: study.violations.length,
      files: study.listing.files.length,
      bytes: totalBytes(study.listing.files),
      truenasPath: destination,
      s3Uri: `s3://${config.s3.bucket}/${s3Key(config.s3.prefix, instrument, study.name)}/`,
      action: blocker === undefined ? actionText(decision) : "refuse",
      blocker,
    });
  }
  return {
    hook: config.hooks.backup,
    locks,
    studyLocks,
    freeBytes,
    manifestNote,
    studies: planned,
    waiting: studies.length - due.length,
  };
}
