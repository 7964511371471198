/**
 * What the S3 request modules share: the client with its bucket and the
 * retrying `send` that s3.ts builds, and the shapes of an upload.
 *
 * @module
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { Logger } from "../log/mod.ts";

/** Options for `client.send`: the caller's abort signal, if any. */
export type RequestOptions = { abortSignal?: AbortSignal };

/** Sends one request with retries and one-line errors (see s3.ts). */
export type SendWithRetries = <T>(
  operation: string,
  key: string,
  attempt: (requestOptions: RequestOptions) => Promise<T>,
  signal?: AbortSignal,
) => Promise<T>;

/** A bucket and how to ask it. */
export interface S3Session {
  readonly client: S3Client;
  readonly bucket: string;
  readonly send: SendWithRetries;
  readonly logger: Logger | undefined;
}

/** What uploads need besides the session: `[s3]`'s upload settings. */
export interface UploadSession extends S3Session {
  readonly storageClass: string;
  readonly partSizeBytes: number;
  /** Files larger than this go in parts. */
  readonly multipartThresholdBytes: number;
  /** Parts sent at the same time. */
  readonly concurrency: number;
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
   * Raw SHA-256 of each part as `choosePartSize` cuts the file
   * (`choosePartSize(size, part_size_mb MiB)`), when the caller hashed them
   * already; otherwise each part is hashed from the file just before it is
   * sent. Used only above the multipart threshold.
   */
  readonly partDigests?: readonly Uint8Array[] | undefined;
  /** Bytes confirmed by S3 so far (after each part; once for a single PUT). */
  readonly onProgress?: ((bytesDone: number) => void) | undefined;
  /** Stops the upload; an unfinished multipart upload stays resumable. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * How an object is known to hold the right bytes once an upload returns:
 * - `validated`: sent now, and S3 answered with the ChecksumSHA256 it computed
 *   over the bytes it took (it refuses a body whose checksum differs);
 * - `unvalidated`: sent now, but S3's answer named no checksum (some
 *   S3-compatible stores): confirm it by HeadObject;
 * - `found`: an object with this content was already there (an earlier,
 *   interrupted upload), confirmed now by HeadObject; nothing was sent.
 */
export type UploadProof = "validated" | "unvalidated" | "found";

/** What an upload put in S3. */
export interface UploadResult {
  readonly key: string;
  readonly size: number;
  /** Base64 full-object SHA-256 (single PUT), or the composite `...-N` (multipart). */
  readonly checksumSha256: string;
  readonly multipart: boolean;
  /** Parts of a multipart upload; 1 for a single PUT. */
  readonly parts: number;
  readonly proof: UploadProof;
}
