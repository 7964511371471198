/**
 * What every config-driven command (backup, cleanup, monitor, audit, status)
 * does first and last: load the config, log to the monthly file beside it,
 * and on the way out report a failure. One place, so every job behaves the
 * same and the error funnel can finish a job that threw.
 *
 * @module
 */
import { join } from "node:path";
import { type Config, loadConfig } from "../config/mod.ts";
import type { CliContext } from "./context.ts";

/** What a job reports when it ends non-zero; alerts are built from it. */
export interface JobFailure {
  /** One line: what went wrong, e.g. "2 of 5 studies failed". */
  readonly title: string;
  /** Details, one per line: which study, which step, the error. */
  readonly lines: readonly string[];
}

/** A running job: its config, and the one way to end it. */
export interface Job {
  readonly name: string;
  readonly config: Config;
  /** Ends the job with `code`; on non-zero, reports `failure`. Returns `code`. Never throws. */
  finish(code: number, failure?: JobFailure): Promise<number>;
}

/** Options every job command accepts. */
export interface JobOptions {
  /** `--config`; the default location when absent. */
  readonly config?: string | undefined;
}

/**
 * Loads the config and starts logging to `<config dir>/logs/YYYY-MM.log`.
 * The job is recorded on `context` so the error funnel can finish it.
 *
 * @throws {ConfigError} from the config loader.
 */
export async function startJob(
  context: CliContext,
  name: string,
  options: JobOptions,
): Promise<Job> {
  const config = await loadConfig({ path: options.config, env: context.env });
  context.logger.attachFile(join(config.dir, "logs"));
  context.logger.info(`${name}: using config ${config.file}`);
  let finished = false;
  const job: Job = {
    name,
    config,
    finish(code, failure) {
      if (!finished && code !== 0 && failure !== undefined) {
        context.logger.debug(`${name} failed: ${failure.title}`);
      }
      finished = true;
      return Promise.resolve(code);
    },
  };
  context.job = job;
  return job;
}
