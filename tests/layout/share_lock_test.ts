import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, LockHeldError } from "../../lib/errors.ts";
import { readLock } from "../../lib/fs/mod.ts";
import { acquireShareLock, SHARE_LOCK_NAME } from "../../lib/layout/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

const NOW = new Date("2025-04-01T02:00:03Z");

Deno.test("the share lock records its holder and is removed on release", async () => {
  await withTempDir(async (dir) => {
    const lock = await acquireShareLock(dir, "backup run", "fusion-pc", NOW);
    const info = await readLock(join(dir, SHARE_LOCK_NAME));
    assert.deepEqual(info, {
      hostname: "fusion-pc",
      pid: Deno.pid,
      started_at: NOW.toISOString(),
      command: "backup run",
    });
    await lock.release();
    await assert.rejects(Deno.stat(join(dir, SHARE_LOCK_NAME)), Deno.errors.NotFound);
  });
});

Deno.test("a held share lock is an exit-2 error naming the holder", async () => {
  await withTempDir(async (dir) => {
    const first = await acquireShareLock(dir, "cleanup run", "nas-host", NOW);
    await assert.rejects(
      acquireShareLock(dir, "backup run", "fusion-pc", NOW),
      (error: unknown) => {
        assert.ok(error instanceof LockHeldError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /locked by nas-host pid \d+ since 2025-04-01T02:00:03\.000Z/);
        assert.match(error.message, /remove the lock file and retry/);
        return true;
      },
    );
    await first.release();
  });
});

Deno.test("a lock replaced by someone else is not removed by the first holder", async () => {
  await withTempDir(async (dir) => {
    const lock = await acquireShareLock(dir, "backup run", "a", NOW);
    const path = join(dir, SHARE_LOCK_NAME);
    await Deno.writeTextFile(path, JSON.stringify({ hostname: "b", pid: 1, started_at: "x" }));
    await lock.release();
    assert.equal((await readLock(path))?.hostname, "b");
  });
});

Deno.test("a share that is not mounted is a config error saying so", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      acquireShareLock(join(dir, "Z"), "backup run", "h", NOW),
      (error: unknown) => error instanceof ConfigError && /is it mounted\?/.test(error.message),
    );
  });
});
