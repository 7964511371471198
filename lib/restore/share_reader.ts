/**
 * The share copy of a backup as a restore reads it: the file list of the
 * revision restored (its bytes hashed, for the manifest check), the folder
 * walked for empty folders and files no list names, every listed file sized,
 * and each file read and hashed as it is copied.
 *
 * @module
 */
import { join } from "node:path";
import { forEachLimited } from "../concurrency/mod.ts";
import { errorMessage, OperationFailedError } from "../errors.ts";
import { walk } from "../fs/mod.ts";
import {
  isOwnFile,
  listName,
  listNames,
  listRevision,
  localPath,
  readSidecar,
  readStoredSidecar,
  type SidecarEntry,
  type StoredSidecar,
} from "../layout/mod.ts";
import { copyFileWithHash, hashFile, sha256Hex } from "../storage/mod.ts";
import { shortDigest } from "../text/mod.ts";
import { parentOf } from "./plan.ts";
import { backupFiles, emptyFoldersOf, type FileProblem, type Reader } from "./reader.ts";

/** Share files restored at once (the disk, not the CPU, is the limit). */
const SHARE_CONCURRENCY = 4;
/** Share files sized at once (a stat on an SMB share is a round trip). */
const STAT_CONCURRENCY = 8;

/** Why a file cannot be taken from the share, and what to do instead. */
function unreadable(error: unknown): string {
  return `cannot be read on the share (${errorMessage(error)}); restore it with --from s3`;
}

/** @throws {OperationFailedError} when the list `name` cannot be read, or is gone. */
async function readListOf(folder: string, name: string): Promise<StoredSidecar> {
  let list: StoredSidecar | undefined;
  try {
    list = await readStoredSidecar(folder, name);
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
  return list;
}

/** The stored paths any revision's list in `folder` names: the backup's files, all of them. */
async function knownPaths(
  folder: string,
  revision: number,
  list: readonly SidecarEntry[],
): Promise<Set<string>> {
  const known = new Set(list.map((entry) => entry.path));
  for await (const entry of Deno.readDir(folder)) {
    const other = entry.isFile ? listRevision(entry.name) : undefined;
    if (other === undefined || other === revision) continue;
    for (const item of await readSidecar(folder, entry.name).catch(() => undefined) ?? []) {
      known.add(item.path);
    }
  }
  return known;
}

/** Opens the share copy of revision `revision` in `folder`. */
export async function openShareReader(folder: string, revision: number): Promise<Reader> {
  const name = listName(revision);
  const list = await readListOf(folder, name);
  const files = backupFiles(list.entries);
  // Files another revision's list names are the backup's too, simply not this revision's.
  const known = await knownPaths(folder, revision, list.entries);
  const extra: string[] = [];
  const nonEmpty = new Set<string>();
  const dirs: string[] = [];
  for await (const entry of walk(folder)) {
    nonEmpty.add(parentOf(entry.path));
    if (entry.kind === "dir") dirs.push(entry.path);
    else if (!isOwnFile(entry.path) && !known.has(entry.path)) extra.push(entry.path);
  }
  // Every listed file's size (or why it has none): the total is checked against the manifest.
  const sizes = new Map<string, number | FileProblem>();
  await forEachLimited(files, STAT_CONCURRENCY, async (file) => {
    try {
      sizes.set(file.stored, (await Deno.stat(localPath(folder, file.stored))).size);
    } catch (error) {
      sizes.set(file.stored, { path: file.path, problem: unreadable(error) });
    }
  });
  const allSizes = [...sizes.values()];
  return {
    label: "the share copy",
    files,
    emptyDirs: emptyFoldersOf(revision, dirs, nonEmpty),
    notes: extra.map((path) =>
      `${path} is on the share but not in ${listNames(revision)}: not restored (unverifiable)`
    ),
    totals: {
      sidecarName: name,
      sidecarSha256: sha256Hex(list.bytes),
      files: files.length,
      bytes: allSizes.every((size) => typeof size === "number")
        ? allSizes.reduce((sum, size) => sum + size, 0)
        : undefined,
    },
    concurrency: SHARE_CONCURRENCY,
    inspect(selected) {
      const missing: FileProblem[] = [];
      for (const file of selected) {
        const size = sizes.get(file.stored);
        if (typeof size === "number") file.size = size;
        else if (size !== undefined) missing.push(size);
      }
      return Promise.resolve({ missing, archived: [] });
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
        return unreadable(error);
      }
      if (digest.sha256Hex === file.sha256Hex) return undefined;
      return `the share copy's SHA-256 is ${shortDigest(digest.sha256Hex)}, the sidecar says ` +
        `${
          shortDigest(file.sha256Hex)
        }: the copy on the share changed (bit rot?); restore it with --from s3`;
    },
  };
}
