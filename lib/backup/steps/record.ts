/**
 * Step: the study's manifest record. Every state change is one appended,
 * flushed line in this instrument's manifest file of the month on the share
 * (`YYYY-MM.<instrument>.jsonl`, written by no other PC); that file is
 * mirrored to `<prefix>/_manifest/` under the same name in S3 for disaster
 * recovery. Only the mirror before a source is deleted must succeed; the
 * others are skipped once S3 is known unreachable in the run, and the end of
 * every run copies any of this instrument's files whose S3 copy is behind.
 *
 * @module
 */
import { basename, join } from "node:path";
import { errorMessage } from "../../errors.ts";
import { metadataStorageClass, s3Key } from "../../layout/mod.ts";
import {
  appendRecord,
  manifestFileName,
  manifestFiles,
  type ManifestRecord,
  parseManifestFileName,
} from "../../manifest/mod.ts";
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
   * (this record by default): the mirror that must succeed before a source
   * is deleted.
   *
   * @throws {StepFailure} "manifest mirror" (no status: the manifest on the share is intact).
   */
  async mirror(of: ManifestRecord = this.#record): Promise<void> {
    const name = manifestFileName(of.started_at, of.instrument);
    try {
      await copyManifest(this.#context, name);
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
   * Copies the month's manifest to S3 when nothing waits on it: skipped once
   * S3 is known unreachable in this run; a failure is a warning. Either way
   * the end of the run (or the next run) copies it. Never throws.
   */
  async mirrorIfReachable(): Promise<void> {
    const { store, logger } = this.#context;
    if (store.outage !== undefined) return;
    const name = manifestFileName(this.#record.started_at, this.#record.instrument);
    try {
      await copyManifest(this.#context, name);
    } catch (error) {
      logger.warn(
        `copying the manifest ${name} to S3 failed: ${errorMessage(error)}; the record is on ` +
          "the share, and the end of this run or the next run copies it",
      );
    }
  }

  /**
   * Records how the study failed, unless the record is `complete` already or
   * the failure records nothing; the manifest's S3 copy follows when S3 is
   * not known to be unreachable (see {@linkcode mirrorIfReachable}). Never
   * throws: a manifest that cannot be written is logged.
   */
  async fail(failure: StepFailure): Promise<void> {
    const { logger } = this.#context;
    if (failure.status === undefined || this.#record.status === "complete") return;
    try {
      await this.update({ status: failure.status, error: `${failure.step}: ${failure.message}` });
      if (failure.status !== "failed_s3") await this.mirrorIfReachable();
    } catch (error) {
      logger.error(
        `${this.#record.run_name}: cannot record the failure in the manifest: ${
          errorMessage(error)
        }`,
      );
    }
  }
}

/** What copying the manifest needs. */
type MirrorContext = Pick<StudyContext, "config" | "store" | "logger">;

/** Copies the manifest file `name` from the share to `<prefix>/_manifest/<name>`, replacing it. */
async function copyManifest(context: MirrorContext, name: string): Promise<void> {
  const { config, store } = context;
  const bytes = await Deno.readFile(join(config.truenas.manifestRoot, name));
  await store.replaceBytes(
    s3Key(config.s3.prefix, "_manifest", name),
    bytes,
    "application/x-ndjson",
    metadataStorageClass(config.s3.storageClass),
  );
}

/**
 * The end of a run: copies to S3 every manifest file of this instrument on
 * the share whose copy there is missing or shorter (the files only grow), so
 * records whose mirror was skipped or failed, in this run or an earlier one,
 * reach S3. A copy longer than the share's file is not replaced: the share's
 * may have lost lines. Never throws; what it could not do is a warning.
 */
export async function catchUpManifestMirror(context: MirrorContext): Promise<void> {
  const { config, store, logger } = context;
  const behind = (detail: string) =>
    logger.warn(
      `the manifest's copy in S3 may be behind the share's: ${detail}; the next run copies it`,
    );
  if (store.outage !== undefined) {
    behind(`S3 did not answer in this run (${store.outage.message})`);
    return;
  }
  try {
    const paths = await manifestFiles(config.truenas.manifestRoot).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return []; // no backup recorded yet
      throw error;
    });
    if (paths.length === 0) return;
    const copies = await store.listSizes(`${s3Key(config.s3.prefix, "_manifest")}/`);
    for (const path of paths) {
      const name = basename(path);
      if (parseManifestFileName(name)?.instrument !== config.backup.instrument) continue;
      const size = (await Deno.stat(path)).size;
      const copied = copies.get(s3Key(config.s3.prefix, "_manifest", name));
      if (copied !== undefined && copied > size) {
        logger.warn(
          `${store.uri(s3Key(config.s3.prefix, "_manifest", name))} is longer than the share's ` +
            `manifest ${name} (${size} bytes) and is not replaced by it: the share's file may ` +
            "have lost records; check it against the copy in S3",
        );
      } else if (copied === undefined || copied < size) {
        await copyManifest(context, name);
        logger.info(`manifest ${name} copied to S3 (its copy there was behind)`);
      }
    }
  } catch (error) {
    behind(errorMessage(error));
  }
}
