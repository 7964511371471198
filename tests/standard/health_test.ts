import assert from "node:assert/strict";
import { join } from "node:path";
import { scanHealthCheck } from "../../lib/standard/mod.ts";
import { makeSampleStudy, setTreeMtime } from "../../scripts/sample_data.ts";
import { withTempDir } from "../_helpers/temp.ts";

const STUDY = "20250301_alice_lung_panel1";

Deno.test("scanHealthCheck is quiet on a fresh complete study", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, STUDY);
    assert.deepEqual(await scanHealthCheck(path), []);
  });
});

Deno.test("scanHealthCheck warns 'empty' when no experiment has a complete scan", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, STUDY);
    await Deno.remove(join(path, STUDY, "Scan1", `${STUDY}.qptiff`));
    assert.deepEqual((await scanHealthCheck(path)).map((w) => w.code), ["empty"]);
  });
});

Deno.test("scanHealthCheck warns 'mtime_gap' past the gap and not at it", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, STUDY);
    const now = Date.now();
    await setTreeMtime(path, new Date(now));
    const tile = join(path, STUDY, "Scan1", ".temp", "tile_00000.bin");
    await Deno.utime(tile, new Date(now - 10 * 86_400_000), new Date(now - 10 * 86_400_000));
    assert.deepEqual(await scanHealthCheck(path, 10), []);
    assert.deepEqual((await scanHealthCheck(path, 9)).map((w) => w.code), ["mtime_gap"]);
    assert.deepEqual(await scanHealthCheck(path), []);
  });
});
