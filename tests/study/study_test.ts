import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../../lib/errors.ts";
import { STUDY_LOCK_FILE } from "../../lib/standard/mod.ts";
import { validateRoot, validateStudy } from "../../lib/study/mod.ts";
import { makeSampleStudy } from "../../scripts/sample_data.ts";
import { CANNOT_SYMLINK } from "../_helpers/links.ts";
import { withTempDir } from "../_helpers/temp.ts";

const STUDY = "20250301_alice_lung_panel1";

Deno.test("validateStudy passes a generated study and reports its absolute path", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, STUDY, { experiments: ["", "B"], fpr: true });
    const report = await validateStudy(path);
    assert.deepEqual(report, {
      study: STUDY,
      path,
      ok: true,
      violations: [],
      unreadable: [],
      warnings: [],
    });
  });
});

Deno.test("validateStudy ignores the tool's own lock file", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, STUDY);
    await Deno.writeTextFile(join(path, STUDY_LOCK_FILE), "{}");
    assert.equal((await validateStudy(path)).ok, true);
  });
});

// Needs symbolic links: see CANNOT_SYMLINK for where they cannot be made.
Deno.test(
  "validateStudy reports links as R5 and never follows them",
  { ignore: CANNOT_SYMLINK },
  async () => {
    await withTempDir(async (dir) => {
      const path = await makeSampleStudy(join(dir, "root"), STUDY);
      const outside = join(dir, "outside");
      await Deno.mkdir(join(outside, "Scan9"), { recursive: true });
      await Deno.writeTextFile(join(outside, "Scan9", "secret.qptiff"), "x");
      await Deno.symlink(outside, join(path, STUDY, "linked"));
      await Deno.symlink(join(outside, "Scan9", "secret.qptiff"), join(path, "file-link.xpd"));
      const report = await validateStudy(path);
      assert.deepEqual(report.violations.map((v) => `${v.rule} ${v.path}`), [
        `R5 ${STUDY}/linked`,
        "R5 file-link.xpd",
      ]);
      assert.ok(!JSON.stringify(report).includes("secret"), "the link target was read");
    });
  },
);

Deno.test("validateStudy reports every violation of a broken study on disk", async () => {
  await withTempDir(async (dir) => {
    const study = "20230229_carol_liver_pilot";
    const path = await makeSampleStudy(dir, study);
    await Deno.writeTextFile(join(path, "notes.txt"), "x");
    await Deno.writeTextFile(join(path, `${study}_B.xpd`), "x");
    await Deno.remove(join(path, study, "Scan1", ".temp"), { recursive: true });
    const report = await validateStudy(path);
    assert.equal(report.ok, false);
    assert.deepEqual(report.violations.map((v) => `${v.rule} ${v.path}`), [
      "R1 .",
      "R5 notes.txt",
      `R6 ${study}_B.xpd`,
      `R8 ${study}`,
    ]);
  });
});

Deno.test("validateStudy refuses a missing path or a file with a usage error", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(validateStudy(join(dir, "nope")), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, /study folder not found: .*nope/);
      return true;
    });
    await Deno.writeTextFile(join(dir, "file"), "x");
    await assert.rejects(validateStudy(join(dir, "file")), /is not a directory/);
  });
});

Deno.test("validateRoot checks each subfolder, skipping dot folders and plain files", async () => {
  await withTempDir(async (dir) => {
    await makeSampleStudy(dir, STUDY);
    await makeSampleStudy(dir, "20250302_bob_tonsil_run2");
    await Deno.mkdir(join(dir, "not-a-study"));
    await Deno.mkdir(join(dir, ".recycle"));
    await Deno.writeTextFile(join(dir, "inventory.csv"), "x");
    const report = await validateRoot(dir);
    assert.equal(report.root, dir);
    assert.equal(report.ok, false);
    assert.deepEqual(report.studies.map((s) => [s.study, s.ok]), [
      [STUDY, true],
      ["20250302_bob_tonsil_run2", true],
      ["not-a-study", false],
    ]);
  });
});

// Needs symbolic links: see CANNOT_SYMLINK for where they cannot be made.
Deno.test("validateRoot reports a linked study folder instead of following it", {
  ignore: CANNOT_SYMLINK,
}, async () => {
  await withTempDir(async (dir) => {
    const real = await makeSampleStudy(join(dir, "elsewhere"), STUDY);
    await Deno.mkdir(join(dir, "root"));
    await Deno.symlink(real, join(dir, "root", STUDY));
    const report = await validateRoot(join(dir, "root"));
    assert.deepEqual(report.studies.map((s) => s.violations.map((v) => v.rule)), [["R5"]]);
  });
});

Deno.test("validateRoot of an empty folder passes with no studies", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await validateRoot(dir), { root: dir, ok: true, studies: [] });
  });
});
