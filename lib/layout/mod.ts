/**
 * The archive's layout, in one place: where a backup lives on the share and
 * in S3, the proof stored with it (`_checksums.sha256`), the tag naming the
 * attempt that wrote each object, the copy journal an unfinished backup
 * leaves, and the locks (on the share, per instrument and for the share; a
 * marker per study on the instrument) that keep runs apart.
 *
 * @module
 */
export {
  ARCHIVE_STORAGE_CLASSES,
  backupFolder,
  INSTRUMENT_NAME_PATTERN,
  isOwnFile,
  localPath,
  metadataStorageClass,
  parseS3Uri,
  s3Key,
  type S3Location,
} from "./paths.ts";
export { type AttemptTag, describeAttempt, formatAttemptTag, parseAttemptTag } from "./attempt.ts";
export {
  type CopiedFile,
  COPY_JOURNAL_NAME,
  CopyJournal,
  readCopyJournal,
  removeCopyJournal,
} from "./journal.ts";
export {
  isRevisionPath,
  listName,
  listNames,
  listRevision,
  revisionOf,
  revisionPath,
  REVISIONS_DIR,
  storingRevision,
  studyPathOf,
} from "./revision.ts";
export {
  checkSidecar,
  formatSidecar,
  parseSidecar,
  readSidecar,
  readSidecarBytes,
  readStoredSidecar,
  SIDECAR_NAME,
  sidecarChunks,
  sidecarEntries,
  type SidecarEntry,
  type StoredSidecar,
  writeSidecar,
} from "./sidecar.ts";
export {
  backupLockName,
  type BackupLockState,
  backupLockStates,
  lockShareForBackup,
  lockShareForCleanup,
  requireShareRoot,
  SHARE_LOCK_NAME,
  shareHolders,
  type ShareLockReport,
  shareLockReport,
  type ShareLockRequest,
  type ShareLocks,
} from "./share_lock.ts";
export {
  findStudyLocks,
  type FoundStudyLock,
  lockStudy,
  STUDY_LOCK_FILE,
  type StudyLock,
} from "./study_lock.ts";
