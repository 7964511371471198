/**
 * Which backups leave the share, in which order, and how much that frees.
 * Pure: the share's listing, the folded manifest, the free space and what
 * the gates found go in; the plan comes out.
 *
 * Order: oldest first by the latest record's `completed_at` (a record that
 * never completed orders by `started_at`; it is skipped by the gates anyway,
 * but is listed where its age puts it), ties by backup name. The plan walks
 * that order while the projected free space is below the threshold: a
 * candidate the gates passed is evicted and its bytes count as freed; one
 * they refused is skipped with the reason and the next one is taken.
 *
 * @module
 */
import type { EntryKind } from "../fs/mod.ts";
import type { ManifestRecord } from "../manifest/mod.ts";
import { recordTime } from "./gates.ts";
import type { ShareSpace } from "./space.ts";

/** An entry at `<root>/<instrument>/<study>`, where backups live on the share. */
export interface ShareEntry {
  readonly instrument: string;
  readonly name: string;
  readonly path: string;
  readonly kind: EntryKind;
}

/** A backup folder on the share that the manifest knows. */
export interface Candidate {
  /** `<instrument>/<study>`: the manifest's key. */
  readonly backupName: string;
  readonly path: string;
  /** Its latest manifest record. */
  readonly record: ManifestRecord;
}

/** Something on the share that is not a backup the manifest knows: never deleted, reported. */
export interface UnknownEntry {
  readonly path: string;
  readonly reason: string;
}

/** The share's backups in eviction order, and what is there besides. */
export interface ShareContents {
  /** Oldest first. */
  readonly candidates: readonly Candidate[];
  readonly unknown: readonly UnknownEntry[];
}

/** Matches the share's entries with the folded manifest and orders the candidates. */
export function matchShare(
  entries: readonly ShareEntry[],
  latest: ReadonlyMap<string, ManifestRecord>,
): ShareContents {
  const candidates: Candidate[] = [];
  const unknown: UnknownEntry[] = [];
  for (const entry of entries) {
    const backupName = `${entry.instrument}/${entry.name}`;
    const record = latest.get(backupName);
    if (entry.kind !== "dir") {
      unknown.push({ path: entry.path, reason: `a ${entry.kind}, not a backup folder` });
    } else if (record === undefined) {
      unknown.push({ path: entry.path, reason: "the manifest has no backup of this name" });
    } else {
      candidates.push({ backupName, path: entry.path, record });
    }
  }
  candidates.sort((a, b) =>
    recordTime(a.record) - recordTime(b.record) ||
    (a.backupName < b.backupName ? -1 : a.backupName > b.backupName ? 1 : 0)
  );
  return { candidates, unknown };
}

/** What the gates found about one candidate. */
export type Assessment =
  | {
    readonly evictable: true;
    /** Files in the share copy, the sidecar included. */
    readonly files: number;
    /** Bytes of those files: what deleting the folder frees. */
    readonly bytes: number;
  }
  | { readonly evictable: false; readonly reason: string };

/** What the planner works from. */
export interface PlanInput {
  readonly space: ShareSpace;
  /** Evict until at least this percentage of the share is free. */
  readonly thresholdPct: number;
  /** Oldest first, as {@linkcode matchShare} orders them. */
  readonly candidates: readonly Candidate[];
  /** What the gates found, by backup name; a candidate not in it has not been assessed yet. */
  readonly assessments: ReadonlyMap<string, Assessment>;
}

/** One backup the plan deletes from the share. */
export interface PlannedEviction {
  readonly candidate: Candidate;
  readonly files: number;
  readonly bytes: number;
  /** Projected free bytes once this and every earlier eviction are done. */
  readonly freeAfterBytes: number;
}

/** A candidate the gates refused. */
export interface SkippedCandidate {
  readonly candidate: Candidate;
  readonly reason: string;
}

/** The plan. */
export interface CleanupPlan {
  readonly space: ShareSpace;
  readonly thresholdPct: number;
  /** Free bytes the threshold asks for. */
  readonly targetFreeBytes: number;
  /** Oldest first. */
  readonly evictions: readonly PlannedEviction[];
  /** Candidates older than the last eviction (or all, when the threshold is out of reach). */
  readonly skipped: readonly SkippedCandidate[];
  /** Projected free bytes after every eviction. */
  readonly freeAfterBytes: number;
  /** The share was already free enough: nothing to do. */
  readonly alreadyAbove: boolean;
  /** The projected free space meets the threshold. */
  readonly reached: boolean;
  /** Newer backups left alone because the threshold is met without them. */
  readonly notNeeded: number;
  /**
   * The candidate the gates must assess before the plan can go on; undefined
   * when the plan is final. (Gates read S3, so only as many are assessed as
   * the plan needs.)
   */
  readonly next: Candidate | undefined;
}

/** Free bytes `thresholdPct` percent of `totalBytes` asks for. */
export function targetFreeBytes(totalBytes: number, thresholdPct: number): number {
  return Math.ceil((totalBytes * thresholdPct) / 100);
}

/** Plans the evictions. */
export function planCleanup(input: PlanInput): CleanupPlan {
  const { space, thresholdPct, candidates, assessments } = input;
  const target = targetFreeBytes(space.totalBytes, thresholdPct);
  const evictions: PlannedEviction[] = [];
  const skipped: SkippedCandidate[] = [];
  let free = space.freeBytes;
  const plan = (next: Candidate | undefined, notNeeded: number): CleanupPlan => ({
    space,
    thresholdPct,
    targetFreeBytes: target,
    evictions,
    skipped,
    freeAfterBytes: free,
    alreadyAbove: space.freeBytes >= target,
    reached: free >= target,
    notNeeded,
    next,
  });
  for (const [index, candidate] of candidates.entries()) {
    if (free >= target) return plan(undefined, candidates.length - index);
    const assessment = assessments.get(candidate.backupName);
    if (assessment === undefined) return plan(candidate, 0);
    if (!assessment.evictable) {
      skipped.push({ candidate, reason: assessment.reason });
      continue;
    }
    free = Math.min(space.totalBytes, free + assessment.bytes);
    evictions.push({
      candidate,
      files: assessment.files,
      bytes: assessment.bytes,
      freeAfterBytes: free,
    });
  }
  return plan(undefined, 0);
}
