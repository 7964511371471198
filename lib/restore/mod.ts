/**
 * `restore`: copies a backed-up study back from the TrueNAS share or from S3,
 * its `_checksums.sha256` checked against the manifest record and every file
 * verified against that sidecar before it gets its final name; never through
 * a link in the destination; archived S3 objects are retrieved first.
 *
 * @module
 */
export { compileOnly, globToRegExp, type PathMatcher } from "./glob.ts";
export { type ManifestSource, readMirroredManifest, readShareManifest } from "./manifest_source.ts";
export {
  chooseSource,
  otherSourceHint,
  resolveBackup,
  type RestoreSource,
  type ShareFacts,
  type SourceChoice,
  typicalWait,
  unsafePathReason,
} from "./plan.ts";
export {
  type OutcomeBase,
  type RestoredOutcome,
  type RestoreOutcome,
  type WaitingOutcome,
} from "./outcome.ts";
export type { RestoreProgress } from "./destination.ts";
export type { FileProblem } from "./reader.ts";
export { restoreBackup, type RestoreOptions } from "./restore.ts";
export { PARTIAL_SUFFIX } from "./transfer.ts";
