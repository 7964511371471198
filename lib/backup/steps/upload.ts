/**
 * Step: upload every file, the sidecar and a marker for each empty folder to
 * the study's prefix in S3 with SHA-256 checksums S3 verifies, then confirm
 * every object (size, ChecksumSHA256, `sha256` metadata). An object an
 * earlier run of this backup already uploaded is confirmed, not sent again.
 *
 * @module
 */
import { forEachBySize, forEachLimited } from "../../concurrency/mod.ts";
import { errorMessage } from "../../errors.ts";
import { localPath, metadataStorageClass, SIDECAR_NAME } from "../../layout/mod.ts";
import { sha256Hex } from "../../storage/mod.ts";
import {
  type DigestMap,
  digestOf,
  rateLine,
  StepFailure,
  type StudyContext,
  totalBytes,
} from "../context.ts";
import type { SourceFile, StudyListing } from "./list.ts";

/** An object this step put (or found) in S3, and what it must hold. */
interface Uploaded {
  readonly key: string;
  readonly size: number;
  readonly sha256Hex: string;
  readonly checksumSha256: string;
  /** Already confirmed (an earlier run's object, checked before it was reused). */
  readonly confirmed: boolean;
}

/**
 * Uploads the study at `source` under `prefixKey` and confirms every object.
 *
 * @throws {StepFailure} `failed_s3` naming the first object that could not be sent or confirmed.
 */
export async function uploadStudy(
  context: StudyContext,
  studyName: string,
  source: string,
  listing: StudyListing,
  prefixKey: string,
  digests: DigestMap,
  sidecarText: string,
): Promise<void> {
  const { progress } = context;
  const uploaded: Uploaded[] = [];
  const sent: SourceFile[] = [];
  const already: SourceFile[] = [];
  progress.stage(studyName, "upload", listing.files.length, totalBytes(listing.files));
  const began = performance.now();
  await forEachBySize(listing.files, context.config.s3.concurrency, async (file) => {
    const object = await uploadFile(context, source, prefixKey, file, digests);
    uploaded.push(object);
    (object.confirmed ? already : sent).push(file);
  });
  uploaded.push(...await uploadMetadata(context, listing, prefixKey, sidecarText));
  let line = rateLine(`${studyName}: uploaded`, sent, began);
  if (already.length > 0) {
    line += `; ${already.length} files, ${totalBytes(already)} bytes were already in S3 ` +
      "from an earlier run, checksums confirmed";
  }
  context.logger.info(line);
  await confirmObjects(context, studyName, uploaded.filter((object) => !object.confirmed));
}

function uploadFailure(what: string, error: unknown): StepFailure {
  return new StepFailure("upload", "failed_s3", `${what}: ${errorMessage(error)}`);
}

/** Sends one file, unless an earlier run of this backup already put it there intact. */
async function uploadFile(
  context: StudyContext,
  source: string,
  prefixKey: string,
  file: SourceFile,
  digests: DigestMap,
): Promise<Uploaded> {
  const { store, progress } = context;
  const key = `${prefixKey}/${file.path}`;
  const digest = digestOf(digests, file.path);
  const checksumSha256 = store.expectedChecksum(file.size, digest.sha256Hex, digest.partDigests);
  const expected = { key, size: file.size, sha256Hex: digest.sha256Hex, checksumSha256 };
  if (context.previous !== undefined) {
    // An earlier run of this backup may have uploaded it already: S3 says so, checksums and all.
    let check;
    try {
      check = await store.verifyObject(key, expected);
    } catch (error) {
      throw uploadFailure(`checking ${file.path} in S3`, error);
    }
    if (check.ok) {
      progress.advance(1, file.size);
      return { ...expected, confirmed: true };
    }
  }
  let object;
  try {
    let reported = 0;
    object = await store.uploadFile({
      key,
      path: localPath(source, file.path),
      size: file.size,
      sha256Hex: digest.sha256Hex,
      ...(digest.partDigests === undefined ? {} : { partDigests: digest.partDigests }),
      onProgress: (done) => {
        progress.advance(0, done - reported);
        reported = done;
      },
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
  } catch (error) {
    throw uploadFailure(`uploading ${file.path}`, error);
  }
  progress.advance(1, 0);
  return { ...expected, checksumSha256: object.checksumSha256, confirmed: false };
}

/** The sidecar, and a marker object for every empty folder. */
async function uploadMetadata(
  context: StudyContext,
  listing: StudyListing,
  prefixKey: string,
  sidecarText: string,
): Promise<Uploaded[]> {
  const { store } = context;
  const metadataClass = metadataStorageClass(context.config.s3.storageClass);
  const objects: { key: string; bytes: Uint8Array; contentType: string }[] = [
    {
      key: `${prefixKey}/${SIDECAR_NAME}`,
      bytes: new TextEncoder().encode(sidecarText),
      contentType: "text/plain; charset=utf-8",
    },
    ...listing.emptyDirs.map((dir) => ({
      key: `${prefixKey}/${dir}/`,
      bytes: new Uint8Array(0),
      contentType: "application/x-directory",
    })),
  ];
  const uploaded: Uploaded[] = [];
  try {
    for (const { key, bytes, contentType } of objects) {
      const object = await store.putBytes(key, bytes, contentType, metadataClass);
      uploaded.push({
        key,
        size: bytes.length,
        sha256Hex: sha256Hex(bytes),
        checksumSha256: object.checksumSha256,
        confirmed: false,
      });
    }
  } catch (error) {
    throw uploadFailure("uploading the sidecar and folder markers", error);
  }
  return uploaded;
}

/** HeadObject on every object sent in this run. */
async function confirmObjects(
  context: StudyContext,
  studyName: string,
  objects: readonly Uploaded[],
): Promise<void> {
  const { store, progress } = context;
  progress.stage(studyName, "confirm", objects.length, 0);
  await forEachLimited(objects, context.config.s3.concurrency, async (object) => {
    let check;
    try {
      check = await store.verifyObject(object.key, object);
    } catch (error) {
      throw new StepFailure(
        "confirm",
        "failed_s3",
        `checking ${object.key}: ${errorMessage(error)}`,
      );
    }
    if (!check.ok) {
      throw new StepFailure("confirm", "failed_s3", `${store.uri(object.key)}: ${check.reason}`);
    }
    progress.advance(1, 0);
  });
}
