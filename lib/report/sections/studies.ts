/**
 * The studies section, as things stand now rather than in the month: the
 * studies each instrument's latest backup run found waiting (not idle long
 * enough) and since when, and the backups failing validation. Pure.
 *
 * @module
 */
import type { JobRecord, WaitingStudyFact } from "../../manifest/mod.ts";
import type { FailingValidation, WaitingStudy } from "../types.ts";
import type { BackupFacts } from "./facts.ts";
import { jobTime, time } from "./period.ts";

function waitingFacts(record: JobRecord): readonly WaitingStudyFact[] | undefined {
  const waiting = record.details?.waiting;
  return Array.isArray(waiting) ? waiting : undefined;
}

/** Each instrument's backup runs that listed the studies waiting, oldest first. */
function runsListingWaiting(jobs: readonly JobRecord[]): Map<string, JobRecord[]> {
  const byInstrument = new Map<string, JobRecord[]>();
  for (const record of jobs) {
    if (record.job !== "backup run" || waitingFacts(record) === undefined) continue;
    const runs = byInstrument.get(record.instrument) ?? [];
    runs.push(record);
    byInstrument.set(record.instrument, runs);
  }
  for (const runs of byInstrument.values()) runs.sort((a, b) => jobTime(a) - jobTime(b));
  return byInstrument;
}

/** The first run, in the unbroken series of `runs` up to the latest, that found `study` waiting. */
function waitingSince(runs: readonly JobRecord[], study: string): number {
  let since = jobTime(runs[runs.length - 1] as JobRecord);
  for (let index = runs.length - 2; index >= 0; index--) {
    const run = runs[index] as JobRecord;
    if (!(waitingFacts(run) ?? []).some((other) => other.study === study)) break;
    since = jobTime(run);
  }
  return since;
}

/** Studies waiting now, per instrument, from its backup runs that listed them. */
export function waitingStudies(jobs: readonly JobRecord[]): WaitingStudy[] {
  const waiting: WaitingStudy[] = [];
  for (const [instrument, runs] of runsListingWaiting(jobs)) {
    for (const fact of waitingFacts(runs[runs.length - 1] as JobRecord) ?? []) {
      waiting.push({
        instrument,
        study: fact.study,
        newestChange: time(fact.newest_change),
        since: waitingSince(runs, fact.study),
      });
    }
  }
  return waiting.sort((a, b) => a.since - b.since || a.study.localeCompare(b.study));
}

/** The backups whose latest record is a failed validation, the longest failing first. */
export function failingValidation(backups: ReadonlyMap<string, BackupFacts>): FailingValidation[] {
  return [...backups.values()]
    .filter((facts) => facts.latest.status === "failed_validation")
    .map((facts) => ({
      backupName: facts.name,
      instrument: facts.instrument,
      since: facts.failingSince ?? time(facts.latest.started_at),
      error: facts.latest.error,
    }))
    .sort((a, b) => a.since - b.since || a.backupName.localeCompare(b.backupName));
}
