/**
 * The S3 half of lib/storage: uploads with SHA-256 checksums that S3
 * verifies, confirmation by HeadObject, listing for cleanup's gate, and
 * reading back for restore and audit (downloads hashed in one pass, restore
 * requests for the archive storage classes; see `_s3_read.ts`).
 *
 * - A file up to `[s3].multipart_threshold_mb` goes in one PUT carrying its
 *   full-object `ChecksumSHA256`; a larger one goes in parts, each with its
 *   own `ChecksumSHA256`, so S3 keeps the COMPOSITE checksum
 *   (base64(SHA-256 of the raw part digests) + `-N`). Every object carries
 *   its full-file hex SHA-256 as metadata `sha256`.
 * - Files are streamed from disk by byte range: memory stays flat whatever
 *   the file size.
 * - Transient failures (5xx, throttling, dropped connections) are retried
 *   with backoff a bounded number of times; the rest become one-line
 *   {@link S3StorageError}s.
 * - An interrupted multipart upload is resumed by the next upload of the
 *   same key (see `_multipart.ts`).
 * - Downloads above the multipart threshold are read in concurrent ranges
 *   pinned to the object's ETag, written and hashed in order, with memory
 *   bounded whatever the size (see `_s3_download.ts`).
 *
 * Credentials come from the AWS SDK's default chain (environment, profiles,
 * SSO, instance roles) and are never logged.
 *
 * @module
 */
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import {
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  type StorageClass,
} from "@aws-sdk/client-s3";
import { createHash } from "node:crypto";
import type { ReadStream } from "node:fs";
import type { Config } from "../config/mod.ts";
import { OperationFailedError, ToolkitError } from "../errors.ts";
import type { Logger } from "../log/mod.ts";
import { closeStream, rangeStream } from "./_file_range.ts";
import {
  findResumableUpload,
  type MultipartSession,
  type RequestOptions,
  type ResumableUpload,
  uploadMultipart,
} from "./_multipart.ts";
import { choosePartSize, compositeSha256, hexToBase64, MiB, toBase64 } from "./_parts.ts";
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
  getObjectBytes,
  headObject,
  type ObjectBytes,
  type ObjectInfo,
  requestRestore,
  type RestoreRequestResult,
  type RestoreTier,
} from "./_s3_read.ts";
import { isTransientS3Error, s3ErrorCode, toS3StorageError } from "./_s3_errors.ts";
import { type ClassUsage, storageUsage } from "./_s3_usage.ts";

export { choosePartSize, compositeSha256, MAX_PARTS, planParts } from "./_parts.ts";
export type { PartRange } from "./_parts.ts";
export type { RetryPolicy } from "./_retry.ts";
export type { ResumableUpload, UploadedPart } from "./_multipart.ts";
export { type S3FailureKind, S3StorageError } from "./_s3_errors.ts";
export type { ClassUsage } from "./_s3_usage.ts";
export {
  chooseRangeSize,
  type DownloadOptions,
  type DownloadResult,
  MAX_RANGE_BYTES,
  RANGE_BUFFER_BUDGET,
} from "./_s3_download.ts";
export {
  isArchived,
  type ObjectBytes,
  type ObjectInfo,
  parseRestoreHeader,
  type RestoreRequestResult,
  type RestoreState,
  type RestoreTier,
} from "./_s3_read.ts";

/** What an upload put in S3. */
export interface UploadResult {
  readonly key: string;
  readonly size: number;
  /** Base64 full-object SHA-256 (single PUT), or the composite `...-N` (multipart). */
  readonly checksumSha256: string;
  readonly multipart: boolean;
  /** Parts of a multipart upload; 1 for a single PUT. */
  readonly parts: number;
}

/** A file to upload. */
export interface UploadFileInput {
  readonly key: string;
  readonly path: string;
  /** Its size in bytes; the file is checked to still have it. */
  readonly size: number;
  /** Its full SHA-256, lowercase hex, as hashed when it was copied. */
  readonly sha256Hex: string;
  /**
   * Raw SHA-256 of each part as {@link choosePartSize} cuts the file
   * (`choosePartSize(size, part_size_mb MiB)`), when the caller hashed them
   * already; otherwise each part is hashed from the file just before it is
   * sent. Used only above the multipart threshold.
   */
  readonly partDigests?: readonly Uint8Array[];
  /** Bytes confirmed by S3 so far (after each part; once for a single PUT). */
  readonly onProgress?: (bytesDone: number) => void;
  /** Stops the upload; an unfinished multipart upload stays resumable. */
  readonly signal?: AbortSignal;
}

/** What S3 holds for an object compared with what was expected. */
export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

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
   * The ChecksumSHA256 S3 keeps for such a file: the full-object digest in
   * base64, or the composite of its part digests (`...-N`) when uploaded in parts.
   *
   * @throws {Error} when the file goes in parts and `partDigests` is missing.
   */
  expectedChecksum(
    size: number,
    sha256Hex: string,
    partDigests: readonly Uint8Array[] | undefined,
  ): string;
  /**
   * Uploads a file: one PUT up to the multipart threshold, else in parts
   * (resuming an unfinished upload of the same key).
   *
   * @throws {S3StorageError} when S3 refuses the upload or cannot be reached.
   * @throws {OperationFailedError} when the file's size is no longer `size`.
   */
  uploadFile(input: UploadFileInput): Promise<UploadResult>;
  /**
   * Uploads small bytes (the sidecar, the manifest mirror) in one PUT with
   * their SHA-256. `storageClass` overrides `[s3].storage_class`.
   *
   * @throws {S3StorageError}
   */
  putBytes(
    key: string,
    bytes: Uint8Array,
    contentType?: string,
    storageClass?: string,
  ): Promise<UploadResult>;
  /**
   * HeadObject with checksums enabled: the object must have `size` bytes,
   * ChecksumSHA256 `checksumSha256` (full or composite) and metadata
   * `sha256` = `sha256Hex`. A missing object is `{ ok: false }`.
   *
   * @throws {S3StorageError} when S3 cannot be asked (unreachable, access denied, ...).
   */
  verifyObject(
    key: string,
    expected: { size: number; sha256Hex: string; checksumSha256: string },
  ): Promise<VerifyResult>;
  /**
   * Every key starting with `prefix` (end it with `/` for a folder) with its
   * size, all pages read.
   *
   * @throws {S3StorageError}
   */
  listSizes(prefix: string): Promise<Map<string, number>>;
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

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Files up to this size are read whole for their PUT: cheaper than a stream per small file. */
const SMALL_BODY_BYTES = 1024 * 1024;

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

  const config: S3ClientConfig = {
    forcePathStyle: settings.forcePathStyle,
    // Our own retries (withRetries) rebuild each request: a streamed body cannot be replayed.
    maxAttempts: 1,
    // No default CRC32: every upload sets its SHA-256 explicitly.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
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

  const send = async <T>(
    operation: string,
    key: string,
    attempt: (requestOptions: RequestOptions) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> => {
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
            `S3 ${operation} s3://${bucket}/${key}: attempt ${attemptNumber} failed ` +
              `(${s3ErrorCode(error) || String(error)}); retrying in ${delayMs} ms`,
          ),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      // Our own errors (a file that changed) already say what to do; a missing
      // Deno permission is a packaging bug, not an S3 failure.
      if (error instanceof ToolkitError || error instanceof Deno.errors.NotCapable) throw error;
      throw toS3StorageError(error, {
        operation,
        target: `s3://${bucket}/${key}`,
        bucket,
        endpoint: endpointLabel,
        region,
        attempts,
      });
    }
  };

  const partSizeBytes = settings.partSizeMb * MiB;
  const session: MultipartSession = {
    client,
    bucket,
    storageClass: settings.storageClass,
    partSizeBytes,
    concurrency: settings.concurrency,
    logger,
    send,
  };

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
          client,
          bucket,
          send,
          downloadClient,
          rangedAboveBytes: settings.multipartThresholdMb * MiB,
          rangeBytes: chooseRangeSize(partSizeBytes, settings.concurrency),
          rangePermits: new Permits(settings.concurrency),
        },
        httpClient,
      };
    }
    return downloads.session;
  };

  const putObject = async (
    key: string,
    size: number,
    checksumSha256: string,
    sha256Hex: string,
    body: () => Promise<Uint8Array | ReadStream>,
    extra: { contentType: string; storageClass: string; signal?: AbortSignal | undefined },
  ): Promise<UploadResult> => {
    await send("PutObject", key, async (requestOptions) => {
      const payload = await body();
      try {
        const sent = await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: payload,
            ContentLength: size,
            ContentType: extra.contentType,
            ChecksumSHA256: checksumSha256,
            Metadata: { sha256: sha256Hex },
            StorageClass: extra.storageClass as StorageClass,
          }),
          requestOptions,
        );
        if (sent.ChecksumSHA256 !== undefined && sent.ChecksumSHA256 !== checksumSha256) {
          throw new OperationFailedError(
            `S3 recorded SHA-256 ${sent.ChecksumSHA256} for s3://${bucket}/${key}, ` +
              `expected ${checksumSha256}`,
          );
        }
      } finally {
        if (!(payload instanceof Uint8Array)) await closeStream(payload);
      }
    }, extra.signal);
    return { key, size, checksumSha256, multipart: false, parts: 1 };
  };

  const partSizeFor = (size: number) =>
    size > settings.multipartThresholdMb * MiB ? choosePartSize(size, partSizeBytes) : undefined;

  return {
    bucket,
    uri: (key) => `s3://${bucket}/${key}`,
    partSizeFor,
    expectedChecksum(size, sha256Hex, partDigests) {
      if (partSizeFor(size) === undefined) return hexToBase64(sha256Hex);
      if (partDigests === undefined) throw new Error("a multipart checksum needs the part digests");
      return compositeSha256(partDigests);
    },

    async uploadFile(input) {
      checkDigestHex(input.sha256Hex);
      const actual = (await Deno.stat(input.path)).size;
      if (actual !== input.size) throw sizeChanged(input.path, actual, input.size);
      if (input.size <= settings.multipartThresholdMb * MiB) {
        const result = await putObject(
          input.key,
          input.size,
          hexToBase64(input.sha256Hex),
          input.sha256Hex,
          () => fileBody(input.path, input.size),
          {
            contentType: "application/octet-stream",
            storageClass: settings.storageClass,
            signal: input.signal,
          },
        );
        input.onProgress?.(input.size);
        return result;
      }
      const uploaded = await uploadMultipart(session, input);
      return {
        key: input.key,
        size: input.size,
        checksumSha256: uploaded.checksumSha256,
        multipart: true,
        parts: uploaded.parts,
      };
    },

    putBytes(key, bytes, contentType = "application/octet-stream", storageClass) {
      const digest = new Uint8Array(createHash("sha256").update(bytes).digest());
      const hex = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
      return putObject(key, bytes.byteLength, toBase64(digest), hex, () => Promise.resolve(bytes), {
        contentType,
        storageClass: storageClass ?? settings.storageClass,
      });
    },

    async verifyObject(key, expected) {
      let head;
      try {
        head = await send("HeadObject", key, (requestOptions) =>
          client.send(
            new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }),
            requestOptions,
          ));
      } catch (error) {
        const code = s3ErrorCode((error as { cause?: unknown }).cause);
        if (code === "NotFound" || code === "NoSuchKey") {
          return { ok: false, reason: `s3://${bucket}/${key} does not exist` };
        }
        throw error;
      }
      const problems: string[] = [];
      if (head.ContentLength !== expected.size) {
        problems.push(`size is ${head.ContentLength} bytes, expected ${expected.size}`);
      }
      if (head.ChecksumSHA256 === undefined) {
        problems.push("S3 holds no SHA-256 checksum for it");
      } else if (head.ChecksumSHA256 !== expected.checksumSha256) {
        problems.push(
          `ChecksumSHA256 is ${head.ChecksumSHA256}, expected ${expected.checksumSha256}`,
        );
      }
      const metadata = head.Metadata?.["sha256"];
      if (metadata !== expected.sha256Hex) {
        problems.push(
          `metadata sha256 is ${metadata ?? "missing"}, expected ${expected.sha256Hex}`,
        );
      }
      return problems.length === 0
        ? { ok: true }
        : { ok: false, reason: `s3://${bucket}/${key}: ${problems.join("; ")}` };
    },

    async listSizes(prefix) {
      const sizes = new Map<string, number>();
      let token: string | undefined;
      do {
        const page = await send("ListObjectsV2", prefix, (requestOptions) =>
          client.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              MaxKeys: options.listPageSize ?? 1000,
              ...(token === undefined ? {} : { ContinuationToken: token }),
            }),
            requestOptions,
          ));
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) sizes.set(object.Key, object.Size ?? 0);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return sizes;
    },

    storageUsage: (prefix) => storageUsage(session, prefix, options.listPageSize ?? 1000),

    findResumableUpload: (key) => findResumableUpload(session, key),

    headObject: (key) => headObject(session, key),

    getBytes: (key) => getObjectBytes(session, key),

    downloadFile: (key, path, downloadOptions) =>
      downloadFile(downloadSession(), key, path, downloadOptions),

    requestRestore: (key, request) => requestRestore(session, key, request),

    close() {
      client.destroy();
      downloads?.session.downloadClient.destroy();
      downloads?.httpClient.close();
      downloads = undefined;
    },
  };
}
