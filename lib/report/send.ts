/**
 * Emailing the report to the `monthly_report` recipients, once per month for
 * the whole share. Every instrument's PC has the report task, and they all
 * see the same records: the first to claim the month (a file created
 * exclusively on the share, `<manifest_root>/_jobs/_monthly_report/YYYY-MM.json`)
 * sends it, the others say who did. A send that fails gives the claim back.
 *
 * @module
 */
import { dirname, join } from "node:path";
import type { Config, EnvReader } from "../config/mod.ts";
import { errorMessage } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import { JOBS_DIR, timestamp } from "../manifest/mod.ts";
import {
  createSmtpMailer,
  describeRecipientProblems,
  type Recipients,
  resolveRecipients,
  resolveSmtpSetup,
  SendError,
} from "../notify/mod.ts";
import type { MonthlyReport } from "./types.ts";
import { composeReportEmail, type ReportEmail } from "./email.ts";

/** The event whose recipients receive the report. */
export const REPORT_EVENT = "monthly_report";

/** Who sent a month's report. */
export interface ReportClaim {
  readonly month: string;
  readonly instrument: string;
  readonly host: string;
  readonly claimed_at: string;
}

/** What became of `--send`. */
export interface SendReportResult {
  /** `claimed`: another PC sent (or is sending) this month's report; `nobody`: no address listed. */
  readonly status: "sent" | "claimed" | "nobody" | "off" | "failed";
  readonly recipients: readonly string[];
  /** The file the addresses came from. */
  readonly source?: string | undefined;
  /** Why it was not sent; for `claimed`, who sent it. */
  readonly reason?: string;
  /** Invalid addresses and unreadable lists, one line each. */
  readonly warnings: readonly string[];
}

/** `<manifest_root>/_jobs/_monthly_report/YYYY-MM.json`. */
export function claimPath(config: Config, month: string): string {
  return join(config.truenas.manifestRoot, JOBS_DIR, "_monthly_report", `${month}.json`);
}

/** Who would receive the report now, and what they would read. Sends nothing. */
export async function previewReport(
  config: Config,
  report: MonthlyReport,
): Promise<{ recipients: Recipients; email: ReportEmail }> {
  const recipients = await resolveRecipients(config.notify.recipientsDir, REPORT_EVENT);
  const source = recipients.source ?? recipients.files[0]?.file ?? config.notify.recipientsDir;
  return { recipients, email: composeReportEmail(report, source) };
}

/**
 * Claims `month` on the share: true when this PC may send it. A share that
 * cannot be reached cannot be claimed, and the report goes out anyway: its
 * news is then that the share is gone.
 */
async function claim(config: Config, month: string, claimant: ReportClaim): Promise<
  { ok: true; path: string | undefined; problem?: string } | { ok: false; holder: string }
> {
  if (await kindAt(config.truenas.root) !== "dir") return { ok: true, path: undefined };
  const path = claimPath(config, month);
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(path, `${JSON.stringify(claimant)}\n`, { createNew: true });
    return { ok: true, path };
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) {
      const problem = `cannot claim the month's report in ${path} (sent anyway, other PCs may ` +
        `send it too): ${errorMessage(error)}`;
      return { ok: true, path: undefined, problem };
    }
    let holder = `a PC (${path})`;
    try {
      const other = JSON.parse(await Deno.readTextFile(path)) as Partial<ReportClaim>;
      holder = `${other.instrument} (${other.host}) at ${other.claimed_at}`;
    } catch {
      // a claim being written right now, or torn: who it is does not matter
    }
    return { ok: false, holder };
  }
}

/** What {@linkcode sendReport} needs besides the config and the report. */
export interface SendReportOptions {
  readonly env: EnvReader;
  readonly smtpEnv?: string | undefined;
  /** Send only when no PC has sent this month's report yet (the scheduled task). */
  readonly once: boolean;
  readonly host: string;
  readonly now: Date;
}

/**
 * Emails the report (HTML with a plain-text alternative). Never throws for a
 * failed send: the result says what happened.
 *
 * @throws {ConfigError} for a malformed smtp.env or an unreadable `smtp_ca_file`.
 */
export async function sendReport(
  config: Config,
  report: MonthlyReport,
  options: SendReportOptions,
): Promise<SendReportResult> {
  const setup = await resolveSmtpSetup(config, options.env, options.smtpEnv);
  const { recipients, email } = await previewReport(config, report);
  const warnings = describeRecipientProblems(recipients);
  if (!setup.active) return { status: "off", recipients: [], reason: setup.reason, warnings };
  if (recipients.source === undefined) {
    const lists = recipients.files.map((file) => file.file).join(" and ");
    return { status: "nobody", recipients: [], reason: `${lists} list no valid address`, warnings };
  }
  const claimant: ReportClaim = {
    month: report.month,
    instrument: config.backup.instrument,
    host: options.host,
    claimed_at: timestamp(options.now),
  };
  const claimed = await claim(config, report.month, claimant);
  if (claimed.ok && claimed.problem !== undefined) warnings.push(claimed.problem);
  if (!claimed.ok && options.once) {
    return {
      status: "claimed",
      recipients: [],
      reason: `the report of ${report.month} was already sent by ${claimed.holder}`,
      warnings,
    };
  }
  const to = recipients.addresses;
  try {
    await createSmtpMailer(setup.settings, setup.credentials).send({ to, ...email });
  } catch (error) {
    // Given back, so the next run (here or on another PC) sends it.
    if (claimed.ok && claimed.path !== undefined) await Deno.remove(claimed.path).catch(() => {});
    const reason = error instanceof SendError ? error.message : errorMessage(error);
    return { status: "failed", recipients: to, source: recipients.source, reason, warnings };
  }
  return { status: "sent", recipients: to, source: recipients.source, warnings };
}
