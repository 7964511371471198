/**
 * The health check: warnings from the times of the study's one assessment,
 * never a failure. `validate` prints them (tests/cli/validate_cli_test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { healthWarnings } from "../../lib/standard/mod.ts";
import { assessFolder, validateStudy } from "../../lib/study/mod.ts";
import { makeSampleStudy, setTreeMtime } from "../../scripts/sample_data.ts";
import { withTempDir } from "../_helpers/temp.ts";

const STUDY = "20250301_alice_lung_panel1";

/** The modification times of the study's files, as its assessment found them. */
function fileTimes(path: string): number[] {
  return assessFolder(path, STUDY).listing.files.map((file) => file.mtime);
}

Deno.test("the health check is quiet on a fresh complete study", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, STUDY);
    assert.deepEqual(healthWarnings(fileTimes(path)), []);
    assert.deepEqual((await validateStudy(path)).warnings, []);
  });
});

Deno.test("a study without a complete scan fails R8: no warning needs to say it again", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, STUDY);
    await Deno.remove(join(path, STUDY, "Scan1", `${STUDY}.qptiff`));
    const report = await validateStudy(path);
    assert.equal(report.ok, false);
    assert.deepEqual(report.violations.map((v) => `${v.rule} ${v.path}`), [`R8 ${STUDY}`]);
    assert.deepEqual(report.warnings, []);
  });
});

Deno.test("the health check warns 'mtime_gap' past the gap and not at it", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, STUDY);
    const now = Date.now();
    await setTreeMtime(path, new Date(now));
    const tile = join(path, STUDY, "Scan1", ".temp", "tile_00000.bin");
    await Deno.utime(tile, new Date(now - 10 * 86_400_000), new Date(now - 10 * 86_400_000));
    const times = fileTimes(path);
    assert.deepEqual(healthWarnings(times, 10), []);
    assert.deepEqual(healthWarnings(times, 9).map((w) => w.code), ["mtime_gap"]);
    assert.deepEqual(healthWarnings(times), []);
  });
});

Deno.test("no times, or a study not measured (all 0), gives no warning", () => {
  assert.deepEqual(healthWarnings([]), []);
  assert.deepEqual(healthWarnings([0, 0, 0]), []);
});
