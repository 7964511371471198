/**
 * The backup of one study, as its steps: validate, list, copy to the share
 * hashing in the same pass, read every copy back, write the sidecar, upload
 * to S3 and confirm every object, record `complete` (and mirror the
 * manifest), then delete the source. The source is deleted only when every
 * earlier step succeeded for every file; every failure keeps it untouched.
 * Each step's mechanics live in `steps/`; docs/design.md says what each proves.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { kindAt, LockExistsError } from "../fs/mod.ts";
import {
  backupFolder,
  formatSidecar,
  lockStudy,
  removeCopyJournal,
  s3Key,
  SIDECAR_NAME,
} from "../layout/mod.ts";
import { timestamp } from "../manifest/mod.ts";
import { validateStudy } from "../standard/mod.ts";
import { join } from "node:path";
import { StepFailure, type StudyContext, totalBytes } from "./context.ts";
import type { FoundStudy } from "./eligibility.ts";
import { copyStudy } from "./steps/copy.ts";
import { deleteSource } from "./steps/delete_source.ts";
import { EMPTY_LISTING, listStudyFiles, type StudyListing } from "./steps/list.ts";
import { BackupRecorder } from "./steps/record.ts";
import { sealShareCopy } from "./steps/sidecar.ts";
import { uploadStudy } from "./steps/upload.ts";
import { verifyCopies } from "./steps/verify.ts";
import type { ManifestRecord } from "../manifest/mod.ts";

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
}

/**
 * Backs up one study. Never throws for a failure of the study itself: the
 * outcome says which step failed and the manifest records it.
 */
export async function backupStudy(study: FoundStudy, context: StudyContext): Promise<StudyOutcome> {
  const { config, logger, clock } = context;
  const instrument = config.backup.instrument;
  const startedAt = timestamp(clock());
  const destination = backupFolder(config.truenas.root, instrument, study.name);
  const prefixKey = s3Key(config.s3.prefix, instrument, study.name);
  const recorder = new BackupRecorder(context, {
    study: study.name,
    sourcePath: study.path,
    truenasPath: destination,
    s3Uri: context.store.uri(`${prefixKey}/`),
    startedAt,
  });
  const began = performance.now();
  let listing: StudyListing = EMPTY_LISTING;
  let sourceDeleted = false;
  const outcome = (failure?: StepFailure): StudyOutcome => ({
    study: study.name,
    ok: failure === undefined,
    record: recorder.appended,
    ...(failure === undefined ? {} : { step: failure.step, error: failure.message }),
    sourceDeleted,
    files: listing.files.length,
    bytes: totalBytes(listing.files),
  });

  let lock;
  try {
    lock = await lockStudy(study.path, study.name, context.hostname, startedAt);
  } catch (error) {
    const message = error instanceof LockExistsError
      ? `study is locked by another run (${error.path})`
      : `cannot write the study lock: ${errorMessage(error)}`;
    logger.error(`${study.name}: ${message}`);
    return outcome(new StepFailure("lock", undefined, message));
  }

  try {
    await requireValid(study.path);
    await refuseToOverwrite(context, destination);
    listing = await listBackupable(study.path);
    await recorder.update({
      file_count: listing.files.length,
      total_bytes: totalBytes(listing.files),
    });

    const digests = await copyStudy(context, study.name, study.path, listing, destination);
    await context.afterCopy?.(destination);
    await verifyCopies(context, study.name, listing, destination, digests);
    const sidecar = await sealShareCopy(listing, destination, digests);
    await recorder.update({ truenas_verified_at: timestamp(clock()) });
    logger.info(`${study.name}: TrueNAS copy verified (${listing.files.length} files)`);

    await uploadStudy(
      context,
      study.name,
      study.path,
      listing,
      prefixKey,
      digests,
      formatSidecar(sidecar),
    );
    await recorder.update({ s3_verified_at: timestamp(clock()) });
    logger.info(`${study.name}: S3 upload verified (${listing.files.length + 1} objects)`);

    await recorder.update({ status: "complete", completed_at: timestamp(clock()) });
    await removeCopyJournal(destination);
    await recorder.mirror();

    await deleteSource(study.path, listing);
    sourceDeleted = true;
    await recorder.update({ source_deleted_at: timestamp(clock()) });
    await recorder.mirror().catch((error) => logger.warn(errorMessage(error)));
    const seconds = (performance.now() - began) / 1000;
    logger.info(
      `${study.name}: complete, ${listing.files.length} files, ${totalBytes(listing.files)} ` +
        `bytes, source deleted (${seconds.toFixed(1)} s)`,
    );
    return outcome();
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure(
      "unexpected",
      recorder.current.status === "complete" ? undefined : "failed_truenas",
      errorMessage(error),
    );
    await recorder.fail(failure);
    logger.error(`${study.name}: ${failure.step} failed: ${failure.message}; source kept`, error);
    return outcome(failure);
  } finally {
    context.progress.end();
    if (!sourceDeleted) await lock.release();
  }
}

/** @throws {StepFailure} `failed_validation` listing every violation of the naming standard. */
async function requireValid(studyPath: string): Promise<void> {
  const report = await validateStudy(studyPath);
  if (report.ok) return;
  const summary = report.violations.map((v) => `${v.rule} ${v.path}: ${v.message}`).join("; ");
  throw new StepFailure("validate", "failed_validation", `naming standard: ${summary}`);
}

/** @throws {StepFailure} `failed_validation` when the study holds links or special files. */
async function listBackupable(studyPath: string): Promise<StudyListing> {
  const listing = await listStudyFiles(studyPath);
  if (listing.unsupported.length > 0) {
    throw new StepFailure(
      "validate",
      "failed_validation",
      `links or special files cannot be backed up: ${listing.unsupported.join(", ")}`,
    );
  }
  return listing;
}

/**
 * A complete backup of this name is never overwritten, and neither is a
 * backup folder the manifest does not know.
 */
async function refuseToOverwrite(context: StudyContext, destination: string): Promise<void> {
  const previous = context.previous;
  if (previous?.status === "complete") {
    throw new StepFailure(
      "check",
      undefined,
      `a complete backup named ${previous.backup_name} exists (completed ${previous.completed_at}); ` +
        "it is never overwritten — rename the study folder, or delete the source by hand once you have checked it",
    );
  }
  const ours = previous !== undefined;
  if (!ours && await kindAt(join(destination, SIDECAR_NAME)) !== undefined) {
    throw new StepFailure(
      "check",
      undefined,
      `${destination} already holds a backup that the manifest does not know; check it by hand`,
    );
  }
}
