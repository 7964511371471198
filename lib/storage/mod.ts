/**
 * Where backups are stored and how they are proven: the copy of many files
 * to the share with SHA-256 and background flushing, copy with SHA-256 in
 * one pass, read-back hashing, the `_checksums.sha256` sidecar, the share lock.
 *
 * @module
 */
export { copyFileWithHash, type FileDigest, hashFile, type HashOptions } from "./hash.ts";
export {
  FlushError,
  type OnDurable,
  ShareCopier,
  type ShareCopierOptions,
  type ShareCopyOptions,
} from "./share_copy.ts";
export {
  formatSidecar,
  parseSidecar,
  readSidecar,
  SIDECAR_NAME,
  type SidecarEntry,
  writeSidecar,
} from "./sidecar.ts";
export {
  acquireShareLock,
  requireShareRoot,
  SHARE_LOCK_NAME,
  shareLockHolder,
} from "./share_lock.ts";
