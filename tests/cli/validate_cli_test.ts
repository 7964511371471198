/**
 * Black-box tests of the CLI's foundation and `validate`: spawn main.ts with
 * read permission only (all `validate` needs) and check stdout, stderr and
 * the exit code.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSampleRoot, makeSampleStudy, setTreeMtime } from "../../scripts/sample_data.ts";
import { runCli } from "../../lib/cli/mod.ts";
import { type CliResult, runMain } from "../_helpers/cli.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { CANNOT_UNREAD } from "../_helpers/unreadable.ts";
import denoJson from "../../deno.json" with { type: "json" };

// What validate keeps (lib/permissions/table.ts): it reads, and lists folders through the OS.
const VALIDATE_KEEPS = ["--allow-read", "--allow-ffi"];
const GOOD = "20250301_alice_lung_panel1";

Deno.test("--version prints the version of deno.json", async () => {
  const result = await runMain(["--version"], { permissions: [] });
  assert.deepEqual(result, { code: 0, stdout: `${denoJson.version}\n`, stderr: "" });
});

Deno.test("--help works on every level and lists the exit codes", async () => {
  const top = await runMain(["--help"], { permissions: [] });
  assert.equal(top.code, 0);
  // Usage lines name the program as it was started: main.ts from source here.
  assert.match(top.stdout, /^Usage: deno run -A main\.ts \[options\] \[command\]/);
  assert.match(top.stdout, /validate\s+check study folders/);
  assert.match(top.stdout, /2 {2}config or usage error/);
  const group = await runMain(["validate", "--help"], { permissions: [] });
  assert.equal(group.code, 0);
  assert.match(group.stdout, /study \[options\] <path>/);
  const leaf = await runMain(["validate", "root", "--help"], { permissions: [] });
  assert.equal(leaf.code, 0);
  assert.match(leaf.stdout, /-f, --format <format>/);
});

Deno.test("an unknown command or flag exits 2 with the usage", async () => {
  const command = await runMain(["frobnicate"], { permissions: [] });
  assert.equal(command.code, 2);
  assert.match(command.stderr, /^error: unknown command 'frobnicate'/);
  assert.match(command.stderr, /Usage: deno run -A main\.ts/);
  const flag = await runMain(["validate", "study", ".", "--colour"], {
    permissions: VALIDATE_KEEPS,
  });
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /^error: unknown option '--colour'/);
  assert.match(flag.stderr, /Usage: deno run -A main\.ts validate study/);
  const format = await runMain(["validate", "study", ".", "-f", "xml"], {
    permissions: VALIDATE_KEEPS,
  });
  assert.equal(format.code, 2);
  assert.match(format.stderr, /Allowed choices are text, json/);
  const missing = await runMain(["validate", "study"], { permissions: VALIDATE_KEEPS });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing required argument 'path'/);
  const bare = await runMain(["validate"], { permissions: [] });
  assert.equal(bare.code, 2);
  assert.match(
    bare.stderr,
    /^error: 'deno run -A main\.ts validate' needs a command: study, root\n/,
  );
  assert.match(bare.stderr, /Usage: deno run -A main\.ts validate/);
  assert.equal(bare.stdout, "");
});

/**
 * Runs the CLI in this process, as main.ts does, with captured streams, as
 * if started as `fusion-toolkit.exe`. Its narrowing revokes nothing: the
 * next tests in this file still need their permissions (tests/permissions
 * proves each command's narrowing).
 */
async function runInProcess(args: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    io: { out: (text) => stdout += text, err: (text) => stderr += text, stderrIsTerminal: false },
    env: new Map<string, string>(),
    narrow: () => {},
    command: "fusion-toolkit.exe",
  });
  return { code, stdout, stderr };
}

Deno.test("a group without its subcommand exits 2 with an error line, then the usage", async () => {
  const groups: [string[], string][] = [
    [
      [],
      "validate, manifest, backup, cleanup, monitor, notify, install, status, restore, audit, report",
    ],
    [["validate"], "study, root"],
    [["backup"], "run"],
    [["cleanup"], "run"],
    [["manifest"], "show"],
    [["notify"], "list-subscribers, test"],
    [["monitor"], "tail"],
    [["install"], "init, tasks"],
  ];
  for (const [args, commands] of groups) {
    const result = await runInProcess(args);
    const name = ["fusion-toolkit.exe", ...args].join(" ");
    assert.equal(result.code, 2, name);
    assert.equal(result.stdout, "", name);
    const [first, second, usage] = result.stderr.split("\n");
    assert.equal(first, `error: '${name}' needs a command: ${commands}`);
    assert.equal(second, "");
    assert.equal(usage, `Usage: ${name} [options] [command]`);
  }
  const unknownHelp = await runInProcess(["help", "bogus"]);
  assert.equal(unknownHelp.code, 2);
  assert.match(
    unknownHelp.stderr,
    /^error: unknown command 'bogus'\n\nUsage: fusion-toolkit\.exe /,
  );
  // `help` alone is a request, not an error.
  const help = await runInProcess(["help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: fusion-toolkit\.exe \[options\] \[command\]/);
});

Deno.test("validate study: a good study passes with exit 0", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, GOOD);
    const result = await runMain(["validate", "study", path], { permissions: VALIDATE_KEEPS });
    assert.deepEqual(result, { code: 0, stdout: `PASS ${path}\n`, stderr: "" });
  });
});

Deno.test("validate without ffi stops: the program lacks a permission, the study is not at fault", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, GOOD);
    const result = await runMain(["validate", "study", path], { permissions: ["--allow-read"] });
    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /Requires ffi access.*the program lacks a Deno permission/);
  });
});

Deno.test("validate study: violations print one line each and exit 1", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, GOOD);
    await Deno.writeTextFile(join(path, "notes.txt"), "x");
    await Deno.writeTextFile(join(path, `${GOOD}_B.xpd`), "x");
    const result = await runMain(["validate", "study", path], { permissions: VALIDATE_KEEPS });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "");
    assert.equal(
      result.stdout,
      `FAIL ${path} (2 violations)\n` +
        "  R5 notes.txt: unexpected file; only .xpd and .fpr files belong at study level\n" +
        `  R6 ${GOOD}_B.xpd: no sibling experiment directory named '${GOOD}_B'\n`,
    );
  });
});

Deno.test("validate study -f json prints the document docs/cli.md shows", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, GOOD);
    await Deno.writeTextFile(join(path, `${GOOD}_B.xpd`), "x");
    const result = await runMain(["validate", "study", path, "-f", "json"], {
      permissions: VALIDATE_KEEPS,
    });
    assert.equal(result.code, 1);
    assert.deepEqual(JSON.parse(result.stdout), {
      study: GOOD,
      path,
      ok: false,
      violations: [{
        rule: "R6",
        path: `${GOOD}_B.xpd`,
        message: `no sibling experiment directory named '${GOOD}_B'`,
      }],
      unreadable: [],
      warnings: [],
    });
  });
});

Deno.test("validate -q prints nothing; the exit code tells", async () => {
  await withTempDir(async (dir) => {
    await makeSampleRoot(dir);
    const failing = await runMain(["validate", "root", dir, "-q"], { permissions: VALIDATE_KEEPS });
    assert.deepEqual(failing, { code: 1, stdout: "", stderr: "" });
    const passing = await runMain(["validate", "study", join(dir, GOOD), "--quiet"], {
      permissions: VALIDATE_KEEPS,
    });
    assert.deepEqual(passing, { code: 0, stdout: "", stderr: "" });
  });
});

Deno.test("validate prints the health check's mtime_gap as a WARN line; the exit code stays", async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, GOOD);
    const now = Date.now();
    await setTreeMtime(path, new Date(now));
    const old = new Date(now - 20 * 86_400_000);
    await Deno.utime(join(path, GOOD, "Scan1", ".temp", "tile_00000.bin"), old, old);
    const message = "its files' modification times span 20.0 days (more than 14): " +
      "the study may still be being edited";
    const study = await runMain(["validate", "study", path], { permissions: VALIDATE_KEEPS });
    assert.deepEqual(study, {
      code: 0,
      stdout: `PASS ${path}\n  WARN mtime_gap: ${message}\n`,
      stderr: "",
    });
    const json = await runMain(["validate", "study", path, "-f", "json"], {
      permissions: VALIDATE_KEEPS,
    });
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.stdout).warnings, [{ code: "mtime_gap", message }]);
    const quiet = await runMain(["validate", "study", path, "-q"], { permissions: VALIDATE_KEEPS });
    assert.deepEqual(quiet, { code: 0, stdout: "", stderr: "" });
    // A failing study's warnings follow its violations; the failure alone sets the exit code.
    await Deno.writeTextFile(join(path, "notes.txt"), "x");
    await Deno.utime(join(path, "notes.txt"), new Date(now), new Date(now));
    const root = await runMain(["validate", "root", dir], { permissions: VALIDATE_KEEPS });
    assert.equal(root.code, 1);
    assert.equal(
      root.stdout,
      `FAIL ${path} (1 violation)\n` +
        "  R5 notes.txt: unexpected file; only .xpd and .fpr files belong at study level\n" +
        `  WARN mtime_gap: ${message}\n` +
        `1 study checked in ${dir}: 0 passed, 1 failed\n`,
    );
  });
});

Deno.test("validate root reports every study and a count line", async () => {
  await withTempDir(async (dir) => {
    await makeSampleRoot(dir);
    const result = await runMain(["validate", "root", dir], { permissions: VALIDATE_KEEPS });
    assert.equal(result.code, 1);
    // A line compared as text: a Windows path's `\` would be read as a regex escape.
    assert.ok(result.stdout.split("\n").includes(`PASS ${join(dir, GOOD)}`), result.stdout);
    assert.match(result.stdout, /^FAIL .*20230229_carol_liver_pilot \(2 violations\)$/m);
    assert.match(result.stdout, /^ {2}R1 \.: study name: 20230229 is not a real calendar date$/m);
    assert.match(result.stdout, /5 studies checked in .*: 2 passed, 3 failed\n$/);
  });
});

Deno.test("validate root -f json prints the root document", async () => {
  await withTempDir(async (dir) => {
    await makeSampleRoot(dir);
    const result = await runMain(["validate", "root", dir, "-f", "json"], {
      permissions: VALIDATE_KEEPS,
    });
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout);
    assert.equal(report.root, dir);
    assert.equal(report.ok, false);
    assert.equal(report.studies.length, 5);
    assert.deepEqual(
      report.studies.map((s: { study: string; ok: boolean }) => [s.study, s.ok]),
      [
        ["20230229_carol_liver_pilot", false],
        [GOOD, true],
        ["20250302_bob_tonsil_run2", true],
        ["20250310_dave_colon_trial", false],
        ["20250311_erin_skin_set1", false],
      ],
    );
  });
});

Deno.test("a path that does not exist exits 2 with one stderr line", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "nope");
    for (const kind of ["study", "root"]) {
      const result = await runMain(["validate", kind, missing], { permissions: VALIDATE_KEEPS });
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      assert.match(
        result.stderr,
        /^error: (study|root) folder not found: .*nope; check the path\n$/,
      );
    }
  });
});

Deno.test("-v adds the stack to an error; without it there is none", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "nope");
    const plain = await runMain(["validate", "study", missing], { permissions: VALIDATE_KEEPS });
    assert.doesNotMatch(plain.stderr, /\n\s+at /);
    const verbose = await runMain(["-v", "validate", "study", missing], {
      permissions: VALIDATE_KEEPS,
    });
    assert.equal(verbose.code, 2);
    assert.match(verbose.stderr, /^error: study folder not found/);
    assert.match(verbose.stderr, /\n\s+at /);
  });
});

// A process the permission bits apply to must meet the folder: see _helpers/unreadable.ts.
Deno.test({
  name: "an unreadable folder fails its study, named with the path; the other studies are checked",
  ignore: CANNOT_UNREAD,
}, async () => {
  await withTempDir(async (dir) => {
    const path = await makeSampleStudy(dir, GOOD);
    await makeSampleStudy(dir, "20250302_bob_tonsil_run2");
    await Deno.chmod(join(path, GOOD), 0o000);
    try {
      const study = await runMain(["validate", "study", path], {
        permissions: VALIDATE_KEEPS,
        respectPermissions: true,
      });
      assert.equal(study.code, 1, study.stderr);
      assert.match(
        study.stdout,
        new RegExp(`^FAIL .*${GOOD} \\(\\d violations?, 1 unreadable\\)$`, "m"),
      );
      assert.match(
        study.stdout,
        new RegExp(`^ {2}cannot read ${GOOD}: .*[Pp]ermission denied`, "m"),
      );
      const root = await runMain(["validate", "root", dir], {
        permissions: VALIDATE_KEEPS,
        respectPermissions: true,
      });
      assert.equal(root.code, 1, root.stderr);
      assert.match(root.stdout, /^PASS .*20250302_bob_tonsil_run2$/m);
      assert.match(root.stdout, /^2 studies checked in .*: 1 passed, 1 failed$/m);
    } finally {
      await Deno.chmod(join(path, GOOD), 0o755);
    }
  });
});
