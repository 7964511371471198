/**
 * Reading the archive back: HeadObject facts (size, storage class, restore
 * state, the `sha256` and `attempt` metadata), the parts an object was
 * uploaded in, listings, small objects read whole, restore requests for
 * objects in the archive storage classes, and the bucket's versioning state. Downloads into files are in `_s3_download.ts`.
 *
 * @module
 */
import {
  GetBucketVersioningCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  RestoreObjectCommand,
} from "@aws-sdk/client-s3";
import { OperationFailedError } from "../errors.ts";
import { ARCHIVE_STORAGE_CLASSES } from "../layout/mod.ts";
import { s3ErrorCode } from "./_s3_errors.ts";
import type { S3Session } from "./_s3_session.ts";

/** The state of a restore request, from S3's `x-amz-restore` header. */
export interface RestoreState {
  /** True while S3 is still retrieving the object. */
  readonly ongoing: boolean;
  /** When the restored copy goes away again (once finished). */
  readonly expiry: Date | undefined;
}

/** What HeadObject says about an object. */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /** `STANDARD` when S3 names no class (it omits the header for STANDARD). */
  readonly storageClass: string;
  /** The full-file hex SHA-256 the backup stored as metadata `sha256`, if any. */
  readonly sha256Hex: string | undefined;
  /** S3's base64 ChecksumSHA256: full-object, or composite `...-N` for multipart. */
  readonly checksumSha256: string | undefined;
  /** The backup attempt that wrote it (metadata `attempt`, see lib/layout/attempt.ts), if named. */
  readonly attempt: string | undefined;
  /** Its ETag, which a write replacing exactly this object names in `If-Match`. */
  readonly etag: string | undefined;
  /** The restore request's state, when one was made. */
  readonly restore: RestoreState | undefined;
  /** Whether GetObject is refused until a restore request finishes. */
  readonly archived: boolean;
}

/** A small object read whole. */
export interface ObjectBytes {
  readonly bytes: Uint8Array;
  /** Its metadata `sha256`, if any. */
  readonly sha256Hex: string | undefined;
}

/** How a restore request was answered. */
export type RestoreRequestResult = "started" | "in_progress" | "restored";

/**
 * Whether the bucket keeps earlier versions of an object that is replaced
 * or deleted: `off` when versioning was never turned on.
 */
export type BucketVersioning = "enabled" | "suspended" | "off";

/** Retrieval tiers offered for a restore (Expedited is left out: costly, and not for DEEP_ARCHIVE). */
export type RestoreTier = "Standard" | "Bulk";

/**
 * Parses `x-amz-restore`, e.g. `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`.
 * Pure.
 *
 * @returns undefined when the header is absent or does not name `ongoing-request`.
 */
export function parseRestoreHeader(value: string | undefined): RestoreState | undefined {
  if (value === undefined) return undefined;
  const ongoing = /ongoing-request\s*=\s*"(true|false)"/i.exec(value)?.[1];
  if (ongoing === undefined) return undefined;
  const expiryText = /expiry-date\s*=\s*"([^"]+)"/i.exec(value)?.[1];
  const expiry = expiryText === undefined ? undefined : new Date(expiryText);
  return {
    ongoing: ongoing.toLowerCase() === "true",
    expiry: expiry === undefined || Number.isNaN(expiry.getTime()) ? undefined : expiry,
  };
}

/** Whether an object of `storageClass` with `restore` must (still) be restored before reading. Pure. */
export function isArchived(storageClass: string, restore: RestoreState | undefined): boolean {
  if (!ARCHIVE_STORAGE_CLASSES.includes(storageClass)) return false;
  return restore === undefined || restore.ongoing;
}

/** Whether a failed request (as `send` throws it) says the object does not exist. */
export function isMissing(error: unknown): boolean {
  const code = s3ErrorCode((error as { cause?: unknown }).cause);
  return code === "NotFound" || code === "NoSuchKey";
}

/** Whether a failed GetObject says the object must be restored first. */
export function isArchivedError(error: unknown): boolean {
  return s3ErrorCode((error as { cause?: unknown }).cause) === "InvalidObjectState";
}

/** The error for reading an archived object that is not restored. */
export function archivedObject(session: S3Session, key: string): OperationFailedError {
  return new OperationFailedError(
    `s3://${session.bucket}/${key} is in an archive storage class and not restored: ` +
      "run the restore again to request its retrieval",
  );
}

/**
 * HeadObject with checksums enabled.
 *
 * @returns undefined when the object does not exist.
 * @throws {S3StorageError} when S3 cannot be asked.
 */
export async function headObject(
  session: S3Session,
  key: string,
): Promise<ObjectInfo | undefined> {
  let head;
  try {
    head = await session.send("HeadObject", key, (requestOptions) =>
      session.client.send(
        new HeadObjectCommand({ Bucket: session.bucket, Key: key, ChecksumMode: "ENABLED" }),
        requestOptions,
      ));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  const storageClass = head.StorageClass ?? "STANDARD";
  const restore = parseRestoreHeader(head.Restore);
  return {
    key,
    size: head.ContentLength ?? 0,
    storageClass,
    sha256Hex: head.Metadata?.["sha256"],
    checksumSha256: head.ChecksumSHA256,
    attempt: head.Metadata?.["attempt"],
    etag: head.ETag,
    restore,
    archived: isArchived(storageClass, restore),
  };
}

/** One part of a multipart object: its size, and the SHA-256 S3 holds for it (base64), if any. */
export interface StoredPart {
  readonly size: number;
  readonly checksumSha256: string | undefined;
}

/**
 * The parts a multipart object was uploaded in, in order
 * (GetObjectAttributes, ObjectParts): S3 lists them for objects uploaded
 * with checksums, which every backup's are.
 *
 * @returns undefined when S3 lists no parts for it (a single PUT, or a store
 *   that does not say).
 * @throws {S3StorageError} when S3 cannot be asked (access denied needs
 *   `s3:GetObjectAttributes`; a store without the action answers an error).
 */
export async function objectParts(
  session: S3Session,
  key: string,
  signal?: AbortSignal,
): Promise<StoredPart[] | undefined> {
  const parts: { number: number; part: StoredPart }[] = [];
  let marker: string | undefined;
  let total: number | undefined;
  do {
    const answer = await session.send(
      "GetObjectAttributes",
      key,
      (requestOptions) =>
        session.client.send(
          new GetObjectAttributesCommand({
            Bucket: session.bucket,
            Key: key,
            ObjectAttributes: ["ObjectParts"],
            MaxParts: 1000,
            ...(marker === undefined ? {} : { PartNumberMarker: marker }),
          }),
          requestOptions,
        ),
      signal,
    );
    const page = answer.ObjectParts;
    total ??= page?.TotalPartsCount;
    for (const part of page?.Parts ?? []) {
      if (part.PartNumber === undefined || part.Size === undefined) return undefined;
      parts.push({
        number: part.PartNumber,
        part: { size: part.Size, checksumSha256: part.ChecksumSHA256 },
      });
    }
    const next = page?.NextPartNumberMarker;
    marker = page?.IsTruncated === true && next !== undefined && next !== marker ? next : undefined;
  } while (marker !== undefined);
  if (parts.length === 0 || parts.length !== total) return undefined;
  parts.sort((a, b) => a.number - b.number);
  // Numbered 1..N without a gap: the object is these parts, in this order.
  if (parts.some((entry, index) => entry.number !== index + 1)) return undefined;
  return parts.map((entry) => entry.part);
}

/**
 * Reads a small object whole (the sidecar, a manifest mirror).
 *
 * @returns undefined when the object does not exist.
 * @throws {S3StorageError} when S3 cannot be asked; {OperationFailedError} when it is archived.
 */
export async function getObjectBytes(
  session: S3Session,
  key: string,
): Promise<ObjectBytes | undefined> {
  try {
    return await session.send("GetObject", key, async (requestOptions) => {
      const got = await session.client.send(
        new GetObjectCommand({ Bucket: session.bucket, Key: key }),
        requestOptions,
      );
      if (got.Body === undefined) return { bytes: new Uint8Array(0), sha256Hex: undefined };
      return {
        bytes: await got.Body.transformToByteArray(),
        sha256Hex: got.Metadata?.["sha256"],
      };
    });
  } catch (error) {
    if (isMissing(error)) return undefined;
    if (isArchivedError(error)) throw archivedObject(session, key);
    throw error;
  }
}

/**
 * Asks S3 to restore an archived object for `days` days with `tier`.
 *
 * @returns `started` (202), `in_progress` (a request is already running:
 *   409 RestoreAlreadyInProgress), or `restored` (200: the copy is there; its
 *   expiry was extended).
 * @throws {S3StorageError}
 */
export async function requestRestore(
  session: S3Session,
  key: string,
  request: { readonly days: number; readonly tier: RestoreTier },
): Promise<RestoreRequestResult> {
  try {
    const answer = await session.send("RestoreObject", key, (requestOptions) =>
      session.client.send(
        new RestoreObjectCommand({
          Bucket: session.bucket,
          Key: key,
          RestoreRequest: { Days: request.days, GlacierJobParameters: { Tier: request.tier } },
        }),
        requestOptions,
      ));
    return answer.$metadata.httpStatusCode === 200 ? "restored" : "started";
  } catch (error) {
    if (s3ErrorCode((error as { cause?: unknown }).cause) === "RestoreAlreadyInProgress") {
      return "in_progress";
    }
    throw error;
  }
}

/**
 * Calls `visit` with every key starting with `prefix`, its size and storage
 * class (`STANDARD` when the listing names none), one ListObjectsV2 page of
 * `pageSize` keys at a time (nothing is gathered).
 *
 * @throws {S3StorageError}
 */
export async function forEachObject(
  session: S3Session,
  prefix: string,
  pageSize: number,
  visit: (key: string, size: number, storageClass: string) => void,
): Promise<void> {
  let token: string | undefined;
  do {
    const page = await session.send(
      "ListObjectsV2",
      prefix,
      (requestOptions) =>
        session.client.send(
          new ListObjectsV2Command({
            Bucket: session.bucket,
            Prefix: prefix,
            MaxKeys: pageSize,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
          requestOptions,
        ),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined) {
        visit(object.Key, object.Size ?? 0, object.StorageClass ?? "STANDARD");
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
}

/**
 * The bucket's versioning state (GetBucketVersioning).
 *
 * @throws {S3StorageError}
 */
export async function bucketVersioning(session: S3Session): Promise<BucketVersioning> {
  const answer = await session.send(
    "GetBucketVersioning",
    "",
    (requestOptions) =>
      session.client.send(
        new GetBucketVersioningCommand({ Bucket: session.bucket }),
        requestOptions,
      ),
  );
  if (answer.Status === "Enabled") return "enabled";
  return answer.Status === "Suspended" ? "suspended" : "off";
}
