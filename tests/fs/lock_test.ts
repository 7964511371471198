/**
 * OS-level locks between two holders. Two `Deno.open`s of one file in one
 * process conflict exactly as two processes do (`flock` locks an open file,
 * LockFileEx a handle); the CLI tests take them from real processes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  holderPath,
  isHeld,
  type LockInfo,
  lockState,
  readHolder,
  tryLock,
  waitForLock,
} from "../../lib/fs/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

const HOLDER: LockInfo = {
  hostname: "pc",
  pid: Deno.pid,
  started_at: "2025-04-01T02:00:00Z",
  command: "cleanup run",
};

Deno.test("exclusive excludes everyone; shared holders coexist and keep exclusive out", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.lock");
    const first = await tryLock(path, "exclusive", HOLDER);
    assert.ok(isHeld(first));
    assert.deepEqual(await tryLock(path, "shared"), { holder: HOLDER });
    assert.deepEqual(await tryLock(path, "exclusive"), { holder: HOLDER });
    assert.deepEqual(await lockState(path), { state: "held", holder: HOLDER });
    await first.release();
    await assert.rejects(Deno.stat(holderPath(path)), Deno.errors.NotFound);
    const one = await tryLock(path, "shared");
    const two = await tryLock(path, "shared");
    assert.ok(isHeld(one) && isHeld(two));
    assert.deepEqual(await tryLock(path, "exclusive", HOLDER), { holder: undefined });
    assert.deepEqual(await lockState(path), { state: "held", holder: undefined });
    await one.release();
    await two.release();
    assert.deepEqual(await lockState(path), { state: "free" });
  });
});

Deno.test("a holder file with nobody holding the lock is stale: the next taker takes it over", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.lock");
    const dead = { ...HOLDER, pid: 99999 };
    await Deno.writeTextFile(holderPath(path), JSON.stringify(dead));
    assert.deepEqual(await lockState(path), { state: "stale", holder: dead });
    const taken = await tryLock(path, "exclusive", HOLDER);
    assert.ok(isHeld(taken));
    assert.deepEqual(taken.tookOver, dead);
    assert.deepEqual(await readHolder(holderPath(path)), HOLDER);
    await taken.release();
    // A shared taker removes a dead exclusive holder's file too: nobody else holds it now.
    await Deno.writeTextFile(holderPath(path), JSON.stringify(dead));
    const shared = await tryLock(path, "shared");
    assert.ok(isHeld(shared));
    assert.deepEqual(shared.tookOver, dead);
    await assert.rejects(Deno.stat(holderPath(path)), Deno.errors.NotFound);
    await shared.release();
  });
});

Deno.test("waitForLock tries until the lock is let go, or reports its holder when time runs out", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "x.lock");
    const held = await tryLock(path, "exclusive", HOLDER);
    assert.ok(isHeld(held));
    const waits: unknown[] = [];
    // Even a wait of 0 tries for two seconds: a look by status holds a lock for an instant.
    const began = performance.now();
    assert.deepEqual(await waitForLock(path, "shared", undefined, 0), { holder: HOLDER });
    assert.ok(performance.now() - began >= 1900);
    setTimeout(() => void held.release(), 200);
    const later = await waitForLock(path, "shared", undefined, 5000, (busy) => waits.push(busy));
    assert.ok(isHeld(later));
    assert.deepEqual(waits, [{ holder: HOLDER }]);
    await later.release();
  });
});
