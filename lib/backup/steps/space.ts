/**
 * Step: before anything is copied, check that the share has room for what
 * is still to copy. A study that does not fit fails alone with a line that
 * says how much is missing, and nothing of it is written: the next study
 * (perhaps a smaller one) still runs. The backup does not run cleanup
 * itself: cleanup needs the share to itself, while backups of several
 * instruments share it (lib/layout/share_lock.ts).
 *
 * @module
 */
import { errorMessage } from "../../errors.ts";
import { formatBytes } from "../../text/mod.ts";
import { StepFailure, type StudyContext } from "../context.ts";
import type { CopyPlan } from "./copy.ts";

/** Room kept per file beyond its bytes: its last block on disk, and its journal and list lines. */
const PER_FILE_BYTES = 8 * 1024;
/** Room kept per study: the file list, the journal, the manifest lines. */
const PER_STUDY_BYTES = 1024 * 1024;

/** The bytes a copy needs free on the share. Pure. */
export function spaceNeeded(plan: Pick<CopyPlan, "bytesToWrite" | "toCopy">): number {
  return plan.bytesToWrite + plan.toCopy.length * PER_FILE_BYTES + PER_STUDY_BYTES;
}

/**
 * Checks the share's free space against what `plan` still has to write.
 * When the free space cannot be read, says so and lets the copy try (a
 * copy that runs out of space is undone).
 *
 * @throws {StepFailure} `failed_truenas` when it does not fit.
 */
export async function requireSpace(
  context: StudyContext,
  studyName: string,
  plan: CopyPlan,
): Promise<void> {
  if (plan.toCopy.length === 0) return;
  const root = context.config.truenas.root;
  let free: number;
  try {
    free = (await context.readSpace(root)).freeBytes;
  } catch (error) {
    context.logger.warn(
      `${studyName}: the share's free space cannot be read (${errorMessage(error)}); copying ` +
        "without checking it first",
    );
    return;
  }
  const needed = spaceNeeded(plan);
  if (needed <= free) return;
  throw new StepFailure(
    "space",
    "failed_truenas",
    `the share has ${formatBytes(free)} free and this study needs ${formatBytes(needed)} ` +
      `(${formatBytes(plan.bytesToWrite)} still to copy): nothing was copied — once cleanup ` +
      `(\`${context.command} cleanup run\`) or a larger share makes room, the next backup run ` +
      "takes it",
  );
}
