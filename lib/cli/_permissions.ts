/**
 * Where a CLI run narrows its Deno permissions to its row of the permission
 * table (lib/permissions): before commander prints on its own (help, version,
 * a usage error); before a command's action when its paths are known from
 * the command line; otherwise in the action, once it knows its paths (a job
 * once its config is loaded) and before it uses them.
 *
 * @module
 */
import type { Command } from "commander";
import type { Config } from "../config/mod.ts";
import {
  configPaths,
  type Narrow,
  type NarrowFacts,
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
  readonly #note: (line: string) => void;
  #row: PermissionRow | undefined;

  /**
   * `narrow` revokes for real in the program (see `RunOptions.narrow`);
   * `note` hears why a command keeps every permission (the debug log).
   */
  constructor(narrow: Narrow, note: (line: string) => void) {
    this.#narrow = narrow;
    this.#note = note;
  }

  /**
   * Before `action` runs: finds its row, and narrows to it unless its paths
   * are known only in the action.
   *
   * @throws {Error} when the permission table has no row for it.
   */
  command(action: Command): void {
    this.#row = rowFor(pathOf(action), (flag) => flagIsSet(action, flag));
    if (this.#row.paths === "none") this.#apply({});
    if (this.#row.paths === "arguments") {
      this.#apply({ paths: action.processedArgs.filter((arg) => typeof arg === "string") });
    }
  }

  /** Before commander prints by itself: keeps nothing, unless a command already runs. */
  printOnly(): void {
    if (this.#row !== undefined) return;
    this.#row = PRINT_ONLY;
    this.#apply({});
  }

  /** In the action of a command whose row says so: narrows, knowing the paths it works on. */
  pathsKnown(paths: readonly string[]): void {
    this.#applyInAction({ paths });
  }

  /**
   * In a job's action, once `config` is loaded: narrows, knowing its paths
   * (and `more` of the command's), and drops `run` when the row keeps it for
   * a hook the config does not set.
   */
  configLoaded(config: Config, more: readonly string[] = []): void {
    this.#applyInAction({ paths: [...configPaths(config), ...more], hooks: config.hooks });
  }

  #applyInAction(facts: NarrowFacts): void {
    if (this.#row?.paths === "action") this.#apply(facts);
  }

  #apply(facts: NarrowFacts): void {
    if (this.#row === undefined) return;
    const narrowed = narrowTo(this.#row, facts, this.#narrow);
    if ("keptAll" in narrowed) {
      this.#note(`permissions: \`${this.#row.command}\` keeps all of them: ${narrowed.keptAll}`);
    }
  }
}
