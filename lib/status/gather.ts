/**
 * The facts an operator checks on Monday, gathered read-only from the
 * instrument folder, the share, the manifest, the monitor's state, the job
 * history and the bucket's versioning state. Nothing here writes anything.
 *
 * @module
 */
import { join } from "node:path";
import { decideStudy, totalBytes } from "../backup/mod.ts";
import type { Config } from "../config/mod.ts";
import { errorMessage } from "../errors.ts";
import { describeHolder, holderPath, kindAt, type LockState } from "../fs/mod.ts";
import {
  findStudyLocks,
  revisionOf,
  SHARE_LOCK_NAME,
  type ShareLockReport,
  shareLockReport,
} from "../layout/mod.ts";
import {
  completedRevisions,
  foldComplete,
  type ManifestRecord,
  readManifest,
} from "../manifest/mod.ts";
import { assessRoot, dueStudies, isIdle } from "../study/mod.ts";
import {
  findRenamedFile,
  holdsPosition,
  identityOf,
  type MonitorState,
  monitorStatePath,
  readMonitorState,
  sameIdentity,
} from "../monitor/mod.ts";
import type { BucketVersioning } from "../storage/s3.ts";
import { lastRuns, type RunRecord } from "./runs.ts";

/** Free and total bytes of the share's file system. */
export interface Space {
  readonly freeBytes: number;
  readonly totalBytes: number;
}

/** What gathering needs besides the config; the CLI passes the real ones. */
export interface GatherOptions {
  readonly now: Date;
  /** The share's free space (statfs). */
  readonly readSpace: (root: string) => Promise<Space>;
  /** The bucket's versioning state (GetBucketVersioning). */
  readonly readVersioning: () => Promise<BucketVersioning>;
}

/** A study still on the instrument. */
export interface WaitingStudy {
  readonly study: string;
  readonly bytes: number;
  /** ISO time of its newest change. */
  readonly newest_change: string;
  /** Idle long enough for the next backup run. */
  readonly idle: boolean;
  /** What the next backup run does with it, in words. */
  readonly next: string;
  /** Why the backup refuses it as it is, when it does (the same words the run logs). */
  readonly problem: string | null;
}

/** A backup whose latest record needs a person. */
export interface Attention {
  readonly backup_name: string;
  readonly status: string;
  readonly started_at: string;
  readonly problem: string;
}

/** Everything `status` shows; also its `-f json` document. */
export interface StatusReport {
  readonly generated_at: string;
  readonly config: string;
  readonly runs: Readonly<Record<string, RunRecord>>;
  readonly instrument: {
    readonly source_root: string;
    readonly reachable: boolean;
    readonly studies: readonly WaitingStudy[];
    readonly waiting_count: number;
    readonly waiting_bytes: number;
  };
  readonly attention: readonly Attention[];
  readonly share: {
    readonly root: string;
    readonly reachable: boolean;
    readonly free_bytes: number | null;
    readonly total_bytes: number | null;
    readonly free_pct: number | null;
    readonly cleanup_threshold_pct: number;
    /** Average bytes backups stored per month (a revision: what it added) over the last months with any. */
    readonly monthly_bytes: number | null;
    /** How many such months the free space holds. */
    readonly months_fit: number | null;
    readonly problem: string | null;
  };
  readonly s3: {
    readonly bucket: string;
    /**
     * Whether the bucket keeps the earlier version of an object that is
     * replaced or deleted (recommended on); null when S3 could not be asked.
     */
    readonly versioning: BucketVersioning | null;
    readonly problem: string | null;
  };
  readonly monitor: {
    readonly log_path: string;
    readonly state_file: string;
    readonly last_error_sent_at: string | null;
    readonly offset: number | null;
    readonly log_bytes: number | null;
    /**
     * Bytes not read yet: the rest of the file `offset` is in, and during a
     * rotation the new log too (the monitor reads it from its start next).
     */
    readonly lag_bytes: number | null;
    /**
     * Set while `offset` belongs to an earlier file than the one at
     * `log_path` (a rotation the monitor has not finished): that file's path
     * while it is still beside the log, which the monitor finishes first;
     * null when it is gone.
     */
    readonly rotation: { readonly old_file: string | null } | null;
    readonly problem: string | null;
  };
  /** Jobs that hold the share's locks now: `backup running since …, pid … on …`. */
  readonly running: readonly string[];
  /** Locks left by runs that stopped (a crash): the next run takes each over. */
  readonly stale_locks: readonly string[];
  /**
   * True when anything above needs a person: failed backups, studies the
   * next run refuses, failed runs, an unreachable share or instrument.
   */
  readonly attention_needed: boolean;
}

/** How many past months the monthly average looks at. */
const AVERAGE_MONTHS = 6;

/**
 * The average bytes backups stored on the share per month, over up to the
 * last {@linkcode AVERAGE_MONTHS} months that had any: each complete backup
 * and revision counted once, in the month it completed, with what it stored
 * (a revision only its new and changed files). From every record, in the
 * order written. Pure.
 */
export function monthlyAverage(records: Iterable<ManifestRecord>): number | undefined {
  const byMonth = new Map<string, number>();
  for (const revision of completedRevisions(records)) {
    const month = revision.completedAt.slice(0, 7);
    byMonth.set(month, (byMonth.get(month) ?? 0) + revision.bytes);
  }
  const months = [...byMonth.keys()].sort().slice(-AVERAGE_MONTHS);
  if (months.length === 0) return undefined;
  return months.reduce((sum, month) => sum + (byMonth.get(month) ?? 0), 0) / months.length;
}

/** Why a latest record needs a person, or undefined. Pure. */
export function attentionFor(record: ManifestRecord): string | undefined {
  switch (record.status) {
    case "failed_validation":
    case "failed_truenas":
    case "failed_s3":
      return record.error ?? record.status;
    case "in_progress":
      return "stopped part-way (a crash or a lost connection?): the next run resumes it";
    case "complete":
      // A source still there is the next run's to settle: deleted if unchanged, else a revision.
      return undefined;
  }
}

/** What the next backup run does with a due study it refuses (`WaitingStudy.next`). */
export const REFUSED = "refuse it";

/** The manifest's latest and latest complete record per backup. */
interface Records {
  readonly latest: ReadonlyMap<string, ManifestRecord>;
  readonly complete: ReadonlyMap<string, ManifestRecord>;
}

/** What the next backup run does with a study that it takes, in words. Pure. */
export function nextAction(
  latest: ManifestRecord | undefined,
  lastComplete: ManifestRecord | undefined,
): string {
  const decision = decideStudy(latest, lastComplete, false);
  if (decision.kind === "compare") {
    return `compare with its complete backup (revision ${revisionOf(decision.base)}): delete ` +
      `the source if unchanged, else back up what changed as revision ${decision.next}`;
  }
  if (latest === undefined) return "back up";
  return latest.status === "in_progress"
    ? "back up, resuming where the last run stopped"
    : `back up again (the last attempt ended ${latest.status})`;
}

async function instrumentStudies(config: Config, now: Date, records: Records) {
  if (await kindAt(config.backup.sourceRoot) !== "dir") return undefined;
  let found;
  try {
    found = assessRoot(config.backup.sourceRoot);
  } catch {
    return undefined;
  }
  const due = new Set(dueStudies(found, config.backup.idleDays, now).map((study) => study.name));
  const studies: WaitingStudy[] = found.map((study) => {
    const name = `${config.backup.instrument}/${study.name}`;
    return {
      study: study.name,
      bytes: totalBytes(study.listing.files),
      newest_change: new Date(study.newestMtime).toISOString(),
      idle: isIdle(study, config.backup.idleDays, now),
      next: !due.has(study.name)
        ? "waits until it is idle"
        : study.refusal !== undefined
        ? REFUSED
        : nextAction(records.latest.get(name), records.complete.get(name)),
      problem: study.refusal ?? null,
    };
  });
  return studies.sort((a, b) => a.newest_change < b.newest_change ? -1 : 1);
}

function heldBy(state: LockState, fallback: string): string {
  return state.state !== "free" && state.holder !== undefined
    ? describeHolder(state.holder)
    : fallback;
}

/** Jobs running on the share now, and locks runs that stopped left behind. */
async function lockFacts(
  config: Config,
  shareReachable: boolean,
): Promise<{ running: string[]; stale: string[] }> {
  const running: string[] = [];
  const stale: string[] = [];
  let share: ShareLockReport | undefined;
  if (shareReachable) {
    share = await shareLockReport(config.truenas.root);
    const path = join(config.truenas.root, SHARE_LOCK_NAME);
    if (share.share.state === "held" && share.share.holder !== undefined) {
      running.push(describeHolder(share.share.holder));
    } else if (share.share.state === "stale") {
      stale.push(`${holderPath(path)} (left by ${heldBy(share.share, "a cleanup")})`);
    }
    for (const backup of share.backups) {
      if (backup.state.state === "held") {
        running.push(`${heldBy(backup.state, "a backup")} (${backup.instrument})`);
      } else if (backup.state.state === "stale") {
        stale.push(`${holderPath(backup.path)} (left by ${heldBy(backup.state, "a backup")})`);
      }
    }
  }
  if (await kindAt(config.backup.sourceRoot) === "dir") {
    for (const lock of await findStudyLocks(config.backup.sourceRoot)) {
      const instrument = typeof lock.holder?.["instrument"] === "string"
        ? lock.holder["instrument"]
        : config.backup.instrument;
      const live = share?.backups.find((item) => item.instrument === instrument)?.state.state ===
        "held";
      if (!live) {
        const who = lock.holder === undefined ? "an unreadable lock" : describeHolder(lock.holder);
        stale.push(`${lock.path} (left by ${who})`);
      }
    }
  }
  return { running, stale };
}

async function monitorFacts(config: Config): Promise<StatusReport["monitor"]> {
  const stateFile = monitorStatePath(config.dir);
  const base = {
    log_path: config.monitor.logPath,
    state_file: stateFile,
    last_error_sent_at: null,
    offset: null,
    log_bytes: null,
    lag_bytes: null,
    rotation: null,
  };
  let reading;
  try {
    reading = await readMonitorState(stateFile);
  } catch (error) {
    return { ...base, problem: `cannot read ${stateFile}: ${errorMessage(error)}` };
  }
  const state = reading.state;
  if (state === undefined) {
    return { ...base, problem: reading.problem ?? "the monitor has not run yet" };
  }
  const lastSent = Math.max(0, ...state.sent.values());
  // The log may be missing while the instrument software is not running, or mid-rotation.
  const log = await Deno.stat(state.logPath).catch(() => undefined);
  const position = await monitorPosition(state, log);
  return {
    ...base,
    log_path: state.logPath,
    last_error_sent_at: lastSent > 0 ? new Date(lastSent).toISOString() : null,
    offset: state.offset,
    log_bytes: log?.size ?? null,
    ...position,
    problem: log === undefined ? `the log ${state.logPath} is not there` : null,
  };
}

/**
 * How far behind the monitor is. Its position is in the file it saved the
 * identity of: when the log path names another file (or none), the log was
 * rotated and the monitor finishes the old file, found beside the log by its
 * identity as the monitor finds it, before it reads the new log from its
 * start. Without a saved identity (a platform that gives none) the position
 * is taken to be in the log.
 */
async function monitorPosition(
  state: MonitorState,
  log: Deno.FileInfo | undefined,
): Promise<Pick<StatusReport["monitor"], "lag_bytes" | "rotation">> {
  const logBytes = log?.size;
  const saved = state.identity;
  if (saved === undefined || (log !== undefined && sameIdentity(identityOf(log), saved))) {
    return {
      lag_bytes: logBytes === undefined ? null : Math.max(0, logBytes - state.offset),
      rotation: null,
    };
  }
  const old = await findRenamedFile(
    state.logPath,
    saved,
    (file, info) => holdsPosition(file, info, state.offset, state.head),
  );
  if (old === undefined) {
    // Gone: the monitor goes on with the log from its start.
    return log === undefined
      ? { lag_bytes: null, rotation: null }
      : { lag_bytes: log.size, rotation: { old_file: null } };
  }
  try {
    const oldBytes = (await old.file.stat()).size;
    return {
      lag_bytes: oldBytes - state.offset + (logBytes ?? 0),
      rotation: { old_file: old.path },
    };
  } finally {
    old.file.close();
  }
}

async function s3Facts(config: Config, options: GatherOptions): Promise<StatusReport["s3"]> {
  const bucket = config.s3.bucket;
  try {
    return { bucket, versioning: await options.readVersioning(), problem: null };
  } catch (error) {
    return {
      bucket,
      versioning: null,
      problem: `cannot read the bucket's versioning state: ${errorMessage(error)}`,
    };
  }
}

/** The manifest as status reads it: every record, and each backup's latest and latest complete. */
interface ManifestFacts extends Records {
  readonly records: readonly ManifestRecord[];
  /** Why the manifest could not be read, when it could not. */
  readonly problem: string | undefined;
}

/** The manifest of a share that is there; its problem when it cannot be read. */
async function manifestFacts(config: Config, shareReachable: boolean): Promise<ManifestFacts> {
  const none: ManifestFacts = {
    records: [],
    latest: new Map(),
    complete: new Map(),
    problem: undefined,
  };
  if (!shareReachable) return none;
  try {
    const manifest = await readManifest(config.truenas.manifestRoot);
    return {
      records: manifest.records,
      latest: manifest.latest,
      complete: foldComplete(manifest.records),
      problem: undefined,
    };
  } catch (error) {
    return { ...none, problem: `cannot read the manifest: ${errorMessage(error)}` };
  }
}

/** The backups whose latest record needs a person, the oldest first. */
function attentionList(latest: ReadonlyMap<string, ManifestRecord>): Attention[] {
  return [...latest.values()]
    .sort((a, b) => a.started_at < b.started_at ? -1 : 1)
    .flatMap((record) => {
      const problem = attentionFor(record);
      return problem === undefined ? [] : [{
        backup_name: record.backup_name,
        status: record.status,
        started_at: record.started_at,
        problem,
      }];
    });
}

/** The share's space, how fast backups fill it, and what could not be read. */
async function shareFacts(
  config: Config,
  options: GatherOptions,
  shareReachable: boolean,
  manifest: ManifestFacts,
): Promise<StatusReport["share"]> {
  let space: Space | undefined;
  let problem = manifest.problem;
  if (shareReachable) {
    try {
      space = await options.readSpace(config.truenas.root);
    } catch (error) {
      problem = `cannot read the share's free space: ${errorMessage(error)}`;
    }
  } else {
    problem = `the share ${config.truenas.root} is not reachable (not mounted?)`;
  }
  const monthly = monthlyAverage(manifest.records);
  return {
    root: config.truenas.root,
    reachable: shareReachable,
    free_bytes: space?.freeBytes ?? null,
    total_bytes: space?.totalBytes ?? null,
    free_pct: space === undefined ? null : 100 * space.freeBytes / space.totalBytes,
    cleanup_threshold_pct: config.cleanup.freeThresholdPct,
    monthly_bytes: monthly ?? null,
    months_fit: space === undefined || monthly === undefined || monthly === 0
      ? null
      : space.freeBytes / monthly,
    problem: problem ?? null,
  };
}

/** The studies on the instrument; undefined when its folder could not be listed. */
function instrumentFacts(
  config: Config,
  studies: readonly WaitingStudy[] | undefined,
): StatusReport["instrument"] {
  const waiting = studies ?? [];
  return {
    source_root: config.backup.sourceRoot,
    reachable: studies !== undefined,
    studies: waiting,
    waiting_count: waiting.length,
    waiting_bytes: totalBytes(waiting.map((study) => ({ size: study.bytes }))),
  };
}

/** Gathers the report. Reads only; an unreachable part is reported, not thrown. */
export async function gatherStatus(config: Config, options: GatherOptions): Promise<StatusReport> {
  const runs = await lastRuns(config.dir);
  const shareReachable = await kindAt(config.truenas.root) === "dir";
  const manifest = await manifestFacts(config, shareReachable);
  const studies = await instrumentStudies(config, options.now, manifest);
  const attention = attentionList(manifest.latest);
  const share = await shareFacts(config, options, shareReachable, manifest);
  const locks = await lockFacts(config, shareReachable);
  const refused = (studies ?? []).some((study) => study.next === REFUSED);
  const failedRuns = [...runs.values()].some((run) => run.exit_code !== 0);
  return {
    generated_at: options.now.toISOString(),
    config: config.file,
    runs: Object.fromEntries(runs),
    instrument: instrumentFacts(config, studies),
    attention,
    share,
    s3: await s3Facts(config, options),
    monitor: await monitorFacts(config),
    running: locks.running,
    stale_locks: locks.stale,
    attention_needed: attention.length > 0 || refused || failedRuns || studies === undefined ||
      !shareReachable,
  };
}
