/**
 * The share's locks, held by the OS (lib/fs/lock.ts), which keep jobs apart
 * while letting several instruments share one share:
 *
 * - `.cleanup.lock`: cleanup takes it exclusive, so it never deletes while a
 *   backup writes; every backup takes it shared, so backups of several
 *   instruments (all starting at 02:00 on the 1st) run side by side.
 * - `.backup-<instrument>.lock`: a backup takes its instrument's exclusive,
 *   so two runs of one instrument never work at once.
 *
 * A job that finds a lock taken waits for it (trying every second) up to
 * `[truenas] lock_wait_minutes`, then stops with exit 2 naming who holds it.
 * A lock whose holder died (a crash) is free: the next job takes it over,
 * logging what it found.
 *
 * @module
 */
import { join } from "node:path";
import { ConfigError, LockHeldError } from "../errors.ts";
import {
  type BusyLock,
  describeHolder,
  type HeldLock,
  isHeld,
  kindAt,
  LEAST_WAIT_MS,
  type LockInfo,
  type LockState,
  lockState,
  waitForLock,
} from "../fs/mod.ts";
import type { Logger } from "../log/mod.ts";

/** The lock cleanup takes exclusive and backups take shared, in the share's root. */
export const SHARE_LOCK_NAME = ".cleanup.lock";

const BACKUP_LOCK = /^\.backup-(.+)\.lock$/;

/** `.backup-<instrument>.lock`, in the share's root: one backup run per instrument at a time. */
export function backupLockName(instrument: string): string {
  return `.backup-${instrument}.lock`;
}

/**
 * Checks that the share's root folder is there.
 *
 * @throws {ConfigError} when it is not (not mounted?).
 */
export async function requireShareRoot(root: string): Promise<void> {
  if (await kindAt(root) !== "dir") {
    throw new ConfigError(
      `TrueNAS share not found at ${root}: is it mounted? (check [truenas] root, or map it with the [hooks] command)`,
    );
  }
}

/** How a job takes the share's locks. */
export interface ShareLockRequest {
  /** The share's root. */
  readonly root: string;
  /** Who asks (written to the holder file of an exclusive lock). */
  readonly holder: LockInfo;
  /** How long to wait for a lock another job holds, ms. */
  readonly waitMs: number;
  /** Says that the job waits, and which lock it took over from a holder that died. */
  readonly logger: Logger;
}

/** Locks a job holds on the share; released together. */
export interface ShareLocks {
  release(): Promise<void>;
}

/** `60 min`, `1.5 min`, `12 s`: how long a job waited. */
function minutes(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const value = ms / 60_000;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} min`;
}

function holderText(busy: BusyLock, unknown: string): string {
  return busy.holder === undefined ? unknown : describeHolder(busy.holder);
}

async function take(
  request: ShareLockRequest,
  name: string,
  mode: "exclusive" | "shared",
  busyText: (busy: BusyLock) => Promise<string>,
): Promise<HeldLock> {
  const { root, holder, waitMs, logger } = request;
  const path = join(root, name);
  const began = performance.now();
  const attempt = await waitForLock(path, mode, holder, waitMs, (busy) => {
    void busyText(busy).then((text) =>
      logger.info(`${text}; waiting up to ${minutes(Math.max(waitMs, LEAST_WAIT_MS))} for ${path}`)
    );
  });
  if (!isHeld(attempt)) {
    throw new LockHeldError(
      `${await busyText(attempt)} (${path}); waited ${
        minutes(performance.now() - began)
      }, nothing was done — ` +
        "it runs again at its next schedule, or run it by hand once the other job has ended",
    );
  }
  if (attempt.tookOver !== undefined) {
    logger.warn(
      `took over ${path}, left by ${describeHolder(attempt.tookOver)} which ended without ` +
        "releasing it (a crash or a power cut?)",
    );
  }
  return attempt;
}

/** Who holds the share lock in a way that keeps cleanup out: the backups running, or a cleanup. */
async function shareUsers(root: string, busy: BusyLock): Promise<string> {
  if (busy.holder !== undefined) return `the share is in use: ${describeHolder(busy.holder)}`;
  const backups = (await backupLockStates(root)).filter((item) => item.state.state === "held");
  if (backups.length === 0) return "the share is in use by another job";
  return `the share is in use: ${
    backups.map((item) =>
      item.state.state === "held" && item.state.holder !== undefined
        ? `${describeHolder(item.state.holder)} (${item.instrument})`
        : `a backup of ${item.instrument}`
    ).join(", ")
  }`;
}

/**
 * Takes what a backup of `instrument` needs: its instrument's lock
 * (exclusive), then the share lock (shared).
 *
 * @throws {ConfigError} when the share's root folder does not exist (not mounted?).
 * @throws {LockHeldError} when a lock stayed taken for the whole wait; the message names the holder.
 */
export async function lockShareForBackup(
  request: ShareLockRequest,
  instrument: string,
): Promise<ShareLocks> {
  await requireShareRoot(request.root);
  const own = await take(
    request,
    backupLockName(instrument),
    "exclusive",
    (busy) =>
      Promise.resolve(
        `${instrument} is already being backed up: ${holderText(busy, "by another run")}`,
      ),
  );
  let share: HeldLock;
  try {
    share = await take(
      request,
      SHARE_LOCK_NAME,
      "shared",
      (busy) => shareUsers(request.root, busy),
    );
  } catch (error) {
    await own.release();
    throw error;
  }
  return {
    async release() {
      await share.release();
      await own.release();
    },
  };
}

/**
 * Takes the share lock exclusive, for cleanup.
 *
 * @throws {ConfigError} when the share's root folder does not exist (not mounted?).
 * @throws {LockHeldError} when backups or another cleanup held it for the whole wait.
 */
export async function lockShareForCleanup(request: ShareLockRequest): Promise<ShareLocks> {
  await requireShareRoot(request.root);
  const lock = await take(
    request,
    SHARE_LOCK_NAME,
    "exclusive",
    (busy) => shareUsers(request.root, busy),
  );
  return { release: () => lock.release() };
}

/** The state of one instrument's backup lock. */
export interface BackupLockState {
  readonly instrument: string;
  readonly path: string;
  readonly state: LockState;
}

/** Every instrument's backup lock in the share's root, by instrument name. */
export async function backupLockStates(root: string): Promise<BackupLockState[]> {
  const found: BackupLockState[] = [];
  for await (const entry of Deno.readDir(root)) {
    const match = BACKUP_LOCK.exec(entry.name);
    if (!entry.isFile || match === null) continue;
    const path = join(root, entry.name);
    found.push({ instrument: match[1] ?? "", path, state: await lockState(path) });
  }
  return found.sort((a, b) =>
    a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0
  );
}

/** The share's locks as a look finds them (nothing is taken or written). */
export interface ShareLockReport {
  /** `.cleanup.lock`: held exclusive by a cleanup (its holder), or shared by backups (no holder). */
  readonly share: LockState;
  readonly backups: readonly BackupLockState[];
}

/** Looks at the share's locks. */
export async function shareLockReport(root: string): Promise<ShareLockReport> {
  return {
    share: await lockState(join(root, SHARE_LOCK_NAME)),
    backups: await backupLockStates(root),
  };
}

/**
 * One line on who holds the share's locks, or undefined when no job does:
 * `cleanup running since …` or `backup running since … (fusion-01), …`.
 */
export function shareHolders(report: ShareLockReport): string | undefined {
  const running = report.backups.filter((item) => item.state.state === "held").map((item) =>
    item.state.state === "held" && item.state.holder !== undefined
      ? `${describeHolder(item.state.holder)} (${item.instrument})`
      : `a backup of ${item.instrument}`
  );
  if (report.share.state === "held" && report.share.holder !== undefined) {
    running.unshift(describeHolder(report.share.holder));
  }
  if (running.length === 0 && report.share.state === "held") running.push("a job");
  return running.length === 0 ? undefined : running.join(", ");
}
