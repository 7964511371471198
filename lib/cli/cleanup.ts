/**
 * `cleanup run`: frees the TrueNAS share by deleting its oldest backups that
 * are proven complete and in S3, until the free-space threshold is met.
 *
 * @module
 */
import type { Command } from "commander";
import {
  type CleanupPlan,
  type CleanupPreview,
  type CleanupRunResult,
  type EvictionOutcome,
  formatPercent,
  needsOperator,
  previewCleanup,
  runCleanup,
  type ShareSpace,
  type SkippedCandidate,
  type UnknownEntry,
} from "../cleanup/mod.ts";
import { ExitCode } from "../errors.ts";
import { SIDECAR_NAME } from "../layout/mod.ts";
import { withS3Store } from "../storage/mod.ts";
import { formatBytes, renderTable } from "../text/mod.ts";
import { type JobFailure, startJob } from "./_job.ts";
import type { CliContext } from "./context.ts";
import { configOption, smtpEnvOption } from "./_options.ts";

interface CleanupOptions {
  config?: string;
  dryRun?: boolean;
  smtpEnv?: string;
}

/**
 * Under an eviction table: why its counts are one more than the backup's in the manifest and
 * the backup's own report (the share folder also holds the sidecar).
 */
const FILES_NOTE = `files and size include each backup's ${SIDECAR_NAME}\n`;

/** Longest failure text in the table; the log has the whole message. */
const NOTE_LENGTH = 90;

function shorten(text: string): string {
  return text.length > NOTE_LENGTH ? `${text.slice(0, NOTE_LENGTH - 1)}…` : text;
}

function spaceLine(space: ShareSpace): string {
  return `${formatBytes(space.freeBytes)} of ${formatBytes(space.totalBytes)} free ` +
    `(${formatPercent(space)})`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function skippedText(skipped: readonly SkippedCandidate[], heading: string): string {
  if (skipped.length === 0) return "";
  return `${heading}\n${
    skipped.map((item) => `  ${item.candidate.backupName}: ${item.reason}\n`).join("")
  }`;
}

function unknownText(unknown: readonly UnknownEntry[]): string {
  if (unknown.length === 0) return "";
  return `not backups the manifest knows (never deleted):\n${
    unknown.map((entry) => `  ${entry.path}: ${entry.reason}\n`).join("")
  }`;
}

function alreadyAboveLine(plan: CleanupPlan): string {
  return `the share is ${formatPercent(plan.space)} free, at or above the ` +
    `${plan.thresholdPct}% threshold: nothing to evict\n`;
}

/** Why the plan stops short of the threshold, or "" when it does not. */
function shortfallNote(plan: CleanupPlan, keptExitCode: string): string {
  if (plan.reached) return "";
  return plan.skipped.length > 0
    ? `; the threshold cannot be reached while the gates keep ${
      plural(plan.skipped.length, "backup", "backups")
    } (${keptExitCode})`
    : "; the threshold cannot be reached: nothing else on the share can be evicted";
}

/** The dry run's report: the share, the lock, leftovers, then the exact plan. */
export function renderPreview(preview: CleanupPreview): string {
  const { plan } = preview;
  const lines = ["cleanup plan (dry run: nothing was deleted)"];
  lines.push(
    `hook: ${
      preview.hook.length === 0 ? "none" : `${JSON.stringify(preview.hook)} would run first`
    }`,
  );
  lines.push(
    preview.lockHolder === undefined
      ? "share lock: free"
      : `share lock: held (${preview.lockHolder}) — the run would wait up to ` +
        `${preview.lockWaitMinutes} min for it, then stop (exit 2)`,
  );
  lines.push(
    `share: ${spaceLine(preview.space)}; the ${plan.thresholdPct}% threshold asks for ` +
      `${formatBytes(plan.targetFreeBytes)} free`,
  );
  for (const leftover of preview.leftovers) {
    lines.push(
      `unfinished eviction, deleted first: ${leftover.path} (${leftover.files} files, ` +
        `${formatBytes(leftover.bytes)})`,
    );
  }
  let text = `${lines.join("\n")}\n`;
  if (plan.alreadyAbove) {
    return text + alreadyAboveLine(plan) + unknownText(preview.unknown);
  }
  if (plan.evictions.length > 0) {
    text += `would evict, oldest first:\n${
      renderTable(
        ["backup", "completed", "files", "size", "free after"],
        plan.evictions.map((item) => [
          item.candidate.backupName,
          item.candidate.record.completed_at ?? "",
          String(item.files),
          formatBytes(item.bytes),
          formatPercent({ ...plan.space, freeBytes: item.freeAfterBytes }),
        ]),
        ["left", "left", "right", "right", "right"],
      )
    }${FILES_NOTE}`;
  }
  text += skippedText(plan.skipped, "kept on the share:");
  text += unknownText(preview.unknown);
  const freed = plan.freeAfterBytes - plan.space.freeBytes;
  const newer = plan.notNeeded > 0
    ? `; ${plural(plan.notNeeded, "newer backup", "newer backups")} not needed`
    : "";
  return text +
    `would evict ${plural(plan.evictions.length, "backup", "backups")}, freeing ` +
    `${formatBytes(freed)}: free ${formatPercent(plan.space)} → ` +
    `${formatPercent({ ...plan.space, freeBytes: plan.freeAfterBytes })} ` +
    `(threshold ${plan.thresholdPct}%)${newer}${shortfallNote(plan, "the run would exit 1")}\n`;
}

function outcomeRow(outcome: EvictionOutcome): string[] {
  const result = outcome.ok
    ? outcome.resumed ? "evicted (finishing an earlier run)" : "evicted"
    : `FAILED: ${shorten(outcome.error ?? "")}`;
  return [
    outcome.backupName,
    outcome.completedAt ?? "",
    String(outcome.files),
    formatBytes(outcome.bytes),
    result,
  ];
}

/** The final report of a run. */
export function renderRunSummary(result: CleanupRunResult): string {
  const { plan, evictions } = result;
  let text = "";
  if (plan.alreadyAbove && evictions.length === 0) text += alreadyAboveLine(plan);
  if (evictions.length > 0) {
    text += renderTable(
      ["backup", "completed", "files", "size", "result"],
      evictions.map(outcomeRow),
      ["left", "left", "right", "right"],
    ) + FILES_NOTE;
  }
  text += skippedText(result.skipped, "kept on the share:");
  text += unknownText(result.unknown);
  const evicted = evictions.filter((outcome) => outcome.ok).length;
  const freed = evictions.reduce((sum, outcome) => sum + outcome.freedBytes, 0);
  const early = result.stoppedEarly ? "; the threshold was met before the plan's end" : "";
  return text +
    `freed ${formatBytes(freed)}: free ${formatPercent(result.before)} → ` +
    `${formatPercent(result.after)} (threshold ${plan.thresholdPct}%); ` +
    `${evicted} evicted, ${evictions.length - evicted} failed, ${result.skipped.length} kept` +
    `${early}${result.stoppedEarly ? "" : shortfallNote(plan, "exit 1")}\n`;
}

function failureOf(result: CleanupRunResult): JobFailure {
  const failed = result.evictions.filter((outcome) => !outcome.ok);
  const lines = [
    ...failed.map((outcome) => `${outcome.backupName}: eviction failed: ${outcome.error}`),
    ...result.skipped.map((item) => `${item.candidate.backupName}: kept: ${item.reason}`),
    `free space ${formatPercent(result.before)} → ${formatPercent(result.after)}, ` +
    `threshold ${result.plan.thresholdPct}%`,
  ];
  const [only] = failed;
  return {
    ...(failed.length === 1 && only !== undefined ? { study: only.backupName } : {}),
    title: failed.length > 0
      ? `${plural(failed.length, "eviction", "evictions")} failed on the TrueNAS share`
      : `the TrueNAS share stays below ${result.plan.thresholdPct}% free: ` +
        `${plural(result.skipped.length, "backup is", "backups are")} kept by the safety gates`,
    lines,
  };
}

/** Registers `cleanup run`. */
export function registerCleanup(program: Command, context: CliContext): void {
  program
    .command("cleanup")
    .description("capacity-driven eviction of the oldest verified backups from the TrueNAS share")
    .command("run")
    .description(
      "while the share is below [cleanup] free_threshold_pct free, delete its oldest backup " +
        "proven complete and in S3",
    )
    .addOption(configOption())
    .option("--dry-run", "print the exact plan; delete nothing")
    .addOption(smtpEnvOption())
    .action(async (options: CleanupOptions) => {
      const job = await startJob(context, "cleanup run", {
        config: options.config,
        smtpEnv: options.smtpEnv,
        failureEvent: "cleanup_failure",
        dryRun: options.dryRun,
      });
      const { config } = job;
      await withS3Store(config.s3, { logger: context.logger }, async (openStore) => {
        const store = openStore();
        if (options.dryRun === true) {
          const preview = await previewCleanup({
            config,
            s3: store,
            logger: context.logger,
            readSpace: context.readShareSpace,
          });
          context.io.out(renderPreview(preview));
          const blocked = !preview.plan.reached && preview.plan.skipped.length > 0;
          context.exitCode = await job.finish(blocked ? ExitCode.failure : ExitCode.ok);
          return;
        }
        const result = await runCleanup({
          config,
          s3: store,
          logger: context.logger,
          hostname: Deno.hostname(),
          clock: () => new Date(),
          readSpace: context.readShareSpace,
        });
        context.io.out(renderRunSummary(result));
        context.exitCode = needsOperator(result)
          ? await job.finish(ExitCode.failure, failureOf(result))
          : await job.finish(ExitCode.ok);
      });
    });
}
