/**
 * `restore <backup_name> --to PATH`: a study copied back from the share or
 * from S3, every file verified before it gets its final name.
 *
 * @module
 */
import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { ExitCode } from "../errors.ts";
import type { JobDetails } from "../manifest/mod.ts";
import type {
  RestoredOutcome,
  RestoreOutcome,
  RestoreSource,
  WaitingOutcome,
} from "../restore/mod.ts";
import { withS3Store } from "../storage/mod.ts";
import type { RestoreTier } from "../storage/s3.ts";
import { formatBytes } from "../text/mod.ts";
import { type Job, startJob } from "./_job.ts";
import { TerminalProgress } from "./_progress.ts";
import type { CliContext } from "./context.ts";
import { configOption } from "./_options.ts";

interface RestoreCliOptions {
  to: string;
  from?: RestoreSource;
  only: string[];
  tier: "standard" | "bulk";
  days: number;
  config?: string;
}

/** Days a retrieved archive copy may stay readable (S3 allows more; more costs more). */
const MAX_DAYS = 30;

function parseDays(value: string): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new InvalidArgumentError(`a whole number of days from 1 to ${MAX_DAYS}`);
  }
  return days;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function sourceName(source: RestoreSource): string {
  return source === "truenas" ? "the TrueNAS share" : "S3";
}

/** The report of a finished restore. Pure. */
export function renderRestored(outcome: RestoredOutcome): string {
  const checks = outcome.source === "s3"
    ? "_checksums.sha256 and its S3 sha256 metadata"
    : "_checksums.sha256";
  const lines = [
    `restored ${outcome.backup} from ${sourceName(outcome.source)} (${outcome.reason})`,
    `into ${outcome.destination}: ${plural(outcome.files, "file")}, ${formatBytes(outcome.bytes)}` +
    (outcome.emptyDirs > 0 ? `, ${plural(outcome.emptyDirs, "empty folder")}` : "") +
    `; every file verified against ${checks}`,
  ];
  if (outcome.alreadyThere > 0) {
    lines.push(
      `${plural(outcome.alreadyThere, "file")} already there with the backup's SHA-256 ` +
        "(from an earlier restore): kept, not fetched again",
    );
  }
  for (const note of outcome.notes) lines.push(`note: ${note}`);
  for (const problem of outcome.problems) {
    lines.push(`NOT RESTORED ${problem.path}: ${problem.problem}`);
  }
  if (outcome.problems.length > 0) {
    lines.push(
      `${outcome.problems.length} of ${plural(outcome.selected, "file")} not restored ` +
        "(no partial file was left)",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** The report of a restore waiting for S3 to retrieve archived objects. Pure. */
export function renderWaiting(outcome: WaitingOutcome): string {
  const classes = [...outcome.archived].map(([name, count]) =>
    `${name}: ${plural(count, "object")}`
  )
    .join(", ");
  const lines = [
    `${outcome.backup} is in S3 (${outcome.reason}) and archived (${classes}): S3 must ` +
    "retrieve it before it can be downloaded",
    `retrieval requested now for ${plural(outcome.started, "object")}, already in progress for ` +
    `${outcome.inProgress} (tier ${outcome.tier}: typically ${outcome.typicalWait})`,
    `run the same command again then; retrieved copies stay readable for ` +
    `${plural(outcome.days, "day")}. Nothing was written to ${outcome.destination}`,
  ];
  for (const problem of outcome.problems) {
    lines.push(`NOT RESTORABLE ${problem.path}: ${problem.problem}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Registers `restore`: its options; the action is {@linkcode runRestore}. */
export function registerRestore(program: Command, context: CliContext): void {
  program
    .command("restore")
    .description(
      "copy a backed-up study back from the share or S3, every file verified against its " +
        "_checksums.sha256; never overwrites, and run again continues a restore that stopped",
    )
    .argument("<backup_name>", "<instrument>/<study> as in the manifest, or <study> alone")
    .requiredOption("--to <path>", "an existing folder; the study is restored into <path>/<study>")
    .addOption(
      new Option(
        "--from <source>",
        "where to read (default: the share when its verified copy is there, else S3)",
      ).choices(["truenas", "s3"]),
    )
    .addOption(
      new Option(
        "--only <glob>",
        "restore only the paths (or folders) the glob matches, e.g. '**/*.qptiff'; repeatable",
      ).argParser((value: string, previous: string[]) => [...previous, value])
        .default([], "every file"),
    )
    .addOption(
      new Option("--tier <tier>", "S3 retrieval tier for archived (GLACIER, DEEP_ARCHIVE) objects")
        .choices(["standard", "bulk"]).default("standard"),
    )
    .addOption(
      new Option("--days <days>", "days a retrieved archive copy stays readable in S3")
        .argParser(parseDays).default(7),
    )
    .addOption(configOption())
    .action((name: string, options: RestoreCliOptions) => runRestore(context, name, options));
}

/** `restore`: restores the backup, prints how it went, and records the job. */
async function runRestore(
  context: CliContext,
  name: string,
  options: RestoreCliOptions,
): Promise<void> {
  const to = resolve(options.to);
  const job = await startJob(context, "restore", { config: options.config, paths: [to] });
  // Loaded here, not at start-up: the AWS SDK is large (see backup run).
  const { restoreBackup } = await import("../restore/mod.ts");
  await withS3Store(job.config.s3, { logger: context.logger }, async (store) => {
    const outcome = await restoreBackup({
      config: job.config,
      name,
      to,
      from: options.from,
      only: options.only,
      tier: (options.tier === "bulk" ? "Bulk" : "Standard") satisfies RestoreTier,
      days: options.days,
      store,
      logger: context.logger,
      command: context.command,
      progress: new TerminalProgress(context.status),
    });
    context.exitCode = outcome.kind === "waiting"
      ? await finishWaiting(context, job, outcome)
      : await finishRestored(context, job, outcome);
  });
}

/** What the share's job log keeps of a restore, for the monthly report. Pure. */
function restoreDetails(outcome: RestoreOutcome): JobDetails {
  return {
    backup: outcome.backup,
    source: outcome.source,
    files: outcome.kind === "restored" ? outcome.files : 0,
    bytes: outcome.kind === "restored" ? outcome.bytes : 0,
    problems: outcome.problems.length,
    waiting_for_s3: outcome.kind === "waiting",
  };
}

/** A restore waiting for S3: said, and the job ends 1 (run the same command again later). */
function finishWaiting(context: CliContext, job: Job, outcome: WaitingOutcome): Promise<number> {
  context.io.out(renderWaiting(outcome));
  const title = `restore not finished: S3 is retrieving archived objects (typically ` +
    `${outcome.typicalWait}); run the same command again then`;
  context.logger.info(title);
  return job.finish(ExitCode.failure, { title, lines: [], details: restoreDetails(outcome) });
}

/** A finished restore: said, and the job ends 1 when a file was not restored. */
function finishRestored(context: CliContext, job: Job, outcome: RestoredOutcome): Promise<number> {
  context.io.out(renderRestored(outcome));
  const failed = outcome.problems.length;
  if (failed > 0) {
    context.logger.error(
      `${failed} of ${outcome.selected} files of ${outcome.backup} failed ` +
        "verification or were missing and were not restored (see the NOT RESTORED lines)",
    );
  }
  return job.finish(failed > 0 ? ExitCode.failure : ExitCode.ok, {
    title: `restored ${outcome.backup} from ${sourceName(outcome.source)}: ` +
      `${plural(outcome.files, "file")}, ${formatBytes(outcome.bytes)}` +
      (failed > 0 ? `; ${failed} not restored` : ""),
    lines: [],
    details: restoreDetails(outcome),
  });
}
