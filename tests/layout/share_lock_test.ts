/**
 * The share's locks in one process: two `Deno.open`s of one file conflict
 * exactly as two processes do (`flock` locks an open file, LockFileEx a
 * handle). tests/cli/locks_cli_test.ts runs them between real processes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, LockHeldError } from "../../lib/errors.ts";
import { holderPath, type LockInfo, lockState, readHolder } from "../../lib/fs/mod.ts";
import {
  backupLockName,
  lockShareForBackup,
  lockShareForCleanup,
  SHARE_LOCK_NAME,
  shareHolders,
  shareLockReport,
} from "../../lib/layout/mod.ts";
import { Logger } from "../../lib/log/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

const SINCE = "2025-04-01T02:00:03Z";

function holder(command: string, hostname = "fusion-pc"): LockInfo {
  return { hostname, pid: Deno.pid, started_at: SINCE, command };
}

function request(root: string, who: LockInfo, waitMs = 0, lines: string[] = []) {
  return {
    root,
    holder: who,
    waitMs,
    logger: new Logger({ console: (line) => lines.push(line) }),
  };
}

Deno.test("a backup holds its instrument's lock alone and the share lock shared; release drops both", async () => {
  await withTempDir(async (dir) => {
    const who = { ...holder("backup run"), instrument: "fusion-01" };
    const locks = await lockShareForBackup(request(dir, who), "fusion-01");
    const own = join(dir, backupLockName("fusion-01"));
    assert.deepEqual(await readHolder(holderPath(own)), who);
    assert.deepEqual((await lockState(own)).state, "held");
    assert.deepEqual((await lockState(join(dir, SHARE_LOCK_NAME))).state, "held");
    assert.equal(
      shareHolders(await shareLockReport(dir)),
      `backup running since ${SINCE}, pid ${Deno.pid} on fusion-pc (fusion-01)`,
    );
    await locks.release();
    assert.deepEqual(await lockState(own), { state: "free" });
    assert.deepEqual(await lockState(join(dir, SHARE_LOCK_NAME)), { state: "free" });
    await assert.rejects(Deno.stat(holderPath(own)), Deno.errors.NotFound);
    assert.ok((await Deno.stat(own)).isFile, "the lock file itself stays: it is never deleted");
  });
});

Deno.test("backups of two instruments share the share; cleanup is kept out and names them", async () => {
  await withTempDir(async (dir) => {
    const one = await lockShareForBackup(request(dir, holder("backup run", "pc-1")), "fusion-01");
    const two = await lockShareForBackup(request(dir, holder("backup run", "pc-2")), "fusion-02");
    await assert.rejects(lockShareForCleanup(request(dir, holder("cleanup run"))), (error) => {
      assert.ok(error instanceof LockHeldError);
      assert.equal(error.exitCode, 2);
      assert.match(
        error.message,
        new RegExp(
          `^the share is in use: backup running since ${SINCE}, pid \\d+ on pc-1 \\(fusion-01\\), ` +
            `backup running since ${SINCE}, pid \\d+ on pc-2 \\(fusion-02\\) \\(.*\\.cleanup\\.lock\\); ` +
            "waited \\d+ s, nothing was done",
        ),
      );
      return true;
    });
    await one.release();
    await two.release();
    const cleanup = await lockShareForCleanup(request(dir, holder("cleanup run", "nas")));
    await assert.rejects(
      lockShareForBackup(request(dir, holder("backup run")), "fusion-01"),
      new RegExp(
        `^LockHeldError: the share is in use: cleanup running since ${SINCE}, pid \\d+ on nas`,
      ),
    );
    await cleanup.release();
  });
});

Deno.test("a second run of one instrument waits its time, then stops with exit 2 naming the first", async () => {
  await withTempDir(async (dir) => {
    const first = await lockShareForBackup(request(dir, holder("backup run")), "fusion-01");
    const lines: string[] = [];
    const began = performance.now();
    await assert.rejects(
      lockShareForBackup(request(dir, holder("backup run", "other"), 1500, lines), "fusion-01"),
      (error) => {
        assert.ok(error instanceof LockHeldError);
        assert.match(
          error.message,
          new RegExp(
            `^fusion-01 is already being backed up: backup running since ${SINCE}, pid ${Deno.pid} ` +
              "on fusion-pc \\(.*\\.backup-fusion-01\\.lock\\); waited \\d+ s, nothing was done",
          ),
        );
        return true;
      },
    );
    assert.ok(performance.now() - began >= 1400, "it waited");
    assert.match(lines.join("\n"), /waiting up to 2 s for .*\.backup-fusion-01\.lock/);
    await first.release();
  });
});

Deno.test("a waiting job takes the lock as soon as its holder lets go", async () => {
  await withTempDir(async (dir) => {
    const cleanup = await lockShareForCleanup(request(dir, holder("cleanup run", "nas")));
    setTimeout(() => void cleanup.release(), 300);
    const backup = await lockShareForBackup(
      request(dir, holder("backup run"), 10_000),
      "fusion-01",
    );
    assert.equal((await lockState(join(dir, SHARE_LOCK_NAME))).state, "held");
    await backup.release();
  });
});

Deno.test("a lock whose holder ended without releasing it is taken over, and the log says so", async () => {
  await withTempDir(async (dir) => {
    // What a killed cleanup leaves: its holder file (the OS dropped its lock with the process).
    const dead = { hostname: "nas", pid: 4242, started_at: SINCE, command: "cleanup run" };
    await Deno.writeTextFile(join(dir, SHARE_LOCK_NAME), "");
    await Deno.writeTextFile(holderPath(join(dir, SHARE_LOCK_NAME)), JSON.stringify(dead));
    assert.deepEqual(await lockState(join(dir, SHARE_LOCK_NAME)), { state: "stale", holder: dead });
    const lines: string[] = [];
    const cleanup = await lockShareForCleanup(request(dir, holder("cleanup run"), 0, lines));
    assert.match(
      lines.join("\n"),
      new RegExp(
        `took over .*\\.cleanup\\.lock, left by cleanup running since ${SINCE}, pid 4242 on nas ` +
          "which ended without releasing it",
      ),
    );
    assert.equal((await readHolder(holderPath(join(dir, SHARE_LOCK_NAME))))?.pid, Deno.pid);
    await cleanup.release();
  });
});

Deno.test("a share that is not mounted is a config error saying so", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      lockShareForBackup(request(join(dir, "Z"), holder("backup run")), "fusion-01"),
      (error: unknown) => error instanceof ConfigError && /is it mounted\?/.test(error.message),
    );
  });
});
