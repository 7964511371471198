/**
 * What every command needs from the outside world, behind a thin layer so
 * in-process tests can capture output and control the environment, and the
 * job a config-driven command runs (started by `_job.ts`).
 *
 * @module
 */
import type { SpaceReader } from "../cleanup/mod.ts";
import type { Config, EnvReader } from "../config/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { JobDetails } from "../manifest/mod.ts";
import type { Notifier } from "../notify/mod.ts";
import type { CliPermissions } from "./_permissions.ts";
import type { StatusLine } from "./_progress.ts";
import type { Io } from "./io.ts";

export { denoIo, type Io } from "./io.ts";

/** Shared by the commands of one run. */
export interface CliContext {
  readonly io: Io;
  readonly logger: Logger;
  /** The terminal's status line; log lines print above it. */
  readonly status: StatusLine;
  readonly env: EnvReader;
  /**
   * How the user starts this program (lib/invocation.ts): the name in the
   * usage lines, and in every hint that names a command to type.
   */
  readonly command: string;
  /** The narrowing of this run's Deno permissions to the command's row. */
  readonly permissions: CliPermissions;
  /** The TrueNAS share's free space, for cleanup and status: statfs, unless the caller set it. */
  readonly readShareSpace: SpaceReader;
  /** The exit code the command chose; the error funnel overrides it on a throw. */
  exitCode: number;
  /** The config-driven job running, once it started; the error funnel finishes it on a throw. */
  job?: Job;
}

/** What a job reports when it ends non-zero; the failure email is built from it. */
export interface JobFailure {
  /**
   * One line: what happened, e.g. "2 of 5 studies failed" (or, for a job that
   * succeeded, "3 studies backed up": the job history records it either way).
   */
  readonly title: string;
  /** Details, one per line: which study, which step, the error. */
  readonly lines: readonly string[];
  /** The study concerned when there is exactly one; named in the email's subject. */
  readonly study?: string;
  /** Facts of the run for the monthly report, recorded in the share's job log. */
  readonly details?: JobDetails;
}

/** A running job: its config, its alerts, and the one way to end it. */
export interface Job {
  readonly name: string;
  readonly config: Config;
  /** The job's alerts; `monitor tail` sends `fusion_error` and `monitor_crash` through it. */
  readonly notifier: Notifier;
  /**
   * Ends the job with `code`: on non-zero, emails the job's failure event
   * built from `failure`; then waits (bounded) for every alert on its way.
   * Returns `code` unchanged, whatever happened to the emails. Never throws.
   */
  finish(code: number, failure?: JobFailure): Promise<number>;
  /**
   * Records a sign of life of a job that runs for days (`monitor tail`) in
   * the share's job log, so the monthly report can tell it is running.
   * Never throws; a share it cannot reach is logged (info).
   */
  alive(): Promise<void>;
}
