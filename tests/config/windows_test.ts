/**
 * config.toml as it is written and read on the Fusion PC: saved by Notepad
 * (CRLF line ends, maybe a byte-order mark), with drive-letter, `~` and UNC
 * paths. The path tests run on Windows only (in CI: the Windows lane, deno.exe
 * under Wine); the same strings are parsed on every OS in config_test.ts and
 * paths_test.ts, and tests/cli/windows_paths_test.ts reads a real UNC share.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../lib/config/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

// Drive letters, `\` and USERPROFILE are path syntax only on Windows.
const NOT_WINDOWS = Deno.build.os !== "windows";

/** The text Notepad saves: CRLF line ends and, from older versions, a UTF-8 byte-order mark. */
function asNotepadSaves(lines: readonly string[]): string {
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

async function isFolder(path: string): Promise<boolean> {
  return (await Deno.stat(path)).isDirectory;
}

Deno.test("a config saved by Notepad (CRLF, BOM) loads, and errors name the right line", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "config.toml");
    const lines = ["[backup]", 'source_root = "x"', "", "[truenas]", 'root = "y"', "[s3]"];
    await Deno.writeTextFile(file, asNotepadSaves([...lines, 'bucket = "lab-fusion-archive"']));
    const config = await loadConfig({ path: file, hostname: () => "fusion-01" });
    assert.equal(config.s3.bucket, "lab-fusion-archive");
    await Deno.writeTextFile(file, asNotepadSaves([...lines, "bucket = 1"]));
    await assert.rejects(
      loadConfig({ path: file, hostname: () => "fusion-01" }),
      /config\.toml:7: \[s3\] bucket must be a string/,
    );
  });
});

Deno.test("loadConfig resolves C:\\, C:/, ..\\ and ~ paths to the real folders", {
  ignore: NOT_WINDOWS,
}, async () => {
  await withTempDir(async (dir) => {
    assert.match(dir, /^[A-Za-z]:\\/);
    const slashed = dir.replaceAll("\\", "/");
    for (const folder of ["etc", "FusionData", "truenas", "recipients", "home"]) {
      await Deno.mkdir(join(dir, folder));
    }
    await Deno.writeTextFile(
      join(dir, "etc", "config.toml"),
      asNotepadSaves([
        "[backup]",
        `source_root = '${dir}\\FusionData'`,
        "[truenas]",
        `root = "${slashed}/truenas/"`,
        "[s3]",
        'bucket = "lab-fusion-archive"',
        "[monitor]",
        "log_path = '~\\Fusion.log'",
        "[notify]",
        "recipients_dir = '..\\recipients'",
      ]),
    );
    const config = await loadConfig({
      path: `${slashed}/etc/config.toml`,
      env: new Map([["USERPROFILE", `${slashed}/home/`]]),
      hostname: () => "FUSION-PC",
    });
    assert.equal(config.file, `${dir}\\etc\\config.toml`);
    assert.equal(config.dir, `${dir}\\etc`);
    assert.equal(config.backup.sourceRoot, `${dir}\\FusionData`);
    assert.equal(config.truenas.root, `${dir}\\truenas`);
    assert.equal(config.truenas.manifestRoot, `${dir}\\truenas\\_manifest`);
    assert.equal(config.monitor.logPath, `${dir}\\home\\Fusion.log`);
    assert.equal(config.notify.recipientsDir, `${dir}\\recipients`);
    for (
      const folder of [config.backup.sourceRoot, config.truenas.root, config.notify.recipientsDir]
    ) {
      assert.ok(await isFolder(folder), folder);
    }
  });
});

Deno.test("loadConfig from the default place under USERPROFILE, with UNC TrueNAS paths", {
  ignore: NOT_WINDOWS,
}, async () => {
  await withTempDir(async (profile) => {
    const configDir = join(profile, ".config", "fusion-toolkit");
    await Deno.mkdir(configDir, { recursive: true });
    await Deno.writeTextFile(
      join(configDir, "config.toml"),
      asNotepadSaves([
        "[backup]",
        "source_root = 'D:\\FusionData'",
        "[truenas]",
        "root = '\\\\truenas\\fusion-backup'",
        'manifest_root = "//truenas/fusion-backup/ledger/"',
        "[s3]",
        'bucket = "lab-fusion-archive"',
      ]),
    );
    const config = await loadConfig({
      env: new Map([["USERPROFILE", profile]]),
      hostname: () => "FUSION-PC",
    });
    assert.equal(config.file, join(configDir, "config.toml"));
    assert.equal(config.backup.sourceRoot, "D:\\FusionData");
    assert.equal(config.truenas.root, "\\\\truenas\\fusion-backup\\");
    assert.equal(config.truenas.manifestRoot, "\\\\truenas\\fusion-backup\\ledger");
    assert.equal(config.notify.recipientsDir, join(configDir, "recipients"));
  });
});
