/**
 * Step: write `_checksums.sha256` into the study's folder on the share,
 * atomically, once every copy is proven: the proof that stays with the
 * backup (`sha256sum -c` checks it). It is read back, and its own SHA-256
 * goes into the manifest record (`sidecar_sha256`), so a sidecar changed
 * later, even consistently with a changed file, no longer matches.
 *
 * @module
 */
import { join } from "node:path";
import { errorMessage } from "../../errors.ts";
import { formatSidecar, SIDECAR_NAME, writeSidecar } from "../../layout/mod.ts";
import { sha256Hex } from "../../storage/mod.ts";
import { type DigestMap, digestOf, StepFailure } from "../context.ts";
import type { StudyListing } from "./list.ts";

/** The sidecar as written and read back. */
export interface SealedSidecar {
  /** Its text (the S3 upload sends the same). */
  readonly text: string;
  /** SHA-256 of its bytes: the record's `sidecar_sha256`. */
  readonly sha256Hex: string;
}

/**
 * Writes the sidecar of `listing` into `destination` and reads it back.
 *
 * @throws {StepFailure} `failed_truenas` when it cannot be written, or reads back different.
 */
export async function sealShareCopy(
  listing: StudyListing,
  destination: string,
  digests: DigestMap,
): Promise<SealedSidecar> {
  const entries = listing.files.map((file) => ({
    path: file.path,
    sha256Hex: digestOf(digests, file.path).sha256Hex,
  }));
  const text = formatSidecar(entries);
  const expected = sha256Hex(new TextEncoder().encode(text));
  let stored: string;
  try {
    await writeSidecar(destination, entries);
    stored = sha256Hex(await Deno.readFile(join(destination, SIDECAR_NAME)));
  } catch (error) {
    throw new StepFailure(
      "sidecar",
      "failed_truenas",
      `writing ${SIDECAR_NAME}: ${errorMessage(error)}`,
    );
  }
  if (stored !== expected) {
    throw new StepFailure(
      "sidecar",
      "failed_truenas",
      `${SIDECAR_NAME} reads back with SHA-256 ${stored}, not the ${expected} written`,
    );
  }
  return { text, sha256Hex: expected };
}
