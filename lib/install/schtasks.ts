/**
 * Runs `schtasks.exe` to register and remove fusion-toolkit's tasks, from
 * the argv and XML that tasks.ts builds. Windows only; the caller checks.
 *
 * @module
 */
import { dirname } from "node:path";
import { OperationFailedError } from "../errors.ts";
import {
  buildDeleteArgv,
  buildListArgv,
  encodeUtf16le,
  parseTaskList,
  SCHEDULED_TASKS,
  type TaskPlan,
} from "./tasks.ts";

/** What one schtasks run returned. */
export interface SchtasksResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs schtasks.exe with an argv. */
export type SchtasksRunner = (argv: readonly string[]) => Promise<SchtasksResult>;

/**
 * Console output as text. schtasks writes in the console's code page, not
 * UTF-8: on Simplified Chinese Windows that is code page 936, which GB18030
 * contains. ASCII (task names, paths, English messages) reads right either way.
 */
export function decodeConsoleOutput(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("gb18030").decode(bytes);
  }
}

/** A runner for the real `schtasks.exe` at `program`. */
export function schtasksRunner(program: string): SchtasksRunner {
  return async (argv) => {
    const output = await new Deno.Command(program, {
      args: [...argv],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: output.code,
      stdout: decodeConsoleOutput(output.stdout),
      stderr: decodeConsoleOutput(output.stderr),
    };
  };
}

function failure(result: SchtasksResult): string {
  const text = `${result.stderr}\n${result.stdout}`.replace(/\s+/g, " ").trim();
  return text === "" ? `exit code ${result.code}` : text;
}

/** The names of every registered task, e.g. `\FusionToolkitBackup`. */
async function registeredTasks(run: SchtasksRunner): Promise<Set<string>> {
  const result = await run(buildListArgv());
  if (result.code !== 0) {
    throw new OperationFailedError(
      `schtasks could not list the scheduled tasks: ${failure(result)}`,
    );
  }
  return parseTaskList(result.stdout);
}

/**
 * Writes each task's XML (UTF-16, as Task Scheduler expects) and registers
 * the task, replacing one of the same name. Stops at the first failure.
 * Reports each task registered through `done`.
 *
 * @throws {OperationFailedError} naming the task and schtasks' message.
 */
export async function registerTasks(
  plans: readonly TaskPlan[],
  run: SchtasksRunner,
  done: (plan: TaskPlan) => void,
): Promise<void> {
  for (const plan of plans) {
    await Deno.mkdir(dirname(plan.xmlFile), { recursive: true });
    await Deno.writeFile(plan.xmlFile, encodeUtf16le(plan.xml));
    const result = await run(plan.createArgv);
    if (result.code !== 0) {
      throw new OperationFailedError(
        `schtasks could not register ${plan.task.name}: ${failure(result)}; run this from a ` +
          "PowerShell opened with 'Run as administrator' and check the user name and password",
      );
    }
    done(plan);
  }
}

/** What {@linkcode removeTasks} did to one task. */
export interface RemovedTask {
  readonly name: string;
  /** False when the task was not registered (nothing to do). */
  readonly removed: boolean;
}

/**
 * Deletes every fusion-toolkit task that is registered; a task that is not
 * is reported, not an error, so running this twice is fine. Whether a task
 * exists is read from schtasks' task list, whose names do not depend on the
 * Windows display language (its error messages do).
 *
 * @throws {OperationFailedError} when the list cannot be read or a delete fails.
 */
export async function removeTasks(run: SchtasksRunner): Promise<RemovedTask[]> {
  const present = await registeredTasks(run);
  const results: RemovedTask[] = [];
  for (const task of SCHEDULED_TASKS) {
    if (!present.has(`\\${task.name}`)) {
      results.push({ name: task.name, removed: false });
      continue;
    }
    const result = await run(buildDeleteArgv(task.name));
    if (result.code !== 0) {
      throw new OperationFailedError(
        `schtasks could not delete ${task.name}: ${failure(result)}; run this from a ` +
          "PowerShell opened with 'Run as administrator'",
      );
    }
    results.push({ name: task.name, removed: true });
  }
  return results;
}
