/**
 * Step: read every new copy back from the share and compare its SHA-256
 * with the one hashed from the source while copying. A file that goes to S3
 * in parts also gets its part digests here, on a second core from the same
 * read: the upload sends the source, and S3 checks each part against the
 * digests of the share copy. Copies kept from an earlier run were read back
 * (and their parts cut) when they were kept; files an earlier revision holds
 * were proven when that revision was backed up.
 *
 * @module
 */
import { forEachBySize } from "../../concurrency/mod.ts";
import { errorMessage } from "../../errors.ts";
import { localPath } from "../../layout/mod.ts";
import { FileHasher } from "../../storage/mod.ts";
import {
  type DigestMap,
  digestOf,
  rateLine,
  StepFailure,
  type StudyContext,
  totalBytes,
} from "../context.ts";
import type { BackupWork } from "../plan.ts";

/** Small files read back at once. */
const SMALL_FILE_CONCURRENCY = 4;

/**
 * Reads back the copies in `destination`.
 *
 * @throws {StepFailure} `failed_truenas` naming the first copy that cannot be read or differs.
 */
export async function verifyCopies(
  context: StudyContext,
  studyName: string,
  work: BackupWork,
  destination: string,
  digests: DigestMap,
): Promise<void> {
  const { progress, store } = context;
  const unverified = work.files.filter((file) => digests.verified(file.stored) !== true);
  progress.stage(studyName, "verify", unverified.length, totalBytes(unverified));
  const began = performance.now();
  using hasher = new FileHasher();
  await forEachBySize(unverified, SMALL_FILE_CONCURRENCY, async (file) => {
    let digest;
    try {
      digest = await hasher.hash(localPath(destination, file.stored), {
        sizeHint: file.size,
        partSize: store.partSizeFor(file.size),
        onProgress: (bytes) => progress.advance(0, bytes),
        signal: context.signal,
      });
    } catch (error) {
      throw new StepFailure(
        "read-back",
        "failed_truenas",
        `reading back ${file.path}: ${errorMessage(error)}`,
      );
    }
    const expected = digestOf(digests, file.stored).sha256Hex;
    if (digest.size !== file.size || digest.sha256Hex !== expected) {
      throw new StepFailure(
        "read-back",
        "failed_truenas",
        `the copy of ${file.path} on the share differs from the source ` +
          `(sha256 ${digest.sha256Hex.slice(0, 12)}… instead of ${expected.slice(0, 12)}…, ` +
          `${digest.size} instead of ${file.size} bytes)`,
      );
    }
    digests.markVerified(file.stored, digest.partDigests);
    progress.advance(1, 0);
  });
  context.logger.info(rateLine(`${studyName}: read back`, unverified, began));
}
