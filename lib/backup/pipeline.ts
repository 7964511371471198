/**
 * The backup of one study, SPEC.md steps 1–7: validate, copy to the share
 * hashing in the same pass, read back, write the sidecar, upload to S3 and
 * confirm every object, record `complete` (and mirror the manifest), then
 * delete the source. The source is deleted only when every earlier step
 * succeeded for every file; every failure keeps it untouched.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Config } from "../config/mod.ts";
import { errorMessage } from "../errors.ts";
import { kindAt, LockExistsError, walk } from "../fs/mod.ts";
import type { Logger } from "../log/mod.ts";
import {
  appendRecord,
  type BackupStatus,
  manifestFileName,
  type ManifestRecord,
  timestamp,
} from "../manifest/mod.ts";
import { STUDY_LOCK_FILE, validateStudy } from "../standard/mod.ts";
import {
  copyFileWithHash,
  formatSidecar,
  hashFile,
  SIDECAR_NAME,
  type SidecarEntry,
  writeSidecar,
} from "../storage/mod.ts";
import type { Archive, ArchivedObject } from "./archive.ts";
import type { FoundStudy } from "./eligibility.ts";
import {
  appendCopyJournal,
  type CopiedFile,
  readCopyJournal,
  removeCopyJournal,
} from "./journal.ts";
import { lockStudy } from "./locks.ts";
import { forEachLimited } from "./pool.ts";

/** The stages a progress display shows. */
export type BackupStage = "copy" | "verify" | "upload" | "confirm";

/** Receives progress; the CLI draws it on a terminal. */
export interface BackupProgress {
  /** `study` starts `stage`, which covers `files` files and `bytes` bytes. */
  stage(study: string, stage: BackupStage, files: number, bytes: number): void;
  /** Work done within the current stage. */
  advance(files: number, bytes: number): void;
  /** The study is finished. */
  end(): void;
}

/** A progress sink that shows nothing. */
export const NO_PROGRESS: BackupProgress = { stage() {}, advance() {}, end() {} };

/** Everything one study's backup needs. */
export interface StudyContext {
  readonly config: Config;
  readonly archive: Archive;
  readonly logger: Logger;
  readonly progress: BackupProgress;
  readonly hostname: string;
  readonly clock: () => Date;
  /** The study's latest manifest record before this run, if any. */
  readonly previous: ManifestRecord | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Test seam: runs between the copy and the read-back (a test corrupts the copy here). */
  readonly afterCopy?: ((destination: string) => Promise<void>) | undefined;
}

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

/** A file of the study as found on the source. */
export interface SourceFile {
  /** Relative, `/`-separated. */
  readonly path: string;
  readonly size: number;
  readonly mtime: number;
}

/** What a study folder holds, as the backup sees it (the study lock excluded). */
export interface StudyListing {
  readonly files: readonly SourceFile[];
  readonly dirs: readonly string[];
  /** Relative paths of folders that hold nothing (kept as S3 folder markers). */
  readonly emptyDirs: readonly string[];
  /** Links and special files: never copied (validation rejects them). */
  readonly unsupported: readonly string[];
}

/** Storage classes whose objects cannot be read without a restore request first. */
const ARCHIVE_CLASSES = ["GLACIER", "DEEP_ARCHIVE"];

/**
 * The storage class of the small objects a backup writes besides the data (the
 * sidecar, folder markers, the manifest mirror): readable at once even when the
 * data goes to an archive class, so audit, restore and disaster recovery can
 * read them without waiting hours.
 */
export function metadataStorageClass(dataClass: string): string {
  return ARCHIVE_CLASSES.includes(dataClass) ? "STANDARD" : dataClass;
}

/** Files up to this size are copied and uploaded several at a time; larger ones alone. */
const SMALL_FILE_BYTES = 64 * 1024 * 1024;
const SMALL_FILE_CONCURRENCY = 4;

class StepFailure extends Error {
  constructor(readonly step: string, readonly status: BackupStatus | undefined, message: string) {
    super(message);
  }
}

function localPath(root: string, relative: string): string {
  return join(root, ...relative.split("/"));
}

/** Lists a study folder without following links. */
export async function listStudyFiles(studyPath: string): Promise<StudyListing> {
  const files: SourceFile[] = [];
  const dirs: string[] = [];
  const unsupported: string[] = [];
  const nonEmpty = new Set<string>();
  for await (const entry of walk(studyPath)) {
    if (entry.depth === 1 && entry.name === STUDY_LOCK_FILE) continue;
    const parent = entry.path.includes("/") ? entry.path.slice(0, entry.path.lastIndexOf("/")) : "";
    nonEmpty.add(parent);
    if (entry.kind === "dir") {
      dirs.push(entry.path);
    } else if (entry.kind === "file") {
      const info = await Deno.lstat(localPath(studyPath, entry.path));
      files.push({ path: entry.path, size: info.size, mtime: info.mtime?.getTime() ?? 0 });
    } else {
      unsupported.push(entry.path);
    }
  }
  return { files, dirs, emptyDirs: dirs.filter((dir) => !nonEmpty.has(dir)), unsupported };
}

function sameListing(a: StudyListing, b: StudyListing): string | undefined {
  const before = new Map(a.files.map((file) => [file.path, file]));
  for (const file of b.files) {
    const old = before.get(file.path);
    if (old === undefined) return `${file.path} appeared`;
    if (old.size !== file.size || old.mtime !== file.mtime) return `${file.path} changed`;
    before.delete(file.path);
  }
  const [gone] = before.keys();
  return gone === undefined ? undefined : `${gone} disappeared`;
}

function splitBySize<T extends { size: number }>(items: readonly T[]): [T[], T[]] {
  return [
    items.filter((item) => item.size <= SMALL_FILE_BYTES),
    items.filter((item) => item.size > SMALL_FILE_BYTES),
  ];
}

/** Runs `work` on small items a few at a time, then on large ones one by one. */
async function inSizeOrder<T extends { size: number }>(
  items: readonly T[],
  smallConcurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const [small, large] = splitBySize(items);
  await forEachLimited(small, smallConcurrency, work);
  await forEachLimited(large, 1, work);
}

/** Total size of `files`. */
export function totalBytes(files: readonly { size: number }[]): number {
  return files.reduce((total, file) => total + file.size, 0);
}

/**
 * Backs up one study. Never throws for a failure of the study itself: the
 * outcome says which step failed and the manifest records it.
 */
export async function backupStudy(study: FoundStudy, context: StudyContext): Promise<StudyOutcome> {
  const { config, archive, logger, progress, clock } = context;
  const instrument = config.backup.instrument;
  const startedAt = timestamp(clock());
  const destination = join(config.truenas.root, instrument, study.name);
  const prefixKey = archive.key(instrument, study.name);
  let record: ManifestRecord = {
    backup_name: `${instrument}/${study.name}`,
    run_name: study.name,
    instrument,
    source_path: study.path,
    truenas_path: destination,
    s3_uri: archive.uri(`${prefixKey}/`),
    file_count: 0,
    total_bytes: 0,
    status: "in_progress",
    started_at: startedAt,
    truenas_verified_at: null,
    s3_verified_at: null,
    completed_at: null,
    source_deleted_at: null,
    error: null,
  };
  let appended: ManifestRecord | undefined;
  const append = async (next: ManifestRecord) => {
    record = next;
    await appendRecord(config.truenas.manifestRoot, next);
    appended = next;
  };
  const began = performance.now();
  let listing: StudyListing = { files: [], dirs: [], emptyDirs: [], unsupported: [] };
  let sourceDeleted = false;

  let lock;
  try {
    lock = await lockStudy(study.path, study.name, context.hostname, startedAt);
  } catch (error) {
    const message = error instanceof LockExistsError
      ? `study is locked by another run (${error.path})`
      : `cannot write the study lock: ${errorMessage(error)}`;
    logger.error(`${study.name}: ${message}`);
    return {
      study: study.name,
      ok: false,
      record: undefined,
      step: "lock",
      error: message,
      sourceDeleted,
      files: 0,
      bytes: 0,
    };
  }

  try {
    // 1. validate
    const report = await validateStudy(study.path);
    if (!report.ok) {
      const summary = report.violations.map((v) => `${v.rule} ${v.path}: ${v.message}`).join("; ");
      throw new StepFailure("validate", "failed_validation", `naming standard: ${summary}`);
    }
    await refuseToOverwrite(context, destination);
    listing = await listStudyFiles(study.path);
    if (listing.unsupported.length > 0) {
      throw new StepFailure(
        "validate",
        "failed_validation",
        `links or special files cannot be backed up: ${listing.unsupported.join(", ")}`,
      );
    }
    await append({
      ...record,
      file_count: listing.files.length,
      total_bytes: totalBytes(listing.files),
    });

    // 2. copy, hashing in the same pass
    const digests = await copyStudy(context, study, listing, destination);
    await context.afterCopy?.(destination);

    // 3. read back every copy
    await verifyCopies(context, study.name, listing, destination, digests);

    // 4. the sidecar
    const entries: SidecarEntry[] = listing.files.map((file) => ({
      path: file.path,
      sha256Hex: digestOf(digests, file.path).sha256Hex,
    }));
    try {
      await writeSidecar(destination, entries);
    } catch (error) {
      throw new StepFailure(
        "sidecar",
        "failed_truenas",
        `writing ${SIDECAR_NAME}: ${errorMessage(error)}`,
      );
    }
    await append({ ...record, truenas_verified_at: timestamp(clock()) });
    logger.info(`${study.name}: TrueNAS copy verified (${listing.files.length} files)`);

    // 5. upload and confirm every object
    await uploadStudy(context, study, listing, prefixKey, digests, formatSidecar(entries));
    await append({ ...record, s3_verified_at: timestamp(clock()) });
    logger.info(`${study.name}: S3 upload verified (${listing.files.length + 1} objects)`);

    // 6. complete, and mirror the month's manifest to S3
    await append({ ...record, status: "complete", completed_at: timestamp(clock()) });
    await removeCopyJournal(destination);
    await mirrorManifest(context, record);

    // 7. delete the source, if it is exactly what was backed up
    const now = await listStudyFiles(study.path);
    const change = sameListing(listing, now);
    if (change !== undefined) {
      throw new StepFailure(
        "delete source",
        undefined,
        `the source changed during the backup (${change}); it was kept — the next run backs it up again`,
      );
    }
    try {
      await Deno.remove(study.path, { recursive: true });
    } catch (error) {
      throw new StepFailure(
        "delete source",
        undefined,
        `deleting the source failed: ${errorMessage(error)}; both copies are verified — ` +
          `delete ${study.path} by hand`,
      );
    }
    sourceDeleted = true;
    await append({ ...record, source_deleted_at: timestamp(clock()) });
    await mirrorManifest(context, record).catch((error) => logger.warn(errorMessage(error)));
    const seconds = (performance.now() - began) / 1000;
    logger.info(
      `${study.name}: complete, ${listing.files.length} files, ${
        totalBytes(listing.files)
      } bytes, ` +
        `source deleted (${seconds.toFixed(1)} s)`,
    );
    return {
      study: study.name,
      ok: true,
      record: appended,
      sourceDeleted,
      files: listing.files.length,
      bytes: totalBytes(listing.files),
    };
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure(
      "unexpected",
      record.status === "complete" ? undefined : "failed_truenas",
      errorMessage(error),
    );
    if (failure.status !== undefined && record.status !== "complete") {
      try {
        await append({
          ...record,
          status: failure.status,
          error: `${failure.step}: ${failure.message}`,
        });
        // The disaster-recovery copy follows the ledger; when S3 itself failed, it waits.
        if (failure.status !== "failed_s3") {
          await mirrorManifest(context, record).catch((mirrorError) =>
            logger.warn(errorMessage(mirrorError))
          );
        }
      } catch (appendError) {
        logger.error(
          `${study.name}: cannot record the failure in the manifest: ${errorMessage(appendError)}`,
        );
      }
    }
    logger.error(`${study.name}: ${failure.step} failed: ${failure.message}; source kept`, error);
    return {
      study: study.name,
      ok: false,
      record: appended,
      step: failure.step,
      error: failure.message,
      sourceDeleted,
      files: listing.files.length,
      bytes: totalBytes(listing.files),
    };
  } finally {
    progress.end();
    if (!sourceDeleted) await lock.release();
  }
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

/** What is known of each file after the copy step. */
interface FileDigest {
  readonly sha256Hex: string;
  readonly partDigests: readonly Uint8Array[] | undefined;
  /** The share copy was already read back and matched (kept from an earlier run). */
  readonly verified: boolean;
}

type DigestMap = Map<string, FileDigest>;

function digestOf(digests: DigestMap, path: string) {
  const digest = digests.get(path);
  if (digest === undefined) throw new Error(`no digest for ${path}`);
  return digest;
}

async function copyStudy(
  context: StudyContext,
  study: FoundStudy,
  listing: StudyListing,
  destination: string,
): Promise<DigestMap> {
  const { progress, archive } = context;
  const digests: DigestMap = new Map();
  try {
    await Deno.mkdir(destination, { recursive: true });
    for (const dir of listing.dirs) {
      await Deno.mkdir(localPath(destination, dir), { recursive: true });
    }
  } catch (error) {
    throw new StepFailure(
      "copy",
      "failed_truenas",
      `creating folders in ${destination}: ${errorMessage(error)}`,
    );
  }
  // An earlier run of this backup that stopped part-way left a journal of what it copied.
  const journal = context.previous === undefined
    ? new Map<string, CopiedFile>()
    : await readCopyJournal(destination);
  const kept: SourceFile[] = [];
  const copied: SourceFile[] = [];
  progress.stage(study.name, "copy", listing.files.length, totalBytes(listing.files));
  const began = performance.now();
  await inSizeOrder(listing.files, SMALL_FILE_CONCURRENCY, async (file) => {
    const target = localPath(destination, file.path);
    const partSize = archive.partSizeFor(file.size);
    const earlier = await keptCopy(context, journal.get(file.path), file, partSize, target);
    if (earlier !== undefined) {
      digests.set(file.path, earlier);
      kept.push(file);
      progress.advance(1, 0);
      return;
    }
    let digest;
    try {
      digest = await copyFileWithHash(localPath(study.path, file.path), target, {
        partSize,
        onProgress: (bytes) => progress.advance(0, bytes),
        signal: context.signal,
      });
    } catch (error) {
      throw new StepFailure(
        "copy",
        "failed_truenas",
        `copying ${file.path}: ${errorMessage(error)}`,
      );
    }
    if (digest.size !== file.size) {
      throw new StepFailure(
        "copy",
        "failed_truenas",
        `${file.path} was ${file.size} bytes when listed and ${digest.size} when copied`,
      );
    }
    digests.set(file.path, {
      sha256Hex: digest.sha256Hex,
      partDigests: digest.partDigests,
      verified: false,
    });
    await appendCopyJournal(destination, {
      path: file.path,
      size: file.size,
      mtime: file.mtime,
      sha256Hex: digest.sha256Hex,
      ...(partSize === undefined || digest.partDigests === undefined
        ? {}
        : { partSize, partDigests: digest.partDigests }),
    });
    copied.push(file);
    progress.advance(1, 0);
  });
  let line = rateLine(`${study.name}: copied`, copied, began);
  if (kept.length > 0) {
    line += `; kept ${kept.length} files, ${totalBytes(kept)} bytes already on the share ` +
      "and verified from an earlier run";
  }
  context.logger.info(line);
  return digests;
}

/**
 * The digest of a copy an earlier run made, when the journal vouches for it,
 * the source is unchanged (size and modification time), and the copy still
 * hashes to the journal's digest: then it is not copied again, and this
 * hashing was its read-back. Undefined when it must be copied.
 */
async function keptCopy(
  context: StudyContext,
  earlier: CopiedFile | undefined,
  file: SourceFile,
  partSize: number | undefined,
  target: string,
): Promise<FileDigest | undefined> {
  if (
    earlier === undefined || earlier.size !== file.size || earlier.mtime !== file.mtime ||
    earlier.partSize !== partSize
  ) {
    return undefined;
  }
  let onShare;
  try {
    onShare = await hashFile(target, {
      onProgress: (bytes) => context.progress.advance(0, bytes),
      signal: context.signal,
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new StepFailure(
      "copy",
      "failed_truenas",
      `reading back ${file.path}: ${errorMessage(error)}`,
    );
  }
  if (onShare.size !== file.size || onShare.sha256Hex !== earlier.sha256Hex) return undefined;
  return { sha256Hex: earlier.sha256Hex, partDigests: earlier.partDigests, verified: true };
}

function rateLine(prefix: string, files: readonly { size: number }[], began: number): string {
  const seconds = Math.max((performance.now() - began) / 1000, 1e-3);
  const bytes = totalBytes(files);
  return `${prefix} ${files.length} files, ${bytes} bytes in ${seconds.toFixed(1)} s ` +
    `(${(bytes / seconds / 1e6).toFixed(1)} MB/s)`;
}

async function verifyCopies(
  context: StudyContext,
  studyName: string,
  listing: StudyListing,
  destination: string,
  digests: DigestMap,
): Promise<void> {
  const { progress } = context;
  const unverified = listing.files.filter((file) => !digestOf(digests, file.path).verified);
  progress.stage(studyName, "verify", unverified.length, totalBytes(unverified));
  const began = performance.now();
  await inSizeOrder(unverified, SMALL_FILE_CONCURRENCY, async (file) => {
    let digest;
    try {
      digest = await hashFile(localPath(destination, file.path), {
        onProgress: (bytes) => progress.advance(0, bytes),
        signal: context.signal,
      });
    } catch (error) {
      throw new StepFailure(
        "read-back",
        "failed_truenas",
        `reading back ${file.path}: ${errorMessage(error)}`,
      );
    }
    const expected = digestOf(digests, file.path).sha256Hex;
    if (digest.size !== file.size || digest.sha256Hex !== expected) {
      throw new StepFailure(
        "read-back",
        "failed_truenas",
        `the copy of ${file.path} on the share differs from the source ` +
          `(sha256 ${digest.sha256Hex.slice(0, 12)}… instead of ${expected.slice(0, 12)}…, ` +
          `${digest.size} instead of ${file.size} bytes)`,
      );
    }
    progress.advance(1, 0);
  });
  context.logger.info(rateLine(`${studyName}: read back`, unverified, began));
}

async function uploadStudy(
  context: StudyContext,
  study: FoundStudy,
  listing: StudyListing,
  prefixKey: string,
  digests: DigestMap,
  sidecarText: string,
): Promise<void> {
  const { archive, progress, config } = context;
  const uploaded: {
    key: string;
    size: number;
    sha256Hex: string;
    object: ArchivedObject;
    confirmed: boolean;
  }[] = [];
  const sent: SourceFile[] = [];
  const already: SourceFile[] = [];
  progress.stage(study.name, "upload", listing.files.length, totalBytes(listing.files));
  const began = performance.now();
  const fail = (what: string, error: unknown) =>
    new StepFailure("upload", "failed_s3", `${what}: ${errorMessage(error)}`);
  await inSizeOrder(listing.files, config.s3.concurrency, async (file) => {
    const key = `${prefixKey}/${file.path}`;
    const digest = digestOf(digests, file.path);
    if (context.previous !== undefined) {
      // An earlier run of this backup may have uploaded it already: S3 says so, checksums and all.
      const expected = {
        key,
        size: file.size,
        checksumSha256: archive.expectedChecksum(file.size, digest.sha256Hex, digest.partDigests),
      };
      let check;
      try {
        check = await archive.verifyObject(key, { ...expected, sha256Hex: digest.sha256Hex });
      } catch (error) {
        throw fail(`checking ${file.path} in S3`, error);
      }
      if (check.ok) {
        uploaded.push({
          key,
          size: file.size,
          sha256Hex: digest.sha256Hex,
          object: expected,
          confirmed: true,
        });
        already.push(file);
        progress.advance(1, file.size);
        return;
      }
    }
    let object;
    try {
      let reported = 0;
      object = await archive.uploadFile({
        key,
        path: localPath(study.path, file.path),
        size: file.size,
        sha256Hex: digest.sha256Hex,
        partDigests: digest.partDigests,
        onProgress: (done) => {
          progress.advance(0, done - reported);
          reported = done;
        },
        signal: context.signal,
      });
    } catch (error) {
      throw fail(`uploading ${file.path}`, error);
    }
    uploaded.push({ key, size: file.size, sha256Hex: digest.sha256Hex, object, confirmed: false });
    sent.push(file);
    progress.advance(1, 0);
  });
  const sidecarBytes = new TextEncoder().encode(sidecarText);
  const metadataClass = metadataStorageClass(config.s3.storageClass);
  const sidecarKey = `${prefixKey}/${SIDECAR_NAME}`;
  try {
    const object = await archive.putBytes(
      sidecarKey,
      sidecarBytes,
      "text/plain; charset=utf-8",
      metadataClass,
    );
    uploaded.push({
      key: sidecarKey,
      size: sidecarBytes.length,
      sha256Hex: sha256Hex(sidecarBytes),
      object,
      confirmed: false,
    });
    for (const dir of listing.emptyDirs) {
      const key = `${prefixKey}/${dir}/`;
      const object = await archive.putBytes(
        key,
        new Uint8Array(0),
        "application/x-directory",
        metadataClass,
      );
      uploaded.push({
        key,
        size: 0,
        sha256Hex: sha256Hex(new Uint8Array(0)),
        object,
        confirmed: false,
      });
    }
  } catch (error) {
    throw fail("uploading the sidecar and folder markers", error);
  }
  let line = rateLine(`${study.name}: uploaded`, sent, began);
  if (already.length > 0) {
    line += `; ${already.length} files, ${totalBytes(already)} bytes were already in S3 ` +
      "from an earlier run, checksums confirmed";
  }
  context.logger.info(line);

  const unconfirmed = uploaded.filter((item) => !item.confirmed);
  progress.stage(study.name, "confirm", unconfirmed.length, 0);
  await forEachLimited(unconfirmed, config.s3.concurrency, async (item) => {
    let check;
    try {
      check = await archive.verifyObject(item.key, {
        size: item.size,
        sha256Hex: item.sha256Hex,
        checksumSha256: item.object.checksumSha256,
      });
    } catch (error) {
      throw new StepFailure("confirm", "failed_s3", `checking ${item.key}: ${errorMessage(error)}`);
    }
    if (!check.ok) {
      throw new StepFailure("confirm", "failed_s3", `${archive.uri(item.key)}: ${check.reason}`);
    }
    progress.advance(1, 0);
  });
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Uploads the month's manifest file to `<prefix>/_manifest/YYYY-MM.jsonl`. */
async function mirrorManifest(context: StudyContext, record: ManifestRecord): Promise<void> {
  const name = manifestFileName(record.started_at);
  try {
    const bytes = await Deno.readFile(join(context.config.truenas.manifestRoot, name));
    await context.archive.putBytes(
      context.archive.key("_manifest", name),
      bytes,
      "application/x-ndjson",
      metadataStorageClass(context.config.s3.storageClass),
    );
  } catch (error) {
    throw new StepFailure(
      "manifest mirror",
      undefined,
      `copying the manifest ${name} to S3 failed: ${
        errorMessage(error)
      }; the backup is complete but ` +
        "the source was kept",
    );
  }
}
