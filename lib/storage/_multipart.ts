/**
 * Multipart upload with per-part SHA-256 and resume, driven by our own loop
 * (not `@aws-sdk/lib-storage`, which cannot resume and mishandles SHA-256).
 *
 * An interrupted upload is left in place on purpose: the next upload of the
 * same key finds it (ListMultipartUploads), asks which parts S3 already holds
 * (ListParts), skips every part whose size and checksum match the file, and
 * sends only the rest. The result is the same object an uninterrupted run
 * makes.
 *
 * @module
 */
import {
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  type StorageClass,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { closeStream, rangeStream, sha256OfRange } from "./_file_range.ts";
import { choosePartSize, compositeSha256, type PartRange, planParts, toBase64 } from "./_parts.ts";
import { forEachLimited } from "../concurrency/mod.ts";
import { S3StorageError } from "./_s3_errors.ts";
import {
  OCTET_STREAM,
  type S3Session,
  type UploadFileInput,
  type UploadSession,
  type WriteCondition,
} from "./_s3_session.ts";

/** A part S3 already holds for an unfinished upload. */
export interface UploadedPart {
  readonly partNumber: number;
  readonly size: number;
  readonly etag: string;
  /** Base64 SHA-256 S3 recorded for the part, if any. */
  readonly checksumSha256: string | undefined;
}

/** An unfinished multipart upload of a key, with the parts S3 holds for it. */
export interface ResumableUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date | undefined;
  readonly parts: ReadonlyMap<number, UploadedPart>;
}

/** What a multipart upload produced. */
export interface MultipartResult {
  readonly checksumSha256: string;
  readonly parts: number;
  /** Whether S3's answer named the composite checksum it computed (it matched). */
  readonly validated: boolean;
}

/**
 * The newest unfinished SHA-256 multipart upload of exactly `key`, with its
 * parts, or undefined when there is none.
 */
export async function findResumableUpload(
  session: S3Session,
  key: string,
  signal?: AbortSignal,
): Promise<ResumableUpload | undefined> {
  let newest: { uploadId: string; initiated: Date | undefined } | undefined;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const page = await session.send(
      "ListMultipartUploads",
      key,
      (requestOptions) =>
        session.client.send(
          new ListMultipartUploadsCommand({
            Bucket: session.bucket,
            Prefix: key,
            ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
            ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
          }),
          requestOptions,
        ),
      signal,
    );
    for (const upload of page.Uploads ?? []) {
      if (upload.Key !== key || upload.UploadId === undefined) continue;
      if (upload.ChecksumAlgorithm !== undefined && upload.ChecksumAlgorithm !== "SHA256") continue;
      const initiated = upload.Initiated;
      if (
        newest === undefined ||
        (initiated !== undefined && (newest.initiated ?? new Date(0)) < initiated)
      ) {
        newest = { uploadId: upload.UploadId, initiated };
      }
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
  } while (keyMarker !== undefined);
  if (newest === undefined) return undefined;

  const parts = new Map<number, UploadedPart>();
  let partMarker: string | undefined;
  do {
    const uploadId = newest.uploadId;
    const page = await session.send("ListParts", key, (requestOptions) =>
      session.client.send(
        new ListPartsCommand({
          Bucket: session.bucket,
          Key: key,
          UploadId: uploadId,
          ...(partMarker === undefined ? {} : { PartNumberMarker: partMarker }),
        }),
        requestOptions,
      ), signal);
    for (const part of page.Parts ?? []) {
      if (part.PartNumber === undefined || part.ETag === undefined || part.Size === undefined) {
        continue;
      }
      parts.set(part.PartNumber, {
        partNumber: part.PartNumber,
        size: part.Size,
        etag: part.ETag,
        checksumSha256: part.ChecksumSHA256,
      });
    }
    partMarker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
  } while (partMarker !== undefined);
  return { key, uploadId: newest.uploadId, initiated: newest.initiated, parts };
}

/**
 * Uploads `input` in parts: resumes an unfinished upload of the key when
 * there is one, else starts a new one. Every part carries its SHA-256; the
 * completion lists every part's checksum, so S3 computes the composite one.
 * Parts whose digests are not given are hashed from the file just before they
 * are sent (so a part is read twice, never held in memory). The completion
 * carries `condition`: `If-None-Match: *` never replaces an object already at
 * the key; `If-Match` replaces exactly the object with that ETag.
 *
 * @throws {S3StorageError} when S3 refuses a request or cannot be reached;
 *   a completion refused because the condition does not hold has a cause
 *   with HTTP status 412 (see `isPreconditionFailed`), or 404 when the
 *   object `If-Match` names is gone.
 */
export async function uploadMultipart(
  session: UploadSession,
  input: UploadFileInput,
  condition: WriteCondition,
): Promise<MultipartResult> {
  const partSize = choosePartSize(input.size, session.partSizeBytes);
  const plan = planParts(input.size, partSize);
  if (input.partDigests !== undefined && input.partDigests.length !== plan.length) {
    throw new TypeError(
      `partDigests has ${input.partDigests.length} digests but ${input.path} has ` +
        `${plan.length} parts of ${partSize} bytes (use choosePartSize)`,
    );
  }
  const found = await findResumableUpload(session, input.key, input.signal);
  // An unfinished upload without parts saves nothing: start clean.
  const resumable = found !== undefined && found.parts.size > 0 ? found : undefined;
  const made = await uploadParts(session, input, plan, resumable, condition);
  if (resumable === undefined || await carriesDigest(session, input)) return made.result;
  // The unfinished upload was started for other content (its metadata names
  // another digest): the parts that matched are right, the metadata is not.
  // The object just made is this upload's own: replace exactly that one.
  session.logger?.warn(
    `s3://${session.bucket}/${input.key}: the resumed upload carried another file's sha256 ` +
      "metadata; uploading it again from the start",
  );
  return (await uploadParts(session, input, plan, undefined, { ifMatch: made.etag })).result;
}

async function uploadParts(
  session: UploadSession,
  input: UploadFileInput,
  plan: readonly PartRange[],
  resumable: ResumableUpload | undefined,
  condition: WriteCondition,
): Promise<{ result: MultipartResult; etag: string }> {
  const { client, bucket } = session;
  const { key, signal } = input;
  const uploadId = resumable?.uploadId ?? await session.send(
    "CreateMultipartUpload",
    key,
    async (requestOptions) => {
      const created = await client.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ChecksumAlgorithm: "SHA256",
          Metadata: {
            sha256: input.sha256Hex,
            ...(input.attempt === undefined ? {} : { attempt: input.attempt }),
          },
          StorageClass: (input.storageClass ?? session.storageClass) as StorageClass,
          ContentType: input.contentType ?? OCTET_STREAM,
        }),
        requestOptions,
      );
      if (created.UploadId === undefined) {
        throw new S3StorageError("service", `S3 gave no UploadId for s3://${bucket}/${key}`);
      }
      return created.UploadId;
    },
    signal,
  );
  const digests: Uint8Array[] = new Array(plan.length);
  const completed: CompletedPart[] = new Array(plan.length);
  let bytesDone = 0;
  let reusedParts = 0;
  const partDone = (size: number) => {
    bytesDone += size;
    input.onProgress?.(bytesDone);
  };

  await forEachLimited(plan, session.concurrency, async (part) => {
    const index = part.partNumber - 1;
    const digest = input.partDigests?.[index] ??
      await sha256OfRange(input.path, part.start, part.size, signal);
    digests[index] = digest;
    const checksum = toBase64(digest);
    const held = resumable?.parts.get(part.partNumber);
    if (held !== undefined && held.size === part.size && held.checksumSha256 === checksum) {
      completed[index] = { PartNumber: part.partNumber, ETag: held.etag, ChecksumSHA256: checksum };
      reusedParts++;
      partDone(part.size);
      return;
    }
    const etag = await session.send("UploadPart", key, async (requestOptions) => {
      const body = rangeStream(input.path, part.start, part.size);
      try {
        const sent = await client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: part.partNumber,
            Body: body,
            ContentLength: part.size,
            ChecksumSHA256: checksum,
          }),
          requestOptions,
        );
        if (sent.ETag === undefined) {
          throw new S3StorageError("service", `S3 gave no ETag for part ${part.partNumber}`);
        }
        return sent.ETag;
      } finally {
        await closeStream(body);
      }
    }, signal);
    completed[index] = { PartNumber: part.partNumber, ETag: etag, ChecksumSHA256: checksum };
    partDone(part.size);
  }, signal);

  const expected = compositeSha256(digests);
  const done = await session.send("CompleteMultipartUpload", key, (requestOptions) =>
    client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
        ...("ifMatch" in condition
          ? { IfMatch: condition.ifMatch }
          : { IfNoneMatch: condition.ifNoneMatch }),
      }),
      requestOptions,
    ), signal);
  if (done.ChecksumSHA256 !== undefined && done.ChecksumSHA256 !== expected) {
    throw new S3StorageError(
      "checksum_rejected",
      `S3 computed the composite SHA-256 ${done.ChecksumSHA256} for s3://${bucket}/${key}, ` +
        `expected ${expected} from the local part digests`,
    );
  }
  if (done.ETag === undefined) {
    throw new S3StorageError("service", `S3 gave no ETag for the completed s3://${bucket}/${key}`);
  }
  if (resumable !== undefined) {
    session.logger?.info(
      `s3://${bucket}/${key}: resumed an unfinished upload; ${reusedParts} of ${plan.length} ` +
        "parts were already in S3 and not sent again",
    );
  }
  return {
    result: {
      checksumSha256: expected,
      parts: plan.length,
      validated: done.ChecksumSHA256 !== undefined,
    },
    etag: done.ETag,
  };
}

/** Whether the object now at the key carries `input`'s full-file digest as metadata. */
async function carriesDigest(session: S3Session, input: UploadFileInput): Promise<boolean> {
  const head = await session.send(
    "HeadObject",
    input.key,
    (requestOptions) =>
      session.client.send(
        new HeadObjectCommand({ Bucket: session.bucket, Key: input.key }),
        requestOptions,
      ),
    input.signal,
  );
  return head.Metadata?.["sha256"] === input.sha256Hex;
}
