/**
 * Windows command lines, built on any OS: a Windows program receives one
 * string and splits it with the rules of `CommandLineToArgvW` (which the C
 * runtime and Deno's own Windows build follow). A Scheduled Task's action
 * stores its arguments as such a string, and `--dry-run` shows schtasks
 * command lines that can be pasted into cmd.exe.
 *
 * @module
 */

/**
 * `arg` quoted so that `CommandLineToArgvW` gives it back unchanged: as is
 * when it has no space, tab or quote; otherwise in double quotes, with each
 * quote escaped and the backslashes right before a quote (or the closing
 * quote) doubled.
 */
export function quoteWindowsArg(arg: string): string {
  if (arg !== "" && !/[\s"]/.test(arg)) return arg;
  let quoted = '"';
  let backslashes = 0;
  for (const char of arg) {
    if (char === "\\") {
      backslashes++;
      continue;
    }
    if (char === '"') {
      quoted += "\\".repeat(backslashes * 2 + 1) + '"';
    } else {
      quoted += "\\".repeat(backslashes) + char;
    }
    backslashes = 0;
  }
  return quoted + "\\".repeat(backslashes * 2) + '"';
}

/** The command line of `args`, each quoted with {@linkcode quoteWindowsArg}. */
export function windowsCommandLine(args: readonly string[]): string {
  return args.map(quoteWindowsArg).join(" ");
}
