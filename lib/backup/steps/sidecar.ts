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
import { join } from "node:path";
import { errorMessage } from "../../errors.ts";
import { atomicWriteFile } from "../../fs/mod.ts";
import { formatSidecar, listName } from "../../layout/mod.ts";
import { sha256Hex } from "../../storage/mod.ts";
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
 * Writes the file list of `work` into `destination` and reads it back.
 *
 * @throws {StepFailure} `failed_truenas` when it cannot be written, or reads back different.
 */
export async function sealShareCopy(
  work: BackupWork,
  destination: string,
  digests: DigestMap,
): Promise<SealedSidecar> {
  const name = listName(work.revision);
  // Formatted and encoded once: for 100,000 files the list is some 11 MB.
  const text = formatSidecar(work.files.map((file) => ({
    path: file.stored,
    sha256Hex: digestOf(digests, file.stored).sha256Hex,
  })));
  const bytes = new TextEncoder().encode(text);
  const expected = sha256Hex(bytes);
  let stored: string;
  try {
    await atomicWriteFile(join(destination, name), bytes);
    stored = sha256Hex(await Deno.readFile(join(destination, name)));
  } catch (error) {
    throw new StepFailure("sidecar", "failed_truenas", `writing ${name}: ${errorMessage(error)}`);
  }
  if (stored !== expected) {
    throw new StepFailure(
      "sidecar",
      "failed_truenas",
      `${name} reads back with SHA-256 ${stored}, not the ${expected} written`,
    );
  }
  return { sha256Hex: expected };
}
