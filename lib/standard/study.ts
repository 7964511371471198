/**
 * Validation of study folders on disk: lists a study (never following links)
 * and applies the rules of `rules.ts`.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { compareNames, kindAt } from "../fs/mod.ts";
import { evaluateStudy, type ListedEntry, type Violation } from "./rules.ts";

/** The verdict on one study folder; this is also the JSON shape of `validate study -f json`. */
export interface StudyReport {
  /** The folder's name. */
  readonly study: string;
  /** The folder's absolute path. */
  readonly path: string;
  readonly ok: boolean;
  readonly violations: readonly Violation[];
}

/** The verdict on a root of studies; the JSON shape of `validate root -f json`. */
export interface RootReport {
  readonly root: string;
  readonly ok: boolean;
  readonly studies: readonly StudyReport[];
}

function kindOf(entry: Deno.DirEntry): ListedEntry["kind"] {
  if (entry.isSymlink) return "symlink";
  if (entry.isDirectory) return "dir";
  if (entry.isFile) return "file";
  return "other";
}

/**
 * Every entry under a study, at every depth, links reported and not followed,
 * names sorted in each folder. One synchronous read per folder, collected in
 * one array: the rules need the whole listing anyway, and the async walk of
 * lib/fs, which hands each entry up through one generator per level, took
 * more time than the reads themselves (`deno task bench validate-root`).
 */
export function listStudy(studyPath: string): ListedEntry[] {
  const entries: ListedEntry[] = [];
  const list = (dir: string, prefix: string) => {
    const children = [...Deno.readDirSync(dir)].sort((a, b) => compareNames(a.name, b.name));
    for (const child of children) {
      const path = prefix === "" ? child.name : `${prefix}/${child.name}`;
      const kind = kindOf(child);
      entries.push({ path, kind });
      if (kind === "dir") list(join(dir, child.name), path);
    }
  };
  list(studyPath, "");
  return entries;
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

function reportFor(absolutePath: string): StudyReport {
  const study = basename(absolutePath);
  const violations = evaluateStudy(study, listStudy(absolutePath));
  return { study, path: absolutePath, ok: violations.length === 0, violations };
}

/**
 * Validates one study folder against R1–R8.
 *
 * @throws {UsageError} when `path` does not exist or is not a directory.
 */
export async function validateStudy(path: string): Promise<StudyReport> {
  return reportFor(await requireDirectory(path, "study folder"));
}

/**
 * Validates every immediate subdirectory of `root` whose name does not start
 * with `.`; files directly in the root are ignored. A link in the root is
 * reported as a failing study (R5) rather than followed or silently skipped.
 *
 * @throws {UsageError} when `root` does not exist or is not a directory.
 */
export async function validateRoot(root: string): Promise<RootReport> {
  const absolute = await requireDirectory(root, "root folder");
  const candidates: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(absolute)) {
    if (!entry.name.startsWith(".") && (entry.isDirectory || entry.isSymlink)) {
      candidates.push(entry);
    }
  }
  candidates.sort((a, b) => compareNames(a.name, b.name));
  const studies: StudyReport[] = [];
  for (const entry of candidates) {
    const path = resolve(absolute, entry.name);
    if (entry.isSymlink) {
      const violations: Violation[] = [{
        rule: "R5",
        path: ".",
        message: "the study folder is a symbolic link; links are never followed",
      }];
      studies.push({ study: entry.name, path, ok: false, violations });
    } else {
      studies.push(reportFor(path));
    }
  }
  return { root: absolute, ok: studies.every((study) => study.ok), studies };
}
