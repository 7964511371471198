/**
 * Step, once per run before the studies: finish what an earlier run left
 * at the very end of a backup.
 *
 * - A study folder moved aside to be deleted (`.<study>.fusion-toolkit-deleting`)
 *   but not fully deleted (a crash, a file in use): every file still in it is
 *   checked against the complete backup's file list (SHA-256); then it is
 *   deleted and `source_deleted_at` recorded. Anything else in it (a file
 *   the backup does not hold) puts it back under its name, where the next
 *   run compares it with its backup like any study.
 * - A complete backup whose source is gone from the instrument without a
 *   record of it (deleted by a run that stopped before recording it, or by
 *   hand): `source_deleted_at` is recorded, so cleanup may evict it in time.
 *
 * @module
 */
import { join } from "node:path";
import { forEachBySize } from "../../concurrency/mod.ts";
import { errorMessage } from "../../errors.ts";
import { backupFolder, localPath, s3Key, sidecarEntries, studyPathOf } from "../../layout/mod.ts";
import { type ManifestRecord, timestamp } from "../../manifest/mod.ts";
import { hashFile } from "../../storage/mod.ts";
import { assessFolder } from "../../study/mod.ts";
import { StepFailure, type StudyContext } from "../context.ts";
import type { StudyOutcome } from "../pipeline.ts";
import { readBaseList } from "./compare.ts";
import { deletingPath, deletingStudy, removeAside } from "./delete_source.ts";
import { BackupRecorder } from "./record.ts";

/** What settling needs: a study's context without its records, and every backup's. */
export interface SettleInput {
  readonly context: Omit<StudyContext, "previous" | "lastComplete" | "history">;
  readonly latest: ReadonlyMap<string, ManifestRecord>;
  readonly lastComplete: ReadonlyMap<string, ManifestRecord>;
  /** Every record of each backup, oldest first. */
  readonly histories: ReadonlyMap<string, readonly ManifestRecord[]>;
}

/** Names of the entries in the source root, and of the moved-aside folders among them. */
async function sourceEntries(root: string): Promise<{ names: Set<string>; aside: string[] }> {
  const names = new Set<string>();
  const aside: string[] = [];
  for await (const entry of Deno.readDir(root)) {
    names.add(entry.name);
    const study = deletingStudy(entry.name);
    if (study !== undefined && entry.isDirectory && !entry.isSymlink) aside.push(study);
  }
  return { names, aside: aside.sort() };
}

/**
 * Settles what earlier runs left (see the module doc).
 *
 * @returns an outcome for each moved-aside study it dealt with.
 */
export async function settleEarlierRuns(input: SettleInput): Promise<StudyOutcome[]> {
  const { context } = input;
  const { config } = context;
  const root = config.backup.sourceRoot;
  const { names, aside } = await sourceEntries(root);
  const outcomes: StudyOutcome[] = [];
  for (const study of aside) outcomes.push(await finishDeleting(input, study, names));
  for (const [name, complete] of input.lastComplete) {
    const latest = input.latest.get(name) ?? complete;
    if (
      complete.instrument !== config.backup.instrument || latest.source_deleted_at !== null ||
      names.has(complete.run_name) || aside.includes(complete.run_name)
    ) {
      continue;
    }
    await recordGone(input, complete);
  }
  return outcomes;
}

function studyContext(input: SettleInput, name: string): StudyContext {
  return {
    ...input.context,
    previous: input.latest.get(name),
    lastComplete: input.lastComplete.get(name),
    history: input.histories.get(name) ?? [],
  };
}

async function recordGone(input: SettleInput, complete: ManifestRecord): Promise<void> {
  const context = studyContext(input, complete.backup_name);
  const recorder = BackupRecorder.continuing(context, complete, timestamp(context.clock()));
  try {
    await recorder.update({ source_deleted_at: timestamp(context.clock()) });
    await recorder.mirror();
  } catch (error) {
    context.logger.warn(
      `${complete.run_name}: recording that its source is gone failed: ${errorMessage(error)}`,
    );
    return;
  }
  context.logger.info(
    `${complete.run_name}: its backup is complete and its source is no longer on the instrument ` +
      "(a run that stopped before recording the delete, or deleted by hand): recorded as deleted",
  );
}

/** Deletes, or puts back, the moved-aside folder of `study`. */
async function finishDeleting(
  input: SettleInput,
  study: string,
  names: ReadonlySet<string>,
): Promise<StudyOutcome> {
  const { config, logger, clock } = input.context;
  const instrument = config.backup.instrument;
  const studyPath = join(config.backup.sourceRoot, study);
  const aside = deletingPath(studyPath);
  const backupName = `${instrument}/${study}`;
  const context = studyContext(input, backupName);
  const complete = context.lastComplete;
  const listing = assessFolder(aside, study).listing;
  const outcome = (
    ok: boolean,
    record: ManifestRecord | undefined,
    failure?: StepFailure,
  ): StudyOutcome => ({
    study,
    ok,
    record,
    ...(failure === undefined ? {} : { step: failure.step, error: failure.message }),
    sourceDeleted: ok,
    files: listing.files.length,
    bytes: listing.files.reduce((sum, file) => sum + file.size, 0),
    note: ok ? "source deleted (finishing what an earlier run began)" : "moved back",
  });
  logger.info(`${study}: finishing the delete an earlier run began (${aside})`);
  let reason: string | undefined = "no complete backup of it is recorded";
  if (complete !== undefined) {
    try {
      reason = await strayFile(context, complete, aside, listing.files);
    } catch (error) {
      const failure = error instanceof StepFailure
        ? error
        : new StepFailure("delete source", undefined, errorMessage(error));
      logger.error(`${study}: ${failure.message}; ${aside} was left as it is`);
      return outcome(false, complete, failure);
    }
  }
  if (complete === undefined || reason !== undefined) {
    const back = !names.has(study);
    if (back) await Deno.rename(aside, studyPath).catch(() => {});
    const failure = new StepFailure(
      "delete source",
      undefined,
      `${aside} was not deleted: ${reason}; ` +
        (back
          ? `it is back at ${studyPath}, and the next run compares it with its backup`
          : `${studyPath} exists too: compare the two and keep what matters`),
    );
    logger.error(`${study}: ${failure.message}`);
    return outcome(false, complete, failure);
  }
  try {
    await removeAside(aside);
    const recorder = BackupRecorder.continuing(context, complete, timestamp(clock()));
    await recorder.update({ source_deleted_at: timestamp(clock()) });
    await recorder.mirrorIfReachable();
    logger.info(`${study}: source deleted (its backup was complete)`);
    return outcome(true, recorder.appended);
  } catch (error) {
    const failure = error instanceof StepFailure
      ? error
      : new StepFailure("delete source", undefined, errorMessage(error));
    logger.error(`${study}: ${failure.message}`);
    return outcome(false, complete, failure);
  }
}

/**
 * Why the files left in `aside` are not all held by the backup `complete`
 * (a path it does not list, or other content), or undefined when they are.
 */
async function strayFile(
  context: StudyContext,
  complete: ManifestRecord,
  aside: string,
  files: readonly { path: string; size: number }[],
): Promise<string | undefined> {
  const { config } = context;
  const destination = backupFolder(config.truenas.root, complete.instrument, complete.run_name);
  const prefixKey = s3Key(config.s3.prefix, complete.instrument, complete.run_name);
  const list = await readBaseList(context, complete, destination, prefixKey);
  const digests = new Map(
    Array.from(sidecarEntries(list), (entry) => [studyPathOf(entry.path), entry.sha256Hex]),
  );
  const strays: string[] = [];
  await forEachBySize(files, 4, async (file) => {
    const expected = digests.get(file.path);
    if (expected === undefined) {
      strays.push(`${file.path} is not in the backup`);
      return;
    }
    const digest = await hashFile(localPath(aside, file.path), {
      sizeHint: file.size,
      signal: context.signal,
    });
    if (digest.sha256Hex !== expected) strays.push(`${file.path} differs from the backup`);
  });
  return strays.length === 0 ? undefined : strays.sort()[0];
}
