/**
 * Step: compare a study with its complete backup, file by file — every
 * source file hashed (SHA-256) and matched against the file list of the
 * backup's last complete revision (read from the share, or from S3 when the
 * share no longer holds the folder). What it finds decides between deleting
 * the source (nothing changed) and storing a new revision (lib/backup/plan.ts).
 *
 * @module
 */
import { forEachBySize } from "../../concurrency/mod.ts";
import { errorMessage } from "../../errors.ts";
import {
  checkSidecar,
  listName,
  localPath,
  readSidecarBytes,
  revisionOf,
  sidecarEntries,
} from "../../layout/mod.ts";
import type { ManifestRecord } from "../../manifest/mod.ts";
import { hashFile, sha256Hex } from "../../storage/mod.ts";
import type { StudyAssessment } from "../../study/mod.ts";
import { rateLine, StepFailure, type StudyContext, totalBytes } from "../context.ts";
import { DigestTable } from "../digest_table.ts";
import { compareState, type StateComparison } from "../plan.ts";

/** Source files hashed at once. */
const CONCURRENCY = 4;

/**
 * The file list of the backup revision `record` describes, as its bytes:
 * from the share folder `destination`, else from S3 under `prefixKey`
 * (checked against the object's `sha256` metadata). Every line is checked
 * here, before any file is hashed; its entries are read from the bytes with
 * `sidecarEntries` as they are needed.
 *
 * @throws {StepFailure} "compare" (nothing recorded) when it is in neither place or unreadable.
 */
export async function readBaseList(
  context: StudyContext,
  record: ManifestRecord,
  destination: string,
  prefixKey: string,
): Promise<Uint8Array> {
  const name = listName(revisionOf(record));
  const fail = (problem: string) =>
    new StepFailure(
      "compare",
      undefined,
      `the file list of its complete backup (${name}) ${problem}; the source was kept — ` +
        `\`${context.command} audit --s3\` checks that backup`,
    );
  try {
    const onShare = await readSidecarBytes(destination, name);
    if (onShare !== undefined) return onShare;
  } catch (error) {
    throw fail(`cannot be read on the share: ${errorMessage(error)}`);
  }
  const key = `${prefixKey}/${name}`;
  let object;
  try {
    object = await context.store.getBytes(key);
  } catch (error) {
    throw fail(`is not on the share, and S3 cannot be read: ${errorMessage(error)}`);
  }
  if (object === undefined) throw fail(`is neither on the share nor at ${context.store.uri(key)}`);
  if (object.sha256Hex !== sha256Hex(object.bytes)) {
    throw fail(`in S3 (${context.store.uri(key)}) does not match its sha256 metadata`);
  }
  try {
    checkSidecar(object.bytes);
  } catch (error) {
    throw fail(`in S3 cannot be read: ${errorMessage(error)}`);
  }
  return object.bytes;
}

/**
 * Compares the study with the complete backup `base`: every source file is
 * hashed into a table at its place in the listing, then the base list's
 * entries are matched against it one at a time.
 *
 * @throws {StepFailure} "compare" when the base list cannot be read; `failed_truenas`
 *   when a source file cannot be read.
 */
export async function compareWithBackup(
  context: StudyContext,
  study: StudyAssessment,
  base: ManifestRecord,
  destination: string,
  prefixKey: string,
): Promise<StateComparison> {
  const list = await readBaseList(context, base, destination, prefixKey);
  const { progress } = context;
  const files = study.listing.files;
  progress.stage(study.name, "compare", files.length, totalBytes(files));
  const began = performance.now();
  const digests = new DigestTable(files.length);
  await forEachBySize(files, CONCURRENCY, async (file, index) => {
    try {
      const digest = await hashFile(localPath(study.path, file.path), {
        sizeHint: file.size,
        onProgress: (bytes) => progress.advance(0, bytes),
        signal: context.signal,
      });
      digests.set(index, digest.sha256Hex);
    } catch (error) {
      throw new StepFailure(
        "compare",
        "failed_truenas",
        `reading ${file.path} on the instrument: ${errorMessage(error)}`,
      );
    }
    progress.advance(1, 0);
  });
  context.logger.info(rateLine(`${study.name}: compared with its backup`, files, began));
  return compareState(files, digests, sidecarEntries(list));
}
