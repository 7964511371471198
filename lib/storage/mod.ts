/**
 * How backups are proven and stored: streaming copy with SHA-256, read-back
 * hashing, and the SHA-256 of bytes in memory. The S3 store (s3.ts) is loaded
 * only by the commands that talk to S3, through {@linkcode withS3Store}: the
 * AWS SDK is large and reads the environment as it loads.
 *
 * @module
 */
export { copyFileWithHash, type FileDigest, hashFile, type HashOptions } from "./hash.ts";
export { sha256Hex } from "./digest.ts";
export { withS3Store } from "./lazy.ts";
