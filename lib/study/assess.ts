/**
 * The one look at a study folder that validate, status, the dry run and the
 * backup run all share: a single walk that never follows links and never
 * stops at a folder it cannot read, collecting what each of them needs —
 * every entry for the naming rules (R1–R8), files with sizes and times for
 * the copy, folders (empty ones are kept in S3 as markers), links and
 * special files, folders that could not be read, the newest change — and
 * the verdict on it (verdict.ts), so none of them can disagree with another.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { compareNames } from "../fs/mod.ts";
import { errorMessage, OperationFailedError } from "../errors.ts";
import { evaluateStudy, type ListedEntry, STUDY_LOCK_FILE } from "../standard/mod.ts";
import {
  EMPTY_LISTING,
  type StudyAssessment,
  type StudyFile,
  type StudyListing,
  type Unreadable,
} from "./types.ts";
import { refusalOf } from "./verdict.ts";

/** How much the walk finds out. */
export interface AssessOptions {
  /**
   * Stat every entry for sizes and times (the default; the backup, status
   * and validate's health check need them). `validate -q` passes false: its
   * verdict needs names and kinds only, and a stat per entry takes about as
   * long again as the walk. The verdict is the same either way; sizes, times
   * and the newest change are then 0.
   */
  readonly measure?: boolean;
}

interface Walked {
  readonly measure: boolean;
  readonly entries: ListedEntry[];
  readonly files: StudyFile[];
  readonly dirs: string[];
  readonly unsupported: string[];
  readonly unreadable: Unreadable[];
  readonly nonEmpty: Set<string>;
  newest: number;
}

/**
 * Walks one folder, depth first, names sorted. Synchronous calls: a study is
 * listed and stat'ed three times faster than with one awaited call per entry,
 * and nothing else runs while a study is assessed.
 */
function walkFolder(walked: Walked, dir: string, prefix: string): void {
  let found: Deno.DirEntry[];
  try {
    found = [...Deno.readDirSync(dir)];
  } catch (error) {
    walked.unreadable.push({ path: prefix === "" ? "." : prefix, message: errorMessage(error) });
    return;
  }
  found.sort((a, b) => compareNames(a.name, b.name));
  for (const entry of found) {
    if (prefix === "" && entry.name === STUDY_LOCK_FILE && entry.isFile) continue;
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    const absolute = join(dir, entry.name);
    const kind = entry.isSymlink
      ? "symlink"
      : entry.isDirectory
      ? "dir"
      : entry.isFile
      ? "file"
      : "other";
    walked.entries.push({ path, kind });
    walked.nonEmpty.add(prefix);
    let size = 0;
    let mtime = 0;
    if (walked.measure) {
      let info: Deno.FileInfo;
      try {
        info = Deno.lstatSync(absolute);
      } catch (error) {
        walked.unreadable.push({ path, message: errorMessage(error) });
        continue;
      }
      size = info.size;
      mtime = info.mtime?.getTime() ?? 0;
      if (mtime > walked.newest) walked.newest = mtime;
    }
    if (kind === "file") {
      walked.files.push({ path, size, mtime });
    } else if (kind === "dir") {
      walked.dirs.push(path);
      walkFolder(walked, absolute, path);
    } else {
      walked.unsupported.push(path);
    }
  }
}

/** Assesses the study folder at `path` (which must be a folder; its name is the study's). */
export function assessFolder(
  path: string,
  name: string,
  options: AssessOptions = {},
): StudyAssessment {
  const walked: Walked = {
    measure: options.measure ?? true,
    entries: [],
    files: [],
    dirs: [],
    unsupported: [],
    unreadable: [],
    nonEmpty: new Set(),
    newest: 0,
  };
  walkFolder(walked, path, "");
  const listing: StudyListing = {
    files: walked.files,
    dirs: walked.dirs,
    emptyDirs: walked.dirs.filter((dir) => !walked.nonEmpty.has(dir)),
    unsupported: walked.unsupported,
  };
  const violations = evaluateStudy(name, walked.entries);
  const base = {
    name,
    path,
    kind: "dir" as const,
    listing,
    unreadable: walked.unreadable,
    violations,
    newestMtime: walked.newest,
  };
  return { ...base, refusal: refusalOf(base) };
}

/** The assessment of a link standing where a study folder should be: never followed. */
export function assessLink(path: string, name: string): StudyAssessment {
  const base = {
    name,
    path,
    kind: "symlink" as const,
    listing: EMPTY_LISTING,
    unreadable: [],
    violations: [{
      rule: "R5" as const,
      path: ".",
      message: "the study folder is a symbolic link; links are never followed",
    }],
    newestMtime: 0,
  };
  return { ...base, refusal: refusalOf(base) };
}

/**
 * Every study under `root`: each entry directly in it whose name does not
 * start with `.` and that is a folder or a link (links are assessed as
 * refused, never followed). Files directly in the root are not studies.
 * Sorted by name.
 *
 * @throws {OperationFailedError} when the root itself cannot be listed.
 */
export function assessRoot(root: string, options: AssessOptions = {}): StudyAssessment[] {
  const absolute = resolve(root);
  let found: Deno.DirEntry[];
  try {
    found = [...Deno.readDirSync(absolute)];
  } catch (error) {
    throw new OperationFailedError(
      `cannot list the studies in ${absolute}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  return found
    .filter((entry) => !entry.name.startsWith(".") && (entry.isDirectory || entry.isSymlink))
    .sort((a, b) => compareNames(a.name, b.name))
    .map((entry) => {
      const path = join(absolute, entry.name);
      return entry.isSymlink
        ? assessLink(path, entry.name)
        : assessFolder(path, entry.name, options);
    });
}
