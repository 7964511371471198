/**
 * Step: write the backup's file list into the study's folder on the share,
 * atomically, once every copy is proven: `_checksums.sha256` for a first
 * backup, `_checksums.r<N>.sha256` for revision N (lib/layout/revision.ts).
 * It is the proof that stays with the backup: `sha256sum -c <list>` in the
 * folder checks it.
 *
 * @module
 */
import { errorMessage } from "../../errors.ts";
import { listName, type SidecarEntry, writeSidecar } from "../../layout/mod.ts";
import { type DigestMap, digestOf, StepFailure } from "../context.ts";
import type { BackupWork } from "../plan.ts";

/**
 * Writes the file list of `work` into `destination`.
 *
 * @returns its entries (the S3 upload sends the same text).
 * @throws {StepFailure} `failed_truenas` when it cannot be written.
 */
export async function sealShareCopy(
  work: BackupWork,
  destination: string,
  digests: DigestMap,
): Promise<SidecarEntry[]> {
  const entries = work.files.map((file) => ({
    path: file.stored,
    sha256Hex: digestOf(digests, file.stored).sha256Hex,
  }));
  const name = listName(work.revision);
  try {
    await writeSidecar(destination, entries, name);
  } catch (error) {
    throw new StepFailure("sidecar", "failed_truenas", `writing ${name}: ${errorMessage(error)}`);
  }
  return entries;
}
