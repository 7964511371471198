/**
 * Where a job's runs are recorded: this PC's job history (what `status`
 * shows) and the share's job log, where the monthly report of any PC reads
 * every instrument's runs. Recording never fails a job: what cannot be
 * written is logged.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { hostName } from "../host.ts";
import type { Config } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import { appendJobRecord, type JobRecord, timestamp } from "../manifest/mod.ts";
import { appendRun } from "../status/mod.ts";
import type { JobFailure } from "./context.ts";

/** Records one job's run. */
export interface JobRecorder {
  /** Records the run, ended with `code`, in the job history and the share's job log. */
  finished(code: number, failure: JobFailure | undefined): Promise<void>;
  /** Records a sign of life of a job that runs for days in the share's job log. */
  alive(): Promise<void>;
}

/** The recorder of the run of job `name` that started at `startedAt`. Its methods never throw. */
export function jobRecorder(
  logger: Logger,
  config: Config,
  name: string,
  startedAt: Date,
): JobRecorder {
  const onShare = async (record: Omit<JobRecord, "job" | "instrument" | "host" | "started_at">) => {
    const written = await appendJobRecord(config.truenas.root, config.truenas.manifestRoot, {
      job: name,
      instrument: config.backup.instrument,
      host: hostName(),
      started_at: timestamp(startedAt),
      ...record,
    });
    if (written === undefined) {
      logger.info(
        `${name}: the share ${config.truenas.root} is not reachable: not recorded in its job log`,
      );
    }
  };
  return {
    async finished(code, failure) {
      const finishedAt = timestamp(new Date());
      const summary = failure?.title ?? null;
      await appendRun(config.dir, {
        job: name,
        started_at: timestamp(startedAt),
        finished_at: finishedAt,
        exit_code: code,
        summary,
      }).catch((error) =>
        logger.warn(`cannot record the run in the job history: ${errorMessage(error)}`)
      );
      await onShare({
        recorded_at: finishedAt,
        finished_at: finishedAt,
        exit_code: code,
        summary,
        ...(failure?.details === undefined ? {} : { details: failure.details }),
      }).catch((error) =>
        logger.warn(
          `cannot record the run in the share's job log (the monthly report will miss it): ` +
            errorMessage(error),
        )
      );
    },
    async alive() {
      const now = timestamp(new Date());
      await onShare({ recorded_at: now, finished_at: null, exit_code: null, summary: null })
        .catch((error) =>
          logger.info(
            `${name}: cannot record a sign of life in the share's job log: ${errorMessage(error)}`,
          )
        );
    },
  };
}
