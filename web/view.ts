/**
 * What the validator page shows for the names typed into it and the study
 * folder chosen in it: pure, no DOM, so it is tested in Deno and rendered by
 * `page.ts`. Every verdict comes from `lib/standard/names.ts` and
 * `lib/standard/rules.ts`, the modules the CLI runs.
 *
 * @module
 */
import {
  checkExperimentName,
  checkNameLength,
  checkStudyName,
  EXAMPLE_STUDY_NAME,
  type FieldCheck,
} from "../lib/standard/names.ts";
import { evaluateStudy, type ListedEntry } from "../lib/standard/rules.ts";

/** An experiment name that passes with {@linkcode EXAMPLE_STUDY_NAME}, for the page's hint. */
export const EXAMPLE_EXPERIMENT_NAME = `${EXAMPLE_STUDY_NAME}_B-2`;

/** One section of the page (study or experiment): its verdict, one line, and its rows. */
export interface SectionView {
  /** `empty`: nothing to judge yet; `pass`/`fail`: every row judged. */
  readonly status: "empty" | "pass" | "fail";
  /** One line for the live region, starting with PASS or FAIL when judged. */
  readonly summary: string;
  /** One row per field, then the length row. */
  readonly rows: readonly FieldCheck[];
  /** The name to offer for copying: set only when it passes. */
  readonly copyText: string | null;
}

function judged(what: string, name: string, rows: readonly FieldCheck[]): SectionView {
  const failing = rows.filter((row) => !row.ok);
  if (failing.length === 0) {
    return {
      status: "pass",
      summary: `PASS: '${name}' is a valid ${what}.`,
      rows,
      copyText: name,
    };
  }
  const which = failing.map((row) => `${row.label} ${row.rule}`).join(", ");
  return {
    status: "fail",
    summary: `FAIL: ${failing.length} of ${rows.length} checks fail (${which}).`,
    rows,
    copyText: null,
  };
}

/**
 * The study section: R1 and R3 per field, and the name's length against 60
 * (an experiment directory is at least as long as its study's name).
 */
export function studyView(study: string): SectionView {
  if (study === "") {
    return {
      status: "empty",
      summary: `Type a study name, e.g. ${EXAMPLE_STUDY_NAME}.`,
      rows: [],
      copyText: null,
    };
  }
  return judged("study name", study, [...checkStudyName(study).fields, checkNameLength(study)]);
}

/**
 * The experiment section for `experiment` inside `study`: the study's four
 * fields, the suffix (R2) when there is one, and the length (R3). A name that
 * does not start with the study's gets one R2 row saying how it must be named.
 */
export function experimentView(study: string, experiment: string): SectionView {
  if (experiment === "") {
    return {
      status: "empty",
      summary: `Optional: an experiment folder name, e.g. ${EXAMPLE_EXPERIMENT_NAME}.`,
      rows: [],
      copyText: null,
    };
  }
  if (study === "") {
    return {
      status: "empty",
      summary: "Type the study name first: an experiment folder is named after its study.",
      rows: [],
      copyText: null,
    };
  }
  const check = checkExperimentName(study, experiment);
  const named = experiment === study || experiment.startsWith(`${study}_`);
  const nameRows: FieldCheck[] = named
    ? [...checkStudyName(study).fields, ...check.fields]
    : check.violations.filter((v) => v.rule === "R2").map((v) => ({
      label: "name",
      value: experiment,
      ok: false,
      rule: v.rule,
      reason: v.message,
    }));
  return judged("experiment folder name", experiment, [...nameRows, checkNameLength(experiment)]);
}

/** The study-folder section: the verdict of R1–R8 on a folder the browser listed. */
export interface FolderView {
  readonly status: "empty" | "pass" | "fail";
  /** One line for the live region, starting with PASS or FAIL when judged. */
  readonly summary: string;
  /** Each violation as `validate study` prints it: rule, path in the study, what is wrong. */
  readonly violations: readonly { rule: string; path: string; message: string }[];
}

/**
 * The listing `evaluateStudy` takes, from the paths of the files a browser
 * lists for a chosen folder (`webkitRelativePath`: `<study>/<path>`, `/`
 * separated): the files, and every folder that holds one. Browsers list no
 * empty folder and follow no link, so neither shows up here.
 */
export function listingOfFiles(
  paths: readonly string[],
): { study: string; entries: ListedEntry[] } {
  const study = paths[0]?.split("/")[0] ?? "";
  const entries: ListedEntry[] = [];
  const folders = new Set<string>();
  for (const path of paths) {
    const parts = path.split("/").slice(1);
    for (let depth = 1; depth < parts.length; depth++) {
      const folder = parts.slice(0, depth).join("/");
      if (!folders.has(folder)) {
        folders.add(folder);
        entries.push({ path: folder, kind: "dir" });
      }
    }
    entries.push({ path: parts.join("/"), kind: "file" });
  }
  return { study, entries };
}

/** The study-folder section for the files of the chosen folder (none: nothing chosen yet). */
export function folderView(paths: readonly string[]): FolderView {
  if (paths.length === 0) {
    return {
      status: "empty",
      summary: "Optional: choose a study folder to check what is inside it.",
      violations: [],
    };
  }
  const { study, entries } = listingOfFiles(paths);
  const violations = evaluateStudy(study, entries);
  const files = `${paths.length} file${paths.length === 1 ? "" : "s"}`;
  if (violations.length === 0) {
    return {
      status: "pass",
      summary: `PASS: the study folder '${study}' follows R1–R8 (${files} checked).`,
      violations,
    };
  }
  const rules = [...new Set(violations.map((violation) => violation.rule))].join(", ");
  const count = `${violations.length} violation${violations.length === 1 ? "" : "s"}`;
  return {
    status: "fail",
    summary: `FAIL: the study folder '${study}' has ${count} (${rules}; ${files} checked).`,
    violations,
  };
}
