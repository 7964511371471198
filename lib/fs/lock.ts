/**
 * Locks between processes, held by the operating system: a lock file its
 * holders keep open with an OS lock on it (`flock` on Linux and macOS,
 * `LockFileEx` on Windows, which SMB carries to the file server). The OS
 * drops the lock when its holder ends, however it ends, so a lock is held
 * exactly as long as a live process holds it: nothing is guessed from pids,
 * and a lock left by a crash is simply free for the next run to take.
 *
 * A lock is taken either exclusive (one holder) or shared (any number of
 * shared holders, no exclusive one). An exclusive holder writes who it is to
 * a holder file beside the lock (`<lock>.holder`: host, pid, since, command),
 * for the messages of those who find the lock taken. It cannot go into the
 * lock file itself: Windows refuses other processes reads of a file an
 * exclusive lock covers. A holder file found by whoever takes the lock was
 * left by a holder that ended without releasing (a crash): it is reported as
 * taken over. Lock files themselves are never deleted — a deleted lock file
 * lets a second process lock a new file of the same name while the first
 * still holds the old one.
 *
 * @module
 */
import { atomicWriteFile } from "./atomic.ts";

/** Who holds a lock, as its holder file records it. */
export interface LockInfo {
  readonly hostname: string;
  readonly pid: number;
  /** ISO 8601. */
  readonly started_at: string;
  /** What holds it, e.g. "backup run". */
  readonly command: string;
  readonly [detail: string]: string | number;
}

/** How a lock is taken. */
export type LockMode = "exclusive" | "shared";

/** The file that records an exclusive lock's holder. */
export function holderPath(lockPath: string): string {
  return `${lockPath}.holder`;
}

/** A lock this process holds. */
export interface HeldLock {
  readonly path: string;
  readonly mode: LockMode;
  /** The holder file found when the lock was taken: its holder ended without releasing it. */
  readonly tookOver: LockInfo | undefined;
  /** Removes the holder file (if this holder wrote one) and drops the lock. Never rejects. */
  release(): Promise<void>;
}

/** A lock another live process holds: its holder when it recorded one (exclusive holders do). */
export interface BusyLock {
  readonly holder: LockInfo | undefined;
}

/** `backup running since 2025-04-01T02:00:03Z, pid 123 on fusion-pc`, for messages. */
export function describeHolder(holder: LockInfo): string {
  const job = holder.command.split(" ")[0] ?? holder.command;
  return `${job} running since ${holder.started_at}, pid ${holder.pid} on ${holder.hostname}`;
}

/** Reads a holder file; undefined when it is missing or not a holder's JSON (a torn write). */
export async function readHolder(path: string): Promise<LockInfo | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    if (
      typeof value === "object" && value !== null && typeof value.hostname === "string" &&
      typeof value.pid === "number" && typeof value.started_at === "string"
    ) {
      return { command: "job", ...value } as LockInfo;
    }
  } catch {
    // missing, unreadable or torn: no holder is known
  }
  return undefined;
}

async function removeQuietly(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
}

/**
 * Tries once to take the lock at `path` (created if missing). `holder` is
 * written to the holder file of an exclusive lock.
 *
 * @returns the held lock, or who holds it.
 */
export async function tryLock(
  path: string,
  mode: LockMode,
  holder?: LockInfo,
): Promise<HeldLock | BusyLock> {
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let taken = false;
  try {
    taken = await file.tryLock(mode === "exclusive");
  } finally {
    if (!taken) file.close();
  }
  if (!taken) return { holder: await readHolder(holderPath(path)) };
  // Nobody else holds it exclusively now: a holder file left here is a dead holder's.
  const tookOver = await readHolder(holderPath(path));
  try {
    if (mode === "exclusive" && holder !== undefined) {
      await atomicWriteFile(holderPath(path), `${JSON.stringify(holder)}\n`);
    } else if (tookOver !== undefined) {
      await removeQuietly(holderPath(path));
    }
  } catch (error) {
    file.close();
    throw error;
  }
  const wroteHolder = mode === "exclusive" && holder !== undefined;
  return {
    path,
    mode,
    tookOver,
    async release() {
      if (wroteHolder) await removeQuietly(holderPath(path));
      // Closing the file drops the OS lock.
      file.close();
    },
  };
}

/** Whether `attempt` took the lock. */
export function isHeld(attempt: HeldLock | BusyLock): attempt is HeldLock {
  return "release" in attempt;
}

/** How long to sleep between tries while waiting. */
const POLL_MS = 1000;

/**
 * The shortest wait, whatever is asked: `status`, the dry runs and audit
 * take a lock for an instant to see whether it is held ({@linkcode lockState}),
 * and a job that starts in that instant must not take the look for a holder.
 */
export const LEAST_WAIT_MS = 2000;

/**
 * Takes the lock at `path`, trying again every second for up to `waitMs`
 * (at least two seconds) while another process holds it.
 *
 * @returns the held lock, or who held it when the wait ran out.
 */
export async function waitForLock(
  path: string,
  mode: LockMode,
  holder: LockInfo | undefined,
  waitMs: number,
  onWait?: (busy: BusyLock) => void,
): Promise<HeldLock | BusyLock> {
  const deadline = performance.now() + Math.max(waitMs, LEAST_WAIT_MS);
  let first = true;
  for (;;) {
    const attempt = await tryLock(path, mode, holder);
    if (isHeld(attempt)) return attempt;
    const left = deadline - performance.now();
    if (left <= 0) return attempt;
    if (first) onWait?.(attempt);
    first = false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
  }
}

/** What a look at a lock found, without taking it. */
export type LockState =
  | { readonly state: "free" }
  /** A live process holds it; its holder when it recorded one. */
  | { readonly state: "held"; readonly holder: LockInfo | undefined }
  /** Nobody holds it, but a holder that ended without releasing it left its holder file. */
  | { readonly state: "stale"; readonly holder: LockInfo };

/**
 * Looks at the lock at `path`: probes it with an exclusive try that is
 * dropped at once (a job that starts in that instant tries again: every wait
 * lasts two seconds at least), and reads its holder file. Creates nothing.
 */
export async function lockState(path: string): Promise<LockState> {
  const holder = await readHolder(holderPath(path));
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return holder === undefined ? { state: "free" } : { state: "stale", holder };
  }
  try {
    if (!await file.tryLock(true)) return { state: "held", holder };
  } finally {
    file.close();
  }
  return holder === undefined ? { state: "free" } : { state: "stale", holder };
}
