/**
 * The naming standard: name rules (pure, shared with the web page), the
 * rules of a study applied to its listing (lib/study walks the folders), and
 * the soft health check.
 *
 * @module
 */
export {
  checkExperimentName,
  checkFprName,
  checkNameLength,
  checkStudyName,
  EXAMPLE_STUDY_NAME,
  type FieldCheck,
  isCalendarDate,
  MAX_EXPERIMENT_NAME_LENGTH,
  type NameCheck,
  type NameViolation,
  type RuleId,
} from "./names.ts";
export { evaluateStudy, type ListedEntry, STUDY_LOCK_FILE, type Violation } from "./rules.ts";
export { type HealthWarning, healthWarnings, MTIME_GAP_DAYS } from "./health.ts";
