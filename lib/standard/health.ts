/**
 * The soft health check of a study: warnings, not rules. A study that keeps
 * every rule may still deserve a look before it is backed up; a warning never
 * fails it. Pure: the modification times come from the study's one
 * assessment (lib/study), so no second walk of the folder is made.
 *
 * @module
 */

/** One health warning: `mtime_gap`, the study's files were written over a long time. */
export interface HealthWarning {
  readonly code: "mtime_gap";
  readonly message: string;
}

/** How many days apart a study's oldest and newest file may be before it is worth a warning. */
export const MTIME_GAP_DAYS = 14;

const DAY_MS = 86_400_000;

/**
 * The warnings of a study whose files were last modified at `mtimes` (ms):
 * `mtime_gap` when the oldest and the newest are more than `mtimeGapDays`
 * days apart (the study may still be being edited, or files were added to it
 * later).
 */
export function healthWarnings(
  mtimes: Iterable<number>,
  mtimeGapDays = MTIME_GAP_DAYS,
): HealthWarning[] {
  let earliest = Infinity;
  let latest = -Infinity;
  for (const mtime of mtimes) {
    earliest = Math.min(earliest, mtime);
    latest = Math.max(latest, mtime);
  }
  const gapDays = (latest - earliest) / DAY_MS;
  if (!(gapDays > mtimeGapDays)) return [];
  return [{
    code: "mtime_gap",
    message: `its files' modification times span ${gapDays.toFixed(1)} days (more than ` +
      `${mtimeGapDays}): the study may still be being edited`,
  }];
}
