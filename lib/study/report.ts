/**
 * What `validate study|root` reports, made from the same assessment the
 * backup runs on: a study passes exactly when the backup would take it. The
 * health check's warnings come from the same listing and never fail a study.
 *
 * @module
 */
import { basename, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import { type HealthWarning, healthWarnings, type Violation } from "../standard/mod.ts";
import { assessFolder, type AssessOptions, assessRoot } from "./assess.ts";
import type { StudyAssessment, Unreadable } from "./types.ts";

/** The verdict on one study folder; this is also the JSON shape of `validate study -f json`. */
export interface StudyReport {
  /** The folder's name. */
  readonly study: string;
  /** The folder's absolute path. */
  readonly path: string;
  /** The backup would take it: no violation, nothing unreadable. */
  readonly ok: boolean;
  readonly violations: readonly Violation[];
  /** Folders (or entries) that could not be read, so could not be checked. */
  readonly unreadable: readonly Unreadable[];
  /** The health check's warnings (lib/standard/health.ts); none when the study was not measured. */
  readonly warnings: readonly HealthWarning[];
}

/** The verdict on a root of studies; the JSON shape of `validate root -f json`. */
export interface RootReport {
  readonly root: string;
  readonly ok: boolean;
  readonly studies: readonly StudyReport[];
}

/** The report of one assessment. */
export function reportOf(study: StudyAssessment): StudyReport {
  return {
    study: study.name,
    path: study.path,
    ok: study.refusal === undefined,
    violations: study.violations,
    unreadable: study.unreadable,
    warnings: healthWarnings(study.listing.files.map((file) => file.mtime)),
  };
}

async function requireDirectory(path: string, what: string): Promise<string> {
  const absolute = resolve(path);
  const kind = await kindAt(absolute);
  if (kind === undefined) {
    throw new UsageError(`${what} not found: ${absolute}; check the path`);
  }
  if (kind !== "dir") {
    throw new UsageError(`${what} is not a directory: ${absolute}; give the folder's path`);
  }
  return absolute;
}

/**
 * Validates one study folder against R1–R8; measured (the default), it is
 * health-checked too.
 *
 * @throws {UsageError} when `path` does not exist or is not a directory.
 */
export async function validateStudy(
  path: string,
  options: AssessOptions = {},
): Promise<StudyReport> {
  const absolute = await requireDirectory(path, "study folder");
  return reportOf(assessFolder(absolute, basename(absolute), options));
}

/**
 * Validates every immediate subdirectory of `root` whose name does not start
 * with `.`; files directly in the root are ignored. A link in the root is
 * reported as a failing study (R5) rather than followed or silently skipped.
 *
 * @throws {UsageError} when `root` does not exist or is not a directory.
 */
export async function validateRoot(
  root: string,
  options: AssessOptions = {},
): Promise<RootReport> {
  const absolute = await requireDirectory(root, "root folder");
  const studies = assessRoot(absolute, options).map(reportOf);
  return { root: absolute, ok: studies.every((study) => study.ok), studies };
}
