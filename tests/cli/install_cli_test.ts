/**
 * Black-box tests of `install init` and `install tasks`: main.ts runs in a
 * child process with exactly the compiled exe's permissions. Registering
 * tasks needs Windows; off Windows the refusal and `--dry-run` are tested.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { windowsCommandLine } from "../../lib/install/cmdline.ts";
import { PRODUCT_FLAGS, REPO_ROOT, runMain } from "../_helpers/cli.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { UNDER_WINE } from "../_helpers/wine.ts";

const NOT_WINDOWS = Deno.build.os !== "windows";
const RECIPIENTS = [
  "backup_failure.txt",
  "cleanup_failure.txt",
  "fusion_error.txt",
  "monitor_crash.txt",
  "toolkit_error.txt",
  "monthly_report.txt",
  "default.txt",
];

function init(args: string[], env: Record<string, string> = {}) {
  return runMain(["install", "init", ...args], { permissions: PRODUCT_FLAGS, env });
}

function tasks(args: string[], env: Record<string, string> = {}) {
  return runMain(["install", "tasks", ...args], { permissions: PRODUCT_FLAGS, env });
}

Deno.test("install init writes the templates, reports each file and the next steps", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "cfg");
    const result = await init(["--config-dir", target]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const lines = result.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 9), [
      `created  ${join(target, "config.toml")}`,
      Deno.build.os === "windows"
        ? lines[1]
        : `created  ${join(target, "smtp.env")} (readable by its owner only: mode 0600)`,
      ...RECIPIENTS.map((name) => `created  ${join(target, "recipients", name)}`),
    ]);
    assert.match(result.stdout, /Next steps:\n {2}1\. Edit .*config\.toml:/);
    assert.match(
      result.stdout,
      new RegExp(
        `deno run -A main\\.ts install tasks --config ${
          RegExp.escape(join(target, "config.toml"))
        }\\n$`,
      ),
    );
    for (const name of RECIPIENTS) await Deno.stat(join(target, "recipients", name));
  });
});

Deno.test("install init refuses to replace config.toml without --force (exit 2, one line)", async () => {
  await withTempDir(async (dir) => {
    assert.equal((await init(["--config-dir", dir])).code, 0);
    const again = await init(["--config-dir", dir]);
    assert.equal(again.code, 2);
    assert.equal(again.stdout, "");
    assert.equal(
      again.stderr,
      `error: ${join(dir, "config.toml")} and ${join(dir, "smtp.env")} exist; pass --force to ` +
        "replace them (the old files are kept as .bak; recipients files are never replaced)\n",
    );
  });
});

Deno.test("install init --force replaces config.toml and smtp.env but never a recipients file", async () => {
  await withTempDir(async (dir) => {
    assert.equal((await init(["--config-dir", dir])).code, 0);
    const list = join(dir, "recipients", "backup_failure.txt");
    await Deno.writeTextFile(list, "ops@lab.example.org\n");
    await Deno.writeTextFile(join(dir, "config.toml"), "# my settings\n");
    const forced = await init(["--config-dir", dir, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(
      forced.stdout,
      new RegExp(
        `^replaced ${
          RegExp.escape(join(dir, "config.toml"))
        }; the previous one is .*config\\.toml\\.bak$`,
        "m",
      ),
    );
    assert.match(forced.stdout, /^replaced .*smtp\.env .*; the previous one is .*smtp\.env\.bak$/m);
    assert.match(
      forced.stdout,
      /^kept {5}.*backup_failure\.txt \(recipients files are never replaced\)$/m,
    );
    assert.equal(await Deno.readTextFile(list), "ops@lab.example.org\n");
    assert.equal(await Deno.readTextFile(join(dir, "config.toml.bak")), "# my settings\n");
  });
});

Deno.test("install init without --config-dir writes to ~/.config/fusion-toolkit", async () => {
  await withTempDir(async (home) => {
    const result = await init([], { HOME: home, USERPROFILE: home });
    assert.equal(result.code, 0, result.stderr);
    const dir = join(home, ".config", "fusion-toolkit");
    assert.match(
      result.stdout,
      new RegExp(`^created  ${RegExp.escape(join(dir, "config.toml"))}$`, "m"),
    );
    // The default folder needs no --config in the next step.
    assert.match(result.stdout, / {7}deno run -A main\.ts install tasks\n$/);
    await Deno.stat(join(dir, "recipients", "default.txt"));
  });
});

Deno.test({
  name: "install tasks off Windows explains it only runs on Windows (exit 2)",
  ignore: !NOT_WINDOWS,
}, async () => {
  for (const args of [[], ["--uninstall"], ["--user", "LAB\\x", "--password", "pw"]]) {
    const result = await tasks(args);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^error: install tasks registers Windows Scheduled Tasks and only runs on Windows \(this is \w+\); add --dry-run to see the schtasks commands it would run\n$/,
    );
  }
});

Deno.test("install tasks --dry-run prints the exact schtasks lines, password masked, writing nothing", async () => {
  await withTempDir(async (dir) => {
    assert.equal((await init(["--config-dir", dir])).code, 0);
    const config = join(dir, "config.toml");
    const result = await tasks([
      "--dry-run",
      "--config",
      config,
      "--user",
      "LAB\\fusion",
      "--password",
      "hunter2",
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stdout.includes("hunter2") && !result.stderr.includes("hunter2"));
    const schtasks = [...result.stdout.matchAll(/^ {2}schtasks: (.*)$/gm)].map((m) => m[1]);
    // The child inherits SystemRoot (C:\WINDOWS on many Windows hosts); off Windows there is none.
    const systemRoot = Deno.env.get("SystemRoot") ?? String.raw`C:\Windows`;
    assert.deepEqual(
      schtasks,
      ["FusionToolkitBackup", "FusionToolkitCleanup", "FusionToolkitMonitor", "FusionToolkitReport"]
        .map((name) =>
          String.raw`${systemRoot}\System32\schtasks.exe /Create /TN ${name} /XML ` +
          String.raw`${join(dir, "tasks", `${name}.xml`)} /RU LAB\fusion /RP ******** /F`
        ),
    );
    assert.match(result.stdout, /^FusionToolkitBackup: monthly, day 1, at 02:00$/m);
    assert.match(result.stdout, /^FusionToolkitCleanup: monthly, day 20, at 02:00$/m);
    assert.match(result.stdout, /^FusionToolkitMonitor: at system start, after 1 min$/m);
    assert.match(result.stdout, /^FusionToolkitReport: monthly, day 2, at 08:00$/m);
    // Run from source (as here), the task runs this deno on main.ts with the product's runtime flags.
    const runs = windowsCommandLine([
      Deno.execPath(),
      "run",
      ...PRODUCT_FLAGS,
      "--config",
      join(REPO_ROOT, "deno.json"),
      join(REPO_ROOT, "main.ts"),
      "backup",
      "run",
      "--config",
      config,
    ]);
    assert.ok(result.stdout.includes(`\n  runs:     ${runs}\n`), runs);
    assert.match(result.stdout, /<ExecutionTimeLimit>PT0S<\/ExecutionTimeLimit>/);
    // ...and says that the tasks then depend on this checkout.
    assert.match(result.stderr, /^warning: running from source: the tasks will start /);
    await assert.rejects(Deno.stat(join(dir, "tasks")), Deno.errors.NotFound);
  });
});

Deno.test("install tasks --dry-run checks the config first: a missing one is exit 2", async () => {
  await withTempDir(async (dir) => {
    const result = await tasks(["--dry-run", "--config", join(dir, "none.toml")]);
    assert.equal(result.code, 2);
    // Run from source (as here), the hint is the command that was run: deno on main.ts.
    assert.equal(
      result.stderr,
      `error: the config file given with --config does not exist: ${join(dir, "none.toml")}; ` +
        "check the path, or create a config.toml in that folder with `deno run -A main.ts " +
        `install init --config-dir ${dir}\` and pass --config ${join(dir, "config.toml")}\n`,
    );
  });
});

// Wine gives every child process its own SystemRoot, whatever the parent passes.
Deno.test("install tasks --uninstall --dry-run prints the delete lines", {
  ignore: UNDER_WINE,
}, async () => {
  const result = await tasks(["--uninstall", "--dry-run"], { SystemRoot: "D:\\Win" });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(
    result.stdout,
    "dry run: nothing is removed. install tasks --uninstall would delete each of these tasks " +
      "that is registered:\n" +
      String.raw`  D:\Win\System32\schtasks.exe /Delete /TN FusionToolkitBackup /F` + "\n" +
      String.raw`  D:\Win\System32\schtasks.exe /Delete /TN FusionToolkitCleanup /F` + "\n" +
      String.raw`  D:\Win\System32\schtasks.exe /Delete /TN FusionToolkitMonitor /F` + "\n" +
      String.raw`  D:\Win\System32\schtasks.exe /Delete /TN FusionToolkitReport /F` + "\n",
  );
});
