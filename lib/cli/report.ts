/**
 * `report`: the monthly report of every instrument on the share, printed,
 * written as a page (`--html`) and emailed (`--send`).
 *
 * @module
 */
import { resolve } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { ExitCode, OperationFailedError, UsageError } from "../errors.ts";
import { errorMessage } from "../errors.ts";
import { atomicWriteFile } from "../fs/mod.ts";
import {
  buildReport,
  gatherReport,
  isMonth,
  lastFullMonth,
  localCalendar,
  type MonthlyReport,
  monthOf,
  previewReport,
  renderPage,
  renderText,
  sendReport,
  type SendReportResult,
  summaryLine,
} from "../report/mod.ts";
import { resolveSmtpSetup } from "../notify/mod.ts";
import type { Config } from "../config/mod.ts";
import { withS3Store } from "../storage/mod.ts";
import { startJob } from "./_job.ts";
import type { CliContext } from "./context.ts";
import { configOption, smtpEnvOption } from "./_options.ts";

interface ReportCliOptions {
  config?: string;
  month?: string;
  html?: string;
  send?: boolean;
  once?: boolean;
  s3?: boolean;
  dryRun?: boolean;
  smtpEnv?: string;
}

function parseMonth(value: string): string {
  if (!isMonth(value)) throw new InvalidArgumentError("a month as YYYY-MM, e.g. 2026-11");
  return value;
}

/** What `--dry-run` prints: how it would be sent, to whom, and the text. */
async function renderPreview(
  context: CliContext,
  config: Config,
  report: MonthlyReport,
  smtpEnv: string | undefined,
): Promise<string> {
  const setup = await resolveSmtpSetup(config, context.env, smtpEnv);
  const { recipients, email } = await previewReport(config, report);
  const via = setup.active
    ? `through ${setup.settings.host}:${setup.settings.port} as ${setup.credentials.user}`
    : `email is off: ${setup.reason}`;
  const to = recipients.source === undefined
    ? `nobody: ${recipients.files.map((file) => file.file).join(" and ")} list no valid address`
    : `${recipients.addresses.join(", ")} (listed in ${recipients.source})`;
  return `dry run: nothing is sent. report --send would email (${via}):
to:      ${to}
subject: ${email.subject}
--- the plain-text part:
${email.text}--- and an HTML part of ${email.html.length} characters (report --html writes the page)
`;
}

function sendLine(result: SendReportResult): string {
  switch (result.status) {
    case "sent":
      return `sent the monthly report to ${result.recipients.length} recipient(s) listed in ${result.source}`;
    case "claimed":
      return `not sent: ${result.reason}`;
    default:
      return `the monthly report was NOT sent: ${result.reason}`;
  }
}

/** Registers `report`: its options; the action is {@linkcode runReport}. */
export function registerReport(program: Command, context: CliContext): void {
  program
    .command("report")
    .description(
      "the monthly report of every instrument on the share: backups, failures, missed jobs, " +
        "the share's space and forecast, S3 bytes and cost, audits, restores",
    )
    .addOption(configOption())
    .addOption(
      new Option("--month <YYYY-MM>", "the month to report (default: the last full month)")
        .argParser(parseMonth),
    )
    .option("--html <path>", "also write the report as one self-contained HTML page")
    .option("--send", "email it (HTML and plain text) to the monthly_report recipients")
    .option(
      "--once",
      "with --send: send only if no instrument's PC has sent this month's report yet " +
        "(the scheduled task uses it)",
    )
    .option("--s3", "list the bucket for its bytes per storage class (else: from the manifest)")
    .option("--dry-run", "print the email --send would send, and to whom; send nothing")
    .addOption(smtpEnvOption())
    .action((options: ReportCliOptions) => runReport(context, options));
}

/**
 * The month to report: `--month`, else the last full one.
 *
 * @throws {UsageError} for a month not begun yet, or `--once` without `--send`.
 */
function reportMonth(options: ReportCliOptions, now: Date): string {
  const month = options.month ?? lastFullMonth(localCalendar, now.getTime());
  if (month > monthOf(localCalendar, now.getTime())) {
    throw new UsageError(`--month ${month} has not begun yet`);
  }
  if (options.once === true && options.send !== true) {
    throw new UsageError("--once decides whether --send sends: use it with --send");
  }
  return month;
}

/** `report`: gather and build it, write the page, print (or preview) and send it, record the job. */
async function runReport(context: CliContext, options: ReportCliOptions): Promise<void> {
  const now = new Date();
  const month = reportMonth(options, now);
  const job = await startJob(context, "report", {
    config: options.config,
    smtpEnv: options.smtpEnv,
    dryRun: options.dryRun,
  });
  const { config } = job;
  await withS3Store(config.s3, { logger: context.logger }, async (store) => {
    const report = buildReport(
      await gatherReport(config, {
        month,
        now,
        calendar: localCalendar,
        readSpace: context.readShareSpace,
        listS3: options.s3 === true ? (prefix) => store().storageUsage(prefix) : undefined,
      }),
    );
    for (const problem of report.problems) context.logger.warn(`report: ${problem}`);
    if (options.html !== undefined) await writePage(context, options.html, report);
    const sent = options.dryRun === true
      ? await preview(context, config, report, options.smtpEnv)
      : await printAndSend(context, config, report, options, now);
    const failed = report.problems.length > 0 || !sent.ok;
    context.exitCode = await job.finish(failed ? ExitCode.failure : ExitCode.ok, {
      title: `${month}: ${summaryLine(report)}`,
      lines: report.problems,
      details: { month, sent_to: sent.to },
    });
  });
}

/** Writes the report as a page at `path`. */
async function writePage(context: CliContext, path: string, report: MonthlyReport) {
  const absolute = resolve(path);
  try {
    await atomicWriteFile(absolute, renderPage(report));
  } catch (error) {
    throw new OperationFailedError(`cannot write the page ${absolute}: ${errorMessage(error)}`);
  }
  context.logger.info(`report: wrote the page ${absolute}`);
}

/** How sending went: the recipients it reached, and whether it did what was asked. */
interface Sent {
  readonly to: number;
  readonly ok: boolean;
}

/** `--dry-run`: prints how the report would be sent, to whom, and the text; sends nothing. */
async function preview(
  context: CliContext,
  config: Config,
  report: MonthlyReport,
  smtpEnv: string | undefined,
): Promise<Sent> {
  context.io.out(await renderPreview(context, config, report, smtpEnv));
  return { to: 0, ok: true };
}

/** Prints the report and, with `--send`, emails it. */
async function printAndSend(
  context: CliContext,
  config: Config,
  report: MonthlyReport,
  options: ReportCliOptions,
  now: Date,
): Promise<Sent> {
  const { io, logger } = context;
  io.out(renderText(report));
  if (options.send !== true) return { to: 0, ok: true };
  const result = await sendReport(config, report, {
    env: context.env,
    smtpEnv: options.smtpEnv,
    once: options.once === true,
    host: Deno.hostname(),
    now,
  });
  for (const warning of result.warnings) logger.warn(warning);
  if (result.status === "sent" || result.status === "claimed") {
    logger.info(`report: ${sendLine(result)}`);
  } else {
    logger.error(`report: ${sendLine(result)}`);
  }
  return {
    to: result.status === "sent" ? result.recipients.length : 0,
    ok: result.status === "sent" || result.status === "claimed",
  };
}
