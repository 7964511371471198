/**
 * Putting objects in S3, and checking one that is there.
 *
 * - A file up to `[s3].multipart_threshold_mb` goes in one PUT carrying its
 *   full-object `ChecksumSHA256`; a larger one goes in parts (see
 *   `_multipart.ts`). Every object carries its full-file hex SHA-256 as
 *   metadata `sha256`. S3 refuses a body whose checksum differs, and names
 *   the checksum it computed in its answer: the upload's proof.
 * - Create only: every PUT and every multipart completion carries
 *   `If-None-Match: *`, so S3 never replaces an object already at the key.
 *   When one is there (412), HeadObject decides: the same content (an upload
 *   that finished before its run could record it) is confirmed and kept;
 *   other content is an {@link S3StorageError} of kind `exists` naming it.
 *   A large file is looked up before any part is sent.
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
import { headObject, type ObjectInfo } from "./_s3_read.ts";
import { isPreconditionFailed, S3StorageError } from "./_s3_errors.ts";
import type {
  S3Session,
  UploadFileInput,
  UploadProof,
  UploadResult,
  UploadSession,
} from "./_s3_session.ts";

/** What S3 holds for an object compared with what was expected. */
export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What an object must hold. */
export interface ExpectedObject {
  readonly size: number;
  /** The full-file SHA-256, lowercase hex (metadata `sha256`). */
  readonly sha256Hex: string;
  /** S3's ChecksumSHA256: full-object base64, or the composite `...-N`. */
  readonly checksumSha256: string;
}

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
 * The ChecksumSHA256 S3 keeps for such a file: the full-object digest in
 * base64, or the composite of its part digests when uploaded in parts.
 *
 * @throws {Error} when the file goes in parts and `partDigests` is missing.
 */
export function expectedChecksum(
  session: UploadSession,
  size: number,
  sha256Hex: string,
  partDigests: readonly Uint8Array[] | undefined,
): string {
  if (partSizeFor(session, size) === undefined) return hexToBase64(sha256Hex);
  if (partDigests === undefined) throw new Error("a multipart checksum needs the part digests");
  return compositeSha256(partDigests);
}

/**
 * Uploads a file: one PUT up to the multipart threshold, else in parts
 * (resuming an unfinished upload of the same key). Never replaces an object.
 *
 * @throws {S3StorageError} when S3 refuses the upload or cannot be reached;
 *   kind `exists` when another object is at the key.
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
  if (partSize === undefined) {
    const result = await putObject(session, {
      key: input.key,
      size: input.size,
      sha256Hex: input.sha256Hex,
      checksumSha256: hexToBase64(input.sha256Hex),
      body: () => fileBody(input.path, input.size),
      contentType: "application/octet-stream",
      storageClass: session.storageClass,
      signal: input.signal,
    }, "create");
    input.onProgress?.(input.size);
    return result;
  }
  const parts = Math.ceil(input.size / partSize);
  const settle = async () => {
    const digests = input.partDigests ?? await hashParts(input, partSize);
    const found = await settleExisting(session, input.key, {
      size: input.size,
      sha256Hex: input.sha256Hex,
      checksumSha256: compositeSha256(digests),
    }, { multipart: true, parts });
    input.onProgress?.(input.size);
    return found;
  };
  // Gigabytes are not sent only for S3 to refuse them.
  if (await headObject(session, input.key) !== undefined) return await settle();
  let uploaded;
  try {
    uploaded = await uploadMultipart(session, input);
  } catch (error) {
    if (!isPreconditionFailed(error)) throw error;
    return await settle(); // another upload of the key finished in the meantime
  }
  return {
    key: input.key,
    size: input.size,
    checksumSha256: uploaded.checksumSha256,
    multipart: true,
    parts: uploaded.parts,
    proof: uploaded.validated ? "validated" : "unvalidated",
  };
}

/**
 * Uploads small bytes (the sidecar, a folder marker) in one PUT with their
 * SHA-256. Never replaces an object: the same bytes already there are kept.
 *
 * @throws {S3StorageError}; kind `exists` when another object is at the key.
 */
export function putBytes(
  session: UploadSession,
  key: string,
  bytes: Uint8Array,
  contentType: string,
  storageClass: string,
): Promise<UploadResult> {
  return putObject(session, bytesObject(key, bytes, contentType, storageClass), "create");
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
  return putObject(session, bytesObject(key, bytes, contentType, storageClass), "replace");
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

/** How `head` differs from `expected`, one phrase each. */
function differences(head: ObjectInfo, expected: ExpectedObject): string[] {
  const problems: string[] = [];
  if (head.size !== expected.size) {
    problems.push(`size is ${head.size} bytes, expected ${expected.size}`);
  }
  if (head.checksumSha256 === undefined) {
    problems.push("S3 holds no SHA-256 checksum for it");
  } else if (head.checksumSha256 !== expected.checksumSha256) {
    problems.push(`ChecksumSHA256 is ${head.checksumSha256}, expected ${expected.checksumSha256}`);
  }
  if (head.sha256Hex !== expected.sha256Hex) {
    problems.push(
      `metadata sha256 is ${head.sha256Hex ?? "missing"}, expected ${expected.sha256Hex}`,
    );
  }
  return problems;
}

/** One PUT's object. */
interface PutInput extends ExpectedObject {
  readonly key: string;
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
): PutInput {
  const digest = new Uint8Array(createHash("sha256").update(bytes).digest());
  return {
    key,
    size: bytes.byteLength,
    sha256Hex: Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join(""),
    checksumSha256: toBase64(digest),
    body: () => Promise.resolve(bytes),
    contentType,
    storageClass,
  };
}

/** One PUT: `create` never replaces an object (If-None-Match: *), `replace` does. */
async function putObject(
  session: UploadSession,
  object: PutInput,
  mode: "create" | "replace",
): Promise<UploadResult> {
  const { client, bucket } = session;
  const { key, checksumSha256 } = object;
  let proof: UploadProof = "unvalidated";
  try {
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
            Metadata: { sha256: object.sha256Hex },
            StorageClass: object.storageClass as StorageClass,
            ...(mode === "create" ? { IfNoneMatch: "*" } : {}),
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
  } catch (error) {
    // Also the retry of a PUT whose first attempt was stored but not answered.
    if (mode === "create" && isPreconditionFailed(error)) {
      return await settleExisting(session, key, object, { multipart: false, parts: 1 });
    }
    throw error;
  }
  return { key, size: object.size, checksumSha256, multipart: false, parts: 1, proof };
}

/**
 * An object is already at `key`: kept when HeadObject shows it holds
 * `expected`'s bytes, else the upload fails naming it. The bytes are proven
 * by S3's checksum in the form this upload would make, or by a full-object
 * checksum equal to the file's SHA-256 (an object sent in one PUT by an
 * earlier run with a higher multipart threshold).
 */
async function settleExisting(
  session: UploadSession,
  key: string,
  expected: ExpectedObject,
  layout: { readonly multipart: boolean; readonly parts: number },
): Promise<UploadResult> {
  const uri = `s3://${session.bucket}/${key}`;
  const head = await headObject(session, key);
  const stored = head?.checksumSha256;
  if (
    head !== undefined && stored !== undefined && head.size === expected.size &&
    head.sha256Hex === expected.sha256Hex &&
    (stored === expected.checksumSha256 || stored === hexToBase64(expected.sha256Hex))
  ) {
    const parts = Number(/-(\d+)$/.exec(stored)?.[1] ?? "1");
    return {
      key,
      size: expected.size,
      checksumSha256: stored,
      multipart: stored === expected.checksumSha256 ? layout.multipart : false,
      parts: stored === expected.checksumSha256 ? layout.parts : parts,
      proof: "found",
    };
  }
  const reason = head === undefined
    ? "it was deleted again"
    : differences(head, expected).join("; ");
  // The same file uploaded in parts of another size: its composite cannot be checked here.
  const otherLayout = head !== undefined && head.size === expected.size &&
      head.sha256Hex === expected.sha256Hex && stored !== undefined && stored.includes("-")
    ? "; it has this file's size and sha256 metadata but was uploaded in other parts: if " +
      "[s3] part_size_mb or multipart_threshold_mb changed since, set them back until this " +
      "backup completes"
    : "";
  throw new S3StorageError(
    "exists",
    `${uri} already holds another object (${reason})${otherLayout}: a backup never replaces ` +
      "an object in S3",
  );
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
