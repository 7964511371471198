/**
 * Step: copy every file to the study's folder on the share, hashing it in the
 * same pass (and, for files that go to S3 in parts, each part), flushed to
 * disk. Each copied file gets a line in the copy journal, so a run that
 * stopped part-way is resumed: a copy the journal vouches for, whose source
 * is unchanged and which still hashes to the journal's digest, is kept.
 *
 * @module
 */
import { forEachBySize } from "../../concurrency/mod.ts";
import { errorMessage } from "../../errors.ts";
import {
  appendCopyJournal,
  type CopiedFile,
  localPath,
  readCopyJournal,
} from "../../layout/mod.ts";
import { copyFileWithHash, hashFile } from "../../storage/mod.ts";
import {
  type DigestMap,
  type FileDigest,
  rateLine,
  StepFailure,
  type StudyContext,
  totalBytes,
} from "../context.ts";
import type { SourceFile, StudyListing } from "./list.ts";

/** Small files copied at once. */
const SMALL_FILE_CONCURRENCY = 4;

/**
 * Copies the study at `source` into `destination` on the share.
 *
 * @returns every file's digest.
 * @throws {StepFailure} `failed_truenas` when a folder or file cannot be written or read.
 */
export async function copyStudy(
  context: StudyContext,
  studyName: string,
  source: string,
  listing: StudyListing,
  destination: string,
): Promise<DigestMap> {
  const { progress, store } = context;
  const digests: DigestMap = new Map();
  try {
    await Deno.mkdir(destination, { recursive: true });
    for (const dir of listing.dirs) {
      await Deno.mkdir(localPath(destination, dir), { recursive: true });
    }
  } catch (error) {
    throw new StepFailure(
      "copy",
      "failed_truenas",
      `creating folders in ${destination}: ${errorMessage(error)}`,
    );
  }
  // An earlier run of this backup that stopped part-way left a journal of what it copied.
  const journal = context.previous === undefined
    ? new Map<string, CopiedFile>()
    : await readCopyJournal(destination);
  const kept: SourceFile[] = [];
  const copied: SourceFile[] = [];
  progress.stage(studyName, "copy", listing.files.length, totalBytes(listing.files));
  const began = performance.now();
  await forEachBySize(listing.files, SMALL_FILE_CONCURRENCY, async (file) => {
    const target = localPath(destination, file.path);
    const partSize = store.partSizeFor(file.size);
    const earlier = await keptCopy(context, journal.get(file.path), file, partSize, target);
    if (earlier !== undefined) {
      digests.set(file.path, earlier);
      kept.push(file);
      progress.advance(1, 0);
      return;
    }
    let digest;
    try {
      digest = await copyFileWithHash(localPath(source, file.path), target, {
        partSize,
        onProgress: (bytes) => progress.advance(0, bytes),
        signal: context.signal,
      });
    } catch (error) {
      throw new StepFailure(
        "copy",
        "failed_truenas",
        `copying ${file.path}: ${errorMessage(error)}`,
      );
    }
    if (digest.size !== file.size) {
      throw new StepFailure(
        "copy",
        "failed_truenas",
        `${file.path} was ${file.size} bytes when listed and ${digest.size} when copied`,
      );
    }
    digests.set(file.path, {
      sha256Hex: digest.sha256Hex,
      partDigests: digest.partDigests,
      verified: false,
    });
    await appendCopyJournal(destination, {
      path: file.path,
      size: file.size,
      mtime: file.mtime,
      sha256Hex: digest.sha256Hex,
      ...(partSize === undefined || digest.partDigests === undefined
        ? {}
        : { partSize, partDigests: digest.partDigests }),
    });
    copied.push(file);
    progress.advance(1, 0);
  });
  let line = rateLine(`${studyName}: copied`, copied, began);
  if (kept.length > 0) {
    line += `; kept ${kept.length} files, ${totalBytes(kept)} bytes already on the share ` +
      "and verified from an earlier run";
  }
  context.logger.info(line);
  return digests;
}

/**
 * The digest of a copy an earlier run made, when the journal vouches for it,
 * the source is unchanged (size and modification time), and the copy still
 * hashes to the journal's digest: then it is not copied again, and this
 * hashing was its read-back. Undefined when it must be copied.
 */
async function keptCopy(
  context: StudyContext,
  earlier: CopiedFile | undefined,
  file: SourceFile,
  partSize: number | undefined,
  target: string,
): Promise<FileDigest | undefined> {
  if (
    earlier === undefined || earlier.size !== file.size || earlier.mtime !== file.mtime ||
    earlier.partSize !== partSize
  ) {
    return undefined;
  }
  let onShare;
  try {
    onShare = await hashFile(target, {
      onProgress: (bytes) => context.progress.advance(0, bytes),
      signal: context.signal,
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new StepFailure(
      "copy",
      "failed_truenas",
      `reading back ${file.path}: ${errorMessage(error)}`,
    );
  }
  if (onShare.size !== file.size || onShare.sha256Hex !== earlier.sha256Hex) return undefined;
  return { sha256Hex: earlier.sha256Hex, partDigests: earlier.partDigests, verified: true };
}
