/**
 * Fetch and verify: each file is written to `<name>.fusion-toolkit-restore`
 * beside its final place by the reader (hashed in the same pass, flushed)
 * and renamed only when the digest matches; a mismatching copy is deleted
 * and becomes a problem, the others go on. A failure that is not the file's
 * own (S3 unreachable, the destination not writable) stops the restore,
 * saying how far it got.
 *
 * @module
 */
import { forEachBySize } from "../concurrency/mod.ts";
import { errorMessage, OperationFailedError, ToolkitError, UsageError } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import { localPath } from "../layout/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { RestoreProgress } from "./destination.ts";
import type { FileProblem, Reader, Selected } from "./reader.ts";

/** Suffix of the file a restore writes before the digest is checked. */
export const PARTIAL_SUFFIX = ".fusion-toolkit-restore";

/** What fetching the files came to. */
export interface Transferred {
  readonly files: number;
  readonly bytes: number;
  readonly problems: readonly FileProblem[];
  readonly seconds: number;
}

async function removeQuietly(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
}

/**
 * Restores `files` of backup `backup` from `reader` into `destination`,
 * whose folders exist.
 *
 * @throws {UsageError} when a file appeared at its final place meanwhile.
 * @throws {OperationFailedError} when a failure stopped the restore midway.
 */
export async function fetchAndVerify(
  reader: Reader,
  files: readonly Selected[],
  destination: string,
  backup: { readonly name: string; readonly study: string },
  progress: RestoreProgress,
  logger: Logger,
): Promise<Transferred> {
  const problems: FileProblem[] = [];
  let restoredFiles = 0;
  let restoredBytes = 0;
  const restoreOne = async (file: Selected) => {
    const final = localPath(destination, file.path);
    const temp = `${final}${PARTIAL_SUFFIX}`;
    let problem: string | undefined;
    try {
      problem = await reader.fetch(file, temp, (bytes) => progress.advance(0, bytes));
      if (problem === undefined && await kindAt(final) !== undefined) {
        throw new UsageError(`${final} appeared during the restore: it was not overwritten`);
      }
      if (problem === undefined) await Deno.rename(temp, final);
    } catch (error) {
      await removeQuietly(temp);
      throw error;
    }
    if (problem !== undefined) {
      await removeQuietly(temp);
      problems.push({ path: file.path, problem });
      logger.error(`${backup.name}: ${file.path} was not restored: ${problem}`);
    } else {
      restoredFiles++;
      restoredBytes += file.size;
    }
    progress.advance(1, 0);
  };
  progress.stage(backup.study, "restore", files.length, files.reduce((sum, f) => sum + f.size, 0));
  const began = performance.now();
  try {
    await forEachBySize(files, reader.concurrency, restoreOne);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const cause = error instanceof ToolkitError ? error.message : errorMessage(error);
    throw new OperationFailedError(
      `the restore of ${backup.name} stopped: ${cause}; ${restoredFiles} of ` +
        `${files.length} files were restored and verified in ${destination}; run the same ` +
        "restore again to fetch the rest (the files already there are checked, not fetched again)",
      { cause: error },
    );
  } finally {
    progress.end();
  }
  return {
    files: restoredFiles,
    bytes: restoredBytes,
    problems,
    seconds: Math.max((performance.now() - began) / 1000, 1e-3),
  };
}
