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

/** What the study's top level holds, sorted by what the rules make of it. */
interface TopLevel {
  /** Every folder's name. */
  readonly directories: ReadonlySet<string>;
  /** Folders named as experiments of the study (R2 judges the rest of the name). */
  readonly experiments: readonly string[];
  /** Other folders. */
  readonly otherDirectories: readonly string[];
  readonly xpdFiles: readonly string[];
  readonly fprFiles: readonly string[];
  /** Files that are neither (the study lock left out). */
  readonly otherFiles: readonly string[];
  /** Neither files, folders nor links. */
  readonly special: readonly string[];
}

function topLevelOf(study: string, entries: readonly ListedEntry[]): TopLevel {
  const top = {
    directories: new Set<string>(),
    experiments: [] as string[],
    otherDirectories: [] as string[],
    xpdFiles: [] as string[],
    fprFiles: [] as string[],
    otherFiles: [] as string[],
    special: [] as string[],
  };
  for (const { path: name, kind } of entries) {
    if (kind === "dir") {
      top.directories.add(name);
      (isExperimentCandidate(study, name) ? top.experiments : top.otherDirectories).push(name);
    } else if (kind === "file" && name !== STUDY_LOCK_FILE) {
      (hasExtension(name, ".xpd")
        ? top.xpdFiles
        : hasExtension(name, ".fpr")
        ? top.fprFiles
        : top.otherFiles).push(name);
    } else if (kind === "other") {
      top.special.push(name);
    }
  }
  return top;
}

/** R1 (and the name parts of R3): the study's own name. */
function studyNameRule(study: string): Violation[] {
  return checkStudyName(study).violations.map(({ rule, message }) => ({
    rule,
    path: ".",
    message,
  }));
}

/** R2, R3 and R7: the names of the experiment folders and of the .fpr files. */
function entryNameRules(study: string, top: TopLevel): Violation[] {
  return [
    ...top.experiments.flatMap((name) =>
      checkExperimentName(study, name).violations.map(({ rule, message }) => ({
        rule,
        path: name,
        message,
      }))
    ),
    ...top.fprFiles.flatMap((name) =>
      checkFprName(name).map(({ rule, message }) => ({ rule, path: name, message }))
    ),
  ];
}

/** R4: at least one .xpd or .fpr, and at least one experiment folder. */
function requiredPartsRule(study: string, top: TopLevel): Violation[] {
  const violations: Violation[] = [];
  if (top.xpdFiles.length + top.fprFiles.length === 0) {
    violations.push({
      rule: "R4",
      path: ".",
      message: "no metadata: a study needs at least one .xpd or .fpr file",
    });
  }
  if (top.experiments.length === 0) {
    violations.push({
      rule: "R4",
      path: ".",
      message: `no experiment directory: a study needs a '${study}' or '${study}_<suffix>' one`,
    });
  }
  return violations;
}

/**
 * R5: nothing at the study's top level but metadata and experiment folders,
 * and no link or special file anywhere in it.
 */
function unexpectedEntriesRule(
  study: string,
  top: TopLevel,
  entries: readonly ListedEntry[],
): Violation[] {
  const r5 = (path: string, message: string): Violation => ({ rule: "R5", path, message });
  return [
    ...top.otherDirectories.map((name) =>
      r5(
        name,
        `unexpected directory; experiment directories are named '${study}' or '${study}_<suffix>'`,
      )
    ),
    ...top.otherFiles.map((name) =>
      r5(name, "unexpected file; only .xpd and .fpr files belong at study level")
    ),
    ...top.special.map((name) =>
      r5(name, "unexpected special file; only .xpd, .fpr and experiment directories")
    ),
    ...entries.flatMap((entry) =>
      entry.kind === "symlink"
        ? [r5(entry.path, "symbolic link; links are not allowed in a study and are never followed")]
        : entry.kind === "other" && entry.path.includes("/")
        // At study level it is reported above.
        ? [r5(
          entry.path,
          "special file (a FIFO, socket or device); only files and folders can be backed up",
        )]
        : []
    ),
  ];
}

/**
 * R6: .xpd files and experiment folders pair one to one, both ways; an .fpr
 * pairs with nothing (R7), so it does not stand in for a missing .xpd.
 */
function pairingRule(top: TopLevel): Violation[] {
  const xpdNames = new Set(top.xpdFiles.map((xpd) => xpd.slice(0, -".xpd".length)));
  return [
    ...top.xpdFiles.flatMap((xpd): Violation[] => {
      const sibling = xpd.slice(0, -".xpd".length);
      return top.directories.has(sibling) ? [] : [{
        rule: "R6",
        path: xpd,
        message: `no sibling experiment directory named '${sibling}'`,
      }];
    }),
    ...top.experiments.flatMap((experiment): Violation[] =>
      xpdNames.has(experiment) ? [] : [{
        rule: "R6",
        path: experiment,
        message: `no '${experiment}.xpd' beside it: every experiment directory has its own .xpd ` +
          "(an .fpr does not replace it)",
      }]
    ),
  ];
}

/** R8: every experiment folder holds a complete scan. */
function completeScanRule(
  children: Map<string, ListedEntry[]>,
  experiments: readonly string[],
): Violation[] {
  return experiments.flatMap((experiment): Violation[] =>
    hasCompleteScan(children, experiment) ? [] : [{
      rule: "R8",
      path: experiment,
      message: "no Scan<N> directory holding both a .qptiff file and a .temp directory",
    }]
  );
}

/**
 * Every violation of R1–R8 in the study named `study` whose full listing
 * (every entry at every depth, links not followed) is `entries`. All
 * violations are reported, ordered by rule and then path.
 */
export function evaluateStudy(study: string, entries: readonly ListedEntry[]): Violation[] {
  const children = childrenByParent(entries);
  const top = topLevelOf(study, children.get("") ?? []);
  const violations = [
    ...studyNameRule(study),
    ...entryNameRules(study, top),
    ...requiredPartsRule(study, top),
    ...unexpectedEntriesRule(study, top, entries),
    ...pairingRule(top),
    ...completeScanRule(children, top.experiments),
  ];
  return violations.sort((a, b) =>
    RULE_ORDER.indexOf(a.rule) - RULE_ORDER.indexOf(b.rule) ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  );
}
