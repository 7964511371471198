/**
 * registerTasks/removeTasks drive schtasks.exe, which does not exist off
 * Windows. These tests pass a stand-in runner (a mock: no real peer exists
 * here) that records each argv and answers as schtasks does; the XML files
 * they write are real files in a temp folder.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { OperationFailedError } from "../../lib/errors.ts";
import {
  decodeConsoleOutput,
  registerTasks,
  removeTasks,
  type SchtasksResult,
} from "../../lib/install/schtasks.ts";
import { planTasks, taskLauncher } from "../../lib/install/tasks.ts";
import { withTempDir } from "../_helpers/temp.ts";

function standIn(answer: (argv: readonly string[]) => SchtasksResult) {
  const calls: string[][] = [];
  const run = (argv: readonly string[]) => {
    calls.push([...argv]);
    return Promise.resolve(answer(argv));
  };
  return { calls, run };
}

const OK: SchtasksResult = { code: 0, stdout: "SUCCESS: ...", stderr: "" };

function plans(xmlDir: string) {
  return planTasks({
    launcher: taskLauncher({
      standalone: true,
      execPath: "C:\\ft\\fusion-toolkit.exe",
      mainModule: "file:///C:/x/main.ts",
      platform: "windows",
    }),
    configFile: "C:\\cfg\\config.toml",
    xmlDir,
    user: "LAB\\fusion",
    password: "pw",
    author: "fusion-toolkit test",
    platform: "posix",
  });
}

Deno.test("registerTasks writes each UTF-16 XML file, then runs its create argv", async () => {
  await withTempDir(async (dir) => {
    const xmlDir = join(dir, "tasks");
    const { calls, run } = standIn(() => OK);
    const done: string[] = [];
    const planned = plans(xmlDir);
    await registerTasks(planned, run, (plan) => done.push(plan.task.name));
    assert.deepEqual(calls, planned.map((plan) => plan.createArgv));
    assert.deepEqual(done, [
      "FusionToolkitBackup",
      "FusionToolkitCleanup",
      "FusionToolkitMonitor",
      "FusionToolkitReport",
    ]);
    for (const plan of planned) {
      const bytes = await Deno.readFile(plan.xmlFile);
      assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
      assert.equal(new TextDecoder("utf-16le").decode(bytes), plan.xml);
    }
  });
});

Deno.test("registerTasks stops at the first failure and names the task and schtasks' message", async () => {
  await withTempDir(async (dir) => {
    const { calls, run } = standIn((argv) =>
      argv[2] === "FusionToolkitCleanup"
        ? { code: 1, stdout: "", stderr: "ERROR: The user name or password is incorrect.\r\n" }
        : OK
    );
    const done: string[] = [];
    await assert.rejects(
      registerTasks(plans(dir), run, (plan) => done.push(plan.task.name)),
      (error: Error) => {
        assert.ok(error instanceof OperationFailedError);
        assert.equal(
          error.message,
          "schtasks could not register FusionToolkitCleanup: ERROR: The user name or password is " +
            "incorrect.; run this from a PowerShell opened with 'Run as administrator' and check " +
            "the user name and password",
        );
        return true;
      },
    );
    assert.equal(calls.length, 2);
    assert.deepEqual(done, ["FusionToolkitBackup"]);
  });
});

Deno.test("removeTasks deletes only the registered tasks, so running it twice is fine", async () => {
  const registered = new Set(["\\FusionToolkitBackup", "\\FusionToolkitMonitor", "\\Other"]);
  const { calls, run } = standIn((argv) => {
    if (argv[0] === "/Query") {
      const rows = [...registered].map((name) => `"${name}","N/A","Ready"`);
      return { code: 0, stdout: rows.join("\r\n"), stderr: "" };
    }
    registered.delete(`\\${argv[2]}`);
    return OK;
  });
  assert.deepEqual(await removeTasks(run), [
    { name: "FusionToolkitBackup", removed: true },
    { name: "FusionToolkitCleanup", removed: false },
    { name: "FusionToolkitMonitor", removed: true },
    { name: "FusionToolkitReport", removed: false },
  ]);
  assert.deepEqual(calls, [
    ["/Query", "/FO", "CSV", "/NH"],
    ["/Delete", "/TN", "FusionToolkitBackup", "/F"],
    ["/Delete", "/TN", "FusionToolkitMonitor", "/F"],
  ]);
  assert.deepEqual((await removeTasks(run)).map((task) => task.removed), [
    false,
    false,
    false,
    false,
  ]);
  assert.deepEqual([...registered], ["\\Other"]);
});

Deno.test("removeTasks reports a failed listing or delete as a failure, with schtasks' words", async () => {
  const denied = standIn(() => ({ code: 1, stdout: "", stderr: "ERROR: Access is denied." }));
  await assert.rejects(
    removeTasks(denied.run),
    /^OperationFailedError: schtasks could not list the scheduled tasks: ERROR: Access is denied\.$/,
  );
  const failing = standIn((argv) =>
    argv[0] === "/Query"
      ? { code: 0, stdout: '"\\FusionToolkitBackup","N/A","Ready"', stderr: "" }
      : { code: 1, stdout: "", stderr: "ERROR: Access is denied." }
  );
  await assert.rejects(
    removeTasks(failing.run),
    /schtasks could not delete FusionToolkitBackup: ERROR: Access is denied\.; run this from/,
  );
});

Deno.test("decodeConsoleOutput reads UTF-8, and Chinese Windows' code page 936", () => {
  assert.equal(decodeConsoleOutput(new TextEncoder().encode("SUCCESS: é")), "SUCCESS: é");
  // "错误: 系统找不到" as code page 936 writes it.
  const gbk = [
    0xb4,
    0xed,
    0xce,
    0xf3,
    0x3a,
    0x20,
    0xcf,
    0xb5,
    0xcd,
    0xb3,
    0xd5,
    0xd2,
    0xb2,
    0xbb,
    0xb5,
    0xbd,
  ];
  assert.equal(decodeConsoleOutput(new Uint8Array(gbk)), "错误: 系统找不到");
});
