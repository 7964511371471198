/**
 * The permission table against the command tree the CLI registers: every
 * command has its rows, every row is a command, and a command without a row
 * fails before its action runs. In-process; nothing here narrows this process
 * (the narrowing handed to the CLI only records).
 */
import assert from "node:assert/strict";
import type { Command } from "commander";
import { CliPermissions } from "../../lib/cli/_permissions.ts";
import { buildProgram } from "../../lib/cli/mod.ts";
import { StatusLine } from "../../lib/cli/_progress.ts";
import type { CliContext } from "../../lib/cli/context.ts";
import { readShareSpace } from "../../lib/cleanup/mod.ts";
import { Logger } from "../../lib/log/mod.ts";
import {
  COMMAND_PERMISSIONS,
  commandPath,
  isUncSpelling,
  type KeptKind,
  keptKinds,
  rowFlags,
  rowFor,
  selectingFlags,
} from "../../lib/permissions/mod.ts";

/** A context whose narrowing records what it would keep instead of revoking. */
function recordingContext(
  out: (text: string) => void = () => {},
): { context: CliContext; narrowed: Set<KeptKind>[] } {
  const narrowed: Set<KeptKind>[] = [];
  const io = { out, err: () => {}, stderrIsTerminal: false };
  const context: CliContext = {
    io,
    logger: new Logger({ console: () => {} }),
    status: new StatusLine(io),
    env: { get: () => undefined },
    command: "fusion-toolkit",
    permissions: new CliPermissions((keep) => narrowed.push(new Set(keep)), () => {}),
    readShareSpace,
    exitCode: 0,
  };
  return { context, narrowed };
}

/** Every command with no subcommands, by its words below the program. */
function leaves(command: Command, path: string[] = []): Map<string, Command> {
  const found = new Map<string, Command>();
  for (const sub of command.commands) {
    const words = [...path, sub.name()];
    if (sub.commands.length === 0) found.set(words.join(" "), sub);
    else for (const [name, leaf] of leaves(sub, words)) found.set(name, leaf);
  }
  return found;
}

/** Every subset of `flags`. */
function subsets(flags: readonly string[]): string[][] {
  return flags.reduce<string[][]>(
    (all, flag) => [...all, ...all.map((subset) => [...subset, flag])],
    [[]],
  );
}

const registered = leaves(buildProgram(recordingContext().context));

Deno.test("every registered command has a row for each combination of its selecting flags", () => {
  const rowPaths = new Set(COMMAND_PERMISSIONS.map(commandPath));
  assert.deepEqual([...registered.keys()].sort(), [...rowPaths].sort());
  for (const [path, command] of registered) {
    const flags = selectingFlags(path);
    for (const flag of flags) {
      const option = command.options.find((candidate) => candidate.long === flag);
      assert.ok(option !== undefined, `\`${path}\` has no ${flag}, which its rows name`);
      assert.ok(!option.required && !option.optional, `${flag} of \`${path}\` takes a value`);
    }
    for (const on of subsets(flags)) {
      const row = rowFor(path, (flag) => on.includes(flag));
      assert.deepEqual(rowFlags(row).sort(), [...on].sort(), `\`${path} ${on.join(" ")}\``);
    }
  }
});

Deno.test("every row names a registered command, once", () => {
  const seen = new Set<string>();
  for (const row of COMMAND_PERMISSIONS) {
    assert.ok(registered.has(commandPath(row)), `\`${row.command}\` is not a command`);
    const key = [commandPath(row), ...rowFlags(row).sort()].join(" ");
    assert.ok(!seen.has(key), `\`${row.command}\` has two rows`);
    seen.add(key);
  }
});

Deno.test("no row keeps import, and every kept kind says why", () => {
  for (const row of COMMAND_PERMISSIONS) {
    for (const [kind, why] of Object.entries(row.keeps)) {
      assert.ok(kind !== "import", `\`${row.command}\` keeps ${kind}`);
      assert.ok(why.trim().length > 0, `\`${row.command}\` keeps ${kind} without a reason`);
    }
    if (row.hook !== undefined) {
      assert.ok(row.keeps.run !== undefined, `\`${row.command}\` names a hook but keeps no run`);
    }
  }
});

Deno.test("a hook row keeps run until the config is loaded, then only if the hook is set", () => {
  const row = rowFor("backup run", () => false);
  assert.equal(row.hook, "backup");
  assert.ok(keptKinds(row).has("run"));
  assert.ok(!keptKinds(row, { backup: [], cleanup: ["mount.cmd"] }).has("run"));
  assert.ok(keptKinds(row, { backup: ["mount.cmd"], cleanup: [] }).has("run"));
  const dryRun = rowFor("backup run", (flag) => flag === "--dry-run");
  assert.ok(!keptKinds(dryRun, { backup: ["mount.cmd"], cleanup: [] }).has("run"));
});

Deno.test("a command without a row fails before its action runs, naming the table", async () => {
  const { context, narrowed } = recordingContext();
  const program = buildProgram(context);
  let ran = false;
  program.command("frobnicate").action(() => {
    ran = true;
  });
  await assert.rejects(
    program.parseAsync(["frobnicate"], { from: "user" }),
    /^Error: no permission row for `frobnicate` in lib\/permissions\/table\.ts/,
  );
  assert.equal(ran, false);
  assert.deepEqual(narrowed, []);
});

Deno.test("the CLI narrows before the action, to the row its flags select", async () => {
  // The action of `install tasks --uninstall --dry-run` prints the delete lines: by then the
  // narrowing has happened, and only once.
  let narrowedBeforeOutput: number | undefined;
  const { context, narrowed } = recordingContext(() => narrowedBeforeOutput ??= narrowed.length);
  const program = buildProgram(context);
  await program.parseAsync(["install", "tasks", "--uninstall", "--dry-run"], { from: "user" });
  assert.equal(narrowedBeforeOutput, 1);
  assert.deepEqual(narrowed, [new Set(["env"])]);
});

Deno.test("UNC spellings are told from drive paths", () => {
  for (const path of ["\\\\truenas\\share", "//truenas/share", "\\\\?\\UNC\\truenas\\share"]) {
    assert.ok(isUncSpelling(path), path);
  }
  for (const path of ["C:\\FusionData", "Z:/", "\\\\?\\C:\\FusionData", "/home/lab", "relative"]) {
    assert.ok(!isUncSpelling(path), path);
  }
});
