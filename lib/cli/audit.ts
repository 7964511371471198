/**
 * `audit`: re-reads the TrueNAS copies of complete backups against their
 * sidecars and, with `--s3`, checks their S3 objects; a report, exit 1 and a
 * `backup_failure` email on any finding.
 *
 * @module
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import type { AuditReport, BackupAudit } from "../audit/mod.ts";
import { ExitCode, UsageError } from "../errors.ts";
import type { JobDetails } from "../manifest/mod.ts";
import { withS3Store } from "../storage/mod.ts";
import { formatBytes, renderTable } from "../text/mod.ts";
import { type JobFailure, startJob } from "./_job.ts";
import { TerminalProgress } from "./_progress.ts";
import type { CliContext } from "./context.ts";
import { configOption, smtpEnvOption } from "./_options.ts";

interface AuditCliOptions {
  config?: string;
  sample?: number;
  seed?: number;
  s3?: boolean;
  smtpEnv?: string;
}

/** Findings listed in the email; a backup that rotted whole would otherwise send thousands. */
const EMAIL_FINDINGS = 50;

function parsePercent(value: string): number {
  const pct = Number(value);
  if (!Number.isFinite(pct) || pct <= 0 || pct > 100) {
    throw new InvalidArgumentError("a percentage above 0 and at most 100, e.g. 10 or 2.5");
  }
  return pct;
}

function parseSeed(value: string): number {
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidArgumentError("a whole number from 0 to 4294967295");
  }
  return seed;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function shareCell(audit: BackupAudit): string {
  if (audit.share !== "checked") return audit.share;
  if (audit.files === 0) return "no sidecar";
  return `read ${audit.shareChecked} of ${audit.files} files, ${formatBytes(audit.shareBytes)}`;
}

function s3Cell(audit: BackupAudit): string {
  return audit.s3Checked === undefined ? "-" : `${plural(audit.s3Checked, "object")} checked`;
}

/** The audit's report: a table, every finding and note, the totals. Pure. */
export function renderAudit(report: AuditReport): string {
  if (report.backups.length === 0) {
    return `no complete backups in the manifest ${report.manifest}\n`;
  }
  let text = renderTable(
    ["backup", "share", "s3", "result"],
    report.backups.map((audit) => [
      audit.backup,
      shareCell(audit),
      s3Cell(audit),
      audit.findings.length === 0 ? "ok" : plural(audit.findings.length, "finding"),
    ]),
  );
  for (const audit of report.backups) {
    for (const finding of audit.findings) {
      text += `FINDING ${audit.backup} ${finding.place} ${finding.path}: ${finding.problem}\n`;
    }
  }
  for (const audit of report.backups) {
    for (const note of audit.notes) text += `note: ${audit.backup}: ${note}\n`;
  }
  const withFindings = report.backups.filter((audit) => audit.findings.length > 0).length;
  const findings = report.backups.reduce((sum, audit) => sum + audit.findings.length, 0);
  const evicted = report.backups.filter((audit) => audit.share !== "checked").length;
  text += `audited ${plural(report.backups.length, "complete backup")}: ` +
    `${report.backups.length - withFindings} ok, ${withFindings} with findings (${
      plural(findings, "finding")
    })`;
  if (evicted > 0) {
    text += `; ${evicted} no longer on the share (` +
      (report.s3 ? "checked in S3 only)" : "skipped: add --s3 to check their S3 copy)");
  }
  text += "\n";
  if (report.samplePct !== undefined) {
    text += `sample: ${report.samplePct}% of each backup's files, seed ${report.seed} ` +
      `(the same files again: --sample ${report.samplePct} --seed ${report.seed})\n`;
  }
  return text;
}

/** The failure email of an audit with findings (at most 50 listed), or undefined. Pure. */
export function auditFailure(report: AuditReport): JobFailure | undefined {
  const bad = report.backups.filter((audit) => audit.findings.length > 0);
  if (bad.length === 0) return undefined;
  const findings = bad.reduce((sum, audit) => sum + audit.findings.length, 0);
  const [only] = bad;
  const lines = bad.flatMap((audit) =>
    audit.findings.map((finding) =>
      `${audit.backup}: ${finding.place} ${finding.path}: ${finding.problem}`
    )
  );
  return {
    ...(bad.length === 1 && only !== undefined ? { study: only.backup } : {}),
    title: `audit found ${plural(findings, "problem")} in ${plural(bad.length, "backup")}`,
    lines: [
      ...lines.slice(0, EMAIL_FINDINGS),
      ...(lines.length > EMAIL_FINDINGS
        ? [`... and ${lines.length - EMAIL_FINDINGS} more: see the audit's output or the log`]
        : []),
    ],
  };
}

/** What the share's job log keeps of an audit, for the monthly report. Pure. */
export function auditDetails(report: AuditReport): JobDetails {
  return {
    backups: report.backups.length,
    with_findings: report.backups.filter((audit) => audit.findings.length > 0).length,
    findings: report.backups.reduce((sum, audit) => sum + audit.findings.length, 0),
    not_on_share: report.backups.filter((audit) => audit.share !== "checked").length,
    s3: report.s3,
    sample_pct: report.samplePct ?? null,
  };
}

/** Registers `audit`. */
export function registerAudit(program: Command, context: CliContext): void {
  program
    .command("audit")
    .description(
      "re-read the TrueNAS copy of every complete backup against its _checksums.sha256 " +
        "(bit rot); with --s3 also check every S3 object's digest; email backup_failure on findings",
    )
    .addOption(configOption())
    .addOption(
      new Option("--sample <pct>", "read this percentage of each backup's files, picked at random")
        .argParser(parsePercent),
    )
    .addOption(
      new Option("--seed <n>", "pick the sample of an earlier audit again (printed with --sample)")
        .argParser(parseSeed),
    )
    .option("--s3", "also check that S3 holds every object with the recorded checksum")
    .addOption(smtpEnvOption())
    .action(async (options: AuditCliOptions) => {
      if (options.seed !== undefined && options.sample === undefined) {
        throw new UsageError("--seed picks a sample: use it with --sample");
      }
      const job = await startJob(context, "audit", {
        config: options.config,
        smtpEnv: options.smtpEnv,
        failureEvent: "backup_failure",
      });
      // Loaded here, not at start-up: the AWS SDK is large (see backup run).
      const { runAudit } = await import("../audit/mod.ts");
      await withS3Store(job.config.s3, { logger: context.logger }, async (store) => {
        const report = await runAudit({
          config: job.config,
          samplePct: options.sample,
          seed: options.seed ?? crypto.getRandomValues(new Uint32Array(1))[0] ?? 0,
          s3: options.s3 === true,
          store,
          logger: context.logger,
          progress: new TerminalProgress(context.status),
        });
        context.io.out(renderAudit(report));
        const failure = auditFailure(report);
        if (failure !== undefined) context.logger.error(`${failure.title}: see the FINDING lines`);
        const details = auditDetails(report);
        context.exitCode = failure === undefined
          ? await job.finish(ExitCode.ok, {
            title: `audited ${plural(report.backups.length, "complete backup")}: no findings`,
            lines: [],
            details,
          })
          : await job.finish(ExitCode.failure, { ...failure, details });
      });
    });
}
