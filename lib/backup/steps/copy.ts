/**
 * Step: copy what a backup stores to the study's folder on the share. The
 * kernel copies each file while the source is hashed beside it
 * (ShareCopier, lib/storage); each copy is flushed in the background, and
 * gets its line in the copy journal only once its flush returned. The
 * digest is that of the source as read; the read-back (verify.ts) proves
 * the share holds those bytes. A run that stopped part-way is resumed: a
 * copy the journal vouches for, whose source is unchanged and which still
 * hashes to the journal's digest, is kept (that hashing is its read-back).
 * A file an earlier revision holds already is only checked to be there.
 *
 * Every file and folder this attempt creates is remembered (ShareWrites), so
 * a failed copy removes exactly what it wrote — never a file of a complete
 * backup, nor the journaled copies of an earlier run that a resume reuses —
 * and a share that ran full is free again for the next study.
 *
 * @module
 */
import { dirname } from "node:path";
import { forEachLimited, SMALL_FILE_BYTES } from "../../concurrency/mod.ts";
import { errorMessage } from "../../errors.ts";
import { kindAt } from "../../fs/mod.ts";
import {
  type CopiedFile,
  COPY_JOURNAL_NAME,
  CopyJournal,
  localPath,
  readCopyJournal,
} from "../../layout/mod.ts";
import type { ManifestRecord } from "../../manifest/mod.ts";
import { FileHasher, FlushError, ShareCopier } from "../../storage/mod.ts";
import {
  DigestMap,
  type FileDigest,
  rateLine,
  StepFailure,
  type StudyContext,
  totalBytes,
} from "../context.ts";
import type { BackupWork, PlannedFile } from "../plan.ts";

/** Small files copied at once. */
const SMALL_FILE_CONCURRENCY = 4;

/** What this attempt created on the share, so a failed copy can take exactly that back. */
export class ShareWrites {
  readonly #destination: string;
  readonly #files = new Set<string>();
  readonly #dirs: string[] = [];
  #journal = false;

  constructor(destination: string) {
    this.#destination = destination;
  }

  /** Creates `dir` (absolute) and its missing parents, remembering each one it made. */
  async makeDir(dir: string): Promise<void> {
    const missing: string[] = [];
    for (let at = dir; await kindAt(at) === undefined; at = dirname(at)) {
      missing.unshift(at);
      if (dirname(at) === at) break;
    }
    for (const path of missing) {
      await Deno.mkdir(path);
      this.#dirs.push(path);
    }
  }

  /** `stored` (relative) is about to be written by this attempt. */
  wroteFile(stored: string): void {
    this.#files.add(stored);
  }

  /** The copy is sealed and stays whatever follows: nothing of it is to be taken back. */
  forget(): void {
    this.#files.clear();
    this.#dirs.length = 0;
    this.#journal = false;
  }

  /** This attempt started the copy journal (there was none). */
  startedJournal(): void {
    this.#journal = true;
  }

  /** Files this attempt wrote, by stored path. */
  get files(): ReadonlySet<string> {
    return this.#files;
  }

  /**
   * Removes everything this attempt created: its files, the journal when it
   * started it, then its folders, deepest first, when they are empty.
   *
   * @returns what could not be removed, for the log.
   */
  async discard(): Promise<string[]> {
    const problems: string[] = [];
    const remove = async (path: string) => {
      await Deno.remove(path).catch((error) => {
        if (!(error instanceof Deno.errors.NotFound)) {
          problems.push(`${path}: ${errorMessage(error)}`);
        }
      });
    };
    for (const stored of this.#files) await remove(localPath(this.#destination, stored));
    if (this.#journal) await remove(localPath(this.#destination, COPY_JOURNAL_NAME));
    for (const dir of [...this.#dirs].reverse()) await remove(dir);
    return problems;
  }
}

/** The files a copy must write, and what the share and the journal already hold. */
export interface CopyPlan {
  /** Every file of the work whose copy is to be written now (or proven from the journal). */
  readonly toCopy: readonly PlannedFile[];
  /** Files an earlier revision holds, already on the share with their size. */
  readonly present: readonly PlannedFile[];
  /** The copy journal of an earlier attempt of this backup. */
  readonly journal: ReadonlyMap<string, CopiedFile>;
  /** Bytes still to write: files to copy that the journal does not vouch for. */
  readonly bytesToWrite: number;
}

/**
 * Sorts the work's files: those an earlier revision holds and that are on
 * the share are only checked; the rest are to be copied (a journaled copy of
 * an earlier attempt counts as written if its size still fits). Reads only.
 * `previous` is the study's latest record: without one there is no earlier
 * attempt whose journal could count.
 *
 * @throws {StepFailure} `failed_truenas` when a file an earlier revision stored
 *   is on the share with another size (it is never overwritten: audit it).
 */
export async function planCopy(
  previous: ManifestRecord | undefined,
  work: BackupWork,
  destination: string,
  command: string,
): Promise<CopyPlan> {
  // An earlier attempt of this backup that stopped part-way left a journal of what it copied.
  const journal = previous === undefined
    ? new Map<string, CopiedFile>()
    : await readCopyJournal(destination);
  const toCopy: PlannedFile[] = [];
  const present: PlannedFile[] = [];
  let bytesToWrite = 0;
  for (const file of work.files) {
    const target = localPath(destination, file.stored);
    const size = await Deno.lstat(target).then((info) => info.isFile ? info.size : -1, () => -1);
    if (file.kept !== undefined && size >= 0) {
      if (size !== file.size) {
        throw new StepFailure(
          "copy",
          "failed_truenas",
          `${file.stored} on the share is ${size} bytes, but the backup recorded ${file.size}: ` +
            "a verified copy changed on the share; it is never overwritten — run " +
            `\`${command} audit\` and restore that file from S3`,
        );
      }
      present.push(file);
      continue;
    }
    toCopy.push(file);
    const earlier = journal.get(file.stored);
    const reusable = earlier !== undefined && earlier.size === file.size &&
      earlier.mtime === file.mtime && size === file.size;
    if (!reusable) bytesToWrite += file.size;
  }
  return { toCopy, present, journal, bytesToWrite };
}

/**
 * Copies the files of `plan` from the study at `source` into `destination`
 * on the share, and creates the work's empty folders.
 *
 * @returns every file's digest, by stored path.
 * @throws {StepFailure} `failed_truenas` when a folder or file cannot be written or read.
 */
export async function copyStudy(
  context: StudyContext,
  studyName: string,
  source: string,
  work: BackupWork,
  plan: CopyPlan,
  destination: string,
  writes: ShareWrites,
): Promise<DigestMap> {
  const { progress } = context;
  const digests = new DigestMap(work.files.length);
  for (const file of plan.present) {
    digests.set(file.stored, {
      sha256Hex: file.kept ?? "",
      partDigests: undefined,
      verified: true,
    });
  }
  const folders = new Set([
    destination,
    ...plan.toCopy.map((file) => dirname(localPath(destination, file.stored))),
    ...work.emptyDirs.map((dir) => localPath(destination, dir)),
  ]);
  try {
    for (const folder of [...folders].sort()) await writes.makeDir(folder);
  } catch (error) {
    throw new StepFailure(
      "copy",
      "failed_truenas",
      `creating folders in ${destination}: ${errorMessage(error)}`,
    );
  }
  progress.stage(studyName, "copy", plan.toCopy.length, totalBytes(plan.toCopy));
  const began = performance.now();
  const kept: PlannedFile[] = [];
  const copied: PlannedFile[] = [];
  if (plan.toCopy.length === 0) {
    logCopied(context, studyName, plan, copied, kept, began);
    return digests;
  }
  if (await kindAt(localPath(destination, COPY_JOURNAL_NAME)) === undefined) {
    writes.startedJournal();
  }
  using journal = await openJournal(destination);
  await using copier = new ShareCopier<PlannedFile>(async (file, digest) => {
    // Only now, with its flush returned, is the copy on the share for sure.
    checkCopied(file, digest);
    await journal.append({
      path: file.stored,
      size: file.size,
      mtime: file.mtime,
      sha256Hex: digest.sha256Hex,
    });
    copied.push(file);
    progress.advance(1, 0);
  }, { signal: context.signal });
  // Copies kept from an earlier run are read back here, their part digests cut on a second core.
  using hasher = new FileHasher();
  const copyOne = async (file: PlannedFile) => {
    const target = localPath(destination, file.stored);
    const earlier = await keptCopy(context, hasher, plan.journal.get(file.stored), file, target);
    if (earlier !== undefined) {
      digests.set(file.stored, earlier);
      kept.push(file);
      progress.advance(1, 0);
      return;
    }
    writes.wroteFile(file.stored);
    let digest;
    try {
      digest = await copier.copy(localPath(source, file.path), target, file, {
        onProgress: (bytes) => progress.advance(0, bytes),
      });
    } catch (error) {
      throw copyFailure(error, `copying ${file.path}`);
    }
    checkCopied(file, digest);
    digests.set(file.stored, {
      sha256Hex: digest.sha256Hex,
      partDigests: undefined,
      verified: false,
    });
  };
  // Small files several at a time, then large ones alone (as forEachBySize does).
  const small = plan.toCopy.filter((file) => file.size <= SMALL_FILE_BYTES);
  const large = plan.toCopy.filter((file) => file.size > SMALL_FILE_BYTES);
  try {
    await forEachLimited(small, SMALL_FILE_CONCURRENCY, copyOne);
    // The small files are flushed and journaled before a large one starts: a crash while a
    // large file is copied then costs that file only.
    await copier.flushed();
    await forEachLimited(large, 1, copyOne);
    await copier.drain();
  } catch (error) {
    throw copyFailure(error, "flushing the copies");
  }
  if (copier.kernelCopyRefused !== undefined) {
    context.logger.info(
      `${studyName}: the share refused the kernel's copy (${copier.kernelCopyRefused}); the ` +
        "copies went through memory",
    );
  }
  logCopied(context, studyName, plan, copied, kept, began);
  return digests;
}

/** Opens the copy journal of `destination` for this copy. */
async function openJournal(destination: string): Promise<CopyJournal> {
  try {
    return await CopyJournal.open(destination);
  } catch (error) {
    throw new StepFailure(
      "copy",
      "failed_truenas",
      `opening the copy journal in ${destination}: ${errorMessage(error)}`,
    );
  }
}

/** The copy's line in the log: what it copied, kept from an earlier run, or left in place. */
function logCopied(
  context: StudyContext,
  studyName: string,
  plan: CopyPlan,
  copied: readonly PlannedFile[],
  kept: readonly PlannedFile[],
  began: number,
): void {
  let line = rateLine(`${studyName}: copied`, copied, began);
  if (kept.length > 0) {
    line += `; kept ${kept.length} files, ${totalBytes(kept)} bytes already on the share ` +
      "and verified from an earlier run";
  }
  if (plan.present.length > 0) {
    line += `; ${plan.present.length} unchanged files, ${totalBytes(plan.present)} bytes, ` +
      "stay where an earlier revision stored them";
  }
  context.logger.info(line);
}

/** Throws unless `digest` is what a copy of `file` must read: its listed size, and its kept digest. */
function checkCopied(file: PlannedFile, digest: { size: number; sha256Hex: string }): void {
  if (digest.size !== file.size) {
    throw new StepFailure(
      "copy",
      "failed_truenas",
      `${file.path} was ${file.size} bytes when listed and ${digest.size} when copied`,
    );
  }
  if (file.kept !== undefined && digest.sha256Hex !== file.kept) {
    throw new StepFailure(
      "copy",
      "failed_truenas",
      `${file.path} changed while it was being backed up`,
    );
  }
}

/** A failure of the copy as the step reports it; a flush failure names its own file. */
function copyFailure(error: unknown, doing: string): StepFailure {
  if (error instanceof StepFailure) return error;
  const what = error instanceof FlushError
    ? errorMessage(error)
    : `${doing}: ${errorMessage(error)}`;
  return new StepFailure("copy", "failed_truenas", what);
}

/**
 * The digest of a copy an earlier run made, when the journal vouches for it,
 * the source is unchanged (size and modification time), and the copy still
 * hashes to the journal's digest: then it is not copied again, and this
 * hashing was its read-back (which also cuts the S3 part digests, when the
 * file goes up in parts). Undefined when it must be copied.
 */
async function keptCopy(
  context: StudyContext,
  hasher: FileHasher,
  earlier: CopiedFile | undefined,
  file: PlannedFile,
  target: string,
): Promise<FileDigest | undefined> {
  if (earlier === undefined || earlier.size !== file.size || earlier.mtime !== file.mtime) {
    return undefined;
  }
  let onShare;
  try {
    onShare = await hasher.hash(target, {
      sizeHint: file.size,
      partSize: context.store.partSizeFor(file.size),
      onProgress: (bytes) => context.progress.advance(0, bytes),
      signal: context.signal,
    });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new StepFailure(
      "copy",
      "failed_truenas",
      `reading back ${file.stored}: ${errorMessage(error)}`,
    );
  }
  if (onShare.size !== file.size || onShare.sha256Hex !== earlier.sha256Hex) return undefined;
  if (file.kept !== undefined && earlier.sha256Hex !== file.kept) return undefined;
  return { sha256Hex: earlier.sha256Hex, partDigests: onShare.partDigests, verified: true };
}
