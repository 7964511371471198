/**
 * Where backups are stored and how they are proven: streaming copy with
 * SHA-256, read-back hashing, the `_checksums.sha256` sidecar, the share lock.
 *
 * @module
 */
export { copyFileWithHash, type FileDigest, hashFile, type HashOptions } from "./hash.ts";
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
