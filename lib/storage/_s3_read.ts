/**
 * Reading the archive back: HeadObject facts (size, storage class, restore
 * state, the `sha256` metadata), small objects read whole, large ones
 * streamed to a file while hashed, and restore requests for objects in the
 * archive storage classes.
 *
 * @module
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  RestoreObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import { errorMessage, OperationFailedError } from "../errors.ts";
import type { SendWithRetries } from "./_multipart.ts";
import { s3ErrorCode } from "./_s3_errors.ts";

/** Storage classes whose objects must be restored before GetObject may read them. */
export const ARCHIVE_STORAGE_CLASSES: readonly string[] = ["GLACIER", "DEEP_ARCHIVE"];

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

/** What a download wrote. */
export interface DownloadResult {
  readonly size: number;
  /** SHA-256 of the bytes written, lowercase hex. */
  readonly sha256Hex: string;
  /** The object's metadata `sha256`, if any. */
  readonly metadataSha256: string | undefined;
}

/** How a restore request was answered. */
export type RestoreRequestResult = "started" | "in_progress" | "restored";

/** Retrieval tiers offered for a restore (Expedited is left out: costly, and not for DEEP_ARCHIVE). */
export type RestoreTier = "Standard" | "Bulk";

/** What the read functions need from the store (see s3.ts). */
export interface ReadSession {
  readonly client: S3Client;
  readonly bucket: string;
  readonly send: SendWithRetries;
}

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

function isMissing(error: unknown): boolean {
  const code = s3ErrorCode((error as { cause?: unknown }).cause);
  return code === "NotFound" || code === "NoSuchKey";
}

function isArchivedError(error: unknown): boolean {
  return s3ErrorCode((error as { cause?: unknown }).cause) === "InvalidObjectState";
}

function archivedObject(session: ReadSession, key: string): OperationFailedError {
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
  session: ReadSession,
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
    restore,
    archived: isArchived(storageClass, restore),
  };
}

/**
 * Reads a small object whole (the sidecar, a manifest mirror).
 *
 * @returns undefined when the object does not exist.
 * @throws {S3StorageError} when S3 cannot be asked; {OperationFailedError} when it is archived.
 */
export async function getObjectBytes(
  session: ReadSession,
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

/** Bytes gathered before one write to the file: few large writes instead of many small ones. */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

/** Options of {@linkcode downloadFile}. */
export interface DownloadOptions {
  /** Bytes received so far of the current attempt (starts again at 0 after a retry). */
  readonly onProgress?: ((bytesDone: number) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Streams an object into `path` (created or truncated), hashing the bytes in
 * the same pass, and flushes the file to disk. A failed attempt is retried
 * from the start. Memory stays at one write buffer whatever the size.
 *
 * @returns undefined when the object does not exist.
 * @throws {S3StorageError} when S3 cannot be asked; {OperationFailedError}
 *   when the object is archived and not restored, or `path` cannot be written.
 */
export async function downloadFile(
  session: ReadSession,
  key: string,
  path: string,
  options: DownloadOptions = {},
): Promise<DownloadResult | undefined> {
  try {
    return await session.send("GetObject", key, async (requestOptions) => {
      const got = await session.client.send(
        new GetObjectCommand({ Bucket: session.bucket, Key: key }),
        requestOptions,
      );
      const body = got.Body as AsyncIterable<Uint8Array> & { destroy?: () => void } | undefined;
      let file: Deno.FsFile;
      try {
        file = await Deno.open(path, { write: true, create: true, truncate: true });
      } catch (error) {
        body?.destroy?.();
        throw new OperationFailedError(`cannot write ${path}: ${errorMessage(error)}`, {
          cause: error,
        });
      }
      const hash = createHash("sha256");
      let size = 0;
      // Most objects of a study are small tiles: a buffer sized to the object spares the churn.
      let buffer = new Uint8Array(
        Math.min(WRITE_BUFFER_BYTES, Math.max(got.ContentLength ?? WRITE_BUFFER_BYTES, 1)),
      );
      let filled = 0;
      const flush = async () => {
        if (filled === 0) return;
        try {
          await writeAll(file, buffer.subarray(0, filled));
        } catch (error) {
          throw new OperationFailedError(`cannot write ${path}: ${errorMessage(error)}`, {
            cause: error,
          });
        }
        filled = 0;
      };
      try {
        for await (const chunk of body ?? []) {
          hash.update(chunk);
          size += chunk.byteLength;
          if (filled + chunk.byteLength > buffer.length) await flush();
          if (chunk.byteLength > buffer.length) {
            buffer = new Uint8Array(chunk.byteLength);
          }
          buffer.set(chunk, filled);
          filled += chunk.byteLength;
          options.onProgress?.(size);
        }
        await flush();
        await file.syncData();
      } catch (error) {
        body?.destroy?.();
        throw error;
      } finally {
        file.close();
      }
      return { size, sha256Hex: hash.digest("hex"), metadataSha256: got.Metadata?.["sha256"] };
    }, options.signal);
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
  session: ReadSession,
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
