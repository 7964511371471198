/**
 * Where a CLI run narrows its Deno permissions to its row of the permission
 * table (lib/permissions): before commander prints on its own (help, version,
 * a usage error), before a command's action, and, for a job whose row keeps
 * `run` only for a hook, once its config is loaded.
 *
 * @module
 */
import type { Command } from "commander";
import type { Config } from "../config/mod.ts";
import {
  type Narrow,
  narrowTo,
  type PermissionRow,
  PRINT_ONLY,
  rowFor,
} from "../permissions/mod.ts";

/** The command words of `command` below the program, e.g. `backup run`. */
function pathOf(command: Command): string {
  const words: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) words.unshift(at.name());
  return words.join(" ");
}

/** Whether the boolean flag `flag` (`--dry-run`) is set on `command`. */
function flagIsSet(command: Command, flag: string): boolean {
  const option = command.options.find((candidate) => candidate.long === flag);
  if (option === undefined) {
    throw new Error(
      `the permission table selects \`${pathOf(command)}\` rows by ${flag}, which it lacks ` +
        "(a bug: report it)",
    );
  }
  return command.getOptionValue(option.attributeName()) === true;
}

/** The narrowing of one CLI run. */
export class CliPermissions {
  readonly #narrow: Narrow;
  #row: PermissionRow | undefined;

  /** `narrow` revokes for real in the program; see `RunOptions.narrow`. */
  constructor(narrow: Narrow) {
    this.#narrow = narrow;
  }

  /**
   * Before `action` runs: keeps only its row.
   *
   * @throws {Error} when the permission table has no row for it.
   */
  command(action: Command): void {
    this.#row = rowFor(pathOf(action), (flag) => flagIsSet(action, flag));
    narrowTo(this.#row, undefined, this.#narrow);
  }

  /** Before commander prints by itself: keeps nothing, unless a command already runs. */
  printOnly(): void {
    if (this.#row !== undefined) return;
    this.#row = PRINT_ONLY;
    narrowTo(PRINT_ONLY, undefined, this.#narrow);
  }

  /** Once a job loaded `config`: drops `run` when the row keeps it for a hook the config lacks. */
  configLoaded(config: Config): void {
    if (this.#row !== undefined) narrowTo(this.#row, config.hooks, this.#narrow);
  }
}
