/**
 * Step: write `_checksums.sha256` into the study's folder on the share,
 * atomically, once every copy is proven: the proof that stays with the
 * backup (`sha256sum -c` checks it).
 *
 * @module
 */
import { errorMessage } from "../../errors.ts";
import { SIDECAR_NAME, type SidecarEntry, writeSidecar } from "../../layout/mod.ts";
import { type DigestMap, digestOf, StepFailure } from "../context.ts";
import type { StudyListing } from "./list.ts";

/**
 * Writes the sidecar of `listing` into `destination`.
 *
 * @returns its entries (the S3 upload sends the same text).
 * @throws {StepFailure} `failed_truenas` when it cannot be written.
 */
export async function sealShareCopy(
  listing: StudyListing,
  destination: string,
  digests: DigestMap,
): Promise<SidecarEntry[]> {
  const entries = listing.files.map((file) => ({
    path: file.path,
    sha256Hex: digestOf(digests, file.path).sha256Hex,
  }));
  try {
    await writeSidecar(destination, entries);
  } catch (error) {
    throw new StepFailure(
      "sidecar",
      "failed_truenas",
      `writing ${SIDECAR_NAME}: ${errorMessage(error)}`,
    );
  }
  return entries;
}
