/**
 * Restoring one backup into a folder: from the share (default when its
 * verified copy is there) or from S3, every file checked against the
 * backup's `_checksums.sha256` (and, from S3, against the object's `sha256`
 * metadata) before it gets its final name.
 *
 * Each file is written to `<name>.fusion-toolkit-restore` beside its final
 * place, hashed in the same pass, flushed, and renamed only when the digest
 * matches; a mismatching copy is deleted. Existing files are never
 * overwritten: one with the backup's content (a restore that stopped midway,
 * run again) is kept and not fetched again; any other makes the restore
 * refuse before writing anything. Objects in an
 * archive storage class are asked for first (RestoreObject); the restore then
 * writes nothing and a later call, once S3 has retrieved them, completes it.
 *
 * @module
 */
import { join } from "node:path";
import { forEachBySize, forEachLimited } from "../concurrency/mod.ts";
import type { Config } from "../config/mod.ts";
import { errorMessage, OperationFailedError, ToolkitError, UsageError } from "../errors.ts";
import { kindAt, walk } from "../fs/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { ManifestRecord } from "../manifest/mod.ts";
import {
  isOwnFile,
  isRevisionPath,
  listName,
  listNames,
  listRevision,
  localPath,
  parseS3Uri,
  parseSidecar,
  readSidecar,
  revisionOf,
  revisionPath,
  type SidecarEntry,
  studyPathOf,
} from "../layout/mod.ts";
import { copyFileWithHash, hashFile, sha256Hex } from "../storage/mod.ts";
import type { ObjectInfo, RestoreTier, S3Store } from "../storage/s3.ts";
import { compileOnly } from "./glob.ts";
import { type ManifestSource, readMirroredManifest, readShareManifest } from "./manifest_source.ts";
import { shortDigest } from "../text/mod.ts";
import {
  chooseSource,
  resolveBackup,
  type RestoreSource,
  typicalWait,
  unsafePathReason,
} from "./plan.ts";

/** Suffix of the file a restore writes before the digest is checked. */
export const PARTIAL_SUFFIX = ".fusion-toolkit-restore";

/** Share files restored at once (the disk, not the CPU, is the limit). */
const SHARE_CONCURRENCY = 4;

/** Receives progress; the CLI draws it on a terminal. */
export interface RestoreProgress {
  /** `name` starts `stage` covering `files` files and `bytes` bytes. */
  stage(name: string, stage: string, files: number, bytes: number): void;
  advance(files: number, bytes: number): void;
  end(): void;
}

/** What `restore` was asked to do. */
export interface RestoreOptions {
  readonly config: Config;
  /** `<instrument>/<study>`, or `<study>` when only one instrument has it. */
  readonly name: string;
  /** An existing folder; the study is restored into `<to>/<study>`. */
  readonly to: string;
  /** `--from`; chosen automatically when absent. */
  readonly from?: RestoreSource | undefined;
  /** `--only` patterns (lib/restore/glob.ts); everything when absent or empty. */
  readonly only?: readonly string[] | undefined;
  /** Retrieval tier for archived objects. */
  readonly tier: RestoreTier;
  /** Days a retrieved copy stays readable in S3. */
  readonly days: number;
  /** The S3 store, opened on first use (restoring from the share needs no S3). */
  readonly store: () => S3Store;
  readonly logger: Logger;
  readonly progress: RestoreProgress;
  readonly signal?: AbortSignal | undefined;
}

/** A file that could not be restored, and why. */
export interface FileProblem {
  readonly path: string;
  readonly problem: string;
}

/** What every outcome says. */
interface OutcomeBase {
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
  /** Things worth knowing that are not failures (files outside the sidecar). */
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

/** A file of the backup: where it goes in the study, where it is stored, its digest. */
interface BackupFile {
  /** In the study, `/`-separated. */
  readonly path: string;
  /** In the backup's folder or prefix (the same for a first backup; see lib/layout/revision.ts). */
  readonly stored: string;
  readonly sha256Hex: string;
}

/** The files a revision's list names, each with its study path. */
function backupFiles(list: readonly SidecarEntry[]): BackupFile[] {
  return list.map((entry) => ({
    path: studyPathOf(entry.path),
    stored: entry.path,
    sha256Hex: entry.sha256Hex,
  }));
}

/** A file to restore, with its size once known. */
interface Selected extends BackupFile {
  size: number;
}

/** What a source supplies. */
interface Reader {
  readonly files: readonly BackupFile[];
  readonly emptyDirs: readonly string[];
  readonly notes: readonly string[];
  /** Small files restored at once. */
  readonly concurrency: number;
  /** Sizes (and, for S3, storage state) of the selected files; missing ones become problems. */
  inspect(files: Selected[]): Promise<{ missing: FileProblem[]; archived: ObjectInfo[] }>;
  /**
   * Writes one file to `temp`. Returns the problem when its digest does not
   * match; throws for failures that stop the whole restore.
   */
  fetch(
    file: Selected,
    temp: string,
    onBytes: (bytes: number) => void,
  ): Promise<string | undefined>;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

async function removeQuietly(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
}

/**
 * The folders of revision `revision` that hold nothing, as study paths, from
 * the stored paths of a backup's folders and of what each one holds.
 */
function emptyFoldersOf(
  revision: number,
  dirs: readonly string[],
  nonEmpty: ReadonlySet<string>,
): string[] {
  const area = revision === 1 ? undefined : revisionPath(revision, "");
  return dirs
    .filter((dir) => !nonEmpty.has(dir))
    .filter((dir) => area === undefined ? !isRevisionPath(dir) : dir.startsWith(area))
    .map(studyPathOf);
}

/** The share copy: the revision's list in its folder, every file read and hashed as it is copied. */
async function shareReader(folder: string, revision: number): Promise<Reader> {
  const name = listName(revision);
  let list: SidecarEntry[] | undefined;
  try {
    list = await readSidecar(folder, name);
  } catch (error) {
    throw new OperationFailedError(
      `the share copy's ${name} cannot be read: ${errorMessage(error)}; restore from S3 with ` +
        "--from s3",
      { cause: error },
    );
  }
  if (list === undefined) {
    throw new OperationFailedError(`${join(folder, name)} disappeared; run the restore again`);
  }
  const files = backupFiles(list);
  // Files any revision's list names are the backup's; other revisions' are simply not this one.
  const known = new Set(list.map((entry) => entry.path));
  for await (const entry of Deno.readDir(folder)) {
    const other = entry.isFile ? listRevision(entry.name) : undefined;
    if (other === undefined || other === revision) continue;
    for (const item of await readSidecar(folder, entry.name).catch(() => undefined) ?? []) {
      known.add(item.path);
    }
  }
  const extra: string[] = [];
  const nonEmpty = new Set<string>();
  const dirs: string[] = [];
  for await (const entry of walk(folder)) {
    nonEmpty.add(parentOf(entry.path));
    if (entry.kind === "dir") dirs.push(entry.path);
    else if (!isOwnFile(entry.path) && !known.has(entry.path)) extra.push(entry.path);
  }
  return {
    files,
    emptyDirs: emptyFoldersOf(revision, dirs, nonEmpty),
    notes: extra.map((path) =>
      `${path} is on the share but not in ${listNames(revision)}: not restored (unverifiable)`
    ),
    concurrency: SHARE_CONCURRENCY,
    async inspect(selected) {
      const missing: FileProblem[] = [];
      for (const file of selected) {
        try {
          file.size = (await Deno.stat(localPath(folder, file.stored))).size;
        } catch (error) {
          missing.push({
            path: file.path,
            problem: `cannot be read on the share (${
              errorMessage(error)
            }); restore it with --from s3`,
          });
        }
      }
      return { missing, archived: [] };
    },
    async fetch(file, temp, onBytes) {
      const source = localPath(folder, file.stored);
      let digest;
      try {
        digest = await copyFileWithHash(source, temp, { onProgress: onBytes });
      } catch (error) {
        // Whose fault: a share copy that cannot be read (ZFS reports unrepairable bit rot as an
        // I/O error) fails this file only; a destination that cannot be written stops the restore.
        const readable = await hashFile(source).then(() => true, () => false);
        if (readable) {
          throw new OperationFailedError(`cannot write ${temp}: ${errorMessage(error)}`, {
            cause: error,
          });
        }
        return `cannot be read on the share (${errorMessage(error)}); restore it with --from s3`;
      }
      if (digest.sha256Hex === file.sha256Hex) return undefined;
      return `the share copy's SHA-256 is ${shortDigest(digest.sha256Hex)}, the sidecar says ` +
        `${
          shortDigest(file.sha256Hex)
        }: the copy on the share changed (bit rot?); restore it with --from s3`;
    },
  };
}

/** The S3 copy: the sidecar object, the folder markers, every object streamed and hashed. */
async function s3Reader(
  config: Config,
  record: ManifestRecord,
  store: S3Store,
): Promise<Reader> {
  const location = parseS3Uri(record.s3_uri);
  if (location === undefined) {
    throw new OperationFailedError(
      `the manifest's s3_uri '${record.s3_uri}' is not s3://bucket/key`,
    );
  }
  const { bucket, prefix } = location;
  if (bucket !== store.bucket) {
    throw new OperationFailedError(
      `${record.backup_name} is in bucket '${bucket}' (manifest) but [s3] bucket is ` +
        `'${store.bucket}': set [s3] bucket in ${config.file}`,
    );
  }
  const revision = revisionOf(record);
  const sidecarKey = `${prefix}/${listName(revision)}`;
  const sidecar = await store.getBytes(sidecarKey);
  if (sidecar === undefined) {
    throw new OperationFailedError(
      `${store.uri(sidecarKey)} does not exist: the S3 copy of ${record.backup_name} is incomplete`,
    );
  }
  const sidecarDigest = sha256Hex(sidecar.bytes);
  if (sidecar.sha256Hex !== sidecarDigest) {
    throw new OperationFailedError(
      `${store.uri(sidecarKey)} does not match its sha256 metadata (${
        shortDigest(sidecarDigest)
      } vs ` +
        `${shortDigest(sidecar.sha256Hex)}): the list of checksums itself is damaged`,
    );
  }
  let list: SidecarEntry[];
  try {
    list = parseSidecar(new TextDecoder().decode(sidecar.bytes));
  } catch (error) {
    throw new OperationFailedError(`${store.uri(sidecarKey)}: ${errorMessage(error)}`);
  }
  const files = backupFiles(list);
  const listed = new Set(list.map((file) => file.path));
  const markers: string[] = [];
  const extra: string[] = [];
  for (const [key, size] of await store.listSizes(`${prefix}/`)) {
    const path = key.slice(prefix.length + 1);
    if (key.endsWith("/") && size === 0) markers.push(path.slice(0, -1));
    // After a revision, keys outside its list are earlier revisions' files: the backup's too.
    else if (revision === 1 && !isOwnFile(path) && !listed.has(path) && !isRevisionPath(path)) {
      extra.push(path);
    }
  }
  const keyOf = (path: string) => `${prefix}/${path}`;
  return {
    files,
    emptyDirs: emptyFoldersOf(revision, markers, new Set()),
    notes: extra.map((path) =>
      `${store.uri(keyOf(path))} is not in ${listName(revision)}: not restored (unverifiable)`
    ),
    concurrency: config.s3.concurrency,
    async inspect(selected) {
      const missing: FileProblem[] = [];
      const archived: ObjectInfo[] = [];
      await forEachLimited(selected, Math.max(config.s3.concurrency, 8), async (file) => {
        const info = await store.headObject(keyOf(file.stored));
        if (info === undefined) {
          missing.push({
            path: file.path,
            problem: `${store.uri(keyOf(file.stored))} does not exist`,
          });
          return;
        }
        file.size = info.size;
        if (info.archived) archived.push(info);
      });
      return { missing, archived };
    },
    async fetch(file, temp, onBytes) {
      let reported = 0;
      const result = await store.downloadFile(keyOf(file.stored), temp, {
        onProgress: (done) => {
          onBytes(done - reported);
          reported = done;
        },
      });
      if (result === undefined) return `${store.uri(keyOf(file.stored))} disappeared`;
      const problems: string[] = [];
      if (result.sha256Hex !== file.sha256Hex) {
        problems.push(
          `the downloaded SHA-256 is ${shortDigest(result.sha256Hex)}, the sidecar says ${
            shortDigest(file.sha256Hex)
          }`,
        );
      }
      if (result.metadataSha256 !== file.sha256Hex) {
        problems.push(
          `the object's sha256 metadata is ${
            shortDigest(result.metadataSha256)
          }, the sidecar says ` +
            shortDigest(file.sha256Hex),
        );
      }
      return problems.length === 0
        ? undefined
        : `${problems.join("; ")} (${store.uri(keyOf(file.stored))})`;
    },
  };
}

/** The manifest from the share when it is mounted, else its mirror in S3. */
async function readBackups(
  options: RestoreOptions,
  reachable: boolean,
): Promise<ManifestSource> {
  if (reachable) return await readShareManifest(options.config);
  const manifest = await readMirroredManifest(options.config, options.store());
  options.logger.info(
    `the share is not reachable at ${options.config.truenas.root}: using the manifest copy ` +
      manifest.label,
  );
  return manifest;
}

/**
 * The selected files already at the destination with the backup's exact
 * content (a restore that stopped midway, run again): they are kept and not
 * fetched again. Hashes each one; progress is reported as a `check` stage.
 *
 * @throws {UsageError} naming the first file at the destination that is not
 *   the backup's (a different content, or not a regular file).
 */
async function alreadyRestored(
  destination: string,
  files: readonly Selected[],
  progress: RestoreProgress,
  study: string,
): Promise<Set<string>> {
  const identical = new Set<string>();
  if (await kindAt(destination) === undefined) return identical;
  const present: { file: Selected; path: string; size: number }[] = [];
  for (const file of files) {
    const path = localPath(destination, file.path);
    const kind = await kindAt(path);
    if (kind === undefined) continue;
    if (kind !== "file") throw existingConflict(`${path} exists and is not a file`);
    present.push({ file, path, size: (await Deno.stat(path)).size });
  }
  if (present.length === 0) return identical;
  progress.stage(study, "check", present.length, present.reduce((sum, { size }) => sum + size, 0));
  try {
    for (const { file, path } of present) {
      const digest = await hashFile(path, { onProgress: (bytes) => progress.advance(0, bytes) });
      if (digest.sha256Hex !== file.sha256Hex) {
        throw existingConflict(`${path} already exists and differs from the backup`);
      }
      identical.add(file.path);
      progress.advance(1, 0);
    }
  } finally {
    progress.end();
  }
  return identical;
}

function existingConflict(what: string): UsageError {
  return new UsageError(
    `${what}: restore never overwrites; restore into another --to folder, or move it away ` +
      "(nothing was written)",
  );
}

/**
 * Restores one backup (see the module doc).
 *
 * @throws {UsageError} for an unknown or ambiguous name, a missing `--to`
 *   folder, a bad `--only`, or a file at the destination that is not the backup's.
 * @throws {OperationFailedError} when no source can serve the restore, or a
 *   failure (S3 unreachable, the destination not writable) stopped it midway.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreOutcome> {
  const { config, logger, progress } = options;
  const matches = options.only !== undefined && options.only.length > 0
    ? compileOnly(options.only)
    : undefined;
  if (await kindAt(options.to) !== "dir") {
    throw new UsageError(
      `--to ${options.to}: no such folder; create it first (the study is restored into a ` +
        "folder of its own name inside it)",
    );
  }
  const root = config.truenas.root;
  const reachable = await kindAt(root) === "dir";
  const manifest = await readBackups(options, reachable);
  for (const warning of manifest.warnings) {
    logger.warn(`${warning.file}:${warning.line}: ${warning.message}`);
  }
  const latest = resolveBackup(options.name, manifest.latest, manifest.label);
  // A revision still in progress, or one that failed, leaves the last complete one to restore.
  const record = latest.status === "complete"
    ? latest
    : manifest.complete.get(latest.backup_name) ?? latest;
  const revision = revisionOf(record);
  if (record !== latest) {
    logger.info(
      `restore ${record.backup_name}: its latest revision is ${latest.status}; restoring ` +
        `revision ${revision}, the last complete one (${record.completed_at})`,
    );
  }
  for (const name of [record.instrument, record.run_name]) {
    if (unsafePathReason(name) !== undefined || name.includes("/")) {
      throw new OperationFailedError(
        `the manifest names ${record.backup_name} with '${name}', which is not a folder name: ` +
          `check ${manifest.label}`,
      );
    }
  }
  const folder = join(root, record.instrument, record.run_name);
  const folderPresent = reachable && await kindAt(folder) === "dir";
  const choice = chooseSource(record, {
    reachable,
    folderPresent,
    sidecarPresent: folderPresent && await kindAt(join(folder, listName(revision))) === "file",
    listName: listName(revision),
    folder,
    root,
  }, options.from);
  const where = choice.source === "truenas" ? "the TrueNAS share" : "S3";
  logger.info(`restore ${record.backup_name}: from ${where} (${choice.reason})`);

  const reader = choice.source === "truenas"
    ? await shareReader(folder, revision)
    : await s3Reader(config, record, options.store());
  for (const file of reader.files) {
    const unsafe = unsafePathReason(file.stored) ?? unsafePathReason(file.path);
    if (unsafe !== undefined) {
      throw new OperationFailedError(
        `${listName(revision)} of ${record.backup_name} lists '${file.stored}' (${unsafe}): ` +
          "refusing to restore a path that could land outside the destination",
      );
    }
  }
  const selected: Selected[] = reader.files.filter((file) => matches?.(file.path) ?? true)
    .map((file) => ({ ...file, size: 0 }));
  const emptyDirs = reader.emptyDirs.filter((dir) =>
    unsafePathReason(dir) === undefined && (matches?.(dir) ?? true)
  );
  if (selected.length === 0 && emptyDirs.length === 0) {
    throw new UsageError(
      `--only ${options.only?.map((pattern) => `'${pattern}'`).join(" ")} matches none of the ` +
        `${reader.files.length} files of ${record.backup_name}`,
    );
  }
  const destination = join(options.to, record.run_name);
  const kept = await alreadyRestored(destination, selected, progress, record.run_name);
  if (kept.size > 0) {
    logger.info(
      `restore ${record.backup_name}: ${kept.size} of ${selected.length} files are already in ` +
        `${destination} with the backup's SHA-256; they are kept, not fetched again`,
    );
  }
  const base = {
    backup: record.backup_name,
    source: choice.source,
    reason: choice.reason,
    manifest: manifest.label,
    destination,
    selected: selected.length,
    notes: reader.notes,
  };

  const wanted = selected.filter((file) => !kept.has(file.path));
  const { missing, archived } = await reader.inspect(wanted);
  const problems: FileProblem[] = [...missing];
  if (archived.length > 0) {
    return await requestRetrieval(options, base, archived, problems);
  }
  const missingPaths = new Set(missing.map((problem) => problem.path));
  const toRestore = wanted.filter((file) => !missingPaths.has(file.path));

  try {
    await Deno.mkdir(destination, { recursive: true });
    const dirs = new Set([...toRestore.map((file) => parentOf(file.path)), ...emptyDirs]);
    dirs.delete("");
    for (const dir of [...dirs].sort()) {
      await Deno.mkdir(localPath(destination, dir), { recursive: true });
    }
  } catch (error) {
    throw new OperationFailedError(
      `cannot create folders in ${destination}: ${errorMessage(error)}`,
      { cause: error },
    );
  }

  const totalBytes = toRestore.reduce((sum, file) => sum + file.size, 0);
  progress.stage(record.run_name, "restore", toRestore.length, totalBytes);
  let restoredFiles = 0;
  let restoredBytes = 0;
  const restoreOne = async (file: Selected) => {
    const final = localPath(destination, file.path);
    const temp = `${final}${PARTIAL_SUFFIX}`;
    let problem: string | undefined;
    try {
      problem = await reader.fetch(file, temp, (bytes) => progress.advance(0, bytes));
      if (problem === undefined && await kindAt(final) !== undefined) {
        throw new UsageError(`${final} appeared during the restore: it was not overwritten`);
      }
      if (problem === undefined) await Deno.rename(temp, final);
    } catch (error) {
      await removeQuietly(temp);
      throw error;
    }
    if (problem !== undefined) {
      await removeQuietly(temp);
      problems.push({ path: file.path, problem });
      logger.error(`${record.backup_name}: ${file.path} was not restored: ${problem}`);
    } else {
      restoredFiles++;
      restoredBytes += file.size;
    }
    progress.advance(1, 0);
  };
  const began = performance.now();
  try {
    await forEachBySize(toRestore, reader.concurrency, restoreOne);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const cause = error instanceof ToolkitError ? error.message : errorMessage(error);
    throw new OperationFailedError(
      `the restore of ${record.backup_name} stopped: ${cause}; ${restoredFiles} of ` +
        `${toRestore.length} files were restored and verified in ${destination}; run the same ` +
        "restore again to fetch the rest (the files already there are checked, not fetched again)",
      { cause: error },
    );
  } finally {
    progress.end();
  }
  const seconds = Math.max((performance.now() - began) / 1000, 1e-3);
  logger.info(
    `restore ${record.backup_name}: ${restoredFiles} files, ${restoredBytes} bytes restored and ` +
      `verified into ${destination} in ${seconds.toFixed(1)} s; ${problems.length} not restored`,
  );
  return {
    ...base,
    kind: "restored",
    files: restoredFiles,
    bytes: restoredBytes,
    alreadyThere: kept.size,
    emptyDirs: emptyDirs.length,
    problems: problems.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  };
}

/** Asks S3 to retrieve every archived object not already on its way; writes nothing. */
async function requestRetrieval(
  options: RestoreOptions,
  base: Omit<OutcomeBase, "problems">,
  archived: readonly ObjectInfo[],
  problems: readonly FileProblem[],
): Promise<WaitingOutcome> {
  const store = options.store();
  let started = 0;
  let inProgress = 0;
  await forEachLimited(archived, Math.max(options.config.s3.concurrency, 8), async (object) => {
    if (object.restore?.ongoing === true) {
      inProgress++;
      return;
    }
    const answer = await store.requestRestore(object.key, {
      days: options.days,
      tier: options.tier,
    });
    if (answer === "started") started++;
    else inProgress++;
  });
  const classes = new Map<string, number>();
  for (const object of archived) {
    classes.set(object.storageClass, (classes.get(object.storageClass) ?? 0) + 1);
  }
  const slowest = classes.has("DEEP_ARCHIVE") ? "DEEP_ARCHIVE" : [...classes.keys()][0] ?? "";
  options.logger.info(
    `restore ${base.backup}: ${archived.length} objects are archived; retrieval requested for ` +
      `${started} now (tier ${options.tier}, ${options.days} days), ${inProgress} already in progress`,
  );
  return {
    ...base,
    kind: "waiting",
    problems,
    archived: classes,
    started,
    inProgress,
    tier: options.tier,
    days: options.days,
    typicalWait: typicalWait(slowest, options.tier),
  };
}
