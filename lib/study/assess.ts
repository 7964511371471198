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
import { compareNames, type FolderEntry, readFolderSync } from "../fs/mod.ts";
import { errorMessage, OperationFailedError } from "../errors.ts";
import { evaluateStudy, type ListedEntry, STUDY_LOCK_FILE } from "../standard/mod.ts";
import { FileTable } from "./files.ts";
import {
  EMPTY_LISTING,
  type StudyAssessment,
  type StudyFile,
  type StudyListing,
  type Unreadable,
} from "./types.ts";
import { listingChange, refusalOf } from "./verdict.ts";

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

/** The kinds of entry a walk tells apart. */
type EntryKind = ListedEntry["kind"];

/**
 * What a walk tells whoever walks: each entry as it is met (size and
 * modification time in ms, 0 when not measured), an entry that could not be
 * measured, a folder that could not be listed. Each answers whether to go on.
 */
interface Visitor {
  entry(path: string, parent: string, kind: EntryKind, size: number, mtime: number): boolean;
  unmeasured(path: string, parent: string, kind: EntryKind, message: string): boolean;
  unlisted(path: string, message: string): boolean;
}

/**
 * Walks one folder, depth first, names sorted, telling `visitor` one entry
 * at a time (nothing is allocated per entry for it), so a visitor that keeps
 * nothing holds nothing per file beyond one folder's names and kinds
 * (readFolderSync, at a fraction of what Deno's reader holds). Synchronous
 * calls: a study is listed and stat'ed three times faster than with one
 * awaited call per entry, and nothing else runs while a study is walked.
 *
 * @returns false when the visitor stopped it.
 */
function walkStudy(dir: string, prefix: string, measure: boolean, visitor: Visitor): boolean {
  let found: FolderEntry[];
  try {
    found = readFolderSync(dir);
  } catch (error) {
    // A permission the command lacks is the program's fault, not the folder's (exit 3).
    if (error instanceof Deno.errors.NotCapable) throw error;
    return visitor.unlisted(prefix === "" ? "." : prefix, errorMessage(error));
  }
  found.sort((a, b) => compareNames(a.name, b.name));
  for (const { name, kind } of found) {
    if (prefix === "" && name === STUDY_LOCK_FILE && kind === "file") continue;
    const path = prefix === "" ? name : `${prefix}/${name}`;
    const absolute = join(dir, name);
    let size = 0;
    let mtime = 0;
    if (measure) {
      let info: Deno.FileInfo;
      try {
        info = Deno.lstatSync(absolute);
      } catch (error) {
        if (!visitor.unmeasured(path, prefix, kind, errorMessage(error))) return false;
        continue;
      }
      size = info.size;
      mtime = info.mtime?.getTime() ?? 0;
    }
    if (!visitor.entry(path, prefix, kind, size, mtime)) return false;
    if (kind === "dir" && !walkStudy(absolute, path, measure, visitor)) return false;
  }
  return true;
}

/** What one walk of a study folder collects. */
interface Walked {
  readonly entries: ListedEntry[];
  readonly listing: StudyListing;
  readonly unreadable: Unreadable[];
  readonly newest: number;
}

/** Walks the study folder at `path` and collects all of it. */
function collect(path: string, measure: boolean): Walked {
  const entries: ListedEntry[] = [];
  const files: StudyFile[] = [];
  const table = new FileTable();
  const dirs: string[] = [];
  const unsupported: string[] = [];
  const unreadable: Unreadable[] = [];
  const nonEmpty = new Set<string>();
  let newest = 0;
  walkStudy(path, "", measure, {
    entry(path, parent, kind, size, mtime) {
      entries.push({ path, kind });
      nonEmpty.add(parent);
      if (mtime > newest) newest = mtime;
      if (kind === "file") files.push(table.add(path, size, mtime));
      else if (kind === "dir") dirs.push(path);
      else unsupported.push(path);
      return true;
    },
    unmeasured(path, parent, kind, message) {
      entries.push({ path, kind });
      nonEmpty.add(parent);
      unreadable.push({ path, message });
      return true;
    },
    unlisted(path, message) {
      unreadable.push({ path, message });
      return true;
    },
  });
  const emptyDirs = dirs.filter((dir) => !nonEmpty.has(dir));
  return { entries, listing: { files, dirs, emptyDirs, unsupported }, unreadable, newest };
}

/** Assesses the study folder at `path` (which must be a folder; its name is the study's). */
export function assessFolder(
  path: string,
  name: string,
  options: AssessOptions = {},
): StudyAssessment {
  const walked = collect(path, options.measure ?? true);
  const base = {
    name,
    path,
    kind: "dir" as const,
    listing: walked.listing,
    unreadable: walked.unreadable,
    violations: evaluateStudy(name, walked.entries),
    newestMtime: walked.newest,
  };
  return { ...base, refusal: refusalOf(base) };
}

/**
 * What changed in the study folder at `path` since `listing` was taken (the
 * first difference, as {@linkcode listingChange} words it), or undefined
 * when it holds exactly that. It walks the folder once, comparing each entry
 * with the listing's next one as it goes (both are in walk order), so no
 * second listing of a study of 100,000 files is built just to be compared;
 * only a folder that differs is listed again, to name the difference.
 */
export function changeSince(path: string, listing: StudyListing): string | undefined {
  let file = 0;
  let dir = 0;
  let other = 0;
  const same = walkStudy(path, "", true, {
    entry(path, _parent, kind, size, mtime) {
      if (kind === "dir") return listing.dirs[dir++] === path;
      if (kind !== "file") return listing.unsupported[other++] === path;
      const want = listing.files[file++];
      return want !== undefined && want.path === path && want.size === size &&
        want.mtime === mtime;
    },
    unmeasured: () => false,
    unlisted: () => false,
  });
  if (
    same && file === listing.files.length && dir === listing.dirs.length &&
    other === listing.unsupported.length
  ) return undefined;
  return listingChange(listing, collect(path, true).listing) ??
    "it changed while it was compared";
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
