/**
 * Step: write the backup's file list into the study's folder on the share,
 * atomically, once every copy is proven: `_checksums.sha256` for a first
 * backup, `_checksums.r<N>.sha256` for revision N (lib/layout/revision.ts).
 * It is the proof that stays with the backup: `sha256sum -c <list>` in the
 * folder checks it. It is read back, and its own SHA-256 goes into the
 * revision's manifest record (`sidecar_sha256`), so a list changed later,
 * even consistently with a changed file, no longer matches.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { errorMessage } from "../../errors.ts";
import { atomicWriteChunks } from "../../fs/mod.ts";
import { listName, sidecarChunks } from "../../layout/mod.ts";
import { hashFile } from "../../storage/mod.ts";
import { type DigestMap, digestOf, StepFailure } from "../context.ts";
import type { BackupWork } from "../plan.ts";

/**
 * The file list as written and read back. Its text is not kept: for 100,000
 * files it is some 11 MB, and the S3 upload reads it from the share again,
 * by this digest.
 */
export interface SealedSidecar {
  /** SHA-256 of its bytes: the record's `sidecar_sha256`. */
  readonly sha256Hex: string;
}

/**
 * Writes the file list of `work` into `destination` and reads it back, both
 * a chunk at a time, hashed as they go: for 100,000 files the list is some
 * 11 MB, never held whole.
 *
 * @throws {StepFailure} `failed_truenas` when it cannot be written, or reads back different.
 */
export async function sealShareCopy(
  work: BackupWork,
  destination: string,
  digests: DigestMap,
): Promise<SealedSidecar> {
  const name = listName(work.revision);
  const paths = work.files.map((file) => file.stored);
  const written = createHash("sha256");
  let stored: string;
  try {
    await atomicWriteChunks(join(destination, name), encoded(written, paths, digests));
    stored = (await hashFile(join(destination, name))).sha256Hex;
  } catch (error) {
    throw new StepFailure("sidecar", "failed_truenas", `writing ${name}: ${errorMessage(error)}`);
  }
  const expected = written.digest("hex");
  if (stored !== expected) {
    throw new StepFailure(
      "sidecar",
      "failed_truenas",
      `${name} reads back with SHA-256 ${stored}, not the ${expected} written`,
    );
  }
  return { sha256Hex: expected };
}

/** The list's text as bytes, chunk by chunk, each hashed into `written` as it is handed over. */
function* encoded(
  written: ReturnType<typeof createHash>,
  paths: readonly string[],
  digests: DigestMap,
): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  for (const text of sidecarChunks(paths, (path) => digestOf(digests, path).sha256Hex)) {
    const bytes = encoder.encode(text);
    written.update(bytes);
    yield bytes;
  }
}
