/**
 * The verdicts on assessed studies, as pure functions: why the backup would
 * refuse a study, which studies a run takes and in what order, and what
 * changed between two listings of one study.
 *
 * @module
 */
import { compareNames } from "../fs/mod.ts";
import type { StudyAssessment, StudyListing } from "./types.ts";

const DAY_MS = 86_400_000;

/** How many unreadable paths a refusal names. */
const NAMED = 3;

/** Why the backup refuses a study as assessed, or undefined when it would take it. */
export function refusalOf(
  study: Pick<StudyAssessment, "kind" | "unreadable" | "violations">,
): string | undefined {
  if (study.kind === "symlink") {
    return "the study folder is a symbolic link, which the backup never follows: put the folder " +
      "itself in its place";
  }
  const [first, ...more] = study.unreadable;
  if (first !== undefined) {
    const others = more.length === 0
      ? ""
      : ` (and ${more.slice(0, NAMED - 1).map((item) => item.path).join(", ")}` +
        `${more.length >= NAMED ? ` and ${more.length - NAMED + 1} more` : ""})`;
    return `cannot read ${first.path}${others} in the study: ${first.message}; give the account ` +
      "that runs the backup read access to the whole study folder";
  }
  if (study.violations.length > 0) {
    return `naming standard: ${
      study.violations.map((v) => `${v.rule} ${v.path}: ${v.message}`).join("; ")
    }`;
  }
  return undefined;
}

/**
 * Whether the study is refused whatever its age: a link, or a folder that
 * cannot be read (its newest change is unknown). Such a study is reported by
 * every run until it is fixed, rather than waiting in silence.
 */
export function refusedWhateverItsAge(study: StudyAssessment): boolean {
  return study.kind === "symlink" || study.unreadable.length > 0;
}

/** Whether the study's newest change is at least `idleDays` old at `now`. */
export function isIdle(study: StudyAssessment, idleDays: number, now: Date): boolean {
  return study.newestMtime <= now.getTime() - idleDays * DAY_MS;
}

/**
 * The studies a backup run takes: those idle for at least `idleDays` and
 * those refused whatever their age (so they are reported), oldest first,
 * ties by name.
 */
export function dueStudies(
  studies: readonly StudyAssessment[],
  idleDays: number,
  now: Date,
): StudyAssessment[] {
  return studies
    .filter((study) => refusedWhateverItsAge(study) || isIdle(study, idleDays, now))
    .sort((a, b) => a.newestMtime - b.newestMtime || compareNames(a.name, b.name));
}

/** What changed between two listings of the same study (the first difference), if anything. */
export function listingChange(a: StudyListing, b: StudyListing): string | undefined {
  const before = new Map(a.files.map((file) => [file.path, file]));
  for (const file of b.files) {
    const old = before.get(file.path);
    if (old === undefined) return `${file.path} appeared`;
    if (old.size !== file.size || old.mtime !== file.mtime) return `${file.path} changed`;
    before.delete(file.path);
  }
  const [gone] = before.keys();
  if (gone !== undefined) return `${gone} disappeared`;
  // Folders (an empty one is part of the backup) and links or special files count too.
  const others = (listing: StudyListing) => [...listing.dirs, ...listing.unsupported];
  const had = new Set(others(a));
  const has = new Set(others(b));
  const added = [...has].find((path) => !had.has(path));
  if (added !== undefined) return `${added} appeared`;
  const removed = [...had].find((path) => !has.has(path));
  return removed === undefined ? undefined : `${removed} disappeared`;
}
