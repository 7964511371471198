/**
 * The `[hooks]` command run before a job (e.g. mapping the share). Its
 * output goes straight to ours; a non-zero exit stops the job.
 *
 * @module
 */
import { OperationFailedError } from "../errors.ts";
import type { Logger } from "../log/mod.ts";

/**
 * Runs `argv` with inherited stdio; an empty argv does nothing.
 *
 * @throws {OperationFailedError} (exit 1) when the program is missing or exits non-zero.
 */
export async function runHook(argv: readonly string[], job: string, logger: Logger): Promise<void> {
  const [program, ...args] = argv;
  if (program === undefined) return;
  logger.info(`${job}: running hook ${JSON.stringify(argv)}`);
  let status: Deno.CommandStatus;
  try {
    status = await new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
  } catch (error) {
    throw new OperationFailedError(
      `the ${job} hook could not start ${JSON.stringify(program)}: ${(error as Error).message}; ` +
        `fix [hooks] in the config; ${job} did not run`,
      { cause: error },
    );
  }
  if (!status.success) {
    const how = status.signal === null ? `exit code ${status.code}` : `signal ${status.signal}`;
    throw new OperationFailedError(
      `the ${job} hook ${JSON.stringify(argv)} failed with ${how}; ${job} did not run`,
    );
  }
}
