/**
 * The archive's layout, in one place: where a backup lives on the share and
 * in S3, the proof stored with it (`_checksums.sha256`), the copy journal an
 * unfinished backup leaves, and the locks (per study on the instrument, one
 * for the share) that keep runs apart.
 *
 * @module
 */
export {
  ARCHIVE_STORAGE_CLASSES,
  backupFolder,
  localPath,
  metadataStorageClass,
  OWN_FILES,
  parseS3Uri,
  s3Key,
  type S3Location,
} from "./paths.ts";
export {
  appendCopyJournal,
  type CopiedFile,
  COPY_JOURNAL_NAME,
  readCopyJournal,
  removeCopyJournal,
} from "./journal.ts";
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
export { findStudyLocks, lockStudy, STUDY_LOCK_FILE } from "./study_lock.ts";
