/**
 * A cleanup run: hook → take the share lock → finish the evictions an
 * earlier run left half-done → while the share's free space is below the
 * threshold, evict the oldest backup the gates prove is safe in S3. And the
 * dry run, which reads the same inputs and deletes nothing.
 *
 * How much to evict comes from the plan (the files' sizes), not from
 * re-reading the free space until it is enough: on a share with snapshots
 * (ZFS) or compression, deleting frees less than the files' sizes, or
 * nothing until the snapshots expire, and evicting "until the share says it
 * is free enough" would empty it. The free space is re-read before each
 * eviction only to stop early once the threshold is met.
 *
 * @module
 */
import { dirname } from "node:path";
import type { Config } from "../config/mod.ts";
import { errorMessage, OperationFailedError } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import type { Logger } from "../log/mod.ts";
import { type ManifestRecord, readManifest, timestamp } from "../manifest/mod.ts";
import { runHook } from "../hooks/mod.ts";
import {
  lockShareForCleanup,
  parseS3Uri,
  requireShareRoot,
  revisionOf,
  shareHolders,
  shareLockReport,
} from "../layout/mod.ts";
import { manifestGate, s3Gate, type ShareCopy, shareGate } from "./gates.ts";
import { appendLedgerLine, type LedgerLine, ledgerPercent } from "./ledger.ts";
import {
  type Assessment,
  type Candidate,
  type CleanupPlan,
  matchShare,
  planCleanup,
  type PlannedEviction,
  type ShareContents,
  type SkippedCandidate,
  type UnknownEntry,
} from "./plan.ts";
import {
  evictingPath,
  type Leftover,
  listLeftovers,
  listShare,
  measureTree,
  readShareCopy,
  removeEmptyEvictingDir,
  removeTree,
} from "./share.ts";
import { freePercent, type ShareSpace, type SpaceReader } from "./space.ts";

/** What cleanup needs from S3: a listing. It never writes or deletes there. */
export interface S3Lister {
  readonly bucket: string;
  /**
   * Every key under `prefix` with its size.
   *
   * @throws {OperationFailedError} when S3 cannot be asked (the S3 store's `S3StorageError`).
   */
  listSizes(prefix: string): Promise<Map<string, number>>;
}

/** What a run needs; the CLI builds it, tests inject the free-space reader. */
export interface CleanupRunOptions {
  readonly config: Config;
  readonly s3: S3Lister;
  readonly logger: Logger;
  readonly hostname: string;
  readonly clock: () => Date;
  readonly readSpace: SpaceReader;
}

/** What happened to one backup the run tried to delete from the share. */
export interface EvictionOutcome {
  readonly backupName: string;
  /** Its folder on the share. */
  readonly path: string;
  readonly completedAt: string | null;
  /** Files and bytes found in the folder. */
  readonly files: number;
  readonly bytes: number;
  /** Bytes of the files actually deleted. */
  readonly freedBytes: number;
  /** The folder is gone and the ledger says so. */
  readonly ok: boolean;
  readonly error: string | undefined;
  /** Remains of an eviction an earlier run could not finish. */
  readonly resumed: boolean;
}

/** What a run did. */
export interface CleanupRunResult {
  /** Free space when the run began, and when it ended. */
  readonly before: ShareSpace;
  readonly after: ShareSpace;
  /** The final plan (its space is the one measured after finishing leftovers). */
  readonly plan: CleanupPlan;
  /** Resumed leftovers first, then the plan's evictions in order. */
  readonly evictions: readonly EvictionOutcome[];
  /** Candidates the gates refused (failed evictions are in `evictions`). */
  readonly skipped: readonly SkippedCandidate[];
  readonly unknown: readonly UnknownEntry[];
  /** The share met the threshold before every planned eviction was needed. */
  readonly stoppedEarly: boolean;
}

/** `12.3%`. */
export function formatPercent(space: ShareSpace): string {
  return `${freePercent(space).toFixed(1)}%`;
}

function spaceText(space: ShareSpace): string {
  return `${space.freeBytes} of ${space.totalBytes} bytes free (${formatPercent(space)})`;
}

/** Reads the folded manifest (logging unreadable lines) and matches it with the share. */
async function survey(config: Config, logger: Logger): Promise<ShareContents> {
  const manifestRoot = config.truenas.manifestRoot;
  const manifest = await readManifest(manifestRoot);
  for (const warning of manifest.warnings) {
    logger.warn(`manifest ${warning.file}:${warning.line}: ${warning.message}`);
  }
  const entries = await listShare(config.truenas.root, manifestRoot);
  if (manifest.files.length === 0 && entries.length > 0) {
    logger.warn(
      `cleanup: no manifest files in ${manifestRoot}: no backup on the share can be proven, so ` +
        "none is evicted; check [truenas] manifest_root",
    );
  }
  const contents = matchShare(entries, manifest.latest);
  for (const entry of contents.unknown) {
    logger.info(`cleanup: left alone, ${entry.path}: ${entry.reason}`);
  }
  return contents;
}

/**
 * The gates, as one function of a candidate. After one S3 failure (network,
 * credentials), later candidates are refused without asking again.
 */
function createAssessor(s3: S3Lister): (candidate: Candidate) => Promise<Assessment> {
  let s3Failure: string | undefined;
  return async (candidate) => {
    const refuse = (reason: string): Assessment => ({ evictable: false, reason });
    const { record } = candidate;
    const recordReason = manifestGate(record, candidate.backupName);
    if (recordReason !== undefined) return refuse(recordReason);
    let copy: ShareCopy;
    try {
      copy = await readShareCopy(candidate.path, revisionOf(record));
    } catch (error) {
      return refuse(`its share copy cannot be read: ${errorMessage(error)}`);
    }
    const shareReason = shareGate(copy, record);
    if (shareReason !== undefined) return refuse(shareReason);
    const location = parseS3Uri(record.s3_uri);
    if (location === undefined) {
      return refuse(`its manifest record's s3_uri '${record.s3_uri}' is not s3://bucket/prefix/`);
    }
    if (location.bucket !== s3.bucket) {
      return refuse(
        `its S3 copy is recorded in bucket '${location.bucket}', not the configured ` +
          `'${s3.bucket}', so it was not checked`,
      );
    }
    if (s3Failure !== undefined) return refuse(`S3 was not checked: ${s3Failure}`);
    const keyPrefix = `${location.prefix}/`;
    let sizes: Map<string, number>;
    try {
      sizes = await s3.listSizes(keyPrefix);
    } catch (error) {
      if (!(error instanceof OperationFailedError)) throw error;
      s3Failure = error.message;
      return refuse(`S3 could not be checked: ${error.message}`);
    }
    const s3Reason = s3Gate(copy, { bucket: location.bucket, keyPrefix, sizes }, record);
    if (s3Reason !== undefined) return refuse(s3Reason);
    let bytes = 0;
    for (const size of copy.files.values()) bytes += size;
    return { evictable: true, files: copy.files.size, bytes };
  };
}

/** Plans, assessing candidates oldest first until the plan no longer needs another. */
async function settlePlan(
  space: ShareSpace,
  config: Config,
  contents: ShareContents,
  assessments: Map<string, Assessment>,
  assess: (candidate: Candidate) => Promise<Assessment>,
): Promise<CleanupPlan> {
  for (;;) {
    const plan = planCleanup({
      space,
      thresholdPct: config.cleanup.freeThresholdPct,
      candidates: contents.candidates,
      assessments,
    });
    if (plan.next === undefined) return plan;
    assessments.set(plan.next.backupName, await assess(plan.next));
  }
}

/** What the run knows when it deletes one folder. */
interface EvictionContext {
  readonly options: CleanupRunOptions;
  /** The ledger line every outcome of this folder starts from. */
  readonly line: Omit<LedgerLine, "event">;
  readonly evicting: string;
}

async function writeLedger(
  options: CleanupRunOptions,
  line: LedgerLine,
  at: Date,
): Promise<string | undefined> {
  try {
    await appendLedgerLine(options.config.truenas.manifestRoot, line, at);
    return undefined;
  } catch (error) {
    const message = `cannot write the cleanup ledger in ${options.config.truenas.manifestRoot}: ` +
      errorMessage(error);
    options.logger.error(message);
    return message;
  }
}

function outcomeOf(
  context: EvictionContext,
  freedBytes: number,
  error: string | undefined,
): EvictionOutcome {
  const { line } = context;
  return {
    backupName: line.backup_name,
    path: line.path,
    completedAt: line.completed_at,
    files: line.files,
    bytes: line.bytes,
    freedBytes,
    ok: error === undefined,
    error,
    resumed: line.resumed,
  };
}

/** Deletes the moved-aside folder and records how it went. */
async function deleteMovedFolder(context: EvictionContext): Promise<EvictionOutcome> {
  const { options, line, evicting } = context;
  const removal = await removeTree(evicting);
  await removeEmptyEvictingDir(evicting);
  // What was deleted is recorded even if the share cannot say how much is free now.
  const after = await options.readSpace(options.config.truenas.root).catch(() => undefined);
  const at = options.clock();
  const error = removal.failed === 0 ? undefined : `deleted ${removal.files} files ` +
    `(${removal.bytes} bytes), but ${removal.failed} entr${
      removal.failed === 1 ? "y" : "ies"
    } could not be deleted (${removal.errors.join("; ")}); the rest stays in ${evicting} ` +
    "and the next cleanup run deletes it once the cause is fixed";
  const ledgerError = await writeLedger(options, {
    ...line,
    event: error === undefined ? "evicted" : "eviction_failed",
    evicted_at: error === undefined ? timestamp(at) : null,
    free_after_bytes: after?.freeBytes ?? null,
    free_after_pct: after === undefined ? null : ledgerPercent(after.freeBytes, after.totalBytes),
    error: error ?? null,
  }, at);
  const problem = error ??
    (ledgerError === undefined ? undefined : `deleted, but not recorded: ${ledgerError}`);
  if (problem === undefined) {
    options.logger.info(
      `cleanup: evicted ${line.backup_name}${line.resumed ? " (finishing an earlier run)" : ""}: ` +
        `${removal.files} files, ${removal.bytes} bytes` +
        (after === undefined ? "" : `; ${spaceText(after)}`),
    );
  } else {
    options.logger.error(`cleanup: evicting ${line.backup_name}: ${problem}`);
  }
  return outcomeOf(context, removal.bytes, problem);
}

function baseLine(
  options: CleanupRunOptions,
  fields: {
    backupName: string;
    path: string;
    evicting: string;
    files: number;
    bytes: number;
    record: ManifestRecord | undefined;
    resumed: boolean;
  },
  before: ShareSpace,
  startedAt: Date,
): Omit<LedgerLine, "event"> {
  return {
    backup_name: fields.backupName,
    path: fields.path,
    evicting_path: fields.evicting,
    files: fields.files,
    bytes: fields.bytes,
    completed_at: fields.record?.completed_at ?? null,
    s3_uri: fields.record?.s3_uri ?? null,
    started_at: timestamp(startedAt),
    evicted_at: null,
    share_bytes: before.totalBytes,
    free_before_bytes: before.freeBytes,
    free_before_pct: ledgerPercent(before.freeBytes, before.totalBytes),
    free_after_bytes: null,
    free_after_pct: null,
    resumed: fields.resumed,
    host: options.hostname,
    error: null,
  };
}

/** Moves a backup folder aside (atomically), then deletes it; see share.ts for why. */
async function evict(
  options: CleanupRunOptions,
  eviction: PlannedEviction,
  before: ShareSpace,
): Promise<EvictionOutcome> {
  const { candidate } = eviction;
  const evicting = evictingPath(candidate.path);
  const startedAt = options.clock();
  const context: EvictionContext = {
    options,
    evicting,
    line: baseLine(
      options,
      {
        backupName: candidate.backupName,
        path: candidate.path,
        evicting,
        files: eviction.files,
        bytes: eviction.bytes,
        record: candidate.record,
        resumed: false,
      },
      before,
      startedAt,
    ),
  };
  const started = await writeLedger(
    options,
    { ...context.line, event: "eviction_started" },
    startedAt,
  );
  if (started !== undefined) return outcomeOf(context, 0, `${started}; nothing was deleted`);
  try {
    await Deno.mkdir(dirname(evicting), { recursive: true });
    if (await kindAt(evicting) !== undefined) {
      throw new Error(`${evicting} is in the way (remains of an earlier eviction of this name)`);
    }
    await Deno.rename(candidate.path, evicting);
  } catch (error) {
    const message = `could not move ${candidate.path} to ${evicting}: ${errorMessage(error)}; ` +
      "nothing was deleted";
    const at = options.clock();
    await writeLedger(options, { ...context.line, event: "eviction_failed", error: message }, at);
    options.logger.error(`cleanup: evicting ${candidate.backupName}: ${message}`);
    return outcomeOf(context, 0, message);
  }
  return await deleteMovedFolder(context);
}

/** Deletes what an earlier run moved aside but could not delete. */
async function finishLeftover(
  options: CleanupRunOptions,
  leftover: Leftover,
  latest: ReadonlyMap<string, ManifestRecord>,
): Promise<EvictionOutcome> {
  const backupName = `${leftover.instrument}/${leftover.name}`;
  const before = await options.readSpace(options.config.truenas.root);
  const found = await measureTree(leftover.path);
  options.logger.info(
    `cleanup: finishing the eviction of ${backupName}: ${found.files} files, ${found.bytes} ` +
      `bytes left in ${leftover.path}`,
  );
  return await deleteMovedFolder({
    options,
    evicting: leftover.path,
    line: baseLine(
      options,
      {
        backupName,
        path: leftover.originalPath,
        evicting: leftover.path,
        ...found,
        record: latest.get(backupName),
        resumed: true,
      },
      before,
      options.clock(),
    ),
  });
}

/**
 * Runs the cleanup.
 *
 * @throws {OperationFailedError} when the hook fails (exit 1).
 * @throws {ConfigError} when the share is missing (exit 2).
 * @throws {LockHeldError} when backups or another cleanup kept the share lock for the whole
 *   wait (`[truenas] lock_wait_minutes`; exit 2).
 */
export async function runCleanup(options: CleanupRunOptions): Promise<CleanupRunResult> {
  const { config, logger, readSpace } = options;
  const root = config.truenas.root;
  await runHook(config.hooks.cleanup, "cleanup", logger);
  const lock = await lockShareForCleanup({
    root,
    holder: {
      hostname: options.hostname,
      pid: Deno.pid,
      started_at: timestamp(options.clock()),
      command: "cleanup run",
    },
    waitMs: config.truenas.lockWaitMinutes * 60_000,
    logger,
  });
  try {
    const before = await readSpace(root);
    logger.info(
      `cleanup: share ${root}: ${spaceText(before)}; threshold ` +
        `${config.cleanup.freeThresholdPct}%`,
    );
    const leftovers = await listLeftovers(root);
    const latest = leftovers.length === 0
      ? new Map()
      : (await readManifest(config.truenas.manifestRoot)).latest;
    const evictions: EvictionOutcome[] = [];
    for (const leftover of leftovers) {
      evictions.push(await finishLeftover(options, leftover, latest));
    }

    const contents = await survey(config, logger);
    const space = leftovers.length === 0 ? before : await readSpace(root);
    const assessments = new Map<string, Assessment>();
    const assess = createAssessor(options.s3);
    const attempted = new Set<string>();
    let stoppedEarly = false;
    let plan: CleanupPlan;
    for (;;) {
      plan = await settlePlan(space, config, contents, assessments, assess);
      const next = plan.evictions.find((item) => !attempted.has(item.candidate.backupName));
      if (next === undefined) break;
      const now = await readSpace(root);
      if (now.freeBytes >= plan.targetFreeBytes) {
        stoppedEarly = true;
        break;
      }
      attempted.add(next.candidate.backupName);
      const outcome = await evict(options, next, now);
      evictions.push(outcome);
      // A failed eviction frees nothing the plan may count on: plan again without it.
      if (!outcome.ok) {
        assessments.set(next.candidate.backupName, {
          evictable: false,
          reason: `eviction failed: ${outcome.error}`,
        });
      }
    }
    const skipped = plan.skipped.filter((item) => !attempted.has(item.candidate.backupName));
    for (const item of skipped) {
      logger.info(`cleanup: kept ${item.candidate.backupName}: ${item.reason}`);
    }
    const after = await readSpace(root);
    logger.info(`cleanup: done; ${spaceText(after)}`);
    reportShortfall(logger, plan, after, skipped, stoppedEarly);
    return { before, after, plan, evictions, skipped, unknown: contents.unknown, stoppedEarly };
  } finally {
    await lock.release();
  }
}

/** Says why, when the share stays below the threshold. */
function reportShortfall(
  logger: Logger,
  plan: CleanupPlan,
  after: ShareSpace,
  skipped: readonly SkippedCandidate[],
  stoppedEarly: boolean,
): void {
  if (stoppedEarly || after.freeBytes >= plan.targetFreeBytes) return;
  const below = `the share stays below ${plan.thresholdPct}% free (${formatPercent(after)})`;
  if (plan.reached) {
    logger.warn(
      `cleanup: ${below}, though the evicted files' sizes should have met the threshold: ` +
        "snapshots (or a recycle bin) on the share keep deleted data until they expire; the next " +
        "run evicts more if still needed",
    );
  } else if (skipped.length > 0) {
    logger.error(
      `cleanup: ${below}: the safety gates kept ${skipped.length} backup` +
        `${skipped.length === 1 ? "" : "s"} that would be needed; check each reason under ` +
        "'kept on the share' (a backup to finish, an S3 copy to repair)",
    );
  } else {
    logger.warn(`cleanup: ${below}: nothing else on it can be evicted; see what else it holds`);
  }
}

/** What a cleanup run would do. */
export interface CleanupPreview {
  /** The hook that would run first (empty: none). */
  readonly hook: readonly string[];
  /** Who holds the share's locks (a cleanup, or backups), or undefined when no job does. */
  readonly lockHolder: string | undefined;
  /** How long the run would wait for them. */
  readonly lockWaitMinutes: number;
  /** Free space now. */
  readonly space: ShareSpace;
  /** Remains of unfinished evictions the run would delete first, with what is left of each. */
  readonly leftovers: readonly (Leftover & { files: number; bytes: number })[];
  /** The plan, from the free space once the leftovers are deleted. */
  readonly plan: CleanupPlan;
  readonly unknown: readonly UnknownEntry[];
}

/**
 * The dry run: reads the share, the manifest and S3; deletes and writes
 * nothing, and neither runs the hook nor takes the lock.
 *
 * @throws {ConfigError} when the share is missing (the hook is not run to mount it).
 */
export async function previewCleanup(
  options: Omit<CleanupRunOptions, "hostname" | "clock">,
): Promise<CleanupPreview> {
  const { config, logger, readSpace } = options;
  const root = config.truenas.root;
  await requireShareRoot(root);
  const space = await readSpace(root);
  const leftovers = await Promise.all(
    (await listLeftovers(root)).map(async (leftover) => ({
      ...leftover,
      ...await measureTree(leftover.path),
    })),
  );
  const leftoverBytes = leftovers.reduce((sum, item) => sum + item.bytes, 0);
  const projected = {
    ...space,
    freeBytes: Math.min(space.totalBytes, space.freeBytes + leftoverBytes),
  };
  const contents = await survey(config, logger);
  const plan = await settlePlan(
    projected,
    config,
    contents,
    new Map(),
    createAssessor(options.s3),
  );
  return {
    hook: config.hooks.cleanup,
    lockHolder: shareHolders(await shareLockReport(root)),
    lockWaitMinutes: config.truenas.lockWaitMinutes,
    space,
    leftovers,
    plan,
    unknown: contents.unknown,
  };
}

/**
 * Whether the run needs an operator (exit 1): an eviction failed, or the
 * threshold is out of reach while the gates kept some backups.
 */
export function needsOperator(result: CleanupRunResult): boolean {
  if (result.evictions.some((outcome) => !outcome.ok)) return true;
  return !result.plan.reached && !result.stoppedEarly && result.skipped.length > 0;
}
