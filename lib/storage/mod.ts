/**
 * How backups are proven and stored: the copy of many files to the share
 * with SHA-256 and background flushing ({@linkcode ShareCopier}), copy with
 * SHA-256 in one pass, read-back hashing, and the SHA-256 of bytes in
 * memory. The S3 store (s3.ts) is loaded only by the commands that talk to
 * S3, through {@linkcode withS3Store}: the AWS SDK is large and reads the
 * environment as it loads.
 *
 * @module
 */
export {
  copyFileWithHash,
  type FileDigest,
  FileHasher,
  hashFile,
  type HashOptions,
} from "./hash.ts";
export {
  FlushError,
  type OnDurable,
  ShareCopier,
  type ShareCopierOptions,
  type ShareCopyOptions,
} from "./share_copy.ts";
export { sha256Hex } from "./digest.ts";
export { headRequestsAtOnce } from "./requests.ts";
export { withS3Store } from "./lazy.ts";
// Without the AWS SDK: a caller can tell the kinds of S3 failure apart without loading it.
export { type S3FailureKind, S3StorageError } from "./_s3_errors.ts";
