/**
 * One assessment of a study folder, shared by `validate`, `status`, the
 * backup's dry run and the backup run, so they never disagree: one walk that
 * lists and measures it, checks it against the naming standard, notes what
 * cannot be read or copied, and says whether and why the backup would take it.
 *
 * @module
 */
export { assessFolder, assessLink, type AssessOptions, assessRoot, changeSince } from "./assess.ts";
export { FileTable } from "./files.ts";
export {
  EMPTY_LISTING,
  type StudyAssessment,
  type StudyFile,
  type StudyKind,
  type StudyListing,
  type Unreadable,
} from "./types.ts";
export { dueStudies, isIdle, listingChange, refusalOf, refusedWhateverItsAge } from "./verdict.ts";
export {
  reportOf,
  type RootReport,
  type StudyReport,
  validateRoot,
  validateStudy,
} from "./report.ts";
