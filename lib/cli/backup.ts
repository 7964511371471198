/**
 * `backup run`: the monthly verified backup of idle studies to the share and S3.
 *
 * @module
 */
import type { Command } from "commander";
import {
  type BackupPlan,
  type BackupRunResult,
  planBackup,
  runBackup,
  type StudyOutcome,
} from "../backup/mod.ts";
import type { Config } from "../config/mod.ts";
import { ExitCode } from "../errors.ts";
import { describeHolder } from "../fs/mod.ts";
import { withS3Store } from "../storage/mod.ts";
import { formatBytes, renderTable } from "../text/mod.ts";
import { type JobFailure, startJob } from "./_job.ts";
import { TerminalProgress } from "./_progress.ts";
import type { CliContext } from "./context.ts";
import { configOption, smtpEnvOption } from "./_options.ts";

interface BackupOptions {
  config?: string;
  dryRun?: boolean;
  smtpEnv?: string;
}

/** Longest failure text in the table; the log line above it has the whole message. */
const NOTE_LENGTH = 90;

function outcomeRow(outcome: StudyOutcome): string[] {
  const status = outcome.record?.status ?? "not started";
  let note = outcome.note ?? "source deleted";
  if (!outcome.ok) {
    const reason = `${outcome.step ?? "?"}: ${outcome.error ?? "failed"}`;
    note = reason.length > NOTE_LENGTH ? `${reason.slice(0, NOTE_LENGTH - 1)}…` : reason;
    if (!outcome.sourceDeleted) note += "; source kept";
  }
  return [outcome.study, status, String(outcome.files), formatBytes(outcome.bytes), note];
}

/** The final table of a run and its count line. */
export function renderRunSummary(result: BackupRunResult): string {
  const { outcomes } = result;
  const waiting = result.waiting.length;
  const waitingNote = waiting > 0 ? `; ${waiting} not idle long enough yet` : "";
  if (outcomes.length === 0) return `nothing to back up${waitingNote}\n`;
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  return renderTable(
    ["study", "status", "files", "size", "result"],
    outcomes.map(outcomeRow),
    ["left", "left", "right", "right"],
  ) + `${outcomes.length} stud${outcomes.length === 1 ? "y" : "ies"}: ` +
    `${outcomes.length - failed} backed up, ${failed} failed${waitingNote}\n`;
}

/** The share's locks, as the plan found them: free, or who holds them and what the run would do. */
function lockLines(plan: BackupPlan, instrument: string, waitMinutes: number): string[] {
  if (plan.locks === undefined) {
    return ["share: not reachable — the run would stop unless the hook mounts it"];
  }
  const wait = `the run would wait up to ${waitMinutes} min for it, then stop (exit 2)`;
  const lines: string[] = [];
  const own = plan.locks.backups.find((item) => item.instrument === instrument)?.state;
  if (own?.state === "held") {
    lines.push(
      `backup lock of ${instrument}: held (${
        own.holder === undefined ? "another run" : describeHolder(own.holder)
      }) — ${wait}`,
    );
  }
  const share = plan.locks.share;
  if (share.state === "held" && share.holder !== undefined) {
    lines.push(`share lock: held (${describeHolder(share.holder)}) — ${wait}`);
  }
  if (lines.length === 0) lines.push("share locks: free");
  for (const lock of plan.studyLocks) {
    lines.push(
      lock.live
        ? `study lock ${lock.path}: held by the backup running now`
        : `study lock ${lock.path}: left by a run that stopped — the run takes it over and resumes`,
    );
  }
  return lines;
}

/** The dry run's report: what would run, what each study would get and where, the totals. */
export function renderPlan(plan: BackupPlan, config: Config): string {
  const { idleDays, instrument } = config.backup;
  const lines = ["backup plan (dry run: nothing was written anywhere)"];
  lines.push(
    `hook: ${plan.hook.length === 0 ? "none" : `${JSON.stringify(plan.hook)} would run first`}`,
  );
  lines.push(...lockLines(plan, instrument, config.truenas.lockWaitMinutes));
  if (plan.freeBytes !== undefined) lines.push(`share free: ${formatBytes(plan.freeBytes)}`);
  if (plan.manifestNote !== undefined) lines.push(plan.manifestNote);
  const total = plan.studies.length + plan.waiting;
  lines.push(
    `studies due (idle for at least ${idleDays} days, or refused whatever their age): ` +
      `${plan.studies.length} of ${total}`,
  );
  let text = `${lines.join("\n")}\n`;
  if (plan.studies.length === 0) return `${text}nothing to back up\n`;
  text += renderTable(
    ["study", "check", "files", "size", "to"],
    plan.studies.flatMap((item) => [
      [
        item.study.name,
        item.blocker === undefined
          ? item.action === "back up" ? "ok" : "compare"
          : item.violations > 0
          ? `${item.violations} violation${item.violations === 1 ? "" : "s"}`
          : "refused",
        String(item.files),
        formatBytes(item.bytes),
        item.truenasPath,
      ],
      ["", "", "", "", item.s3Uri],
    ]),
    ["left", "left", "right", "right"],
  );
  for (const item of plan.studies) {
    if (item.blocker !== undefined) text += `${item.study.name}: ${item.blocker}\n`;
    else if (item.action !== "back up") text += `${item.study.name}: ${item.action}\n`;
  }
  const ready = plan.studies.filter((item) => item.blocker === undefined);
  const failing = plan.studies.length - ready.length;
  const bytes = ready.reduce((sum, item) => sum + item.bytes, 0);
  const files = ready.reduce((sum, item) => sum + item.files, 0);
  return text +
    `would back up ${ready.length} stud${ready.length === 1 ? "y" : "ies"}, ${files} files, ` +
    `${formatBytes(bytes)}; ${failing} would fail\n`;
}

/** The run's report: the failed studies in detail, or a one-line summary when none failed. */
function reportOf(result: BackupRunResult): { failed: boolean; report: JobFailure } {
  const failed = result.outcomes.filter((outcome) => !outcome.ok);
  // The monthly report says how long each study has been waiting.
  const details = {
    waiting: result.waiting.map((study) => ({
      study: study.name,
      newest_change: new Date(study.newestMtime).toISOString(),
    })),
  };
  if (failed.length === 0) {
    const count = result.outcomes.length;
    return {
      failed: false,
      report: {
        title: count === 0
          ? "nothing to back up"
          : `${count} stud${count === 1 ? "y" : "ies"} backed up`,
        lines: [],
        details,
      },
    };
  }
  const [only] = failed;
  return {
    failed: true,
    report: {
      details,
      ...(failed.length === 1 && only !== undefined ? { study: only.study } : {}),
      title: `${failed.length} of ${result.outcomes.length} studies failed`,
      lines: failed.map((outcome) =>
        `${outcome.study}: ${
          outcome.record?.status ?? "not started"
        } at ${outcome.step}: ${outcome.error}`
      ),
    },
  };
}

/** Registers `backup run`. */
export function registerBackup(program: Command, context: CliContext): void {
  program
    .command("backup")
    .description("verified backups of idle studies to the TrueNAS share and S3")
    .command("run")
    .description(
      "back up every idle study, oldest first; delete a source only when both copies are proven",
    )
    .addOption(configOption())
    .option("--dry-run", "print the plan with counts and sizes; write nothing anywhere")
    .addOption(smtpEnvOption())
    .action(async (options: BackupOptions) => {
      const job = await startJob(context, "backup run", {
        config: options.config,
        smtpEnv: options.smtpEnv,
        failureEvent: "backup_failure",
        dryRun: options.dryRun,
      });
      const { config } = job;
      if (options.dryRun === true) {
        const plan = await planBackup(
          config,
          new Date(),
          context.readShareSpace,
          context.command,
        );
        context.io.out(renderPlan(plan, config));
        const blocked = plan.studies.some((item) => item.blocker !== undefined);
        context.exitCode = await job.finish(blocked ? ExitCode.failure : ExitCode.ok);
        return;
      }
      await withS3Store(config.s3, { logger: context.logger }, async (store) => {
        const result = await runBackup({
          config,
          store: store(),
          logger: context.logger,
          progress: new TerminalProgress(context.status),
          hostname: Deno.hostname(),
          command: context.command,
          clock: () => new Date(),
          readSpace: context.readShareSpace,
        });
        context.io.out(renderRunSummary(result));
        const { failed, report } = reportOf(result);
        context.exitCode = await job.finish(failed ? ExitCode.failure : ExitCode.ok, report);
      });
    });
}
