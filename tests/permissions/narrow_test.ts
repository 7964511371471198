/**
 * Every row of the permission table, proven in a child process started with
 * `--allow-all`, as the exe is: the child runs the command line through the
 * real CLI, whose default narrowing is the one main.ts gets, then tries every
 * kind of permission (read a file, write one, open a socket, read an env
 * variable, ask the host name, spawn a process, load native code, import a
 * module from the network). What the row keeps must still work; everything
 * else must be refused with NotCapable.
 *
 * The command lines are chosen to reach their narrowing and do nothing
 * harmful after it: the S3 endpoint is a closed port, notify is off,
 * and `install tasks` (with `--uninstall` too) finds no
 * schtasks.exe (the child points SystemRoot into its temp folder).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sampleConfigToml } from "../../scripts/sample_data.ts";
import {
  COMMAND_PERMISSIONS,
  keptKinds,
  PERMISSION_KINDS,
  type PermissionKind,
  type PermissionRow,
  PRINT_ONLY,
} from "../../lib/permissions/mod.ts";
import { PRODUCT_FLAGS, runScript } from "../_helpers/cli.ts";
import { withTempDir } from "../_helpers/temp.ts";
import type { ProbeReport } from "./_probe_child.ts";

const CHILD = fileURLToPath(new URL("./_probe_child.ts", import.meta.url));

/** The files one case's command works on. */
interface World {
  readonly dir: string;
  /** A config without hooks. */
  readonly config: string;
  /** The same config with a harmless `[hooks]` command for backup and cleanup. */
  readonly hookConfig: string;
  /** A config in a folder whose `state` is a file: `monitor tail` stops at its first save. */
  readonly monitorConfig: string;
}

/** One command line, the row it must run under, and whether the config sets its hook. */
interface Case {
  readonly args: (world: World) => string[];
  readonly hookSet?: boolean;
  /** Why it cannot run here, or false. */
  readonly ignore?: string | false;
}

const dryRun =
  (command: string[]) => (world: World) => [...command, "--dry-run", "--config", world.config];

/** Every row's command lines; a row without one fails the coverage test below. */
const CASES: Readonly<Record<string, readonly Case[]>> = {
  [PRINT_ONLY.command]: [{ args: () => ["--version"] }, { args: () => ["--help"] }],
  "validate study": [{ args: (world) => ["validate", "study", world.dir] }],
  "validate root": [{ args: (world) => ["validate", "root", world.dir] }],
  "manifest show": [{ args: (world) => ["manifest", "show", world.dir] }],
  "backup run": [
    { args: (world) => ["backup", "run", "--config", world.config], hookSet: false },
    { args: (world) => ["backup", "run", "--config", world.hookConfig], hookSet: true },
  ],
  "backup run --dry-run": [{ args: dryRun(["backup", "run"]) }],
  "cleanup run": [
    { args: (world) => ["cleanup", "run", "--config", world.config], hookSet: false },
    { args: (world) => ["cleanup", "run", "--config", world.hookConfig], hookSet: true },
  ],
  "cleanup run --dry-run": [{ args: dryRun(["cleanup", "run"]) }],
  "status": [{ args: (world) => ["status", "--config", world.config] }],
  "restore": [{
    args: (world) => ["restore", "fusion-01/nothing", "--to", world.dir, "--config", world.config],
  }],
  "audit": [{ args: (world) => ["audit", "--config", world.config] }],
  "notify list-subscribers": [{
    args: (world) => ["notify", "list-subscribers", "--config", world.config],
  }],
  "notify test": [{
    args: (world) => ["notify", "test", "--event", "toolkit_error", "--config", world.config],
  }],
  "notify test --dry-run": [{ args: dryRun(["notify", "test", "--event", "toolkit_error"]) }],
  // Its first save of the state fails, which ends it (exit 1) instead of running until stopped.
  "monitor tail": [{ args: (world) => ["monitor", "tail", "--config", world.monitorConfig] }],
  "report": [{ args: (world) => ["report", "--config", world.config] }],
  "install init": [{
    args: (world) => ["install", "init", "--config-dir", join(world.dir, "init")],
  }],
  // It registers through a schtasks.exe the child cannot find (SystemRoot is its temp folder).
  "install tasks": [{
    args: (world) => [
      "install",
      "tasks",
      "--config",
      world.config,
      "--user",
      "LAB\\probe",
      "--password",
      "unused",
    ],
    ignore: Deno.build.os !== "windows" &&
      "it stops before loading its config off Windows, where it has no tasks to register",
  }],
  "install tasks --dry-run": [{
    args: (
      world,
    ) => ["install", "tasks", "--dry-run", "--user", "LAB\\x", "--config", world.config],
  }],
  "install tasks --uninstall": [{ args: () => ["install", "tasks", "--uninstall"] }],
  "install tasks --uninstall --dry-run": [{
    args: () => ["install", "tasks", "--uninstall", "--dry-run"],
  }],
};

async function makeWorld(dir: string): Promise<World> {
  const source = join(dir, "FusionData");
  const share = join(dir, "truenas");
  await Deno.mkdir(source);
  await Deno.mkdir(share);
  await Deno.writeTextFile(join(dir, "probe.txt"), "probe\n");
  const fusionLog = join(dir, "Fusion.log");
  await Deno.writeTextFile(fusionLog, "2025-03-01 10:00:00,000 [1] INFO  Akoya.Fusion.App - up\n");
  const toml = (extra = "") =>
    sampleConfigToml({
      source,
      share,
      bucket: "probe",
      endpoint: "http://127.0.0.1:9",
      extra: `\n[monitor]\nlog_path = ${JSON.stringify(fusionLog)}\n${extra}`,
    });
  const hook = JSON.stringify([Deno.execPath(), "--version"]);
  const config = join(dir, "config.toml");
  const hookConfig = join(dir, "hooks.toml");
  const monitorConfig = join(dir, "monitor", "config.toml");
  await Deno.writeTextFile(config, toml());
  await Deno.writeTextFile(hookConfig, toml(`\n[hooks]\nbackup = ${hook}\ncleanup = ${hook}\n`));
  await Deno.mkdir(join(dir, "monitor"));
  await Deno.writeTextFile(monitorConfig, toml());
  await Deno.writeTextFile(join(dir, "monitor", "state"), "a file where the state folder goes\n");
  return { dir, config, hookConfig, monitorConfig };
}

/** What the probes must find: on Windows, a row that says why keeps everything. */
function expected(
  row: PermissionRow,
  hookSet: boolean | undefined,
): Record<PermissionKind, string> {
  const hooks = hookSet === undefined ? undefined : {
    backup: hookSet ? ["hook"] : [],
    cleanup: hookSet ? ["hook"] : [],
  };
  const kept: Set<PermissionKind> = Deno.build.os === "windows" && row.windows !== undefined
    ? new Set(PERMISSION_KINDS)
    : keptKinds(row, hooks);
  return Object.fromEntries(
    PERMISSION_KINDS.map((kind) => [kind, kept.has(kind) ? "kept" : "revoked"]),
  ) as Record<PermissionKind, string>;
}

async function probe(world: World, args: string[]): Promise<ProbeReport> {
  const result = await runScript(CHILD, [world.dir, ...args], {
    permissions: PRODUCT_FLAGS,
    env: { HOME: world.dir, USERPROFILE: world.dir },
  });
  assert.equal(result.code, 0, `the probe child itself failed:\n${result.stderr}`);
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as ProbeReport;
}

Deno.test("every row of the permission table has a command line proving it here", () => {
  const rows = [...COMMAND_PERMISSIONS, PRINT_ONLY].map((row) => row.command).sort();
  assert.deepEqual(Object.keys(CASES).sort(), rows);
});

for (const row of [PRINT_ONLY, ...COMMAND_PERMISSIONS]) {
  for (const testCase of CASES[row.command] ?? []) {
    const hookNote = testCase.hookSet === undefined
      ? ""
      : testCase.hookSet
      ? " (its hook set)"
      : " (no hook)";
    Deno.test({
      name: `\`${row.command}\`${hookNote} keeps only its row under --allow-all`,
      ignore: typeof testCase.ignore === "string",
    }, async () => {
      await withTempDir(async (dir) => {
        const world = await makeWorld(dir);
        const args = testCase.args(world);
        const report = await probe(world, args);
        assert.deepEqual(
          report.probes,
          expected(row, testCase.hookSet),
          `fusion-toolkit ${args.join(" ")} exited ${report.code}:\n${report.stderr}`,
        );
      });
    });
  }
}
