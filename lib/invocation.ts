/**
 * How this program was started, written as a command the user can type
 * again: hints such as "create one with `<command> install init`" name the
 * compiled exe by its own file name, and a run from source as
 * `deno run -A main.ts`. Pure, except {@linkcode thisCommand}, which reads
 * the running process.
 *
 * @module
 */
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** What names the running program. */
export interface StartedProgram {
  /** `Deno.build.standalone`: true in the exe `deno compile` built. */
  readonly standalone: boolean;
  /** `Deno.execPath()`: the exe, or the deno binary. */
  readonly execPath: string;
  /** `Deno.mainModule`: a file URL of main.ts when run from source. */
  readonly mainModule: string;
  /** The working directory, when it can be read: main.ts is named relative to it. */
  readonly cwd?: string | undefined;
}

/** `arg` as one argument of a shell command: quoted when it holds a space or a shell character. */
export function shellArg(arg: string): string {
  return /^[A-Za-z0-9_.,:/\\=@+-]+$/.test(arg) ? arg : `"${arg.replaceAll('"', '\\"')}"`;
}

/** The command that starts the program as it was started, e.g. `fusion-toolkit.exe` or `deno run -A main.ts`. */
export function commandName(started: StartedProgram): string {
  if (started.standalone) return shellArg(started.execPath.split(/[\\/]/).at(-1) ?? "");
  if (!started.mainModule.startsWith("file:")) return `deno run -A ${started.mainModule}`;
  const main = fileURLToPath(started.mainModule);
  const inside = started.cwd === undefined ? undefined : relative(started.cwd, main);
  const shown = inside === undefined || inside.startsWith("..") || isAbsolute(inside)
    ? main
    : inside;
  return `deno run -A ${shellArg(shown)}`;
}

function orUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined; // a permission this command was not given: name the program without it
  }
}

/** {@linkcode commandName} of this process; `fusion-toolkit` when it may not look at itself. */
export function thisCommand(): string {
  const execPath = orUndefined(() => Deno.execPath());
  if (execPath === undefined) return "fusion-toolkit";
  return commandName({
    standalone: Deno.build.standalone,
    execPath,
    mainModule: Deno.mainModule,
    cwd: orUndefined(() => Deno.cwd()),
  });
}
