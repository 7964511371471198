import assert from "node:assert/strict";
import { join } from "node:path";
import { findStudies, newestMtime, selectEligible } from "../../lib/backup/mod.ts";
import { runHook } from "../../lib/hooks/mod.ts";
import { findStudyLocks, lockStudy } from "../../lib/layout/mod.ts";
import { OperationFailedError } from "../../lib/errors.ts";
import { LockExistsError } from "../../lib/fs/mod.ts";
import { Logger } from "../../lib/log/mod.ts";
import { makeSampleStudy } from "../../scripts/sample_data.ts";
import { withTempDir } from "../_helpers/temp.ts";

const DAY = 86_400_000;
const NOW = new Date("2025-06-30T00:00:00Z");

Deno.test("selectEligible keeps studies idle for at least idle_days, oldest first", () => {
  const at = (days: number) => NOW.getTime() - days * DAY;
  const studies = [
    { name: "c", path: "/c", newestMtime: at(20) },
    { name: "a", path: "/a", newestMtime: at(14) },
    { name: "b", path: "/b", newestMtime: at(13.9) },
    { name: "d", path: "/d", newestMtime: at(20) },
    { name: "e", path: "/e", newestMtime: at(400) },
  ];
  assert.deepEqual(selectEligible(studies, 14, NOW).map((s) => s.name), ["e", "c", "d", "a"]);
  assert.deepEqual(selectEligible(studies, 0, NOW).length, 5);
});

Deno.test("newestMtime sees the newest entry at any depth, but not the study folder itself", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, "20250301_a_b_c", {
      mtime: new Date(NOW.getTime() - 30 * DAY),
    });
    const deep = join(path, "20250301_a_b_c", "Scan1", ".temp", "tile_00001.bin");
    const recent = new Date(NOW.getTime() - 2 * DAY);
    await Deno.utime(deep, recent, recent);
    assert.equal(await newestMtime(path), recent.getTime());
    // A lock file made and removed (by a run, or an operator) touches only the folder itself.
    await Deno.writeTextFile(join(path, ".fusion-toolkit.lock"), "{}");
    await Deno.remove(join(path, ".fusion-toolkit.lock"));
    assert.equal(await newestMtime(path), recent.getTime());
  });
});

Deno.test("findStudies lists folders, skipping dot folders, files and links", async () => {
  await withTempDir(async (dir) => {
    await makeSampleStudy(dir, "20250301_a_b_c");
    await Deno.mkdir(join(dir, ".recycle"));
    await Deno.writeTextFile(join(dir, "readme.txt"), "x");
    await Deno.symlink(join(dir, "20250301_a_b_c"), join(dir, "link"));
    const studies = await findStudies(dir);
    assert.deepEqual(studies.map((s) => [s.name, s.path]), [[
      "20250301_a_b_c",
      join(dir, "20250301_a_b_c"),
    ]]);
  });
});

Deno.test("study locks: written exclusively, found by the next run", async () => {
  await withTempDir(async (dir) => {
    const study = await makeSampleStudy(dir, "20250301_a_b_c");
    await makeSampleStudy(dir, "20250302_a_b_c");
    const lock = await lockStudy(study, "20250301_a_b_c", "fusion-pc", "2025-04-01T02:00:00Z");
    assert.deepEqual(JSON.parse(await Deno.readTextFile(lock.path)), {
      hostname: "fusion-pc",
      pid: Deno.pid,
      started_at: "2025-04-01T02:00:00Z",
      run_name: "20250301_a_b_c",
    });
    await assert.rejects(lockStudy(study, "x", "y", "z"), LockExistsError);
    assert.deepEqual(await findStudyLocks(dir), [lock.path]);
    await lock.release();
    assert.deepEqual(await findStudyLocks(dir), []);
  });
});

Deno.test("runHook: empty argv does nothing; success passes; failure is an exit-1 error", async () => {
  const lines: string[] = [];
  const logger = new Logger({ console: (line) => lines.push(line) });
  await runHook([], "backup", logger);
  assert.deepEqual(lines, []);
  await runHook([Deno.execPath(), "eval", "Deno.exit(0)"], "backup", logger);
  await assert.rejects(
    runHook([Deno.execPath(), "eval", "Deno.exit(7)"], "backup", logger),
    (error: unknown) => {
      assert.ok(error instanceof OperationFailedError);
      assert.equal(error.exitCode, 1);
      assert.match(error.message, /the backup hook .* failed with exit code 7; backup did not run/);
      return true;
    },
  );
  await assert.rejects(
    runHook(["/no/such/program"], "cleanup", logger),
    /could not start "\/no\/such\/program"/,
  );
});
