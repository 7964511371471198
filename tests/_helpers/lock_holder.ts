/**
 * A share lock held by another real process (tests/cli/_hold_lock.ts), for
 * the tests of what a run does when another job is running.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

const HOLDER = fileURLToPath(new URL("../cli/_hold_lock.ts", import.meta.url));

/** A process holding a share lock. */
export interface HeldElsewhere {
  /** Its pid: what the lock's holder file names. */
  readonly pid: number;
  /** Lets go of the lock (closes its stdin) and waits for it to end. */
  release(): Promise<void>;
}

/** Starts a process that holds `job`'s share lock on `root` as `hostname` since `since`. */
export async function holdShareLock(
  root: string,
  job: "backup" | "cleanup",
  hostname: string,
  since: string,
  instrument = "fusion-01",
): Promise<HeldElsewhere> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", HOLDER, root, job, hostname, since, instrument],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  while (!seen.includes("held")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the lock holder ended before holding the lock: ${seen}`);
    seen += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  const writer = child.stdin.getWriter();
  return {
    pid: child.pid,
    async release() {
      await writer.close();
      await child.status;
    },
  };
}
