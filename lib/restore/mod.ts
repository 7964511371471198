/**
 * `restore`: copies a backed-up study back from the TrueNAS share or from S3,
 * every file verified against the backup's `_checksums.sha256` before it gets
 * its final name; archived S3 objects are retrieved first.
 *
 * @module
 */
export { compileOnly, globToRegExp, type PathMatcher } from "./glob.ts";
export { type ManifestSource, readMirroredManifest, readShareManifest } from "./manifest_source.ts";
export {
  chooseSource,
  resolveBackup,
  type RestoreSource,
  type ShareFacts,
  type SourceChoice,
  typicalWait,
  unsafePathReason,
} from "./plan.ts";
export {
  type FileProblem,
  PARTIAL_SUFFIX,
  restoreBackup,
  type RestoredOutcome,
  type RestoreOptions,
  type RestoreOutcome,
  type RestoreProgress,
  type WaitingOutcome,
} from "./restore.ts";
