/**
 * The S3 half of lib/storage: one store per command run, with uploads that
 * S3 verifies by SHA-256 and that replace an object only when the caller's
 * judge proves it replaceable (`_s3_upload.ts`, `_s3_existing.ts`,
 * `_multipart.ts`), reads, listings and restore requests (`_s3_read.ts`),
 * and downloads hashed in one pass (`_s3_download.ts`).
 *
 * Every request goes through one `send`:
 * - connections and requests are bounded by `[s3] connect_timeout_seconds`
 *   and `idle_timeout_seconds` (a request on which S3 sends nothing for
 *   that long is abandoned);
 * - transient failures (5xx, throttling, timeouts, dropped connections) are
 *   retried with backoff a bounded number of times; the rest become
 *   one-line {@link S3StorageError}s;
 * - once a request finds S3 unreachable (after its retries), every later
 *   request of the store fails at once saying so ({@link S3Store.outage}):
 *   a dead endpoint costs one wait per command run, not one per request.
 *
 * Credentials come from the AWS SDK's default chain (environment, profiles,
 * SSO, instance roles) and are never logged.
 *
 * @module
 */
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { Config } from "../config/mod.ts";
import { ToolkitError } from "../errors.ts";
import type { Logger } from "../log/mod.ts";
import { findResumableUpload, type ResumableUpload } from "./_multipart.ts";
import { MiB } from "./_parts.ts";
import { DEFAULT_RETRY, type RetryPolicy, withRetries } from "./_retry.ts";
import { Permits } from "../concurrency/mod.ts";
import {
  chooseRangeSize,
  downloadFile,
  type DownloadOptions,
  type DownloadResult,
  type DownloadSession,
} from "./_s3_download.ts";
import {
  type BucketVersioning,
  bucketVersioning,
  forEachObject,
  getObjectBytes,
  headObject,
  type ObjectBytes,
  type ObjectInfo,
  requestRestore,
  type RestoreRequestResult,
  type RestoreTier,
} from "./_s3_read.ts";
import { isTransientS3Error, s3ErrorCode, S3StorageError, toS3StorageError } from "./_s3_errors.ts";
import type {
  RequestOptions,
  UploadFileInput,
  UploadResult,
  UploadSession,
  WriteRules,
} from "./_s3_session.ts";
import {
  type ExpectedObject,
  partSizeFor,
  putBytes,
  replaceBytes,
  uploadFile,
  verifyObject,
  type VerifyResult,
} from "./_s3_upload.ts";
import { type ClassUsage, storageUsage } from "./_s3_usage.ts";

export { choosePartSize, compositeSha256, MAX_PARTS, planParts } from "./_parts.ts";
export type { PartRange } from "./_parts.ts";
export type { RetryPolicy } from "./_retry.ts";
export type { ResumableUpload, UploadedPart } from "./_multipart.ts";
export { type S3FailureKind, S3StorageError } from "./_s3_errors.ts";
export type {
  ReplaceJudge,
  ReplaceVerdict,
  UploadFileInput,
  UploadProof,
  UploadResult,
  WriteRules,
} from "./_s3_session.ts";
export type { ExpectedObject, VerifyResult } from "./_s3_upload.ts";
export type { ClassUsage } from "./_s3_usage.ts";
export {
  chooseRangeSize,
  type DownloadOptions,
  type DownloadResult,
  MAX_RANGE_BYTES,
  RANGE_BUFFER_BUDGET,
} from "./_s3_download.ts";
export {
  type BucketVersioning,
  isArchived,
  type ObjectBytes,
  type ObjectInfo,
  parseRestoreHeader,
  type RestoreRequestResult,
  type RestoreState,
  type RestoreTier,
} from "./_s3_read.ts";

/** An S3 bucket as the backup uses it. */
export interface S3Store {
  readonly bucket: string;
  /** `s3://bucket/key`. */
  uri(key: string): string;
  /**
   * The part size a file of `size` bytes is uploaded with (see
   * {@link choosePartSize}), or undefined when it goes in a single PUT.
   */
  partSizeFor(size: number): number | undefined;
  /**
   * Uploads a file: one PUT up to the multipart threshold, else in parts
   * (resuming an unfinished upload of the same key). An object already at
   * the key with this content is kept (`proof: "found"`, also when it was
   * sent in parts of other sizes and S3's checksums of its own parts prove
   * it); one with other content is replaced only when `input.judge` allows
   * it (with `If-Match` on its ETag), else the upload fails.
   *
   * @throws {S3StorageError} when S3 refuses the upload or cannot be reached;
   *   kind `exists` when another object is at the key and stays there.
   * @throws {OperationFailedError} when the file's size is no longer `size`.
   */
  uploadFile(input: UploadFileInput): Promise<UploadResult>;
  /**
   * Uploads small bytes (the sidecar, a folder marker) in one PUT with their
   * SHA-256; an object already at the key is settled as by
   * {@link uploadFile}, under `rules`. `storageClass` overrides
   * `[s3].storage_class`.
   *
   * @throws {S3StorageError}; kind `exists` when another object is at the key and stays there.
   */
  putBytes(
    key: string,
    bytes: Uint8Array,
    contentType?: string,
    storageClass?: string,
    rules?: WriteRules,
  ): Promise<UploadResult>;
  /**
   * Uploads small bytes in one PUT with their SHA-256, replacing whatever is
   * at the key: only for the manifest mirror, a copy meant to follow the
   * share's manifest.
   *
   * @throws {S3StorageError}
   */
  replaceBytes(
    key: string,
    bytes: Uint8Array,
    contentType: string,
    storageClass?: string,
  ): Promise<UploadResult>;
  /**
   * HeadObject with checksums enabled: the object must have `size` bytes,
   * ChecksumSHA256 `checksumSha256` (full or composite) and metadata
   * `sha256` = `sha256Hex`. A missing object is `{ ok: false }`.
   *
   * @throws {S3StorageError} when S3 cannot be asked (unreachable, access denied, ...).
   */
  verifyObject(key: string, expected: ExpectedObject): Promise<VerifyResult>;
  /**
   * Calls `visit` with every key starting with `prefix` (end it with `/` for
   * a folder) and its size, page by page; nothing is gathered.
   *
   * @throws {S3StorageError}
   */
  forEachObject(prefix: string, visit: (key: string, size: number) => void): Promise<void>;
  /**
   * Every key starting with `prefix` (end it with `/` for a folder) with its
   * size, all pages read.
   *
   * @throws {S3StorageError}
   */
  listSizes(prefix: string): Promise<Map<string, number>>;
  /**
   * Whether the bucket keeps earlier versions of replaced objects.
   *
   * @throws {S3StorageError}
   */
  bucketVersioning(): Promise<BucketVersioning>;
  /**
   * Objects and bytes under `prefix` per storage class, all pages read.
   *
   * @throws {S3StorageError}
   */
  storageUsage(prefix: string): Promise<Map<string, ClassUsage>>;
  /**
   * The newest unfinished multipart upload of `key` and the parts S3 holds
   * for it, or undefined.
   *
   * @throws {S3StorageError}
   */
  findResumableUpload(key: string): Promise<ResumableUpload | undefined>;
  /**
   * HeadObject with checksums enabled: size, storage class, restore state,
   * metadata `sha256`, ChecksumSHA256. Works for archived objects too.
   *
   * @returns undefined when the object does not exist.
   * @throws {S3StorageError}
   */
  headObject(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Reads a small object whole, with its metadata `sha256`.
   *
   * @returns undefined when the object does not exist.
   * @throws {S3StorageError}; {OperationFailedError} when it is archived and not restored.
   */
  getBytes(key: string): Promise<ObjectBytes | undefined>;
  /**
   * Downloads an object into `path` (created or truncated) while hashing it
   * in order, then flushes the file to disk: one GET up to the multipart
   * threshold, else concurrent ranged GETs pinned to the object's ETag.
   *
   * @returns undefined when the object does not exist.
   * @throws {S3StorageError}; {OperationFailedError} when it is archived and
   *   not restored, changed during the download, or `path` cannot be written.
   */
  downloadFile(
    key: string,
    path: string,
    options?: DownloadOptions,
  ): Promise<DownloadResult | undefined>;
  /**
   * Asks S3 to restore an archived object (GLACIER, DEEP_ARCHIVE) for `days` days.
   *
   * @throws {S3StorageError}
   */
  requestRestore(
    key: string,
    request: { readonly days: number; readonly tier: RestoreTier },
  ): Promise<RestoreRequestResult>;
  /**
   * Why S3 is known to be unreachable, once a request of this store found it
   * so (after its retries); every later request then fails at once.
   */
  readonly outage: S3StorageError | undefined;
  /** Releases the client's sockets. */
  close(): void;
}

/** Options of {@link createS3Store}; the defaults suit production. */
export interface S3StoreOptions {
  /** Explicit credentials instead of the SDK's default chain (tests). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Retry policy for transient failures. */
  readonly retry?: RetryPolicy;
  /** Keys per ListObjectsV2 page, 1 to 1000 (default 1000). */
  readonly listPageSize?: number;
  /** Gets retries (debug), resumed uploads (info) and odd cases (warning). */
  readonly logger?: Logger;
}

/**
 * A store for `settings.bucket`. Nothing is sent until a method is called.
 * Call `close()` when done.
 */
export function createS3Store(settings: Config["s3"], options: S3StoreOptions = {}): S3Store {
  const bucket = settings.bucket;
  const retry = options.retry ?? DEFAULT_RETRY;
  const logger = options.logger;
  // S3-compatible stores ignore the region but the SDK must sign with one.
  const region = settings.region ?? (settings.endpoint === undefined ? undefined : "us-east-1");
  const endpointLabel = settings.endpoint ??
    (region === undefined ? "AWS S3 (default endpoint)" : `https://s3.${region}.amazonaws.com`);
  const idleTimeoutMs = settings.idleTimeoutSeconds * 1000;

  const config: S3ClientConfig = {
    forcePathStyle: settings.forcePathStyle,
    // Our own retries (withRetries) rebuild each request: a streamed body cannot be replayed.
    maxAttempts: 1,
    // No default CRC32: every upload sets its SHA-256 explicitly.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // socketTimeout is an idle timeout (no byte either way), not a bound on the whole request.
    requestHandler: {
      connectionTimeout: settings.connectTimeoutSeconds * 1000,
      socketTimeout: idleTimeoutMs,
    },
    // The SDK would print to the console (e.g. about streamed bodies it cannot
    // retry, which we retry ourselves); its notes go to our debug log instead.
    logger: {
      trace: () => {},
      debug: () => {},
      info: () => {},
      warn: (...content: unknown[]) => logger?.debug(`AWS SDK: ${content.join(" ")}`),
      error: (...content: unknown[]) => logger?.debug(`AWS SDK: ${content.join(" ")}`),
    },
    ...(region === undefined ? {} : { region }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
  const client = new S3Client(config);

  let outage: S3StorageError | undefined;
  const send = async <T>(
    operation: string,
    key: string,
    attempt: (requestOptions: RequestOptions) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> => {
    const target = `s3://${bucket}/${key}`;
    if (outage !== undefined) {
      throw new S3StorageError(
        "unreachable",
        `${operation} ${target} not tried: S3 did not answer earlier in this run (${outage.message})`,
      );
    }
    const requestOptions: RequestOptions = signal === undefined ? {} : { abortSignal: signal };
    let attempts = 0;
    try {
      return await withRetries(retry, (attemptNumber) => {
        attempts = attemptNumber;
        return attempt(requestOptions);
      }, {
        isTransient: isTransientS3Error,
        signal,
        onRetry: (error, attemptNumber, delayMs) =>
          logger?.debug(
            `S3 ${operation} ${target}: attempt ${attemptNumber} failed ` +
              `(${s3ErrorCode(error) || String(error)}); retrying in ${delayMs} ms`,
          ),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      // Our own errors (a file that changed) already say what to do; a missing
      // Deno permission is a packaging bug, not an S3 failure.
      if (error instanceof ToolkitError || error instanceof Deno.errors.NotCapable) throw error;
      const failure = toS3StorageError(error, {
        operation,
        target,
        bucket,
        endpoint: endpointLabel,
        region,
        attempts,
      });
      if (failure.kind === "unreachable") outage ??= failure;
      throw failure;
    }
  };

  const session: UploadSession = {
    client,
    bucket,
    send,
    logger,
    storageClass: settings.storageClass,
    partSizeBytes: settings.partSizeMb * MiB,
    multipartThresholdBytes: settings.multipartThresholdMb * MiB,
    concurrency: settings.concurrency,
  };
  const listPageSize = options.listPageSize ?? 1000;

  // Downloads read bodies into buffers of their own through fetch (see _s3_download.ts), on
  // an HTTP client of their own that close() can close; made at the first download.
  let downloads: { session: DownloadSession; httpClient: Deno.HttpClient } | undefined;
  const downloadSession = (): DownloadSession => {
    if (downloads === undefined) {
      const httpClient = Deno.createHttpClient({});
      const downloadClient = new S3Client({
        ...config,
        requestHandler: new FetchHttpHandler({
          requestInit: (): RequestInit & { client: Deno.HttpClient } => ({ client: httpClient }),
        }),
      });
      downloads = {
        session: {
          ...session,
          downloadClient,
          rangedAboveBytes: session.multipartThresholdBytes,
          rangeBytes: chooseRangeSize(session.partSizeBytes, settings.concurrency),
          rangePermits: new Permits(settings.concurrency),
          idleTimeoutMs,
        },
        httpClient,
      };
    }
    return downloads.session;
  };

  return {
    bucket,
    uri: (key) => `s3://${bucket}/${key}`,
    partSizeFor: (size) => partSizeFor(session, size),
    uploadFile: (input) => uploadFile(session, input),
    putBytes: (key, bytes, contentType = "application/octet-stream", storageClass, rules) =>
      putBytes(session, key, bytes, contentType, storageClass ?? settings.storageClass, rules),
    replaceBytes: (key, bytes, contentType, storageClass) =>
      replaceBytes(session, key, bytes, contentType, storageClass ?? settings.storageClass),
    verifyObject: (key, expected) => verifyObject(session, key, expected),
    forEachObject: (prefix, visit) => forEachObject(session, prefix, listPageSize, visit),
    async listSizes(prefix) {
      const sizes = new Map<string, number>();
      await forEachObject(session, prefix, listPageSize, (key, size) => sizes.set(key, size));
      return sizes;
    },
    bucketVersioning: () => bucketVersioning(session),
    storageUsage: (prefix) => storageUsage(session, prefix, listPageSize),
    findResumableUpload: (key) => findResumableUpload(session, key),
    headObject: (key) => headObject(session, key),
    getBytes: (key) => getObjectBytes(session, key),
    downloadFile: (key, path, downloadOptions) =>
      downloadFile(downloadSession(), key, path, downloadOptions),
    requestRestore: (key, request) => requestRestore(session, key, request),
    get outage() {
      return outage;
    },
    close() {
      client.destroy();
      downloads?.session.downloadClient.destroy();
      downloads?.httpClient.close();
      downloads = undefined;
    },
  };
}
