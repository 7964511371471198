/**
 * What every config-driven command (backup, cleanup, monitor, audit, status)
 * does first and last: load the config, log to the monthly file beside it,
 * turn on email alerts, and on the way out email a failure, record the run
 * (_job_record.ts) and wait for the alerts still on their way. One place, so every job behaves the same and
 * the error funnel can finish a job that threw.
 *
 * @module
 */
import { join } from "node:path";
import { type Config, loadConfig } from "../config/mod.ts";
import { createNotifier, type NotifyEvent } from "../notify/mod.ts";
import type { CliContext, Job, JobFailure } from "./context.ts";
import { jobRecorder } from "./_job_record.ts";

export type { Job, JobFailure };

/** Options every job command accepts. */
export interface JobOptions {
  /** `--config`; the default location when absent. */
  readonly config?: string | undefined;
  /** `--smtp-env`: the SMTP credentials file; `smtp.env` beside config.toml when absent. */
  readonly smtpEnv?: string | undefined;
  /** Emailed when the job ends non-zero (`backup_failure`, `cleanup_failure`); none when absent. */
  readonly failureEvent?: NotifyEvent | undefined;
  /** A dry run: its exit code is a forecast, so it sends no failure email and is not recorded. */
  readonly dryRun?: boolean | undefined;
  /** Paths the job works on besides its config's (restore's `--to`): see `configLoaded`. */
  readonly paths?: readonly string[];
}

/**
 * The job's config, and its log from now on in `<config dir>/logs/YYYY-MM.log`.
 * Before the job touches anything, this run's permissions narrow to its row.
 */
async function loadJobConfig(context: CliContext, name: string, options: JobOptions) {
  const config = await loadConfig({
    path: options.config,
    env: context.env,
    command: context.command,
  });
  context.permissions.configLoaded(config, options.paths);
  context.logger.attachFile(join(config.dir, "logs"));
  context.logger.info(`${name}: using config ${config.file}`);
  return config;
}

/** Email alerts: every WARNING and ERROR record from now on feeds `toolkit_error`. */
async function startAlerts(context: CliContext, config: Config, smtpEnv: string | undefined) {
  const notifier = await createNotifier({
    config,
    logger: context.logger,
    env: context.env,
    smtpEnv,
  });
  notifier.watch(context.logger);
  return notifier;
}

/** The failure email of a job that ended with `code`. */
function failureAlert(name: string, code: number, failure: JobFailure | undefined) {
  return {
    title: failure?.title ?? `${name} failed`,
    lines: [...(failure?.lines ?? []), `${name} exited with code ${code}.`],
    ...(failure?.study === undefined ? {} : { study: failure.study }),
  };
}

/**
 * Loads the config, starts logging to `<config dir>/logs/YYYY-MM.log`, and
 * turns on alerts: from now until `finish`, every WARNING and ERROR record
 * feeds `toolkit_error`. The job is recorded on `context` so the error
 * funnel can finish it.
 *
 * @throws {ConfigError} from the config loader.
 */
export async function startJob(
  context: CliContext,
  name: string,
  options: JobOptions,
): Promise<Job> {
  const config = await loadJobConfig(context, name, options);
  const notifier = await startAlerts(context, config, options.smtpEnv);
  const recorder = jobRecorder(context.logger, config, name, new Date());
  let finished = false;
  const job: Job = {
    name,
    config,
    notifier,
    async finish(code, failure) {
      if (finished) return code;
      finished = true;
      if (code !== 0 && options.failureEvent !== undefined && options.dryRun !== true) {
        void notifier.send(options.failureEvent, failureAlert(name, code, failure));
      }
      if (options.dryRun !== true) await recorder.finished(code, failure);
      await notifier.close();
      return code;
    },
    alive: () => recorder.alive(),
  };
  context.job = job;
  return job;
}
