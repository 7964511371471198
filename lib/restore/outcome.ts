/**
 * How a restore ended: restored (every selected file handled), or waiting
 * for S3 to retrieve archived objects (nothing written).
 *
 * @module
 */
import type { RestoreTier } from "../storage/s3.ts";
import type { RestoreSource } from "./plan.ts";
import type { FileProblem } from "./reader.ts";

/** What every outcome says. */
export interface OutcomeBase {
  readonly backup: string;
  readonly source: RestoreSource;
  /** Why that source. */
  readonly reason: string;
  /** Where the manifest was read. */
  readonly manifest: string;
  /** `<to>/<study>`. */
  readonly destination: string;
  /** Files selected (all of the sidecar, or those `--only` matched). */
  readonly selected: number;
  /** Files that were not restored, with the reason (mismatches, missing objects). */
  readonly problems: readonly FileProblem[];
  /**
   * Things worth knowing that are not failures (files outside the sidecar, a
   * sidecar the manifest holds no digest of).
   */
  readonly notes: readonly string[];
}

/** Every selected file was handled: restored and verified, or listed in `problems`. */
export interface RestoredOutcome extends OutcomeBase {
  readonly kind: "restored";
  readonly files: number;
  readonly bytes: number;
  /** Files already at the destination with the backup's content (an earlier restore's), kept. */
  readonly alreadyThere: number;
  /** Empty folders recreated. */
  readonly emptyDirs: number;
}

/** Archived objects must be retrieved by S3 first; nothing was written. */
export interface WaitingOutcome extends OutcomeBase {
  readonly kind: "waiting";
  /** Objects still archived, by storage class. */
  readonly archived: ReadonlyMap<string, number>;
  /** Restore requests sent now. */
  readonly started: number;
  /** Requests S3 is already working on. */
  readonly inProgress: number;
  readonly tier: RestoreTier;
  readonly days: number;
  /** AWS's typical time for the slowest class involved. */
  readonly typicalWait: string;
}

/** How a restore ended. */
export type RestoreOutcome = RestoredOutcome | WaitingOutcome;
