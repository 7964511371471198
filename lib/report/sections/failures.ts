/**
 * The failures section: every backup with failed attempts in the month, a
 * backup stopped part-way in it, or one backed up in it whose source had to
 * be kept; each with its attempts and where it stands now. Pure.
 *
 * @module
 */
import type { FailureStory } from "../types.ts";
import type { BackupFacts } from "./facts.ts";
import { inMonth, type ReportPeriod, time } from "./period.ts";

/** The story of one backup, or undefined when its month went well. */
function failureStory(period: ReportPeriod, facts: BackupFacts): FailureStory | undefined {
  const latest = facts.latest;
  const latestStart = time(latest.started_at);
  const stopped = latest.status === "in_progress" && inMonth(period, latestStart);
  const sourceKept = latest.status === "complete" && latest.source_deleted_at === null &&
    latest.error !== null;
  const keptThisMonth = sourceKept && facts.completedAt !== undefined &&
    inMonth(period, facts.completedAt);
  if (facts.attempts.length === 0 && !stopped && !keptThisMonth) return undefined;
  return {
    backupName: facts.name,
    instrument: facts.instrument,
    attempts: stopped
      ? [...facts.attempts, { status: "in_progress", at: latestStart, error: null }]
      : facts.attempts,
    now: latest.status,
    nowAt: latest.status === "complete" ? facts.completedAt ?? latestStart : latestStart,
    nowError: latest.error,
    sourceKept,
  };
}

/** The month's failure stories, the earliest first attempt first. */
export function failureStories(
  period: ReportPeriod,
  backups: ReadonlyMap<string, BackupFacts>,
): FailureStory[] {
  return [...backups.values()]
    .flatMap((facts) => failureStory(period, facts) ?? [])
    .sort((a, b) =>
      (a.attempts[0]?.at ?? 0) - (b.attempts[0]?.at ?? 0) ||
      a.backupName.localeCompare(b.backupName)
    );
}
