/**
 * Step: upload every file, the file list and a marker for each empty folder
 * to the study's prefix in S3 with SHA-256 checksums S3 verifies, then
 * confirm every object. Every object is tagged with this attempt (metadata
 * `attempt`: instrument, `started_at`, revision). An object an earlier run
 * of this backup already uploaded is confirmed by HeadObject (size,
 * ChecksumSHA256, `sha256` metadata; one sent in parts of other sizes, by
 * S3's checksum of each of its own parts), not sent again; an object sent
 * now is proven by S3's own checksum validation (its answer names the
 * checksum it computed); one ListObjectsV2 pass over the prefix then shows
 * every object there with its size. A file an earlier revision holds is
 * checked to be there with its digest (and sent only if its object is
 * missing).
 *
 * An object with other content at a key is replaced only when it is this
 * backup's own unfinished work: its tag names an attempt of the same
 * revision that the manifest lists, and no attempt of that revision ever
 * completed (plan.ts, `judgeFoundObject`) — the study changed between two
 * attempts. It is replaced with `If-Match` on the ETag judged. Anything
 * else fails the study naming the object and why.
 *
 * @module
 */
import { forEachBySize, forEachLimited } from "../../concurrency/mod.ts";
import { errorMessage } from "../../errors.ts";
import {
  type AttemptTag,
  formatAttemptTag,
  listName,
  localPath,
  metadataStorageClass,
} from "../../layout/mod.ts";
import { type FileDigest, hashFile, sha256Hex } from "../../storage/mod.ts";
import type { UploadProof, UploadResult, WriteRules } from "../../storage/s3.ts";
import {
  type DigestMap,
  digestOf,
  rateLine,
  StepFailure,
  type StudyContext,
  totalBytes,
} from "../context.ts";
import { type BackupWork, judgeFoundObject, type PlannedFile } from "../plan.ts";

/** An object this step put (or found) in S3, and what it must hold. */
interface Uploaded {
  readonly key: string;
  readonly size: number;
  readonly sha256Hex: string;
  readonly checksumSha256: string;
  /** How it is known right; `earlier`: an earlier run's object, checked before it was reused. */
  readonly proof: UploadProof | "earlier";
}

/** One study's upload: where, by which attempt, under which rules. */
interface UploadTarget {
  readonly context: StudyContext;
  readonly studyName: string;
  /** The study's proven copy on the share. */
  readonly destination: string;
  readonly prefixKey: string;
  /** This attempt's tag and the judge of objects found at its keys. */
  readonly rules: Required<WriteRules>;
}

/**
 * Uploads the work's files from the study at `source` under `prefixKey` as
 * `attempt`, and confirms every object.
 *
 * @throws {StepFailure} `failed_s3` naming the first object that could not be sent or confirmed.
 */
export async function uploadStudy(
  context: StudyContext,
  studyName: string,
  source: string,
  destination: string,
  work: BackupWork,
  prefixKey: string,
  digests: DigestMap,
  listSha256Hex: string,
  attempt: AttemptTag,
): Promise<void> {
  const { progress } = context;
  const target: UploadTarget = {
    context,
    studyName,
    destination,
    prefixKey,
    rules: {
      attempt: formatAttemptTag(attempt),
      judge: (found) => judgeFoundObject(context.history, attempt, found, context.command),
    },
  };
  // Kept per object only when HeadObject must still confirm it (normally none).
  const unvalidated: Uploaded[] = [];
  const sent: PlannedFile[] = [];
  const already: PlannedFile[] = [];
  progress.stage(studyName, "upload", work.files.length, totalBytes(work.files));
  const began = performance.now();
  await forEachBySize(work.files, context.config.s3.concurrency, async (file) => {
    const object = file.kept === undefined
      ? await uploadFile(target, source, file, digests)
      : await keepObject(target, source, file, file.kept);
    if (object.proof === "unvalidated") unvalidated.push(object);
    (object.proof === "validated" || object.proof === "unvalidated" ? sent : already).push(file);
  });
  const metadata = await uploadMetadata(target, work, listSha256Hex);
  unvalidated.push(...metadata.filter((object) => object.proof === "unvalidated"));
  let line = rateLine(`${studyName}: uploaded`, sent, began);
  if (already.length > 0) {
    line += `; ${already.length} files, ${totalBytes(already)} bytes were already in S3 ` +
      `from an earlier ${work.revision === 1 ? "run" : "run or revision"}, checksums confirmed`;
  }
  context.logger.info(line);
  // By path under the prefix: the plan's own strings, no key built per file.
  const expected = new Map<string, number>();
  for (const file of work.files) expected.set(file.stored, file.size);
  for (const object of metadata) expected.set(object.key.slice(prefixKey.length + 1), object.size);
  await confirmObjects(context, studyName, prefixKey, expected, unvalidated);
}

function uploadFailure(what: string, error: unknown): StepFailure {
  return new StepFailure("upload", "failed_s3", `${what}: ${errorMessage(error)}`);
}

/**
 * Sends one file. When an earlier attempt of this backup may have put it
 * there (the manifest has a record of one), S3 is asked first: an object
 * holding it is kept, not sent again.
 */
function uploadFile(
  target: UploadTarget,
  source: string,
  file: PlannedFile,
  digests: DigestMap,
): Promise<Uploaded> {
  const digest = digestOf(digests, file.stored);
  return send(target, source, file, digest.sha256Hex, digest.partDigests, target.rules);
}

/** Uploads one file to its key under `rules`, and logs what it found or replaced there. */
async function send(
  target: UploadTarget,
  source: string,
  file: PlannedFile,
  sha256Hex: string,
  partDigests: readonly Uint8Array[] | undefined,
  rules: WriteRules,
): Promise<Uploaded> {
  const { context, prefixKey } = target;
  const { store, progress } = context;
  const key = `${prefixKey}/${file.stored}`;
  let object;
  try {
    let reported = 0;
    object = await store.uploadFile({
      key,
      path: localPath(source, file.path),
      size: file.size,
      sha256Hex,
      ...(partDigests === undefined ? {} : { partDigests }),
      ...rules,
      lookFirst: context.previous !== undefined,
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
  return settled(target, object, file.size, sha256Hex);
}

/**
 * The object an upload settled, as this step records it; says which objects
 * were replaced, and which were found in parts of other sizes.
 */
function settled(
  target: UploadTarget,
  object: UploadResult,
  size: number,
  sha256Hex: string,
): Uploaded {
  const { store, logger } = target.context;
  const uri = store.uri(object.key);
  if (object.replaced !== undefined) {
    logger.info(`${target.studyName}: ${uri} replaced: ${object.replaced}`);
  }
  const parts = object.foundParts;
  if (parts !== undefined) {
    const sizes = [...new Set(parts)].join(", ");
    logger.info(
      `${target.studyName}: ${uri} was already in S3 in ${parts.length} parts of other sizes ` +
        `(${sizes} bytes; [s3] part_size_mb or multipart_threshold_mb changed since): S3's ` +
        "checksum of each part matched the file cut the same way; kept",
    );
  }
  return {
    key: object.key,
    size,
    sha256Hex,
    checksumSha256: object.checksumSha256,
    proof: object.proof,
  };
}

/**
 * A file an earlier revision stored: its object must be there with its size
 * and `sha256` metadata. A missing one is sent again from the source (whose
 * content was just proven to be the same); one holding anything else is
 * never replaced.
 */
async function keepObject(
  target: UploadTarget,
  source: string,
  file: PlannedFile,
  sha256Hex: string,
): Promise<Uploaded> {
  const { context, prefixKey } = target;
  const { store, progress } = context;
  const key = `${prefixKey}/${file.stored}`;
  let head;
  try {
    head = await store.headObject(key);
  } catch (error) {
    throw uploadFailure(`checking ${file.stored} in S3`, error);
  }
  if (head === undefined) {
    // Its key belongs to a complete revision: nothing found there is ever replaced.
    return await send(target, source, file, sha256Hex, await provenParts(target, file, sha256Hex), {
      attempt: target.rules.attempt,
    });
  }
  if (head.size !== file.size || head.sha256Hex !== sha256Hex) {
    throw new StepFailure(
      "upload",
      "failed_s3",
      `${store.uri(key)} holds ${head.size} bytes with sha256 metadata ${head.sha256Hex}, not ` +
        `the backup's ${file.size} bytes with ${sha256Hex}: a stored object changed; it is never ` +
        `replaced — run \`${context.command} audit --s3\``,
    );
  }
  progress.advance(1, file.size);
  return {
    key,
    size: file.size,
    sha256Hex,
    checksumSha256: head.checksumSha256 ?? "",
    proof: "earlier",
  };
}

/**
 * The part digests a file sent in parts goes up with when an earlier
 * revision holds it, cut from that revision's proven copy on the share: the
 * source was found equal to it when the study was compared, and S3 then
 * refuses, part by part, source bytes that changed since. (A file sent in
 * one PUT carries its full SHA-256, which S3 checks the same way.)
 *
 * @throws {StepFailure} `failed_s3` when the share copy no longer has the recorded digest.
 */
async function provenParts(
  target: UploadTarget,
  file: PlannedFile,
  sha256Hex: string,
): Promise<readonly Uint8Array[] | undefined> {
  const partSize = target.context.store.partSizeFor(file.size);
  if (partSize === undefined) return undefined;
  const path = localPath(target.destination, file.stored);
  let digest;
  try {
    digest = await hashFile(path, { partSize, sizeHint: file.size, signal: target.context.signal });
  } catch (error) {
    throw uploadFailure(`reading ${file.stored} on the share to send it again`, error);
  }
  if (digest.size !== file.size || digest.sha256Hex !== sha256Hex || !digest.partDigests) {
    throw new StepFailure(
      "upload",
      "failed_s3",
      `${path} no longer has the SHA-256 its file list records, so ${file.stored} cannot be ` +
        `sent to S3 again with proof — run \`${target.context.command} audit\``,
    );
  }
  return digest.partDigests;
}

/** The file list as sealed on the share: where, and its digests as read there now. */
interface SealedList {
  readonly path: string;
  readonly digest: FileDigest;
}

/**
 * The file list as sealed on the share, hashed there again as it is read (it
 * is not kept in memory meanwhile; for 100,000 files it is some 11 MB), with
 * its part digests when it goes in parts, and proven the same by its digest.
 * S3 then checks what it receives against these digests.
 */
async function readSealedList(
  target: UploadTarget,
  revision: number,
  sealedSha256Hex: string,
): Promise<SealedList> {
  const name = listName(revision);
  const path = localPath(target.destination, name);
  let digest;
  try {
    const { size } = await Deno.stat(path);
    digest = await hashFile(path, { partSize: target.context.store.partSizeFor(size) });
  } catch (error) {
    throw uploadFailure(`reading ${name} on the share`, error);
  }
  if (digest.sha256Hex !== sealedSha256Hex) {
    throw new StepFailure(
      "upload",
      "failed_s3",
      `${name} on the share now has SHA-256 ${digest.sha256Hex}, not the ${sealedSha256Hex} it ` +
        "was written with: it changed there after it was sealed; the next run writes it again " +
        "from the proven copies",
    );
  }
  return { path, digest };
}

/**
 * The file list, sent from the share, and a marker object for every empty
 * folder: an earlier attempt's list of another state is replaced as its
 * files are.
 */
async function uploadMetadata(
  target: UploadTarget,
  work: BackupWork,
  listSha256Hex: string,
): Promise<Uploaded[]> {
  const { context, prefixKey, rules } = target;
  const { store } = context;
  const storageClass = metadataStorageClass(context.config.s3.storageClass);
  const list = await readSealedList(target, work.revision, listSha256Hex);
  const marker = new Uint8Array(0);
  const markerSha256Hex = sha256Hex(marker);
  const uploaded: Uploaded[] = [];
  try {
    const listKey = `${prefixKey}/${listName(work.revision)}`;
    const listObject = await store.uploadFile({
      key: listKey,
      path: list.path,
      size: list.digest.size,
      sha256Hex: listSha256Hex,
      partDigests: list.digest.partDigests,
      contentType: "text/plain; charset=utf-8",
      storageClass,
      ...rules,
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
    uploaded.push(settled(target, listObject, list.digest.size, listSha256Hex));
    for (const dir of work.emptyDirs) {
      const key = `${prefixKey}/${dir}/`;
      const object = await store.putBytes(
        key,
        marker,
        "application/x-directory",
        storageClass,
        rules,
      );
      uploaded.push(settled(target, object, 0, markerSha256Hex));
    }
  } catch (error) {
    throw uploadFailure("uploading the file list and folder markers", error);
  }
  return uploaded;
}

/**
 * Confirms the study's objects: HeadObject for those whose upload S3 answered
 * without the checksum it computed, then one ListObjectsV2 pass over the
 * prefix in which every expected object (`expected`: size by path under the
 * prefix) must appear with its size.
 */
async function confirmObjects(
  context: StudyContext,
  studyName: string,
  prefixKey: string,
  expected: Map<string, number>,
  unvalidated: readonly Uploaded[],
): Promise<void> {
  const { store, progress } = context;
  const confirmFailure = (what: string) => new StepFailure("confirm", "failed_s3", what);
  progress.stage(studyName, "confirm", expected.size, 0);
  await forEachLimited(unvalidated, context.config.s3.concurrency, async (object) => {
    let check;
    try {
      check = await store.verifyObject(object.key, object);
    } catch (error) {
      throw confirmFailure(`checking ${object.key}: ${errorMessage(error)}`);
    }
    if (!check.ok) throw confirmFailure(`${store.uri(object.key)}: ${check.reason}`);
  });
  const wrongSize: string[] = [];
  const folder = `${prefixKey}/`;
  try {
    await store.forEachObject(folder, (key, size) => {
      const path = key.slice(folder.length);
      const want = expected.get(path);
      if (want === undefined) return;
      if (size !== want) wrongSize.push(`${store.uri(key)} is ${size} bytes, expected ${want}`);
      expected.delete(path);
      progress.advance(1, 0);
    });
  } catch (error) {
    throw confirmFailure(`listing ${store.uri(folder)}: ${errorMessage(error)}`);
  }
  if (wrongSize.length > 0) throw confirmFailure(wrongSize.join("; "));
  const missing = [...expected.keys()].map((path) => `${folder}${path}`);
  if (missing.length > 0) {
    throw confirmFailure(
      `${missing.length} uploaded object${missing.length === 1 ? " is" : "s are"} not in S3's ` +
        `listing of ${store.uri(`${prefixKey}/`)}: ${missing.slice(0, 3).join(", ")}` +
        (missing.length > 3 ? ", ..." : ""),
    );
  }
}
