/**
 * Holds a share lock from another process until its stdin closes: what a
 * running backup or cleanup looks like to the process under test. Prints
 * `held` once it holds it.
 *
 * Usage: `_hold_lock.ts <share root> cleanup|backup <host> <since> [instrument]`
 *
 * @module
 */
import { lockShareForBackup, lockShareForCleanup } from "../../lib/layout/mod.ts";
import { Logger } from "../../lib/log/mod.ts";

const [root = "", job = "", hostname = "", since = "", instrument = "fusion-01"] = Deno.args;
const request = {
  root,
  holder: { hostname, pid: Deno.pid, started_at: since, command: `${job} run`, instrument },
  waitMs: 0,
  logger: new Logger({ console: () => {} }),
};
const locks = job === "cleanup"
  ? await lockShareForCleanup(request)
  : await lockShareForBackup(request, instrument);
console.log("held");
for await (const _ of Deno.stdin.readable) {
  // held until the test closes stdin
}
await locks.release();
