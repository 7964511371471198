/**
 * `monitor tail`: follows the instrument's Fusion.log until stopped and
 * emails each new error block as `fusion_error`. Ctrl-C or a task stop
 * (SIGINT, SIGTERM; SIGINT and SIGBREAK on Windows) ends it cleanly with
 * the state saved (exit 0). Anything else that stops the loop is a crash:
 * one error line, a `monitor_crash` email, exit 1.
 *
 * @module
 */
import type { Command } from "commander";
import { ExitCode } from "../errors.ts";
import { describeError, type Logger } from "../log/mod.ts";
import { emailFusionErrors, LogTail, monitorStatePath } from "../monitor/mod.ts";
import { type Job, startJob } from "./_job.ts";
import type { CliContext } from "./context.ts";
import { configOption, smtpEnvOption } from "./_options.ts";

/** How often a running monitor records a sign of life in the share's job log. */
const ALIVE_INTERVAL_MS = 24 * 3600_000;

interface TailOptions {
  config?: string;
  smtpEnv?: string;
}

/** The signals that stop the monitor cleanly; Windows delivers only Ctrl-C and Ctrl-Break. */
function stopSignals(): Deno.Signal[] {
  return Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/** Aborts `controller` on the first stop signal; returns the function removing the listeners. */
function abortOnSignals(controller: AbortController, onSignal: (name: string) => void) {
  const listeners = stopSignals().map((signal) => {
    const listener = () => {
      if (!controller.signal.aborted) onSignal(signal);
      controller.abort(signal);
    };
    Deno.addSignalListener(signal, listener);
    return () => Deno.removeSignalListener(signal, listener);
  });
  return () => listeners.forEach((remove) => remove());
}

/** The tail of the instrument's log the job's config describes, its error blocks emailed. */
export function openLogTail(job: Job, logger: Logger): Promise<LogTail> {
  const { monitor } = job.config;
  return LogTail.open({
    logPath: monitor.logPath,
    patterns: {
      lineStart: monitor.lineStart,
      error: monitor.error,
      sample: monitor.sample,
      cycle: monitor.cycle,
    },
    pollSeconds: monitor.pollSeconds,
    sentKeepDays: monitor.sentKeepDays,
    rotationGraceSeconds: monitor.rotationGraceSeconds,
    stateFile: monitorStatePath(job.config.dir),
    logger,
    deliver: emailFusionErrors(job.notifier, monitor.logPath, monitor.lineStart),
  });
}

async function tail(context: CliContext, options: TailOptions): Promise<number> {
  const job = await startJob(context, "monitor tail", {
    config: options.config,
    smtpEnv: options.smtpEnv,
    failureEvent: "monitor_crash",
  });
  const { logger } = context;
  const { monitor } = job.config;
  const stateFile = monitorStatePath(job.config.dir);
  const controller = new AbortController();
  const removeListeners = abortOnSignals(controller, (signal) => {
    logger.info(`monitor tail: ${signal} received; saving the state and stopping`);
  });
  // The monthly report tells a running monitor from a silent one by these.
  await job.alive();
  const heartbeat = setInterval(() => void job.alive(), ALIVE_INTERVAL_MS);
  try {
    const logTail = await openLogTail(job, logger);
    await logTail.run(controller.signal);
    const { found, emailed } = logTail.stats;
    logger.info(
      `monitor tail: stopped; ${found} error block(s) found, ${emailed} emailed; ` +
        `state saved in ${stateFile}`,
    );
    return await job.finish(ExitCode.ok);
  } catch (error) {
    const title = `monitor tail crashed: ${describeError(error)}`;
    const logFile = logger.filePath === undefined ? "" : `; the log is ${logger.filePath}`;
    logger.error(`${title}${logFile}`, error);
    const stack = error instanceof Error && error.stack !== undefined ? error.stack : "";
    if (logger.verbose && stack !== "") context.io.err(`${stack}\n`);
    return await job.finish(ExitCode.failure, {
      title,
      lines: [
        `Fusion.log (${monitor.logPath}) is no longer watched: restart the task after fixing this.`,
        ...stack.split("\n").slice(0, 12),
      ],
    });
  } finally {
    clearInterval(heartbeat);
    removeListeners();
  }
}

/** Registers `monitor tail`. */
export function registerMonitor(program: Command, context: CliContext): void {
  const group = program
    .command("monitor")
    .description("watch the instrument's Fusion.log and email its errors");
  group
    .command("tail")
    .description(
      "follow Fusion.log and email each new ERROR/FATAL block as fusion_error; runs until stopped",
    )
    .addOption(configOption())
    .addOption(smtpEnvOption())
    .action(async (options: TailOptions) => {
      context.exitCode = await tail(context, options);
    });
}
