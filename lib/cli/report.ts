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

/** Registers `report`. */
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
    .action(async (options: ReportCliOptions) => {
      const now = new Date();
      const month = options.month ?? lastFullMonth(localCalendar, now.getTime());
      if (month > monthOf(localCalendar, now.getTime())) {
        throw new UsageError(`--month ${month} has not begun yet`);
      }
      if (options.once === true && options.send !== true) {
        throw new UsageError("--once decides whether --send sends: use it with --send");
      }
      const job = await startJob(context, "report", {
        config: options.config,
        smtpEnv: options.smtpEnv,
        dryRun: options.dryRun,
      });
      const { config } = job;
      const { logger, io } = context;
      await withS3Store(config.s3, { logger }, async (store) => {
        const input = await gatherReport(config, {
          month,
          now,
          calendar: localCalendar,
          readSpace: context.readShareSpace,
          listS3: options.s3 === true
            ? () => store().storageUsage(config.s3.prefix === "" ? "" : `${config.s3.prefix}/`)
            : undefined,
        });
        const report = buildReport(input);
        for (const problem of report.problems) logger.warn(`report: ${problem}`);
        let code: number = report.problems.length > 0 ? ExitCode.failure : ExitCode.ok;
        if (options.html !== undefined) {
          const path = resolve(options.html);
          try {
            await atomicWriteFile(path, renderPage(report));
          } catch (error) {
            throw new OperationFailedError(`cannot write the page ${path}: ${errorMessage(error)}`);
          }
          logger.info(`report: wrote the page ${path}`);
        }
        let sentTo = 0;
        if (options.dryRun === true) {
          io.out(await renderPreview(context, config, report, options.smtpEnv));
        } else {
          io.out(renderText(report));
          if (options.send === true) {
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
              code = ExitCode.failure;
            }
            if (result.status === "sent") sentTo = result.recipients.length;
          }
        }
        context.exitCode = await job.finish(code, {
          title: `${month}: ${summaryLine(report)}`,
          lines: report.problems,
          details: { month, sent_to: sentTo },
        });
      });
    });
}
