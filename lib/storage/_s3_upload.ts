/**
 * Putting objects in S3, and checking one that is there.
 *
 * - A file up to `[s3].multipart_threshold_mb` goes in one PUT carrying its
 *   full-object `ChecksumSHA256`; a larger one goes in parts (see
 *   `_multipart.ts`). Every object carries its full-file hex SHA-256 as
 *   metadata `sha256`. S3 refuses a body whose checksum differs, and names
 *   the checksum it computed in its answer: the upload's proof.
 * - Every object also carries the attempt that wrote it as metadata
 *   `attempt`, when the caller names one (see lib/layout/attempt.ts).
 * - Create only: every PUT and every multipart completion carries
 *   `If-None-Match: *`, so S3 never replaces an object already at the key.
 *   When one is there (412), it is settled (`_s3_existing.ts`): the same
 *   content is confirmed and kept; other content is replaced only when the
 *   caller's judge proves it is the backup's own unfinished work, and then
 *   with `If-Match` on the ETag judged, so a write in between is never
 *   replaced; else an {@link S3StorageError} of kind `exists` names it.
 *   A large file (and any file when the caller asks) is looked up before
 *   anything is sent.
 * - {@linkcode replaceBytes} is for the one object meant to be replaced
 *   each time: the manifest mirror.
 * - Files are streamed from disk by byte range: memory stays flat whatever
 *   the file size.
 *
 * @module
 */
import { PutObjectCommand, type StorageClass } from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import type { ReadStream } from "node:fs";
import { OperationFailedError } from "../errors.ts";
import { closeStream, rangeStream, sha256OfRange } from "./_file_range.ts";
import { uploadMultipart } from "./_multipart.ts";
import {
  choosePartSize,
  compositeSha256,
  hexToBase64,
  MiB,
  planParts,
  toBase64,
} from "./_parts.ts";
import { headObject, isMissing, type ObjectInfo } from "./_s3_read.ts";
import { isPreconditionFailed, S3StorageError } from "./_s3_errors.ts";
import {
  differences,
  type ExpectedObject,
  holdsSame,
  settleExisting,
  type WantedObject,
} from "./_s3_existing.ts";
import {
  OCTET_STREAM,
  type S3Session,
  type UploadFileInput,
  type UploadProof,
  type UploadResult,
  type UploadSession,
  type WriteCondition,
  type WriteRules,
} from "./_s3_session.ts";

export type { ExpectedObject } from "./_s3_existing.ts";

/** What S3 holds for an object compared with what was expected. */
export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Files up to this size are read whole for their PUT: cheaper than a stream per small file. */
const SMALL_BODY_BYTES = MiB;

/** The part size a file of `size` bytes is uploaded with, or undefined for a single PUT. */
export function partSizeFor(session: UploadSession, size: number): number | undefined {
  return size > session.multipartThresholdBytes
    ? choosePartSize(size, session.partSizeBytes)
    : undefined;
}

/**
 * Uploads a file: one PUT up to the multipart threshold, else in parts
 * (resuming an unfinished upload of the same key). An object already at the
 * key is settled (see the module's notes): kept when it holds the file,
 * replaced only when `input.judge` allows it.
 *
 * @throws {S3StorageError} when S3 refuses the upload or cannot be reached;
 *   kind `exists` when another object is at the key and stays there.
 * @throws {OperationFailedError} when the file's size is no longer `size`.
 */
export async function uploadFile(
  session: UploadSession,
  input: UploadFileInput,
): Promise<UploadResult> {
  checkDigestHex(input.sha256Hex);
  const actual = (await Deno.stat(input.path)).size;
  if (actual !== input.size) throw sizeChanged(input.path, actual, input.size);
  const partSize = partSizeFor(session, input.size);
  let digests = input.partDigests;
  const parts = partSize === undefined ? 1 : Math.ceil(input.size / partSize);
  const result = await writeObject(session, {
    key: input.key,
    rules: input,
    // Gigabytes are not sent only for S3 to refuse them.
    lookFirst: partSize !== undefined || input.lookFirst === true,
    wanted: async () => ({
      key: input.key,
      size: input.size,
      sha256Hex: input.sha256Hex,
      checksumSha256: partSize === undefined
        ? hexToBase64(input.sha256Hex)
        : compositeSha256(digests ??= await hashParts(input, partSize)),
      path: input.path,
      multipart: partSize !== undefined,
      parts,
      signal: input.signal,
    }),
    send: async (condition) => {
      if (partSize === undefined) {
        return await putObject(session, {
          key: input.key,
          size: input.size,
          sha256Hex: input.sha256Hex,
          checksumSha256: hexToBase64(input.sha256Hex),
          attempt: input.attempt,
          body: () => fileBody(input.path, input.size),
          contentType: input.contentType ?? OCTET_STREAM,
          storageClass: input.storageClass ?? session.storageClass,
          signal: input.signal,
        }, condition);
      }
      const uploaded = await uploadMultipart(session, input, condition);
      return {
        key: input.key,
        size: input.size,
        checksumSha256: uploaded.checksumSha256,
        multipart: true,
        parts: uploaded.parts,
        proof: uploaded.validated ? "validated" : "unvalidated",
      };
    },
  });
  input.onProgress?.(input.size);
  return result;
}

/**
 * Uploads small bytes (the sidecar, a folder marker) in one PUT with their
 * SHA-256. An object already at the key is settled as for a file: the same
 * bytes are kept; other bytes are replaced only when `rules.judge` allows it.
 *
 * @throws {S3StorageError}; kind `exists` when another object is at the key and stays there.
 */
export function putBytes(
  session: UploadSession,
  key: string,
  bytes: Uint8Array,
  contentType: string,
  storageClass: string,
  rules: WriteRules = {},
): Promise<UploadResult> {
  const object = bytesObject(key, bytes, contentType, storageClass, rules.attempt);
  return writeObject(session, {
    key,
    rules,
    lookFirst: false,
    wanted: () => Promise.resolve({ ...object, path: undefined, multipart: false, parts: 1 }),
    send: (condition) => putObject(session, object, condition),
  });
}

/**
 * Uploads small bytes in one PUT with their SHA-256, replacing whatever is
 * at the key: for the manifest mirror, which is a copy of the share's
 * manifest and is meant to follow it.
 *
 * @throws {S3StorageError}
 */
export function replaceBytes(
  session: UploadSession,
  key: string,
  bytes: Uint8Array,
  contentType: string,
  storageClass: string,
): Promise<UploadResult> {
  return putObject(
    session,
    bytesObject(key, bytes, contentType, storageClass, undefined),
    "unconditional",
  );
}

/**
 * HeadObject with checksums enabled: the object must have `expected`'s size,
 * ChecksumSHA256 and metadata `sha256`. A missing object is `{ ok: false }`.
 *
 * @throws {S3StorageError} when S3 cannot be asked.
 */
export async function verifyObject(
  session: S3Session,
  key: string,
  expected: ExpectedObject,
): Promise<VerifyResult> {
  const uri = `s3://${session.bucket}/${key}`;
  const head = await headObject(session, key);
  if (head === undefined) return { ok: false, reason: `${uri} does not exist` };
  const problems = differences(head, expected);
  return problems.length === 0
    ? { ok: true }
    : { ok: false, reason: `${uri}: ${problems.join("; ")}` };
}

/** One object to write, and how. */
interface WriteTarget {
  readonly key: string;
  readonly rules: WriteRules;
  /** Ask S3 about the key before sending anything. */
  readonly lookFirst: boolean;
  /** What the key must hold (a multipart file's composite may need its parts hashed). */
  readonly wanted: () => Promise<WantedObject>;
  /** Sends the object under `condition`. */
  readonly send: (condition: WriteCondition) => Promise<UploadResult>;
}

/**
 * Creates the object, or settles the one already at its key: kept when it
 * holds the same content, replaced (If-Match) when the judge allows it.
 */
async function writeObject(session: S3Session, target: WriteTarget): Promise<UploadResult> {
  if (target.lookFirst) {
    const head = await headObject(session, target.key);
    if (head !== undefined) return await overExisting(session, target, head);
  }
  try {
    return await target.send({ ifNoneMatch: "*" });
  } catch (error) {
    // Also the retry of a write whose first attempt was stored but not answered.
    if (!isPreconditionFailed(error)) throw error;
  }
  return await overExisting(session, target, await headObject(session, target.key));
}

async function overExisting(
  session: S3Session,
  target: WriteTarget,
  head: ObjectInfo | undefined,
): Promise<UploadResult> {
  const wanted = await target.wanted();
  const settled = await settleExisting(session, wanted, head, target.rules);
  if (settled.kind === "found") return settled.result;
  try {
    return { ...await target.send({ ifMatch: settled.etag }), replaced: settled.note };
  } catch (error) {
    // 412: another object is there now; 404: the judged one is gone.
    if (!isPreconditionFailed(error) && !isMissing(error)) throw error;
  }
  // A retry of this replacement, stored before its answer was lost, holds this content.
  const now = await headObject(session, target.key);
  if (now !== undefined && holdsSame(now, wanted)) {
    const settledNow = await settleExisting(session, wanted, now, {});
    if (settledNow.kind === "found") return settledNow.result;
  }
  throw new S3StorageError(
    "exists",
    `s3://${session.bucket}/${target.key} changed while it was being replaced (another ` +
      "writer?): it was not replaced; the next run looks at it again",
  );
}

/** One PUT's object. */
interface PutInput extends ExpectedObject {
  readonly key: string;
  readonly attempt: string | undefined;
  readonly body: () => Promise<Uint8Array | ReadStream>;
  readonly contentType: string;
  readonly storageClass: string;
  readonly signal?: AbortSignal | undefined;
}

function bytesObject(
  key: string,
  bytes: Uint8Array,
  contentType: string,
  storageClass: string,
  attempt: string | undefined,
): PutInput {
  const digest = new Uint8Array(createHash("sha256").update(bytes).digest());
  return {
    key,
    size: bytes.byteLength,
    sha256Hex: Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join(""),
    checksumSha256: toBase64(digest),
    attempt,
    body: () => Promise.resolve(bytes),
    contentType,
    storageClass,
  };
}

/** One PUT under `condition`; `unconditional` replaces whatever is at the key. */
async function putObject(
  session: UploadSession,
  object: PutInput,
  condition: WriteCondition | "unconditional",
): Promise<UploadResult> {
  const { client, bucket } = session;
  const { key, checksumSha256 } = object;
  let proof: UploadProof = "unvalidated";
  await session.send("PutObject", key, async (requestOptions) => {
    const payload = await object.body();
    try {
      const sent = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: payload,
          ContentLength: object.size,
          ContentType: object.contentType,
          ChecksumSHA256: checksumSha256,
          Metadata: {
            sha256: object.sha256Hex,
            ...(object.attempt === undefined ? {} : { attempt: object.attempt }),
          },
          StorageClass: object.storageClass as StorageClass,
          ...(condition === "unconditional"
            ? {}
            : "ifMatch" in condition
            ? { IfMatch: condition.ifMatch }
            : { IfNoneMatch: condition.ifNoneMatch }),
        }),
        requestOptions,
      );
      if (sent.ChecksumSHA256 !== undefined && sent.ChecksumSHA256 !== checksumSha256) {
        throw new OperationFailedError(
          `S3 recorded SHA-256 ${sent.ChecksumSHA256} for s3://${bucket}/${key}, ` +
            `expected ${checksumSha256}`,
        );
      }
      proof = sent.ChecksumSHA256 === undefined ? "unvalidated" : "validated";
    } finally {
      if (!(payload instanceof Uint8Array)) await closeStream(payload);
    }
  }, object.signal);
  return { key, size: object.size, checksumSha256, multipart: false, parts: 1, proof };
}

/** The part digests of a file the caller did not hash in parts. */
async function hashParts(input: UploadFileInput, partSize: number): Promise<Uint8Array[]> {
  const digests: Uint8Array[] = [];
  for (const part of planParts(input.size, partSize)) {
    digests.push(await sha256OfRange(input.path, part.start, part.size, input.signal));
  }
  return digests;
}

/** A single PUT's body: the bytes of a small file, else a stream of the file. */
async function fileBody(path: string, size: number): Promise<Uint8Array | ReadStream> {
  if (size > SMALL_BODY_BYTES) return rangeStream(path, 0, size);
  const bytes = await Deno.readFile(path);
  if (bytes.byteLength !== size) throw sizeChanged(path, bytes.byteLength, size);
  return bytes;
}

function sizeChanged(path: string, actual: number, expected: number): OperationFailedError {
  return new OperationFailedError(
    `${path} is ${actual} bytes, not the ${expected} bytes that were hashed: ` +
      "it changed since it was copied; run the backup again",
  );
}

function checkDigestHex(sha256Hex: string): void {
  if (!SHA256_HEX.test(sha256Hex)) {
    throw new TypeError(`sha256Hex must be 64 lowercase hex digits, got '${sha256Hex}'`);
  }
}
