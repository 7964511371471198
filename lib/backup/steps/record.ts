/**
 * Step: the study's manifest record. Every state change is one appended,
 * flushed line in this instrument's manifest file of the month on the share
 * (`YYYY-MM.<instrument>.jsonl`, written by no other PC); that file is
 * mirrored to `<prefix>/_manifest/` under the same name in S3 for disaster
 * recovery.
 *
 * @module
 */
import { join } from "node:path";
import { errorMessage } from "../../errors.ts";
import { metadataStorageClass, s3Key } from "../../layout/mod.ts";
import { appendRecord, manifestFileName, type ManifestRecord } from "../../manifest/mod.ts";
import { StepFailure, type StudyContext } from "../context.ts";

/** The fields of a new backup's record that say where it goes. */
export interface BackupPlace {
  readonly study: string;
  readonly sourcePath: string;
  readonly truenasPath: string;
  readonly s3Uri: string;
  readonly startedAt: string;
}

/** One study's record as this run has written it. */
export class BackupRecorder {
  readonly #context: StudyContext;
  #record: ManifestRecord;
  #appended: ManifestRecord | undefined;

  /** A recorder that goes on from `record` (a complete backup this run settles). */
  static continuing(
    context: StudyContext,
    record: ManifestRecord,
    startedAt: string,
  ): BackupRecorder {
    // A new line of this run, in this month's file: it folds after every earlier record.
    const recorder = new BackupRecorder(context, {
      study: record.run_name,
      sourcePath: record.source_path,
      truenasPath: record.truenas_path,
      s3Uri: record.s3_uri,
      startedAt,
    });
    recorder.#record = { ...record, started_at: startedAt };
    return recorder;
  }

  constructor(context: StudyContext, place: BackupPlace, revision = 1) {
    this.#context = context;
    const instrument = context.config.backup.instrument;
    this.#record = {
      backup_name: `${instrument}/${place.study}`,
      run_name: place.study,
      instrument,
      source_path: place.sourcePath,
      truenas_path: place.truenasPath,
      s3_uri: place.s3Uri,
      file_count: 0,
      total_bytes: 0,
      sidecar_sha256: null,
      status: "in_progress",
      started_at: place.startedAt,
      truenas_verified_at: null,
      s3_verified_at: null,
      completed_at: null,
      source_deleted_at: null,
      error: null,
      ...(revision === 1 ? {} : { revision }),
    };
  }

  /** The record with every change so far, appended or not. */
  get current(): ManifestRecord {
    return this.#record;
  }

  /** The last record appended to the manifest, if any. */
  get appended(): ManifestRecord | undefined {
    return this.#appended;
  }

  /** Applies `changes` and appends the record (flushed). */
  async update(changes: Partial<ManifestRecord>): Promise<void> {
    const next = { ...this.#record, ...changes };
    this.#record = next;
    await appendRecord(this.#context.config.truenas.manifestRoot, next);
    this.#appended = next;
  }

  /**
   * Copies to S3 this instrument's manifest file of the month that holds `of`
   * (this record by default).
   *
   * @throws {StepFailure} "manifest mirror" (no status: the manifest on the share is intact).
   */
  async mirror(of: ManifestRecord = this.#record): Promise<void> {
    const { config, store } = this.#context;
    const name = manifestFileName(of.started_at, of.instrument);
    try {
      const bytes = await Deno.readFile(join(config.truenas.manifestRoot, name));
      await store.putBytes(
        s3Key(config.s3.prefix, "_manifest", name),
        bytes,
        "application/x-ndjson",
        metadataStorageClass(config.s3.storageClass),
      );
    } catch (error) {
      throw new StepFailure(
        "manifest mirror",
        undefined,
        `copying the manifest ${name} to S3 failed: ${errorMessage(error)}; the backup is ` +
          "complete but the source was kept",
      );
    }
  }

  /**
   * Records how the study failed, unless the record is `complete` already or
   * the failure records nothing; the manifest's S3 copy follows unless S3
   * itself failed. Never throws: a manifest that cannot be written is logged.
   */
  async fail(failure: StepFailure): Promise<void> {
    const { logger } = this.#context;
    if (failure.status === undefined || this.#record.status === "complete") return;
    try {
      await this.update({ status: failure.status, error: `${failure.step}: ${failure.message}` });
      if (failure.status !== "failed_s3") {
        await this.mirror().catch((error) => logger.warn(errorMessage(error)));
      }
    } catch (error) {
      logger.error(
        `${this.#record.run_name}: cannot record the failure in the manifest: ${
          errorMessage(error)
        }`,
      );
    }
  }
}
