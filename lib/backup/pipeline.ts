/**
 * The backup of one study, as its steps: check it (the shared assessment),
 * compare it with its complete backup if it has one, check the share has
 * room, copy to the share hashing the source beside the copy, read every
 * copy back (cutting the S3 part digests from that read), write the file
 * list, upload to S3 and confirm every object, record `complete` (and
 * mirror the manifest), then delete the source.
 *
 * A study whose complete backup it still equals is only deleted (a run that
 * stopped between `complete` and the delete is finished this way); one that
 * changed gets a new revision holding what changed, beside the proven copy,
 * never over it (lib/layout/revision.ts). The source is deleted only when
 * every earlier step succeeded for every file; every failure keeps it
 * untouched. Each step's mechanics live in `steps/`.
 *
 * @module
 */
import { join } from "node:path";
import { errorMessage } from "../errors.ts";
import { describeHolder, kindAt } from "../fs/mod.ts";
import {
  backupFolder,
  listName,
  lockStudy,
  removeCopyJournal,
  revisionOf,
  s3Key,
  SIDECAR_NAME,
  type StudyLock,
} from "../layout/mod.ts";
import { type ManifestRecord, timestamp } from "../manifest/mod.ts";
import type { StudyAssessment } from "../study/mod.ts";
import { type DigestMap, StepFailure, type StudyContext, totalBytes } from "./context.ts";
import {
  type BackupWork,
  decideStudy,
  describeChanges,
  firstBackup,
  revisionWork,
  unchanged,
  workCounts,
} from "./plan.ts";
import { compareWithBackup } from "./steps/compare.ts";
import { copyStudy, planCopy, ShareWrites } from "./steps/copy.ts";
import { deleteSource } from "./steps/delete_source.ts";
import { type BackupPlace, BackupRecorder } from "./steps/record.ts";
import { type SealedSidecar, sealShareCopy } from "./steps/sidecar.ts";
import { requireSpace } from "./steps/space.ts";
import { discardUnfinishedRevisions } from "./steps/tidy.ts";
import { uploadStudy } from "./steps/upload.ts";
import { verifyCopies } from "./steps/verify.ts";

/** How one study's backup ended. */
export interface StudyOutcome {
  readonly study: string;
  readonly ok: boolean;
  /** The last record appended for it, if any. */
  readonly record: ManifestRecord | undefined;
  /** The step that failed, e.g. "validate", "copy", "upload". */
  readonly step?: string;
  readonly error?: string;
  readonly sourceDeleted: boolean;
  readonly files: number;
  readonly bytes: number;
  /** What happened, when it is more than a plain backup (a revision, a finished delete). */
  readonly note?: string;
}

/** Where one study's backup goes, and how it ends. */
interface Story {
  readonly study: StudyAssessment;
  readonly context: StudyContext;
  readonly destination: string;
  readonly prefixKey: string;
  readonly place: BackupPlace;
}

/**
 * Backs up one study. Never throws for a failure of the study itself: the
 * outcome says which step failed and the manifest records it.
 */
export async function backupStudy(
  study: StudyAssessment,
  context: StudyContext,
): Promise<StudyOutcome> {
  const { config, logger, clock } = context;
  const instrument = config.backup.instrument;
  const startedAt = timestamp(clock());
  const destination = backupFolder(config.truenas.root, instrument, study.name);
  const prefixKey = s3Key(config.s3.prefix, instrument, study.name);
  const story: Story = {
    study,
    context,
    destination,
    prefixKey,
    place: {
      study: study.name,
      sourcePath: study.path,
      truenasPath: destination,
      s3Uri: context.store.uri(`${prefixKey}/`),
      startedAt,
    },
  };
  if (study.kind !== "dir") {
    const failure = new StepFailure("check", undefined, study.refusal ?? "not a study folder");
    logger.error(`${study.name}: not backed up: ${failure.message}`);
    return outcomeOf(story, undefined, failure);
  }
  let lock: StudyLock;
  try {
    lock = await lockStudy(study.path, {
      hostname: context.hostname,
      pid: Deno.pid,
      started_at: startedAt,
      command: "backup run",
      instrument,
      run_name: study.name,
    });
  } catch (error) {
    const failure = new StepFailure(
      "lock",
      undefined,
      `cannot write the study lock: ${errorMessage(error)}`,
    );
    logger.error(`${study.name}: ${failure.message}; source kept`);
    return outcomeOf(story, undefined, failure);
  }
  if (lock.tookOver !== undefined) {
    const who = lock.tookOver === "unreadable"
      ? "an unreadable lock"
      : describeHolder(lock.tookOver);
    logger.warn(
      `${study.name}: took over its lock, left by ${who} which ended mid-study (a crash or a ` +
        "power cut?); resuming",
    );
  }
  try {
    return await backUp(story);
  } finally {
    context.progress.end();
    await lock.release().catch((error) =>
      logger.warn(
        `${study.name}: its lock ${lock.path} could not be removed (${errorMessage(error)}); ` +
          "the next run takes it over",
      )
    );
  }
}

function outcomeOf(
  story: Story,
  record: ManifestRecord | undefined,
  failure: StepFailure | undefined,
  result: { sourceDeleted?: boolean; size?: StoredSize | undefined; note?: string } = {},
): StudyOutcome {
  const { files, bytes } = result.size ?? sizeOf(story.study.listing.files);
  return {
    study: story.study.name,
    ok: failure === undefined,
    record,
    ...(failure === undefined ? {} : { step: failure.step, error: failure.message }),
    sourceDeleted: result.sourceDeleted ?? false,
    files,
    bytes,
    ...(result.note === undefined ? {} : { note: result.note }),
  };
}

/** How many files, of how many bytes, a backup stores. */
interface StoredSize {
  readonly files: number;
  readonly bytes: number;
}

function sizeOf(files: readonly { size: number }[]): StoredSize {
  return { files: files.length, bytes: totalBytes(files) };
}

/** What a backup stored, once its file-by-file plan and digests are no longer needed. */
interface Stored extends StoredSize {
  readonly revision: number;
  readonly changes: BackupWork["changes"];
}

/** What one attempt has done so far: what a failure must record, take back, or report. */
interface Attempt {
  recorder: BackupRecorder;
  /** Of the work decided on, once it is. */
  size: StoredSize | undefined;
  readonly writes: ShareWrites;
  /** The file list is written: the share copy is whole and proven, and stays whatever follows. */
  sealed: boolean;
  sourceDeleted: boolean;
}

/** The steps, from the decision to the deleted source. */
async function backUp(story: Story): Promise<StudyOutcome> {
  const attempt: Attempt = {
    recorder: new BackupRecorder(story.context, story.place),
    size: undefined,
    writes: new ShareWrites(story.destination),
    sealed: false,
    sourceDeleted: false,
  };
  try {
    const done = await store(story, attempt);
    if (done.kind === "unchanged") return await finish(story, done.base);
    const { stored } = done;
    await completeAndDelete(story, attempt, stored);
    return outcomeOf(story, attempt.recorder.appended, undefined, {
      sourceDeleted: true,
      size: stored,
      ...(stored.revision === 1 ? {} : {
        note: `revision ${stored.revision} (${describeChanges(stored.changes ?? NO_CHANGES)}); ` +
          "source deleted",
      }),
    });
  } catch (error) {
    return await failed(story, attempt, error);
  }
}

/**
 * Decides, and stores what was decided on the share and in S3. Only a
 * summary comes back: the plan and the digests (some 20 MB at 100,000
 * files) are let go before the last step walks the source twice more.
 */
async function store(
  story: Story,
  attempt: Attempt,
): Promise<{ kind: "unchanged"; base: ManifestRecord } | { kind: "stored"; stored: Stored }> {
  const decided = await decide(story, attempt);
  if (decided.kind === "unchanged") return decided;
  const { work } = decided;
  attempt.size = sizeOf(work.files);
  await attempt.recorder.update(workCounts(work));
  const proven = await storeOnShare(story, attempt, work);
  await storeInS3(story, attempt, work, proven);
  return {
    kind: "stored",
    stored: { ...attempt.size, revision: work.revision, changes: work.changes },
  };
}

const NO_CHANGES = { added: [], changed: [], removed: [] };

/**
 * Check and decide: the assessment's verdict, then the manifest's — a first
 * backup, or a comparison with the complete one that ends in "unchanged" or
 * in the revision that stores what changed.
 */
async function decide(
  story: Story,
  attempt: Attempt,
): Promise<{ kind: "unchanged"; base: ManifestRecord } | { kind: "store"; work: BackupWork }> {
  const { study, context, destination } = story;
  if (study.refusal !== undefined) {
    throw new StepFailure("validate", "failed_validation", study.refusal);
  }
  const unknownBackupThere = context.previous === undefined &&
    await kindAt(join(destination, SIDECAR_NAME)) !== undefined;
  const decision = decideStudy(context.previous, context.lastComplete, unknownBackupThere);
  if (decision.kind === "refuse") throw new StepFailure("check", undefined, decision.message);
  if (decision.kind === "first") return { kind: "store", work: firstBackup(study.listing) };
  attempt.recorder = new BackupRecorder(context, story.place, decision.next);
  const comparison = await compareWithBackup(
    context,
    study,
    decision.base,
    destination,
    story.prefixKey,
  );
  if (unchanged(comparison.changes)) return { kind: "unchanged", base: decision.base };
  context.logger.info(
    `${study.name}: changed since its complete backup (revision ` +
      `${revisionOf(decision.base)}): ${describeChanges(comparison.changes)}; backing up ` +
      `revision ${decision.next} beside it`,
  );
  return {
    kind: "store",
    work: revisionWork(decision.next, study.listing.files, comparison, study.listing.emptyDirs),
  };
}

/** What the share copy proved: each stored file's digest, and the file list written. */
interface Proven {
  readonly digests: DigestMap;
  readonly list: SealedSidecar;
}

/** Room, copy, read back, file list: the share holds the work, proven. */
async function storeOnShare(story: Story, attempt: Attempt, work: BackupWork): Promise<Proven> {
  const { study, context, destination } = story;
  const plan = await planCopy(context.previous, work, destination, context.command);
  await requireSpace(context, study.name, plan);
  const digests = await copyStudy(
    context,
    study.name,
    study.path,
    work,
    plan,
    destination,
    attempt.writes,
  );
  await context.afterCopy?.(destination);
  await verifyCopies(context, study.name, work, destination, digests);
  const list = await sealShareCopy(work, destination, digests);
  attempt.sealed = true;
  attempt.writes.forget();
  await attempt.recorder.update({
    truenas_verified_at: timestamp(context.clock()),
    sidecar_sha256: list.sha256Hex,
  });
  context.logger.info(`${study.name}: TrueNAS copy verified (${work.files.length} files)`);
  return { digests, list };
}

/** Upload and confirm: S3 holds the work, proven. */
async function storeInS3(
  story: Story,
  attempt: Attempt,
  work: BackupWork,
  proven: Proven,
): Promise<void> {
  const { study, context } = story;
  await uploadStudy(
    context,
    study.name,
    study.path,
    story.destination,
    work,
    story.prefixKey,
    proven.digests,
    proven.list.sha256Hex,
    {
      instrument: context.config.backup.instrument,
      startedAt: story.place.startedAt,
      revision: work.revision,
    },
  );
  await attempt.recorder.update({ s3_verified_at: timestamp(context.clock()) });
  context.logger.info(
    `${study.name}: S3 upload verified (${work.files.length} files and ` +
      `${listName(work.revision)})`,
  );
}

/** `complete` recorded and mirrored, then the source deleted and that recorded. */
async function completeAndDelete(
  story: Story,
  attempt: Attempt,
  stored: Stored,
): Promise<void> {
  const { study, context, destination } = story;
  const { recorder } = attempt;
  await recorder.update({ status: "complete", completed_at: timestamp(context.clock()) });
  await removeCopyJournal(destination);
  await recorder.mirror();
  await deleteSource(study.path, study.listing, stored.revision + 1);
  attempt.sourceDeleted = true;
  await recorder.update({ source_deleted_at: timestamp(context.clock()) });
  await recorder.mirrorIfReachable();
  context.logger.info(
    `${study.name}: complete${stored.revision === 1 ? "" : ` as revision ${stored.revision}`}, ` +
      `${stored.files} files, ${stored.bytes} bytes, source deleted`,
  );
}

/**
 * Records how the attempt failed, and takes back a failed copy, so the share
 * has its room for the next study; a stopped run (aborted, like a crash)
 * keeps its verified copies for the next run to resume from.
 */
async function failed(story: Story, attempt: Attempt, error: unknown): Promise<StudyOutcome> {
  const { study, context } = story;
  const failure = error instanceof StepFailure ? error : new StepFailure(
    "unexpected",
    attempt.recorder.current.status === "complete" ? undefined : "failed_truenas",
    errorMessage(error),
  );
  if (
    failure.status === "failed_truenas" && !attempt.sealed && context.signal?.aborted !== true
  ) {
    await undo(story, attempt.writes);
  }
  await attempt.recorder.fail(failure);
  context.logger.error(
    `${study.name}: ${failure.step} failed: ${failure.message}; source ` +
      `${attempt.sourceDeleted ? "deleted (both copies were proven)" : "kept"}`,
    error,
  );
  return outcomeOf(story, attempt.recorder.appended, failure, {
    sourceDeleted: attempt.sourceDeleted,
    size: attempt.size,
  });
}

/** Removes what a failed copy wrote, so the share has its room back for the next study. */
async function undo(story: Story, writes: ShareWrites): Promise<void> {
  const files = writes.files.size;
  const problems = await writes.discard();
  const { logger } = story.context;
  if (problems.length > 0) {
    logger.warn(
      `${story.study.name}: could not remove all that the failed copy wrote: ${
        problems.join("; ")
      }`,
    );
  } else if (files > 0) {
    logger.info(
      `${story.study.name}: removed the ${files} files this failed copy wrote to the share ` +
        "(copies of earlier runs and of complete backups are kept)",
    );
  }
}

/**
 * The source still equals the complete backup `base`: make sure the
 * manifest's S3 copy lists it, delete the source, record it.
 */
async function finish(story: Story, base: ManifestRecord): Promise<StudyOutcome> {
  const { study, context } = story;
  const recorder = BackupRecorder.continuing(context, base, story.place.startedAt);
  const revision = revisionOf(base);
  context.logger.info(
    `${study.name}: unchanged since its complete backup (revision ${revision}, completed ` +
      `${base.completed_at}): every file's SHA-256 matches; deleting the source`,
  );
  let deleted = false;
  try {
    await discardUnfinishedRevisions(context, study.name, story.destination, revision);
    await recorder.mirror(base);
    await deleteSource(study.path, study.listing, revision + 1);
    deleted = true;
    await recorder.update({ source_deleted_at: timestamp(context.clock()) });
  } catch (error) {
    const failure = error instanceof StepFailure
      ? error
      : new StepFailure(deleted ? "record" : "delete source", undefined, errorMessage(error));
    context.logger.error(
      `${study.name}: ${failure.step} failed: ${failure.message}; source ` +
        `${deleted ? "deleted (the next run records it)" : "kept"}`,
      error,
    );
    return outcomeOf(story, base, failure, { sourceDeleted: deleted });
  }
  await recorder.mirrorIfReachable();
  context.logger.info(`${study.name}: source deleted (its backup was already complete)`);
  return outcomeOf(story, recorder.appended, undefined, {
    sourceDeleted: true,
    note: "source deleted (its backup was already complete)",
  });
}
