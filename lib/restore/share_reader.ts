/**
 * The share copy of a backup as a restore reads it: the sidecar of its
 * folder (its bytes hashed, for the manifest check), the folder walked for
 * empty folders and files the sidecar does not list, every listed file
 * sized, and each file read and hashed as it is copied.
 *
 * @module
 */
import { join } from "node:path";
import { forEachLimited } from "../concurrency/mod.ts";
import { errorMessage, OperationFailedError } from "../errors.ts";
import { walk } from "../fs/mod.ts";
import {
  localPath,
  OWN_FILES,
  readStoredSidecar,
  SIDECAR_NAME,
  type StoredSidecar,
} from "../layout/mod.ts";
import { copyFileWithHash, hashFile, sha256Hex } from "../storage/mod.ts";
import { shortDigest } from "../text/mod.ts";
import { parentOf } from "./plan.ts";
import type { FileProblem, Reader } from "./reader.ts";

/** Share files restored at once (the disk, not the CPU, is the limit). */
const SHARE_CONCURRENCY = 4;
/** Share files sized at once (a stat on an SMB share is a round trip). */
const STAT_CONCURRENCY = 8;

/** Why a file cannot be taken from the share, and what to do instead. */
function unreadable(error: unknown): string {
  return `cannot be read on the share (${errorMessage(error)}); restore it with --from s3`;
}

/** @throws {OperationFailedError} when the sidecar cannot be read, or is gone. */
async function readSidecarOf(folder: string): Promise<StoredSidecar> {
  let sidecar: StoredSidecar | undefined;
  try {
    sidecar = await readStoredSidecar(folder);
  } catch (error) {
    throw new OperationFailedError(
      `the share copy's sidecar cannot be read: ${
        errorMessage(error)
      }; restore from S3 with --from s3`,
      { cause: error },
    );
  }
  if (sidecar === undefined) {
    throw new OperationFailedError(
      `${join(folder, SIDECAR_NAME)} disappeared; run the restore again`,
    );
  }
  return sidecar;
}

/** Opens the share copy in `folder`. */
export async function openShareReader(folder: string): Promise<Reader> {
  const sidecar = await readSidecarOf(folder);
  const files = sidecar.entries;
  const listed = new Set(files.map((file) => file.path));
  const extra: string[] = [];
  const nonEmpty = new Set<string>();
  const dirs: string[] = [];
  for await (const entry of walk(folder)) {
    nonEmpty.add(parentOf(entry.path));
    if (entry.kind === "dir") dirs.push(entry.path);
    else if (!OWN_FILES.includes(entry.path) && !listed.has(entry.path)) extra.push(entry.path);
  }
  // Every listed file's size (or why it has none): the total is checked against the manifest.
  const sizes = new Map<string, number | FileProblem>();
  await forEachLimited(files, STAT_CONCURRENCY, async (file) => {
    try {
      sizes.set(file.path, (await Deno.stat(localPath(folder, file.path))).size);
    } catch (error) {
      sizes.set(file.path, { path: file.path, problem: unreadable(error) });
    }
  });
  const known = [...sizes.values()];
  return {
    label: "the share copy",
    files,
    emptyDirs: dirs.filter((dir) => !nonEmpty.has(dir)),
    notes: extra.map((path) =>
      `${path} is on the share but not in ${SIDECAR_NAME}: not restored (unverifiable)`
    ),
    totals: {
      sidecarName: SIDECAR_NAME,
      sidecarSha256: sha256Hex(sidecar.bytes),
      files: files.length,
      bytes: known.every((size) => typeof size === "number")
        ? known.reduce((sum, size) => sum + size, 0)
        : undefined,
    },
    concurrency: SHARE_CONCURRENCY,
    inspect(selected) {
      const missing: FileProblem[] = [];
      for (const file of selected) {
        const size = sizes.get(file.path);
        if (typeof size === "number") file.size = size;
        else if (size !== undefined) missing.push(size);
      }
      return Promise.resolve({ missing, archived: [] });
    },
    async fetch(file, temp, onBytes) {
      const source = localPath(folder, file.path);
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
