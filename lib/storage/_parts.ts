/**
 * Pure multipart arithmetic: part size, part layout, composite checksum.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { OperationFailedError } from "../errors.ts";

/** One mebibyte. */
export const MiB = 1024 * 1024;
/** S3's smallest part (except the last). */
export const MIN_PART_BYTES = 5 * MiB;
/** S3's largest part. */
export const MAX_PART_BYTES = 5 * 1024 * MiB;
/** S3's most parts per upload. */
export const MAX_PARTS = 10_000;
/** S3's largest object: 5 TiB. */
export const MAX_OBJECT_BYTES = 5 * 1024 * 1024 * MiB;

/**
 * The part size for a multipart upload of `fileSize` bytes: the configured
 * size kept within S3's 5 MiB-5 GiB, grown (in whole MiB) when the file
 * would otherwise need more than 10,000 parts. A 2 TB file with 64 MiB parts
 * gets 191 MiB parts.
 *
 * @throws {OperationFailedError} when the file exceeds S3's 5 TiB object limit.
 */
export function choosePartSize(fileSize: number, configuredPartBytes: number): number {
  if (fileSize > MAX_OBJECT_BYTES) {
    throw new OperationFailedError(
      `a file of ${fileSize} bytes exceeds S3's largest object (5 TiB) and cannot be uploaded`,
    );
  }
  let partSize = Math.min(Math.max(configuredPartBytes, MIN_PART_BYTES), MAX_PART_BYTES);
  if (Math.ceil(fileSize / partSize) > MAX_PARTS) {
    partSize = Math.ceil(fileSize / MAX_PARTS / MiB) * MiB;
  }
  return Math.min(partSize, MAX_PART_BYTES);
}

/** One part of a multipart upload: its 1-based number and byte range. */
export interface PartRange {
  readonly partNumber: number;
  readonly start: number;
  readonly size: number;
}

/** The parts of a file of `fileSize` bytes cut in `partSize` pieces (at least one part). */
export function planParts(fileSize: number, partSize: number): PartRange[] {
  const count = Math.max(1, Math.ceil(fileSize / partSize));
  const parts: PartRange[] = [];
  for (let index = 0; index < count; index++) {
    const start = index * partSize;
    parts.push({ partNumber: index + 1, start, size: Math.min(partSize, fileSize - start) });
  }
  return parts;
}

/** Base64 of raw bytes, the form S3 uses for checksums. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Base64 of a hex digest, e.g. a full-file SHA-256 for `ChecksumSHA256`. */
export function hexToBase64(hex: string): string {
  return Buffer.from(hex, "hex").toString("base64");
}

/**
 * S3's COMPOSITE SHA-256 of a multipart object: base64 of the SHA-256 of the
 * concatenated raw part digests, then `-` and the part count.
 */
export function compositeSha256(partDigests: readonly Uint8Array[]): string {
  const hash = createHash("sha256");
  for (const digest of partDigests) hash.update(digest);
  return `${hash.digest("base64")}-${partDigests.length}`;
}
