/**
 * The restore's destination, `<to>/<study>`, checked before anything is
 * written: no folder on the way to a file is a link (a symbolic link, or on
 * Windows a junction, which Deno's lstat reports as one), since writing
 * through it could put the files outside `--to`; and a file already there is
 * either the backup's (kept) or a reason to refuse. Then the folders are made.
 *
 * @module
 */
import { errorMessage, OperationFailedError, UsageError } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import { localPath } from "../layout/mod.ts";
import type { Logger } from "../log/mod.ts";
import { hashFile } from "../storage/mod.ts";
import { parentOf } from "./plan.ts";
import type { Selected } from "./reader.ts";

/** Receives progress; the CLI draws it on a terminal. */
export interface RestoreProgress {
  /** `name` starts `stage` covering `files` files and `bytes` bytes. */
  stage(name: string, stage: string, files: number, bytes: number): void;
  advance(files: number, bytes: number): void;
  end(): void;
}

function refusal(what: string): UsageError {
  return new UsageError(
    `${what}: restore never overwrites; restore into another --to folder, or move it away ` +
      "(nothing was written)",
  );
}

/** Every folder (relative to the destination) that holds `files` or is one of `dirs`, parents first. */
export function foldersOf(files: readonly Selected[], dirs: readonly string[]): string[] {
  const folders = new Set<string>();
  for (const dir of [...files.map((file) => parentOf(file.path)), ...dirs]) {
    for (let folder = dir; folder !== "" && !folders.has(folder); folder = parentOf(folder)) {
      folders.add(folder);
    }
  }
  // A parent sorts before its children: "a" < "a/b".
  return [...folders].sort();
}

/**
 * Checks `destination` itself and every folder under it that the restore
 * would write into, before anything is written.
 *
 * @throws {UsageError} naming the first one that is a link, or that is not a folder.
 */
async function refuseLinkedFolders(
  destination: string,
  folders: readonly string[],
): Promise<void> {
  const absent: string[] = [];
  for (const folder of ["", ...folders]) {
    // Below a folder that is not there yet, the restore creates everything itself.
    if (absent.some((gone) => gone === "" || folder.startsWith(`${gone}/`))) continue;
    const path = folder === "" ? destination : localPath(destination, folder);
    const kind = await kindAt(path);
    if (kind === undefined) absent.push(folder);
    else if (kind === "symlink") {
      throw new UsageError(
        `${path} is a symbolic link or junction: restore never writes through a link, whose ` +
          "target may lie outside --to; restore into another --to folder, or move the link " +
          "away (nothing was written)",
      );
    } else if (kind !== "dir") throw refusal(`${path} exists and is not a folder`);
  }
}

/**
 * The selected files already at the destination with the backup's exact
 * content (a restore that stopped midway, run again): they are kept and not
 * fetched again. Hashes each one; progress is reported as a `check` stage.
 * Call after {@linkcode refuseLinkedFolders}, so that no path here passes a link.
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
    if (kind !== "file") throw refusal(`${path} exists and is not a file`);
    present.push({ file, path, size: (await Deno.stat(path)).size });
  }
  if (present.length === 0) return identical;
  progress.stage(study, "check", present.length, present.reduce((sum, { size }) => sum + size, 0));
  try {
    for (const { file, path, size } of present) {
      const digest = await hashFile(path, {
        sizeHint: size,
        onProgress: (bytes) => progress.advance(0, bytes),
      });
      if (digest.sha256Hex !== file.sha256Hex) {
        throw refusal(`${path} already exists and differs from the backup`);
      }
      identical.add(file.path);
      progress.advance(1, 0);
    }
  } finally {
    progress.end();
  }
  return identical;
}

/**
 * Checks `destination` before anything is written: no link on the way to
 * `files` and `dirs` ({@linkcode refuseLinkedFolders}), and each file
 * already there the backup's ({@linkcode alreadyRestored}).
 *
 * @returns the paths of the files already there, kept and not fetched again.
 * @throws {UsageError} for a link, or a file there that is not the backup's.
 */
export async function checkDestination(
  destination: string,
  files: readonly Selected[],
  dirs: readonly string[],
  backup: { readonly name: string; readonly study: string },
  progress: RestoreProgress,
  logger: Logger,
): Promise<Set<string>> {
  await refuseLinkedFolders(destination, foldersOf(files, dirs));
  const kept = await alreadyRestored(destination, files, progress, backup.study);
  if (kept.size > 0) {
    logger.info(
      `restore ${backup.name}: ${kept.size} of ${files.length} files are already in ` +
        `${destination} with the backup's SHA-256; they are kept, not fetched again`,
    );
  }
  return kept;
}

/**
 * Creates `destination` and `folders` (parents first).
 *
 * @throws {OperationFailedError} when one cannot be created.
 */
export async function makeFolders(destination: string, folders: readonly string[]): Promise<void> {
  try {
    await Deno.mkdir(destination, { recursive: true });
    for (const folder of folders) {
      await Deno.mkdir(localPath(destination, folder), { recursive: true });
    }
  } catch (error) {
    throw new OperationFailedError(
      `cannot create folders in ${destination}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}
