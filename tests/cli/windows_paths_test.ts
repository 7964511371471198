/**
 * The CLI given paths the way Windows users type them: drive letters with `\`
 * or `/`, trailing separators, `..\` relative to the working folder, and UNC
 * shares. Black box, like validate_cli_test.ts. These run on Windows only (in
 * CI: the Windows lane, deno.exe under Wine); how such strings are parsed is
 * tested on every OS in tests/config/paths_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSampleRoot, makeSampleStudy } from "../../scripts/sample_data.ts";
import { PRODUCT_FLAGS, runMain } from "../_helpers/cli.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { UNC_UNAVAILABLE, withUncShare } from "../_helpers/unc.ts";

// What validate keeps (lib/permissions/table.ts): it reads, and lists folders through the OS.
const VALIDATE_KEEPS = ["--allow-read", "--allow-ffi"];
const GOOD = "20250301_alice_lung_panel1";
// Drive letters and `\` are path syntax only on Windows.
const NOT_WINDOWS = Deno.build.os !== "windows";

Deno.test("validate study takes C:\\ and C:/ spellings and prints the Windows path", {
  ignore: NOT_WINDOWS,
}, async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, GOOD);
    assert.match(path, /^[A-Za-z]:\\/);
    const spellings = [
      path,
      path.replaceAll("\\", "/"),
      `${path}\\`,
      `${dir.replaceAll("\\", "/")}/./${GOOD}/`,
      `${dir}\\other\\..\\${GOOD}`,
    ];
    for (const spelling of spellings) {
      const result = await runMain(["validate", "study", spelling], {
        permissions: VALIDATE_KEEPS,
      });
      assert.deepEqual(result, { code: 0, stdout: `PASS ${path}\n`, stderr: "" }, spelling);
    }
  });
});

Deno.test("validate study resolves ..\\ against the working folder", {
  ignore: NOT_WINDOWS,
}, async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, GOOD);
    await Deno.mkdir(join(dir, "work"));
    const result = await runMain(["validate", "study", `..\\${GOOD}`, "-f", "json"], {
      permissions: VALIDATE_KEEPS,
      cwd: join(dir, "work"),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      study: GOOD,
      path,
      ok: true,
      violations: [],
      unreadable: [],
      warnings: [],
    });
  });
});

Deno.test("a missing C:/ path is a usage error naming it in Windows form", {
  ignore: NOT_WINDOWS,
}, async () => {
  await withTempDir(async (dir) => {
    const result = await runMain(["validate", "root", `${dir.replaceAll("\\", "/")}/nope`], {
      permissions: VALIDATE_KEEPS,
    });
    assert.deepEqual(result, {
      code: 2,
      stdout: "",
      stderr: `error: root folder not found: ${dir}\\nope; check the path\n`,
    });
  });
});

// Needs a UNC share: see UNC_UNAVAILABLE for where none can be made.
Deno.test("validate root reads studies on a UNC share, \\\\host\\share and //host/share", {
  ignore: UNC_UNAVAILABLE !== false,
}, async () => {
  await withUncShare(async ({ unc, local }) => {
    await makeSampleRoot(join(local, "FusionData"));
    const root = `${unc}\\FusionData`;
    for (const spelling of [root, root.replaceAll("\\", "/")]) {
      // Exactly the exe's permissions: the share is where backups go.
      const result = await runMain(["validate", "root", spelling, "-f", "json"], {
        permissions: PRODUCT_FLAGS,
      });
      assert.equal(result.code, 1, result.stderr);
      const report = JSON.parse(result.stdout);
      assert.equal(report.root, root);
      assert.equal(report.studies.length, 5);
      const good = report.studies.find((study: { study: string }) => study.study === GOOD);
      assert.deepEqual(good, {
        study: GOOD,
        path: `${root}\\${GOOD}`,
        ok: true,
        violations: [],
        unreadable: [],
        warnings: [],
      });
    }
  });
});

// Deno 2.9 on Windows refuses UNC paths without --allow-all (denoland/deno#26045), which is why
// the exe is built with it (lib/install/permissions.ts). This fails when Deno changes that.
Deno.test("a UNC path with --allow-read alone fails with exit 3 naming the missing permission", {
  ignore: UNC_UNAVAILABLE !== false,
}, async () => {
  await withUncShare(async ({ unc, local }) => {
    await makeSampleStudy(local, GOOD);
    const result = await runMain(["validate", "study", `${unc}\\${GOOD}`], {
      permissions: VALIDATE_KEEPS,
    });
    assert.equal(result.code, 3);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^error: Requires all access to .*--allow-all.*a build problem/);
  });
});
