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

/**
 * What a write may replace: nothing (`If-None-Match: *`, a new object), or
 * exactly the object with this ETag (`If-Match`).
 */
export type WriteCondition = { readonly ifNoneMatch: "*" } | { readonly ifMatch: string };

/**
 * What an upload does with an object holding other content at its key:
 * replace it (the judge proved it is this backup's own unfinished work), or
 * refuse, saying why.
 */
export type ReplaceVerdict =
  | { readonly replace: true; readonly note: string }
  | { readonly replace: false; readonly reason: string };

/**
 * Decides about an object holding other content at a key, from the attempt
 * tag it carries (metadata `attempt`; undefined when it has none).
 */
export type ReplaceJudge = (attempt: string | undefined) => ReplaceVerdict;

/** Who writes an object, and what it may replace. */
export interface WriteRules {
  /** Written as metadata `attempt`: the backup attempt that writes the object. */
  readonly attempt?: string | undefined;
  /**
   * Asked when the key holds other content. Without it, or when it refuses,
   * nothing is replaced; when it agrees, the object is replaced with
   * `If-Match` on the ETag that was judged, so a write in between is not.
   */
  readonly judge?: ReplaceJudge | undefined;
}

/** The Content-Type of a file uploaded without one. */
export const OCTET_STREAM = "application/octet-stream";

/** A file to upload. */
export interface UploadFileInput extends WriteRules {
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
  /** The object's Content-Type; `application/octet-stream` when not given. */
  readonly contentType?: string | undefined;
  /** Its storage class, when not `[s3].storage_class` (the file list stays readable). */
  readonly storageClass?: string | undefined;
  /**
   * Asks S3 about the key before sending a file that goes in one PUT (one
   * in parts is always looked up first): for a backup an earlier attempt
   * may have uploaded already, so its bytes are not sent again.
   */
  readonly lookFirst?: boolean | undefined;
}

/**
 * How an object is known to hold the right bytes once an upload returns:
 * - `validated`: sent now, and S3 answered with the ChecksumSHA256 it computed
 *   over the bytes it took (it refuses a body whose checksum differs);
 * - `unvalidated`: sent now, but S3's answer named no checksum (some
 *   S3-compatible stores): confirm it by HeadObject;
 * - `found`: an object with this content was already there (an earlier,
 *   interrupted upload), confirmed now by HeadObject — in another part
 *   layout, by S3's checksum of each of its own parts against the file's
 *   bytes cut the same way; nothing was sent.
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
  /**
   * Found in parts of other sizes than this upload's (`part_size_mb` or
   * `multipart_threshold_mb` changed since it was sent): the size of each.
   */
  readonly foundParts?: readonly number[];
  /**
   * The object that was at the key was replaced: why it could not be kept,
   * and the judge's note saying why it could be replaced.
   */
  readonly replaced?: string;
}
