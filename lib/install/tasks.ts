/**
 * The four Windows Scheduled Tasks, as pure data and pure
 * builders: the task definition (Task Scheduler XML) and the `schtasks.exe`
 * argv that registers, lists and deletes them. Nothing here runs a process,
 * so all of it is tested on any OS with Windows inputs.
 *
 * Tasks are registered from XML (`schtasks /Create /XML`) rather than with
 * `/SC ... /TR ...`: schtasks' flags leave Task Scheduler's default limit of
 * 72 hours per run in place, which would stop `monitor tail` on its fourth
 * day, and `/TR` holds at most 261 characters, too few for a quoted exe path
 * plus `--config <path>`.
 *
 * @module
 */
import { posix, win32 } from "node:path";
import type { PathPlatform } from "../config/mod.ts";
import { UsageError } from "../errors.ts";
import { MONTH_NAMES } from "../text/mod.ts";
import { windowsCommandLine } from "./cmdline.ts";
import { PRODUCT_FLAGS } from "./permissions.ts";

/** When a task starts. */
export type TaskSchedule =
  | { readonly kind: "monthly"; readonly day: number; readonly time: string }
  | { readonly kind: "startup"; readonly delayMinutes: number };

/** One scheduled task of fusion-toolkit. */
export interface ScheduledTask {
  /** The task's name in Task Scheduler's root folder. */
  readonly name: string;
  readonly description: string;
  /** The fusion-toolkit command the task runs, e.g. `["backup", "run"]`. */
  readonly command: readonly string[];
  readonly schedule: TaskSchedule;
}

/** The tasks `install tasks` registers on every instrument's PC. */
export const SCHEDULED_TASKS: readonly ScheduledTask[] = [
  {
    name: "FusionToolkitBackup",
    description: "fusion-toolkit: monthly verified backup of idle studies to TrueNAS and S3",
    command: ["backup", "run"],
    schedule: { kind: "monthly", day: 1, time: "02:00" },
  },
  {
    name: "FusionToolkitCleanup",
    description: "fusion-toolkit: monthly eviction of the oldest verified backups from TrueNAS",
    command: ["cleanup", "run"],
    schedule: { kind: "monthly", day: 20, time: "02:00" },
  },
  {
    name: "FusionToolkitMonitor",
    description: "fusion-toolkit: follows Fusion.log and emails instrument errors",
    command: ["monitor", "tail"],
    // A minute after boot, so the network (SMTP) and the share are more likely up.
    schedule: { kind: "startup", delayMinutes: 1 },
  },
  {
    name: "FusionToolkitReport",
    description: "fusion-toolkit: emails the monthly report of every instrument on the share",
    // The day after the backup, at the start of a working day. --once: of all the instruments'
    // PCs, the first to run it sends the report; the others see it was sent.
    command: ["report", "--send", "--once", "--s3"],
    schedule: { kind: "monthly", day: 2, time: "08:00" },
  },
];

/** The schedule in words, e.g. "monthly, day 1, at 02:00". */
export function describeSchedule(schedule: TaskSchedule): string {
  return schedule.kind === "monthly"
    ? `monthly, day ${schedule.day}, at ${schedule.time}`
    : `at system start, after ${schedule.delayMinutes} min`;
}

/** How a task starts fusion-toolkit: the program and the arguments before the command. */
export interface Launcher {
  readonly program: string;
  readonly prefix: readonly string[];
  readonly workingDirectory: string;
  /** True when the program is Deno running main.ts from a source checkout. */
  readonly fromSource: boolean;
}

/** What {@linkcode taskLauncher} needs to know about the running program. */
export interface RunningProgram {
  /** `Deno.build.standalone`: true in the exe `deno compile` built. */
  readonly standalone: boolean;
  /** `Deno.execPath()`: the exe, or the deno binary. */
  readonly execPath: string;
  /** `Deno.mainModule`: a file URL of main.ts when run from source. */
  readonly mainModule: string;
  readonly platform: PathPlatform;
}

/** A `file:` URL as a path of `platform` (drive letters and UNC hosts on Windows). */
export function fileUrlToPath(url: string, platform: PathPlatform): string {
  const parsed = new URL(url);
  if (parsed.protocol !== "file:") {
    throw new UsageError(
      `the program was started from ${url}, not a local file; install tasks from the exe or a local checkout`,
    );
  }
  const path = decodeURIComponent(parsed.pathname);
  if (platform === "posix") return path;
  if (parsed.hostname !== "") return `\\\\${parsed.hostname}${path.replaceAll("/", "\\")}`;
  return path.replace(/^\/([A-Za-z]:)/, "$1").replaceAll("/", "\\");
}

/**
 * How the tasks start this program: the exe itself when it is the compiled
 * fusion-toolkit, else the same Deno running the same main.ts with the
 * product's permissions and deno.json (a task starts in System32, where
 * Deno would find no config).
 *
 * @throws {UsageError} when running from source that is not a local file.
 */
export function taskLauncher(running: RunningProgram): Launcher {
  const path = running.platform === "windows" ? win32 : posix;
  if (running.standalone) {
    return {
      program: running.execPath,
      prefix: [],
      workingDirectory: path.dirname(running.execPath),
      fromSource: false,
    };
  }
  const main = fileUrlToPath(running.mainModule, running.platform);
  const checkout = path.dirname(main);
  return {
    program: running.execPath,
    prefix: ["run", ...PRODUCT_FLAGS, "--config", path.join(checkout, "deno.json"), main],
    workingDirectory: checkout,
    fromSource: true,
  };
}

/** Warnings an operator must read before tasks start this launcher. */
export function launcherWarnings(launcher: Launcher): string[] {
  if (!launcher.fromSource) return [];
  const main = launcher.prefix.at(-1) ?? "main.ts";
  const warnings = [
    `running from source: the tasks will start ${launcher.program} on ${main}; keep Deno and ` +
    "this checkout where they are, or install the compiled fusion-toolkit.exe (deno task compile) " +
    "and run install tasks from it",
  ];
  if (/[\\/]_npx[\\/]/.test(launcher.program)) {
    warnings.push(
      `${launcher.program} is in npm's npx cache, which npm may clear at any time; install Deno ` +
        "itself or use the compiled exe",
    );
  }
  return warnings;
}

/** A task's action: the program, its argument string and the folder it starts in. */
export interface TaskAction {
  readonly command: string;
  readonly arguments: string;
  readonly workingDirectory: string;
}

/**
 * The action of `task`: the launcher, the task's command and
 * `--config <configFile>`, so the task reads the same config whichever
 * profile Windows runs it under.
 */
export function taskAction(
  task: ScheduledTask,
  launcher: Launcher,
  configFile: string,
): TaskAction {
  return {
    command: launcher.program,
    arguments: windowsCommandLine([...launcher.prefix, ...task.command, "--config", configFile]),
    workingDirectory: launcher.workingDirectory,
  };
}

const XML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => XML_ENTITIES[char] ?? char);
}

function triggerXml(schedule: TaskSchedule): string[] {
  if (schedule.kind === "startup") {
    return [
      "    <BootTrigger>",
      `      <Delay>PT${schedule.delayMinutes}M</Delay>`,
      "    </BootTrigger>",
    ];
  }
  return [
    "    <CalendarTrigger>",
    // Local time (no zone): 02:00 on the PC's clock. The date only has to lie in the past.
    `      <StartBoundary>2025-01-01T${schedule.time}:00</StartBoundary>`,
    "      <ScheduleByMonth>",
    `        <DaysOfMonth><Day>${schedule.day}</Day></DaysOfMonth>`,
    `        <Months>${MONTH_NAMES.map((month) => `<${month}/>`).join("")}</Months>`,
    "      </ScheduleByMonth>",
    "    </CalendarTrigger>",
  ];
}

/**
 * The Task Scheduler XML of `task`: its trigger, `user` with a stored
 * password (runs whether or not anyone is logged on), no run-time limit
 * (`PT0S`; the default would stop a run after 72 hours), a missed monthly run
 * started as soon as the PC is on again, never two runs at once, and no
 * battery conditions.
 */
export function taskXml(
  task: ScheduledTask,
  action: TaskAction,
  user: string,
  author: string,
): string {
  return [
    '<?xml version="1.0" encoding="UTF-16"?>',
    '<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">',
    "  <RegistrationInfo>",
    `    <Author>${escapeXml(author)}</Author>`,
    `    <Description>${escapeXml(task.description)}</Description>`,
    `    <URI>\\${escapeXml(task.name)}</URI>`,
    "  </RegistrationInfo>",
    "  <Triggers>",
    ...triggerXml(task.schedule),
    "  </Triggers>",
    "  <Principals>",
    '    <Principal id="Author">',
    `      <UserId>${escapeXml(user)}</UserId>`,
    "      <LogonType>Password</LogonType>",
    "      <RunLevel>LeastPrivilege</RunLevel>",
    "    </Principal>",
    "  </Principals>",
    "  <Settings>",
    "    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>",
    "    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>",
    "    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>",
    "    <StartWhenAvailable>true</StartWhenAvailable>",
    "    <AllowStartOnDemand>true</AllowStartOnDemand>",
    "    <Enabled>true</Enabled>",
    "    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>",
    "  </Settings>",
    '  <Actions Context="Author">',
    "    <Exec>",
    `      <Command>${escapeXml(action.command)}</Command>`,
    `      <Arguments>${escapeXml(action.arguments)}</Arguments>`,
    `      <WorkingDirectory>${escapeXml(action.workingDirectory)}</WorkingDirectory>`,
    "    </Exec>",
    "  </Actions>",
    "</Task>",
    "",
  ].join("\r\n");
}

/** `text` as UTF-16 little-endian with a byte-order mark: the encoding the XML declares. */
export function encodeUtf16le(text: string): Uint8Array {
  const bytes = new Uint8Array(2 + text.length * 2);
  bytes[0] = 0xff;
  bytes[1] = 0xfe;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    bytes[2 + index * 2] = unit & 0xff;
    bytes[3 + index * 2] = unit >> 8;
  }
  return bytes;
}

/** The absolute schtasks.exe, so a look-alike earlier on PATH is never run. */
export function schtasksPath(env: { get(name: string): string | undefined }): string {
  const systemRoot = env.get("SystemRoot") ?? "C:\\Windows";
  return win32.join(systemRoot, "System32", "schtasks.exe");
}

/** Arguments of `schtasks.exe` that register (or replace, `/F`) `taskName` from its XML file. */
export function buildCreateArgv(
  taskName: string,
  xmlFile: string,
  user: string,
  password: string,
): string[] {
  return ["/Create", "/TN", taskName, "/XML", xmlFile, "/RU", user, "/RP", password, "/F"];
}

/** Arguments of `schtasks.exe` that delete `taskName` without asking. */
export function buildDeleteArgv(taskName: string): string[] {
  return ["/Delete", "/TN", taskName, "/F"];
}

/** Arguments of `schtasks.exe` that list every task as CSV rows without a header. */
export function buildListArgv(): string[] {
  return ["/Query", "/FO", "CSV", "/NH"];
}

/**
 * The task names (with their folder, e.g. `\FusionToolkitBackup`) in the
 * output of {@linkcode buildListArgv}. Only the first CSV field is read: it
 * is the same in every Windows language, unlike schtasks' messages.
 */
export function parseTaskList(output: string): Set<string> {
  const names = new Set<string>();
  for (const line of output.split(/\r?\n/)) {
    const match = /^"([^"]*)"/.exec(line.trim());
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return names;
}

/** What `--dry-run` prints for a password. */
export const PASSWORD_MASK = "********";

/** A schtasks command line for people: quoted for cmd.exe, the `/RP` value masked. */
export function displayCommandLine(program: string, argv: readonly string[]): string {
  const shown = argv.map((arg, index) => argv[index - 1] === "/RP" ? PASSWORD_MASK : arg);
  return windowsCommandLine([program, ...shown]);
}

/** Everything needed to register one task, computed before anything runs. */
export interface TaskPlan {
  readonly task: ScheduledTask;
  readonly action: TaskAction;
  readonly xml: string;
  /** Where the XML is written for `schtasks /XML`. */
  readonly xmlFile: string;
  readonly createArgv: readonly string[];
}

/** What {@linkcode planTasks} needs. */
export interface PlanOptions {
  readonly launcher: Launcher;
  /** The absolute config.toml every task is given with `--config`. */
  readonly configFile: string;
  /** The folder the task XML files go to. */
  readonly xmlDir: string;
  readonly user: string;
  readonly password: string;
  /** The XML's author, e.g. "fusion-toolkit 0.1.0". */
  readonly author: string;
  readonly platform: PathPlatform;
}

/** The registration of every task of {@linkcode SCHEDULED_TASKS}. */
export function planTasks(options: PlanOptions): TaskPlan[] {
  const path = options.platform === "windows" ? win32 : posix;
  return SCHEDULED_TASKS.map((task) => {
    const action = taskAction(task, options.launcher, options.configFile);
    const xmlFile = path.join(options.xmlDir, `${task.name}.xml`);
    return {
      task,
      action,
      xml: taskXml(task, action, options.user, options.author),
      xmlFile,
      createArgv: buildCreateArgv(task.name, xmlFile, options.user, options.password),
    };
  });
}

/**
 * The account tasks run as by default: `%USERDOMAIN%\%USERNAME%`, the
 * account running `install tasks`; undefined when either is not set.
 */
export function defaultTaskUser(
  env: { get(name: string): string | undefined },
): string | undefined {
  const domain = env.get("USERDOMAIN");
  const user = env.get("USERNAME");
  if (domain === undefined || domain === "" || user === undefined || user === "") return undefined;
  return `${domain}\\${user}`;
}
