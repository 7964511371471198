/**
 * The share's exclusive `.cleanup.lock`: backup and cleanup take it so they
 * never run against the share at the same time.
 *
 * @module
 */
import { join } from "node:path";
import { ConfigError, LockHeldError } from "../errors.ts";
import {
  createLock,
  describeHolder,
  type HeldLock,
  holderOf,
  kindAt,
  LockExistsError,
} from "../fs/mod.ts";

/** The lock's file name, in the share's root. */
export const SHARE_LOCK_NAME = ".cleanup.lock";

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

/**
 * Takes the share lock for `command` (e.g. "backup run").
 *
 * @throws {ConfigError} when the share's root folder does not exist (not mounted?).
 * @throws {LockHeldError} when another run holds the lock; the message names the holder.
 */
export async function acquireShareLock(
  root: string,
  command: string,
  hostname: string,
  now: Date,
): Promise<HeldLock> {
  await requireShareRoot(root);
  const path = join(root, SHARE_LOCK_NAME);
  try {
    return await createLock(path, {
      hostname,
      pid: Deno.pid,
      started_at: now.toISOString(),
      command,
    });
  } catch (error) {
    if (!(error instanceof LockExistsError)) throw error;
    throw new LockHeldError(
      `the share is locked by ${describeHolder(error.holder)} (${path}); another backup or ` +
        "cleanup is running — if none is, that run crashed: remove the lock file and retry",
    );
  }
}

/** Who holds the share lock (`host pid N since T`), or undefined when nobody does. */
export async function shareLockHolder(root: string): Promise<string | undefined> {
  const path = join(root, SHARE_LOCK_NAME);
  return await kindAt(path) === undefined ? undefined : await holderOf(path);
}
