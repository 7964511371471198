import assert from "node:assert/strict";
import { UsageError } from "../../lib/errors.ts";
import { PRODUCT_FLAGS } from "../../lib/install/permissions.ts";
import {
  buildCreateArgv,
  buildDeleteArgv,
  buildListArgv,
  defaultTaskUser,
  describeSchedule,
  displayCommandLine,
  encodeUtf16le,
  fileUrlToPath,
  launcherWarnings,
  parseTaskList,
  planTasks,
  SCHEDULED_TASKS,
  schtasksPath,
  taskAction,
  taskLauncher,
  taskXml,
} from "../../lib/install/tasks.ts";

const EXE = String.raw`C:\Program Files\fusion-toolkit\fusion-toolkit.exe`;
const CONFIG = String.raw`C:\Users\Lab User\.config\fusion-toolkit\config.toml`;
const USER = String.raw`LAB\fusion`;
const EXE_LAUNCHER = taskLauncher({
  standalone: true,
  execPath: EXE,
  mainModule: "file:///C:/ignored/main.ts",
  platform: "windows",
});

function env(values: Record<string, string>) {
  return new Map(Object.entries(values));
}

/** The text of the first `<tag>` element of `xml`, entities decoded. */
function element(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match?.[1]?.replace(
    /&(amp|lt|gt|quot|apos);/g,
    (_, name: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" })[name] ?? "",
  );
}

/** Fails unless every element of `xml` is closed in order (a well-formedness check without a parser). */
function assertBalanced(xml: string): void {
  const stack: string[] = [];
  for (const [, closing, name, selfClosing] of xml.matchAll(/<(\/?)([A-Za-z]+)[^>]*?(\/?)>/g)) {
    if (selfClosing === "/") continue;
    if (closing === "/") assert.equal(stack.pop(), name, `</${name}> closes the open element`);
    else stack.push(name ?? "");
  }
  assert.deepEqual(stack, []);
}

Deno.test("the four tasks, with their schedules and commands", () => {
  assert.deepEqual(
    SCHEDULED_TASKS.map((
      task,
    ) => [task.name, task.command.join(" "), describeSchedule(task.schedule)]),
    [
      ["FusionToolkitBackup", "backup run", "monthly, day 1, at 02:00"],
      ["FusionToolkitCleanup", "cleanup run", "monthly, day 20, at 02:00"],
      ["FusionToolkitMonitor", "monitor tail", "at system start, after 1 min"],
      ["FusionToolkitReport", "report --send --once --s3", "monthly, day 2, at 08:00"],
    ],
  );
});

Deno.test("the compiled exe launches itself, from its own folder", () => {
  assert.deepEqual(EXE_LAUNCHER, {
    program: EXE,
    prefix: [],
    workingDirectory: String.raw`C:\Program Files\fusion-toolkit`,
    fromSource: false,
  });
  assert.deepEqual(launcherWarnings(EXE_LAUNCHER), []);
});

Deno.test("from source, tasks run the same deno on the absolute main.ts with the product's runtime flags", () => {
  const launcher = taskLauncher({
    standalone: false,
    execPath: String.raw`C:\Users\Lab User\.deno\bin\deno.exe`,
    mainModule: "file:///C:/Users/Lab%20User/src/fusion-toolkit/main.ts",
    platform: "windows",
  });
  assert.deepEqual(launcher, {
    program: String.raw`C:\Users\Lab User\.deno\bin\deno.exe`,
    prefix: [
      "run",
      ...PRODUCT_FLAGS,
      "--config",
      String.raw`C:\Users\Lab User\src\fusion-toolkit\deno.json`,
      String.raw`C:\Users\Lab User\src\fusion-toolkit\main.ts`,
    ],
    workingDirectory: String.raw`C:\Users\Lab User\src\fusion-toolkit`,
    fromSource: true,
  });
  const [warning] = launcherWarnings(launcher);
  assert.match(
    warning ?? "",
    /^running from source: the tasks will start .*deno\.exe on .*main\.ts/,
  );
  assert.equal(launcherWarnings(launcher).length, 1);

  const npx = taskLauncher({
    standalone: false,
    execPath: "/root/.npm/_npx/4b9c/node_modules/deno/deno",
    mainModule: "file:///home/lab/fusion-toolkit/main.ts",
    platform: "posix",
  });
  assert.deepEqual(npx.prefix.slice(-3), [
    "--config",
    "/home/lab/fusion-toolkit/deno.json",
    "/home/lab/fusion-toolkit/main.ts",
  ]);
  assert.match(launcherWarnings(npx)[1] ?? "", /npm's npx cache, which npm may clear/);
});

Deno.test("fileUrlToPath handles drive letters, UNC hosts, escapes and refuses remote modules", () => {
  assert.equal(
    fileUrlToPath("file:///D:/src/a%20b/main.ts", "windows"),
    String.raw`D:\src\a b\main.ts`,
  );
  assert.equal(
    fileUrlToPath("file://truenas/tools/ft/main.ts", "windows"),
    String.raw`\\truenas\tools\ft\main.ts`,
  );
  assert.equal(
    fileUrlToPath("file:///home/lab/%E7%A0%94/main.ts", "posix"),
    "/home/lab/研/main.ts",
  );
  assert.throws(
    () => fileUrlToPath("https://example.org/main.ts", "windows"),
    (error: Error) => error instanceof UsageError && /not a local file/.test(error.message),
  );
});

Deno.test("a task's action quotes paths with spaces and bakes in --config", () => {
  const backup = SCHEDULED_TASKS[0];
  assert.ok(backup !== undefined);
  assert.deepEqual(taskAction(backup, EXE_LAUNCHER, CONFIG), {
    command: EXE,
    arguments: String
      .raw`backup run --config "C:\Users\Lab User\.config\fusion-toolkit\config.toml"`,
    workingDirectory: String.raw`C:\Program Files\fusion-toolkit`,
  });
  assert.equal(
    taskAction(backup, EXE_LAUNCHER, String.raw`\\truenas\it\fusion\config.toml`).arguments,
    String.raw`backup run --config \\truenas\it\fusion\config.toml`,
  );
});

Deno.test("schtasks argv: create from XML with the account, delete, list", () => {
  assert.deepEqual(
    buildCreateArgv(
      "FusionToolkitBackup",
      String.raw`C:\cfg\tasks\FusionToolkitBackup.xml`,
      USER,
      "pw d",
    ),
    [
      "/Create",
      "/TN",
      "FusionToolkitBackup",
      "/XML",
      String.raw`C:\cfg\tasks\FusionToolkitBackup.xml`,
      "/RU",
      USER,
      "/RP",
      "pw d",
      "/F",
    ],
  );
  assert.deepEqual(buildDeleteArgv("FusionToolkitMonitor"), [
    "/Delete",
    "/TN",
    "FusionToolkitMonitor",
    "/F",
  ]);
  assert.deepEqual(buildListArgv(), ["/Query", "/FO", "CSV", "/NH"]);
});

Deno.test("schtasksPath is absolute under SystemRoot", () => {
  assert.equal(
    schtasksPath(env({ SystemRoot: "C:\\WINDOWS" })),
    String.raw`C:\WINDOWS\System32\schtasks.exe`,
  );
  assert.equal(schtasksPath(env({})), String.raw`C:\Windows\System32\schtasks.exe`);
});

Deno.test("displayCommandLine masks the password and quotes like cmd.exe expects", () => {
  const argv = buildCreateArgv(
    "FusionToolkitBackup",
    String.raw`C:\Users\Lab User\.config\fusion-toolkit\tasks\FusionToolkitBackup.xml`,
    "LAB\\Lab User",
    "/F hunter2",
  );
  const line = displayCommandLine(String.raw`C:\Windows\System32\schtasks.exe`, argv);
  assert.equal(
    line,
    String
      .raw`C:\Windows\System32\schtasks.exe /Create /TN FusionToolkitBackup /XML "C:\Users\Lab User\.config\fusion-toolkit\tasks\FusionToolkitBackup.xml" /RU "LAB\Lab User" /RP ******** /F`,
  );
  assert.ok(!line.includes("hunter2"));
});

Deno.test("taskXml: well-formed, escaped, no run-time limit, each task's trigger, the account", () => {
  const launcher = { ...EXE_LAUNCHER, program: String.raw`C:\R&D <tools>\fusion-toolkit.exe` };
  const [backup, cleanup, monitor, report] = SCHEDULED_TASKS.map((task) => {
    const action = taskAction(task, launcher, CONFIG);
    return { action, xml: taskXml(task, action, USER, "fusion-toolkit 9.9.9") };
  });
  assert.ok(backup && cleanup && monitor && report);
  for (const { action, xml } of [backup, cleanup, monitor, report]) {
    assertBalanced(xml);
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-16"?>\r\n'));
    assert.equal(element(xml, "Command"), action.command);
    assert.equal(element(xml, "Arguments"), action.arguments);
    assert.equal(element(xml, "WorkingDirectory"), action.workingDirectory);
    assert.equal(element(xml, "ExecutionTimeLimit"), "PT0S");
    assert.equal(element(xml, "UserId"), USER);
    assert.equal(element(xml, "LogonType"), "Password");
    assert.equal(element(xml, "MultipleInstancesPolicy"), "IgnoreNew");
    assert.equal(element(xml, "Author"), "fusion-toolkit 9.9.9");
    assert.ok(xml.includes("&amp;") && xml.includes("&lt;tools&gt;"));
  }
  assert.equal(element(backup.xml, "StartBoundary"), "2025-01-01T02:00:00");
  assert.equal(element(backup.xml, "Day"), "1");
  assert.equal(element(cleanup.xml, "Day"), "20");
  assert.equal(element(report.xml, "Day"), "2");
  assert.equal(element(report.xml, "StartBoundary"), "2025-01-01T08:00:00");
  assert.equal(element(report.xml, "StartWhenAvailable"), "true");
  assert.equal(
    backup.xml.match(
      /<(January|February|March|April|May|June|July|August|September|October|November|December)\/>/g,
    )?.length,
    12,
  );
  assert.equal(element(backup.xml, "URI"), "\\FusionToolkitBackup");
  assert.equal(element(monitor.xml, "Delay"), "PT1M");
  assert.ok(monitor.xml.includes("<BootTrigger>") && !monitor.xml.includes("CalendarTrigger"));
});

Deno.test("encodeUtf16le writes a byte-order mark and UTF-16LE code units", () => {
  const text = "<Command>D:\\研究\\x.exe</Command>";
  const bytes = encodeUtf16le(text);
  assert.deepEqual([...bytes.subarray(0, 4)], [0xff, 0xfe, 0x3c, 0x00]);
  assert.equal(new TextDecoder("utf-16le").decode(bytes), text); // the decoder drops the BOM
});

Deno.test("parseTaskList reads the task names of schtasks' CSV listing in any language", () => {
  const output = [
    "",
    '"\\FusionToolkitBackup","2026/2/1 2:00:00","就绪"',
    '"\\FusionToolkitMonitor","N/A","正在运行"',
    '"\\Microsoft\\Windows\\Defrag\\ScheduledDefrag","N/A","Ready"',
    "INFO: There are no scheduled tasks presently available at your access level.",
    "",
  ].join("\r\n");
  assert.deepEqual(
    [...parseTaskList(output)],
    [
      "\\FusionToolkitBackup",
      "\\FusionToolkitMonitor",
      "\\Microsoft\\Windows\\Defrag\\ScheduledDefrag",
    ],
  );
});

Deno.test("planTasks: one XML file per task in the folder given, registered as the user", () => {
  const plans = planTasks({
    launcher: EXE_LAUNCHER,
    configFile: CONFIG,
    xmlDir: String.raw`C:\Users\Lab User\.config\fusion-toolkit\tasks`,
    user: USER,
    password: "pw",
    author: "fusion-toolkit 0.1.0",
    platform: "windows",
  });
  assert.deepEqual(plans.map((plan) => plan.xmlFile), [
    String.raw`C:\Users\Lab User\.config\fusion-toolkit\tasks\FusionToolkitBackup.xml`,
    String.raw`C:\Users\Lab User\.config\fusion-toolkit\tasks\FusionToolkitCleanup.xml`,
    String.raw`C:\Users\Lab User\.config\fusion-toolkit\tasks\FusionToolkitMonitor.xml`,
    String.raw`C:\Users\Lab User\.config\fusion-toolkit\tasks\FusionToolkitReport.xml`,
  ]);
  for (const plan of plans) {
    assert.deepEqual(plan.createArgv, buildCreateArgv(plan.task.name, plan.xmlFile, USER, "pw"));
    assert.equal(plan.xml, taskXml(plan.task, plan.action, USER, "fusion-toolkit 0.1.0"));
  }
  assert.equal(plans[2]?.action.arguments, String.raw`monitor tail --config "${CONFIG}"`);
  assert.equal(
    plans[3]?.action.arguments,
    String.raw`report --send --once --s3 --config "${CONFIG}"`,
  );
});

Deno.test("defaultTaskUser is DOMAIN\\name from the environment, or nothing", () => {
  assert.equal(defaultTaskUser(env({ USERDOMAIN: "LAB", USERNAME: "fusion" })), "LAB\\fusion");
  assert.equal(defaultTaskUser(env({ USERNAME: "fusion" })), undefined);
  assert.equal(defaultTaskUser(env({ USERDOMAIN: "LAB", USERNAME: "" })), undefined);
});
