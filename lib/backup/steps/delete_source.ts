/**
 * Step: delete the study from the instrument, once both copies are proven
 * and recorded — and only if nothing in it changed since it was listed.
 *
 * The folder is first moved aside, atomically, to
 * `.<study>.fusion-toolkit-deleting` beside it, listed again there (a file
 * written in the last instant is caught), and only then deleted. So a study
 * folder on the instrument is always whole: a deletion cut short (a crash,
 * a file in use) leaves the moved-aside folder, which the next run finishes
 * deleting (steps/settle.ts).
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { errorMessage } from "../../errors.ts";
import { changeSince, type StudyListing } from "../../study/mod.ts";
import { StepFailure } from "../context.ts";

/** The suffix of a study folder moved aside to be deleted. */
const DELETING_SUFFIX = ".fusion-toolkit-deleting";

/** Where the study at `studyPath` is moved to be deleted: a dot name beside it, never a study. */
export function deletingPath(studyPath: string): string {
  return join(dirname(studyPath), `.${basename(studyPath)}${DELETING_SUFFIX}`);
}

/** The study name of a moved-aside folder's name, or undefined when the name is not one. */
export function deletingStudy(name: string): string | undefined {
  return name.startsWith(".") && name.endsWith(DELETING_SUFFIX) && name.length > 1 +
        DELETING_SUFFIX.length
    ? name.slice(1, -DELETING_SUFFIX.length)
    : undefined;
}

function changed(change: string, next: number): StepFailure {
  return new StepFailure(
    "delete source",
    undefined,
    `the source changed during the backup (${change}); it was kept — once it is idle again, a ` +
      `run backs up what changed as revision ${next}`,
  );
}

/**
 * Removes the study at `studyPath` when it still holds exactly `listing`.
 * `nextRevision` is the revision a change would become (for the message).
 *
 * @throws {StepFailure} "delete source" (no status) when it changed or cannot be removed.
 */
export async function deleteSource(
  studyPath: string,
  listing: StudyListing,
  nextRevision: number,
): Promise<void> {
  const before = changeSince(studyPath, listing);
  if (before !== undefined) throw changed(before, nextRevision);
  const aside = deletingPath(studyPath);
  try {
    await Deno.rename(studyPath, aside);
  } catch (error) {
    throw new StepFailure(
      "delete source",
      undefined,
      `moving the source aside to delete it failed: ${errorMessage(error)}; both copies are ` +
        "verified — the next run deletes it",
    );
  }
  const after = changeSince(aside, listing);
  if (after !== undefined) {
    await Deno.rename(aside, studyPath).catch(() => {});
    throw changed(after, nextRevision);
  }
  await removeAside(aside);
}

/**
 * Deletes a moved-aside study folder.
 *
 * @throws {StepFailure} "delete source" when it cannot be removed.
 */
export async function removeAside(aside: string): Promise<void> {
  try {
    await Deno.remove(aside, { recursive: true });
  } catch (error) {
    throw new StepFailure(
      "delete source",
      undefined,
      `deleting ${aside} failed part-way: ${errorMessage(error)}; both copies are verified — ` +
        "the next run deletes the rest",
    );
  }
}
