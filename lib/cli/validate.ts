/**
 * `validate study|root`: checks study folders against the naming standard.
 *
 * @module
 */
import type { Command } from "commander";
import { ExitCode } from "../errors.ts";
import {
  type AssessOptions,
  type RootReport,
  type StudyReport,
  validateRoot,
  validateStudy,
} from "../study/mod.ts";
import type { CliContext } from "./context.ts";
import { formatOption } from "./_options.ts";

interface ValidateOptions {
  format: "text" | "json";
  quiet?: boolean;
}

/**
 * The human report of one study: a PASS/FAIL line, then one line per part
 * that could not be read, one per violation and one per health warning
 * (`WARN`, which never fails a study).
 */
export function renderStudyText(report: StudyReport): string {
  const warnings = report.warnings.map((warning) => `  WARN ${warning.code}: ${warning.message}\n`)
    .join("");
  if (report.ok) return `PASS ${report.path}\n${warnings}`;
  const count = report.violations.length;
  const unreadable = report.unreadable.length;
  const counts = [];
  if (count > 0 || unreadable === 0) counts.push(`${count} violation${count === 1 ? "" : "s"}`);
  if (unreadable > 0) counts.push(`${unreadable} unreadable`);
  let text = `FAIL ${report.path} (${counts.join(", ")})\n`;
  for (const item of report.unreadable) text += `  cannot read ${item.path}: ${item.message}\n`;
  for (const violation of report.violations) {
    text += `  ${violation.rule} ${violation.path}: ${violation.message}\n`;
  }
  return text + warnings;
}

/** The human report of a root: every study, then a count line. */
export function renderRootText(report: RootReport): string {
  if (report.studies.length === 0) return `no studies found in ${report.root}\n`;
  const failed = report.studies.filter((study) => !study.ok).length;
  const body = report.studies.map(renderStudyText).join("");
  const total = report.studies.length;
  return `${body}${total} stud${total === 1 ? "y" : "ies"} checked in ${report.root}: ` +
    `${total - failed} passed, ${failed} failed\n`;
}

/**
 * Whether to stat every entry: for the health check's times, which `-q`
 * does not print (a warning never changes the exit code).
 */
function measured(options: ValidateOptions): AssessOptions {
  return { measure: options.quiet !== true };
}

/** Registers `validate study` and `validate root`. */
export function registerValidate(program: Command, context: CliContext): void {
  const group = program
    .command("validate")
    .description("check study folders against the naming standard (R1-R8)");

  group
    .command("study")
    .description("validate one study folder")
    .argument("<path>", "the study folder")
    .addOption(formatOption())
    .option("-q, --quiet", "print nothing; the exit code tells (0 pass, 1 violations)")
    .action(async (path: string, options: ValidateOptions) => {
      const report = await validateStudy(path, measured(options));
      if (!options.quiet) {
        context.io.out(
          options.format === "json" ? `${JSON.stringify(report)}\n` : renderStudyText(report),
        );
      }
      context.exitCode = report.ok ? ExitCode.ok : ExitCode.failure;
    });

  group
    .command("root")
    .description(
      "validate every study folder directly under a root (names starting with '.' are skipped)",
    )
    .argument("<path>", "the folder holding the studies")
    .addOption(formatOption())
    .option("-q, --quiet", "print nothing; the exit code tells (0 all pass, 1 any violation)")
    .action(async (path: string, options: ValidateOptions) => {
      const report = await validateRoot(path, measured(options));
      if (!options.quiet) {
        context.io.out(
          options.format === "json" ? `${JSON.stringify(report)}\n` : renderRootText(report),
        );
      }
      context.exitCode = report.ok ? ExitCode.ok : ExitCode.failure;
    });
}
