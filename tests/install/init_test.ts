import assert from "node:assert/strict";
import { join } from "node:path";
import { CONFIG_SCHEMA, loadConfig } from "../../lib/config/mod.ts";
import { ExitCode, UsageError } from "../../lib/errors.ts";
import { renderConfigTemplate } from "../../lib/install/config_template.ts";
import { initConfigDir, SMTP_ENV_MODE } from "../../lib/install/init.ts";
import { recipientsFiles, SMTP_ENV_TEMPLATE } from "../../lib/install/templates.ts";
import { withTempDir } from "../_helpers/temp.ts";

const RECIPIENT_NAMES = recipientsFiles().map((file) => file.name);
const ON_WINDOWS = Deno.build.os === "windows"; // Windows has no POSIX mode bits.

async function modeOf(path: string): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & 0o777;
}

Deno.test("a fresh init writes every template and the config loads", async () => {
  await withTempDir(async (dir) => {
    const target = join(dir, "new", "fusion-toolkit");
    const result = await initConfigDir(target);
    assert.equal(result.dir, target);
    assert.deepEqual(result.files.map((file) => [file.path, file.action]), [
      [join(target, "config.toml"), "created"],
      [join(target, "smtp.env"), "created"],
      ...RECIPIENT_NAMES.map((name) => [join(target, "recipients", name), "created"]),
    ]);
    assert.equal(
      await Deno.readTextFile(result.configFile),
      renderConfigTemplate(CONFIG_SCHEMA),
    );
    assert.equal(await Deno.readTextFile(result.smtpEnvFile), SMTP_ENV_TEMPLATE);
    for (const { name, content } of recipientsFiles()) {
      assert.equal(await Deno.readTextFile(join(target, "recipients", name)), content);
    }
    const config = await loadConfig({
      path: result.configFile,
      env: new Map<string, string>(),
      hostname: () => "fusion-01",
    });
    assert.equal(config.file, result.configFile);
    assert.equal(config.notify.recipientsDir, result.recipientsDir);
  });
});

Deno.test({
  name: "smtp.env is created readable by its owner only (0600)",
  ignore: ON_WINDOWS,
}, async () => {
  await withTempDir(async (dir) => {
    const result = await initConfigDir(dir);
    assert.equal(await modeOf(result.smtpEnvFile), SMTP_ENV_MODE);
    assert.equal(SMTP_ENV_MODE, 0o600);
  });
});

Deno.test("without force an existing config.toml or smtp.env is refused and nothing is written", async () => {
  await withTempDir(async (dir) => {
    const config = join(dir, "config.toml");
    await Deno.writeTextFile(config, "# mine\n");
    const error = await initConfigDir(dir).catch((e) => e);
    assert.ok(error instanceof UsageError);
    assert.equal(error.exitCode, ExitCode.usage);
    assert.equal(
      error.message,
      `${config} already exists; pass --force to replace it (the old file is kept as .bak; ` +
        "recipients files are never replaced)",
    );
    assert.equal(await Deno.readTextFile(config), "# mine\n");
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["config.toml"]);

    const smtp = join(dir, "smtp.env");
    await Deno.writeTextFile(smtp, "FUSION_SMTP_USER=me\n");
    const both = await initConfigDir(dir).catch((e) => e);
    assert.ok(both instanceof UsageError);
    assert.match(both.message, /config\.toml and .*smtp\.env exist; pass --force to replace them/);
    assert.equal(await Deno.readTextFile(smtp), "FUSION_SMTP_USER=me\n");
  });
});

Deno.test("force replaces config.toml and smtp.env, keeps the old ones as .bak, keeps recipients", async () => {
  await withTempDir(async (dir) => {
    await initConfigDir(dir);
    const config = join(dir, "config.toml");
    const smtp = join(dir, "smtp.env");
    const edited = join(dir, "recipients", "fusion_error.txt");
    await Deno.writeTextFile(config, "# edited config\n");
    await Deno.writeTextFile(smtp, "FUSION_SMTP_APP_PASSWORD=secret\n");
    await Deno.writeTextFile(edited, "oncall@lab.example.org\n");
    await Deno.remove(join(dir, "recipients", "default.txt"));

    const result = await initConfigDir(dir, { force: true });
    const actions = Object.fromEntries(
      result.files.map((file) => [file.path.slice(dir.length + 1), file.action]),
    );
    assert.deepEqual(actions, {
      "config.toml": "replaced",
      "smtp.env": "replaced",
      [join("recipients", "backup_failure.txt")]: "kept",
      [join("recipients", "cleanup_failure.txt")]: "kept",
      [join("recipients", "fusion_error.txt")]: "kept",
      [join("recipients", "monitor_crash.txt")]: "kept",
      [join("recipients", "toolkit_error.txt")]: "kept",
      [join("recipients", "monthly_report.txt")]: "kept",
      [join("recipients", "default.txt")]: "created",
    });
    assert.equal(result.files[0]?.previous, `${config}.bak`);
    assert.equal(await Deno.readTextFile(config), renderConfigTemplate(CONFIG_SCHEMA));
    assert.equal(await Deno.readTextFile(`${config}.bak`), "# edited config\n");
    assert.equal(await Deno.readTextFile(smtp), SMTP_ENV_TEMPLATE);
    assert.equal(await Deno.readTextFile(`${smtp}.bak`), "FUSION_SMTP_APP_PASSWORD=secret\n");
    assert.equal(await Deno.readTextFile(edited), "oncall@lab.example.org\n");
  });
});

Deno.test({
  name: "force makes a world-readable smtp.env, and its .bak, owner-only",
  ignore: ON_WINDOWS,
}, async () => {
  await withTempDir(async (dir) => {
    const smtp = join(dir, "smtp.env");
    await Deno.writeTextFile(smtp, "FUSION_SMTP_APP_PASSWORD=secret\n", { mode: 0o644 });
    await Deno.chmod(smtp, 0o644);
    await initConfigDir(dir, { force: true });
    assert.equal(await modeOf(smtp), 0o600);
    assert.equal(await modeOf(`${smtp}.bak`), 0o600);
  });
});

Deno.test("a file where the folder or config.toml belongs is a usage error", async () => {
  await withTempDir(async (dir) => {
    const file = join(dir, "plain-file");
    await Deno.writeTextFile(file, "x");
    await assert.rejects(initConfigDir(file), (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.match(error.message, /plain-file exists and is not a folder/);
      return true;
    });
    await Deno.mkdir(join(dir, "cfg", "config.toml"), { recursive: true });
    await assert.rejects(initConfigDir(join(dir, "cfg"), { force: true }), /is not a file/);
  });
});
