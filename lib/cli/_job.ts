/**
 * What every config-driven command (backup, cleanup, monitor, audit, status)
 * does first and last: load the config, log to the monthly file beside it,
 * turn on email alerts, and on the way out email a failure and wait for the
 * alerts still on their way. One place, so every job behaves the same and
 * the error funnel can finish a job that threw.
 *
 * @module
 */
import { join } from "node:path";
import { errorMessage } from "../errors.ts";
import { appendJobRecord, type JobRecord, timestamp } from "../manifest/mod.ts";
import { appendRun } from "../status/mod.ts";
import { loadConfig } from "../config/mod.ts";
import { createNotifier, type NotifyEvent } from "../notify/mod.ts";
import type { CliContext, Job, JobFailure } from "./context.ts";

export type { Job, JobFailure };

function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown host";
  }
}

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
  const config = await loadConfig({
    path: options.config,
    env: context.env,
    command: context.command,
  });
  // Before the job touches anything: only its permission row from now on.
  context.permissions.configLoaded(config, options.paths);
  context.logger.attachFile(join(config.dir, "logs"));
  context.logger.info(`${name}: using config ${config.file}`);
  const notifier = await createNotifier({
    config,
    logger: context.logger,
    env: context.env,
    smtpEnv: options.smtpEnv,
  });
  notifier.watch(context.logger);
  const startedAt = new Date();
  let finished = false;
  // Every instrument's runs, where the monthly report of any PC reads them.
  const recordOnShare = async (
    record: Omit<JobRecord, "job" | "instrument" | "host" | "started_at">,
  ) => {
    const written = await appendJobRecord(config.truenas.root, config.truenas.manifestRoot, {
      job: name,
      instrument: config.backup.instrument,
      host: hostname(),
      started_at: timestamp(startedAt),
      ...record,
    });
    if (written === undefined) {
      context.logger.info(
        `${name}: the share ${config.truenas.root} is not reachable: not recorded in its job log`,
      );
    }
  };
  const recordRun = async (code: number, failure: JobFailure | undefined) => {
    const finishedAt = timestamp(new Date());
    const run = { started_at: timestamp(startedAt), finished_at: finishedAt, exit_code: code };
    const summary = failure?.title ?? null;
    await appendRun(config.dir, { job: name, ...run, summary }).catch((error) =>
      context.logger.warn(`cannot record the run in the job history: ${errorMessage(error)}`)
    );
    await recordOnShare({
      recorded_at: finishedAt,
      finished_at: finishedAt,
      exit_code: code,
      summary,
      ...(failure?.details === undefined ? {} : { details: failure.details }),
    }).catch((error) =>
      context.logger.warn(
        `cannot record the run in the share's job log (the monthly report will miss it): ` +
          errorMessage(error),
      )
    );
  };
  const job: Job = {
    name,
    config,
    notifier,
    async finish(code, failure) {
      if (finished) return code;
      finished = true;
      if (code !== 0 && options.failureEvent !== undefined && options.dryRun !== true) {
        void notifier.send(options.failureEvent, {
          title: failure?.title ?? `${name} failed`,
          lines: [...(failure?.lines ?? []), `${name} exited with code ${code}.`],
          ...(failure?.study === undefined ? {} : { study: failure.study }),
        });
      }
      if (options.dryRun !== true) await recordRun(code, failure);
      await notifier.close();
      return code;
    },
    async alive() {
      const now = timestamp(new Date());
      await recordOnShare({ recorded_at: now, finished_at: null, exit_code: null, summary: null })
        .catch((error) =>
          context.logger.info(
            `${name}: cannot record a sign of life in the share's job log: ${errorMessage(error)}`,
          )
        );
    },
  };
  context.job = job;
  return job;
}
