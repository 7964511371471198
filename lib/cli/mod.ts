/**
 * The command tree and the one error funnel: every failure becomes one
 * stderr line and an exit code (0 ok, 1 failure, 2 usage or config, 3
 * unexpected; docs/design.md, "Exit codes"). Stacks are printed only with `-v`.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { readShareSpace, type SpaceReader } from "../cleanup/mod.ts";
import { type EnvReader } from "../config/mod.ts";
import { ExitCode, ToolkitError } from "../errors.ts";
import { thisCommand } from "../invocation.ts";
import { describeError, Logger } from "../log/mod.ts";
import { type Narrow, revokeAllBut } from "../permissions/mod.ts";
import { VERSION } from "../version.ts";
import type { CliContext, Io } from "./context.ts";
import { StatusLine } from "./_progress.ts";
import { CliPermissions } from "./_permissions.ts";
import { registerAudit } from "./audit.ts";
import { registerBackup } from "./backup.ts";
import { registerCleanup } from "./cleanup.ts";
import { registerManifest } from "./manifest.ts";
import { registerMonitor } from "./monitor.ts";
import { registerNotify } from "./notify.ts";
import { registerInstall } from "./install.ts";
import { registerReport } from "./report.ts";
import { registerRestore } from "./restore.ts";
import { registerStatus } from "./status.ts";
import { registerValidate } from "./validate.ts";

export { type CliContext, denoIo, type Io } from "./context.ts";

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  validation failure, failed backups or evictions, a cleanup kept short of its threshold
     by the safety gates, a failed hook, stale study locks, monitor tail stopped by an error,
     audit findings, a restore that found a damaged file or waits for S3 to retrieve
     archived objects, a report that could not read every record or could not be sent
  2  config or usage error (bad TOML, unknown key or flag, missing path, lock held)
  3  unexpected runtime error (see the log; run with -v for the stack)
`;

/**
 * A command whose usage, shown because a subcommand is missing or unknown
 * (`fusion-toolkit validate`, `fusion-toolkit help bogus`), comes after an
 * `error:` line like every other usage error; commander alone prints only the usage.
 */
class ToolkitCommand extends Command {
  override createCommand(name?: string): ToolkitCommand {
    return new ToolkitCommand(name);
  }

  override help(context?: { error: boolean } | ((text: string) => string)): never {
    if (typeof context === "object" && context.error) {
      const given = this.args.at(-1);
      this.error(
        given === undefined
          ? `error: '${commandPath(this)}' needs a command: ${
            this.commands.map((command) => command.name()).join(", ")
          }`
          : `error: unknown command '${given}'`,
      );
    }
    // Two calls, one per overload of commander's help (a context, or its old callback form).
    return typeof context === "function" ? super.help(context) : super.help(context);
  }
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at !== null; at = at.parent) names.unshift(at.name());
  return names.join(" ");
}

/** Builds the command tree; `context` receives the exit code the command chooses. */
export function buildProgram(context: CliContext): Command {
  const program = new ToolkitCommand(context.command)
    .description("Keeps PhenoCycler Fusion study data safe: validate, back up, clean up, monitor.")
    .version(VERSION, "--version", "print the version and exit")
    .option("-v, --verbose", "debug logging, and stack traces on errors")
    .helpOption("-h, --help", "show help for a command")
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({
      // Commander prints only when it answers by itself (help, version, a usage error).
      writeOut: (text) => {
        context.permissions.printOnly();
        context.io.out(text);
      },
      writeErr: (text) => {
        context.permissions.printOnly();
        context.io.err(text);
      },
      // Our help has no colours to strip: commander need not read NO_COLOR and the like.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .addHelpText("after", EXIT_CODES_HELP)
    // Before any command's action: its permission row, everything else revoked.
    .hook("preAction", (_program, action) => context.permissions.command(action));
  registerValidate(program, context);
  registerManifest(program, context);
  registerBackup(program, context);
  registerCleanup(program, context);
  registerMonitor(program, context);
  registerNotify(program, context);
  registerInstall(program, context);
  registerStatus(program, context);
  registerRestore(program, context);
  registerAudit(program, context);
  registerReport(program, context);
  return program;
}

function commanderExitCode(error: CommanderError): number {
  // --help, --version and `help` exit 0; everything else commander throws is a usage problem it
  // has already printed, with the usage.
  return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
}

/** How the program was started; tests pass their own streams and environment. */
export interface RunOptions {
  readonly io: Io;
  readonly env?: EnvReader;
  /**
   * Narrows the process to what the command keeps (lib/permissions):
   * `revokeAllBut` by default, for the rest of the process. A host that runs
   * several commands in one process (scripts/demo.ts) passes its own.
   */
  readonly narrow?: Narrow;
  /**
   * How the user starts this program, for the usage lines and the hints
   * that name a command; default: as this process was started
   * (`fusion-toolkit.exe`, `deno run -A main.ts`). A host that runs commands
   * in its own process (scripts/demo.ts) passes the one it shows.
   */
  readonly command?: string;
  /**
   * The share's free space; default: the file system's (statfs). `deno task demo` passes a
   * share of a size it sets, as its share is a temp folder on whatever disk the machine has.
   */
  readonly shareSpace?: SpaceReader;
}

/** Runs the CLI on `args` (without the program name) and returns the exit code. Never throws. */
export async function runCli(args: readonly string[], options: RunOptions): Promise<number> {
  const { io } = options;
  const verbose = args.includes("-v") || args.includes("--verbose");
  const status = new StatusLine(io);
  const logger = new Logger({ console: (line) => status.print(`${line}\n`), verbose });
  const context: CliContext = {
    io,
    logger,
    status,
    env: options.env ?? Deno.env,
    // Before any narrowing: naming itself may take a permission a command gives up.
    command: options.command ?? thisCommand(),
    permissions: new CliPermissions(options.narrow ?? revokeAllBut, (line) => logger.debug(line)),
    readShareSpace: options.shareSpace ?? readShareSpace,
    exitCode: ExitCode.ok,
  };
  try {
    await buildProgram(context).parseAsync([...args], { from: "user" });
    return context.exitCode;
  } catch (error) {
    return await reportError(error, context);
  }
}

async function reportError(error: unknown, context: CliContext): Promise<number> {
  if (error instanceof CommanderError) return commanderExitCode(error);
  const { logger } = context;
  let code: number = ExitCode.unexpected;
  let message: string;
  if (error instanceof ToolkitError) {
    code = error.exitCode;
    message = error.message;
  } else if (error instanceof Deno.errors.PermissionDenied) {
    message = `${error.message}; check that this account may access that path`;
  } else if (error instanceof Deno.errors.NotCapable) {
    message = `${error.message}; the program lacks a Deno permission (a build problem, or a ` +
      "command's row in the permission table: report it)";
  } else {
    const logFile = logger.filePath;
    const where = logFile === undefined ? "" : `; the log is ${logFile}`;
    const hint = logger.verbose ? "" : " (run with -v for the stack)";
    message = `unexpected error: ${describeError(error)}${hint}${where}`;
  }
  logger.error(message, error);
  if (logger.verbose && error instanceof Error && error.stack !== undefined) {
    context.io.err(`${error.stack}\n`);
  }
  return await (context.job?.finish(code, { title: message, lines: [] }) ?? code);
}
