/**
 * R1–R8 applied to a listing of a study folder. Pure: the listing is made by
 * `study.ts` (or, on the validator page, from the files a browser lists), so
 * every rule is tested here without a disk.
 *
 * @module
 */
import { checkExperimentName, checkFprName, checkStudyName, type RuleId } from "./names.ts";

/** The per-study lock the backup writes; not part of the study's content. */
export const STUDY_LOCK_FILE = ".fusion-toolkit.lock";

/** One entry of a study listing; `path` is relative to the study, `/`-separated. */
export interface ListedEntry {
  readonly path: string;
  readonly kind: "file" | "dir" | "symlink" | "other";
}

/** One broken rule, located at `path` (relative to the study; `.` is the study itself). */
export interface Violation {
  readonly rule: RuleId;
  readonly path: string;
  readonly message: string;
}

const SCAN_DIR = /^Scan\d+$/;
const RULE_ORDER: readonly RuleId[] = ["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8"];

function hasExtension(name: string, extension: string): boolean {
  return name.toLowerCase().endsWith(extension) && name.length > extension.length;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** Children of each directory in a listing, keyed by the directory's path ("" is the study). */
function childrenByParent(entries: readonly ListedEntry[]): Map<string, ListedEntry[]> {
  const children = new Map<string, ListedEntry[]>();
  for (const entry of entries) {
    const parent = parentOf(entry.path);
    const list = children.get(parent);
    if (list === undefined) children.set(parent, [entry]);
    else list.push(entry);
  }
  return children;
}

/** True when `name` is a directory name of an experiment of `study` (R2 judges the rest). */
export function isExperimentCandidate(study: string, name: string): boolean {
  return name === study || name.startsWith(`${study}_`);
}

/** R8: the experiment holds a `Scan<N>` with a `*.qptiff` file and a `.temp` directory. */
function hasCompleteScan(children: Map<string, ListedEntry[]>, experiment: string): boolean {
  const scans = (children.get(experiment) ?? []).filter((entry) =>
    entry.kind === "dir" && SCAN_DIR.test(baseName(entry.path))
  );
  return scans.some((scan) => {
    const inside = children.get(scan.path) ?? [];
    const hasImage = inside.some((entry) =>
      entry.kind === "file" && hasExtension(baseName(entry.path), ".qptiff")
    );
    const hasTemp = inside.some((entry) =>
      entry.kind === "dir" && baseName(entry.path) === ".temp"
    );
    return hasImage && hasTemp;
  });
}

/** The experiment directories of `study` that hold a complete scan (R8), for the health check. */
export function experimentsWithCompleteScan(
  study: string,
  entries: readonly ListedEntry[],
): string[] {
  const children = childrenByParent(entries);
  return (children.get("") ?? [])
    .filter((entry) => entry.kind === "dir" && isExperimentCandidate(study, entry.path))
    .map((entry) => entry.path)
    .filter((experiment) => hasCompleteScan(children, experiment));
}

/**
 * Every violation of R1–R8 in the study named `study` whose full listing
 * (every entry at every depth, links not followed) is `entries`. All
 * violations are reported, ordered by rule and then path.
 */
export function evaluateStudy(study: string, entries: readonly ListedEntry[]): Violation[] {
  const violations: Violation[] = [];
  const add = (rule: RuleId, path: string, message: string) =>
    violations.push({ rule, path, message });

  for (const violation of checkStudyName(study).violations) {
    add(violation.rule, ".", violation.message);
  }

  const children = childrenByParent(entries);
  const topDirectories = new Set<string>();
  const experiments: string[] = [];
  const xpdFiles: string[] = [];
  let metadataFiles = 0;

  for (const entry of children.get("") ?? []) {
    const name = entry.path;
    if (entry.kind === "file" && name === STUDY_LOCK_FILE) continue;
    if (entry.kind === "dir") {
      topDirectories.add(name);
      if (isExperimentCandidate(study, name)) {
        experiments.push(name);
        for (const violation of checkExperimentName(study, name).violations) {
          add(violation.rule, name, violation.message);
        }
      } else {
        add(
          "R5",
          name,
          `unexpected directory; experiment directories are named '${study}' or '${study}_<suffix>'`,
        );
      }
    } else if (entry.kind === "file" && hasExtension(name, ".xpd")) {
      metadataFiles++;
      xpdFiles.push(name);
    } else if (entry.kind === "file" && hasExtension(name, ".fpr")) {
      metadataFiles++;
      for (const violation of checkFprName(name)) add(violation.rule, name, violation.message);
    } else if (entry.kind === "file") {
      add("R5", name, "unexpected file; only .xpd and .fpr files belong at study level");
    } else if (entry.kind !== "symlink") {
      add("R5", name, "unexpected special file; only .xpd, .fpr and experiment directories");
    }
  }

  for (const entry of entries) {
    if (entry.kind === "symlink") {
      add(
        "R5",
        entry.path,
        "symbolic link; links are not allowed in a study and are never followed",
      );
    } else if (entry.kind === "other" && entry.path.includes("/")) {
      // At study level the loop above already reported it.
      add(
        "R5",
        entry.path,
        "special file (a FIFO, socket or device); only files and folders can be backed up",
      );
    }
  }

  if (metadataFiles === 0) {
    add("R4", ".", "no metadata: a study needs at least one .xpd or .fpr file");
  }
  if (experiments.length === 0) {
    add(
      "R4",
      ".",
      `no experiment directory: a study needs a '${study}' or '${study}_<suffix>' one`,
    );
  }

  // R6 pairs .xpd files and experiment directories one to one, both ways; an .fpr pairs with
  // nothing (R7), so it does not stand in for a missing .xpd.
  const xpdNames = new Set(xpdFiles.map((xpd) => xpd.slice(0, -".xpd".length)));
  for (const xpd of xpdFiles) {
    const sibling = xpd.slice(0, -".xpd".length);
    if (!topDirectories.has(sibling)) {
      add("R6", xpd, `no sibling experiment directory named '${sibling}'`);
    }
  }
  for (const experiment of experiments) {
    if (!xpdNames.has(experiment)) {
      add(
        "R6",
        experiment,
        `no '${experiment}.xpd' beside it: every experiment directory has its own .xpd ` +
          "(an .fpr does not replace it)",
      );
    }
  }

  for (const experiment of experiments) {
    if (!hasCompleteScan(children, experiment)) {
      add(
        "R8",
        experiment,
        "no Scan<N> directory holding both a .qptiff file and a .temp directory",
      );
    }
  }

  return violations.sort((a, b) =>
    RULE_ORDER.indexOf(a.rule) - RULE_ORDER.indexOf(b.rule) ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  );
}
