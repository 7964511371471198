/**
 * `install init` and `install tasks`: set up the Fusion PC.
 *
 * @module
 */
import type { Command } from "commander";
import { posix, resolve, win32 } from "node:path";
import {
  currentPlatform,
  defaultConfigDir,
  type EnvReader,
  loadConfig,
  type PathPlatform,
} from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import {
  buildDeleteArgv,
  defaultTaskUser,
  describeSchedule,
  displayCommandLine,
  initConfigDir,
  type InitResult,
  launcherWarnings,
  planTasks,
  readPassword,
  registerTasks,
  removeTasks,
  SCHEDULED_TASKS,
  schtasksPath,
  schtasksRunner,
  taskLauncher,
  type TaskPlan,
  windowsCommandLine,
} from "../install/mod.ts";
import { VERSION } from "../version.ts";
import type { CliContext } from "./context.ts";

interface InitOptions {
  configDir?: string;
  force?: boolean;
}

interface TasksOptions {
  user?: string;
  password?: string;
  uninstall?: boolean;
  dryRun?: boolean;
  config?: string;
}

/** How private smtp.env is, in words, for the report of `install init`. */
export function smtpEnvPrivacy(
  file: string,
  platform: PathPlatform,
  userProfile: string | undefined,
): string {
  if (platform === "posix") return "readable by its owner only: mode 0600";
  const profile = userProfile?.replace(/[\\/]+$/, "").toLowerCase();
  if (profile !== undefined && file.toLowerCase().startsWith(`${profile}\\`)) {
    return "private: it inherits your profile folder's access list (you, SYSTEM, Administrators)";
  }
  return `it inherits the access list of ${win32.dirname(file)}; if others can read that folder, ` +
    `restrict the file: icacls "${file}" /inheritance:r /grant:r "%USERNAME%:F"`;
}

/** The report of `install init`: one line per file, then the next steps. */
export function renderInitReport(
  result: InitResult,
  options: { privacy: string; isDefaultDir: boolean; command: string },
): string {
  const lines = result.files.map((file) => {
    let line = `${file.action.padEnd(8)} ${file.path}`;
    if (file.path === result.smtpEnvFile) line += ` (${options.privacy})`;
    if (file.action === "replaced") line += `; the previous one is ${file.previous}`;
    if (file.action === "kept") line += " (recipients files are never replaced)";
    return line;
  });
  const configFlag = options.isDefaultDir ? "" : ` --config ${quoteArg(result.configFile)}`;
  return `${lines.join("\n")}

Next steps:
  1. Edit ${result.configFile}:
     set [backup] source_root, [truenas] root and [s3] bucket.
  2. Put the sending Gmail address and its app password in ${result.smtpEnvFile}.
  3. Add email addresses, one per line, to the files in ${result.recipientsDir}
     (default.txt receives every event whose own file is empty).
  4. Give this account AWS credentials (see docs/setup-fusion-host.md), then
     register the scheduled tasks (Windows, as administrator):
       ${options.command} install tasks${configFlag}
`;
}

function quoteArg(arg: string): string {
  return windowsCommandLine([arg]);
}

/** The command line a task runs, as one line. */
function actionLine(plan: TaskPlan): string {
  return `${quoteArg(plan.action.command)} ${plan.action.arguments}`;
}

/** What `install tasks --dry-run` prints: per task its schedule, command and schtasks line, then the XML. */
export function renderDryRun(plans: readonly TaskPlan[], schtasks: string): string {
  const summary = plans.map((plan) =>
    `${plan.task.name}: ${describeSchedule(plan.task.schedule)}
  runs:     ${actionLine(plan)}
  writes:   ${plan.xmlFile}
  schtasks: ${displayCommandLine(schtasks, plan.createArgv)}`
  );
  const xml = plans.map((plan) => `--- ${plan.xmlFile}\n${plan.xml.replaceAll("\r\n", "\n")}`);
  return `dry run: nothing is written or registered. install tasks would run:

${summary.join("\n\n")}

The task definitions it would write:

${xml.join("\n")}`;
}

/** What `install tasks --uninstall --dry-run` prints. */
export function renderUninstallDryRun(schtasks: string): string {
  const lines = SCHEDULED_TASKS.map((task) =>
    `  ${displayCommandLine(schtasks, buildDeleteArgv(task.name))}`
  );
  return "dry run: nothing is removed. install tasks --uninstall would delete each of these " +
    `tasks that is registered:\n${lines.join("\n")}\n`;
}

function requireWindows(): void {
  if (Deno.build.os !== "windows") {
    throw new UsageError(
      `install tasks registers Windows Scheduled Tasks and only runs on Windows (this is ${Deno.build.os}); ` +
        "add --dry-run to see the schtasks commands it would run",
    );
  }
}

async function installTasks(context: CliContext, options: TasksOptions): Promise<void> {
  const { io, env, logger } = context;
  const platform = currentPlatform();
  // Load it now, so a task never fails at 02:00 on a config that could not have worked.
  const config = await loadConfig({ path: options.config, env, command: context.command });
  context.permissions.configLoaded(config);
  const launcher = taskLauncher({
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    platform,
  });
  for (const warning of launcherWarnings(launcher)) logger.warn(warning);
  const user = options.user ?? defaultTaskUser(env) ??
    (options.dryRun ? "%USERDOMAIN%\\%USERNAME%" : undefined);
  if (user === undefined) {
    throw new UsageError("USERDOMAIN or USERNAME is not set; pass --user DOMAIN\\name");
  }
  const schtasks = schtasksPath(env);
  const common = {
    launcher,
    configFile: config.file,
    xmlDir: platformJoin(platform, config.dir, "tasks"),
    user,
    author: `fusion-toolkit ${VERSION}`,
    platform,
  };
  if (options.dryRun) {
    io.out(renderDryRun(planTasks({ ...common, password: options.password ?? "" }), schtasks));
    return;
  }
  const password = options.password ??
    await readPassword(Deno.stdin, io.err, `Windows password of ${user} (not shown): `);
  io.out(`using config ${config.file}\n`);
  await registerTasks(planTasks({ ...common, password }), schtasksRunner(schtasks), (plan) => {
    io.out(
      `registered ${plan.task.name} (${describeSchedule(plan.task.schedule)}): ${
        actionLine(plan)
      }\n`,
    );
  });
  const queries = SCHEDULED_TASKS.map((task) => `  schtasks /Query /TN ${task.name} /V /FO LIST`);
  io.out(`
The tasks run as ${user}, whether or not anyone is logged on. Check them with:
${queries.join("\n")}
Start the monitor now instead of at the next boot:
  schtasks /Run /TN FusionToolkitMonitor
`);
}

function platformJoin(platform: PathPlatform, ...parts: string[]): string {
  return (platform === "windows" ? win32 : posix).join(...parts);
}

async function uninstallTasks(context: CliContext, options: TasksOptions): Promise<void> {
  const schtasks = schtasksPath(context.env);
  if (options.dryRun) {
    context.io.out(renderUninstallDryRun(schtasks));
    return;
  }
  for (const { name, removed } of await removeTasks(schtasksRunner(schtasks))) {
    context.io.out(removed ? `removed ${name}\n` : `not registered: ${name} (nothing to remove)\n`);
  }
}

function isDefaultDir(dir: string, env: EnvReader, platform: PathPlatform): boolean {
  try {
    return resolve(dir) === resolve(defaultConfigDir(env, platform));
  } catch {
    return false;
  }
}

/** Registers `install init` and `install tasks`. */
export function registerInstall(program: Command, context: CliContext): void {
  const group = program
    .command("install")
    .description("set up the Fusion PC: config templates and Windows Scheduled Tasks");

  group
    .command("init")
    .description("write config.toml, smtp.env and recipients/*.txt templates")
    .option("--config-dir <path>", "the folder to write to (default: ~/.config/fusion-toolkit)")
    .option(
      "--force",
      "replace an existing config.toml and smtp.env, keeping each old file as .bak " +
        "(recipients files are never replaced)",
    )
    .action(async (options: InitOptions) => {
      const { env, io } = context;
      const platform = currentPlatform();
      const dir = options.configDir ?? defaultConfigDir(env, platform);
      context.permissions.pathsKnown([dir]);
      const result = await initConfigDir(dir, { force: options.force === true });
      io.out(renderInitReport(result, {
        privacy: smtpEnvPrivacy(result.smtpEnvFile, platform, env.get("USERPROFILE")),
        isDefaultDir: options.configDir === undefined || isDefaultDir(dir, env, platform),
        command: context.command,
      }));
    });

  group
    .command("tasks")
    .description(
      `register (or remove) the scheduled tasks ${
        SCHEDULED_TASKS.map((task) => task.name).join(", ")
      } with schtasks.exe (Windows)`,
    )
    .option("--user <user>", "the account the tasks run as (default: %USERDOMAIN%\\%USERNAME%)")
    .option("--password <password>", "that account's password (default: asked, not echoed)")
    .option("--uninstall", "remove the tasks; a task that is not registered is not an error")
    .option("--dry-run", "print what would be registered and the schtasks lines; works on any OS")
    .option(
      "--config <path>",
      "the config.toml the tasks use (default: ~/.config/fusion-toolkit/config.toml)",
    )
    .action(async (options: TasksOptions) => {
      if (!options.dryRun) requireWindows();
      if (options.uninstall) await uninstallTasks(context, options);
      else await installTasks(context, options);
    });
}
