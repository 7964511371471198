/**
 * Step: delete the study from the instrument, once both copies are proven
 * and recorded — and only if nothing in it changed since it was listed.
 *
 * @module
 */
import { errorMessage } from "../../errors.ts";
import { StepFailure } from "../context.ts";
import { listingChange, listStudyFiles, type StudyListing } from "./list.ts";

/**
 * Removes `studyPath` when it still holds exactly `listing`.
 *
 * @throws {StepFailure} "delete source" (no status) when it changed or cannot be removed.
 */
export async function deleteSource(studyPath: string, listing: StudyListing): Promise<void> {
  const change = listingChange(listing, await listStudyFiles(studyPath));
  if (change !== undefined) {
    throw new StepFailure(
      "delete source",
      undefined,
      `the source changed during the backup (${change}); it was kept — the next run backs it up again`,
    );
  }
  try {
    await Deno.remove(studyPath, { recursive: true });
  } catch (error) {
    throw new StepFailure(
      "delete source",
      undefined,
      `deleting the source failed: ${errorMessage(error)}; both copies are verified — ` +
        `delete ${studyPath} by hand`,
    );
  }
}
