/**
 * A soft health check of a study: warnings, not violations (the original
 * Python fusion_toolkit made it before a backup). A library function; the
 * backup run does not call it.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { walk } from "../fs/mod.ts";
import { experimentsWithCompleteScan, type ListedEntry } from "./rules.ts";

/** One health warning: `empty` (no complete scan) or `mtime_gap` (still being edited?). */
export interface HealthWarning {
  readonly code: "empty" | "mtime_gap";
  readonly message: string;
}

const DAY_MS = 86_400_000;

/**
 * Checks a study for two soft problems:
 * - `empty`: no experiment has a `Scan<N>` holding both a `*.qptiff` and `.temp`;
 * - `mtime_gap`: the earliest and latest modification times of its entries
 *   are more than `mtimeGapDays` days apart (it may still be being edited).
 */
export async function scanHealthCheck(
  studyPath: string,
  mtimeGapDays = 14,
): Promise<HealthWarning[]> {
  const root = resolve(studyPath);
  const entries: ListedEntry[] = [];
  let earliest = Infinity;
  let latest = -Infinity;
  for await (const entry of walk(root)) {
    entries.push({ path: entry.path, kind: entry.kind });
    const mtime = (await Deno.lstat(join(root, entry.path))).mtime?.getTime();
    if (mtime === undefined) continue;
    earliest = Math.min(earliest, mtime);
    latest = Math.max(latest, mtime);
  }
  const warnings: HealthWarning[] = [];
  if (experimentsWithCompleteScan(basename(root), entries).length === 0) {
    warnings.push({
      code: "empty",
      message: "no experiment has a Scan<N> holding both a .qptiff file and a .temp directory",
    });
  }
  const gapDays = (latest - earliest) / DAY_MS;
  if (gapDays > mtimeGapDays) {
    warnings.push({
      code: "mtime_gap",
      message: `modification times span ${gapDays.toFixed(1)} days (more than ${mtimeGapDays}); ` +
        "the study may still be being edited",
    });
  }
  return warnings;
}
