/**
 * The program run end to end through main.ts exactly as the exe runs: with
 * `--allow-all` (PRODUCT_FLAGS), narrowed inside by each command's row of
 * the permission table. A command that needs a kind its row does not keep
 * fails here (NotCapable, exit 3), not on the Fusion PC.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeSampleRoot } from "../../scripts/sample_data.ts";
import { PRODUCT_FLAGS, runMain } from "../_helpers/cli.ts";
import { withTempDir } from "../_helpers/temp.ts";
import denoJson from "../../deno.json" with { type: "json" };

const run = (args: string[], env: Record<string, string> = {}) =>
  runMain(args, { permissions: PRODUCT_FLAGS, env });

// Deno on Windows reaches UNC shares only with --allow-all: see lib/install/permissions.ts.
Deno.test("the exe gets --allow-all, which the CLI narrows per command, and V8's heap settings", () => {
  assert.deepEqual(PRODUCT_FLAGS, [
    "--allow-all",
    "--v8-flags=--heap-growing-percent=20,--max-semi-space-size=4,--no-concurrent-recompilation",
  ]);
});

Deno.test("exe permissions: --version", async () => {
  assert.deepEqual(await run(["--version"]), {
    code: 0,
    stdout: `${denoJson.version}\n`,
    stderr: "",
  });
});

Deno.test("exe permissions: validate root on sample data", async () => {
  await withTempDir(async (dir) => {
    await makeSampleRoot(dir);
    const result = await run(["validate", "root", dir, "-f", "json"]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(JSON.parse(result.stdout).studies.length, 5);
  });
});

Deno.test("exe permissions: install init, then the tasks' dry run loads the written config", async () => {
  await withTempDir(async (home) => {
    const env = { HOME: home, USERPROFILE: home };
    const init = await run(["install", "init"], env);
    assert.equal(init.code, 0, init.stderr);
    // Without --config: the default path, and the host name as default instrument (sys).
    const dryRun = await run(["install", "tasks", "--dry-run", "--user", "LAB\\x"], env);
    assert.equal(dryRun.code, 0, dryRun.stderr);
    const config = join(home, ".config", "fusion-toolkit", "config.toml");
    assert.match(dryRun.stdout, new RegExp(`backup run --config ${RegExp.escape(config)}$`, "m"));
  });
});
