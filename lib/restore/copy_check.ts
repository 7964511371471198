/**
 * The copy a reader opened, checked before anything is written: every path
 * its sidecar lists stays inside the destination, and the copy is the one the
 * manifest record describes (its sidecar's SHA-256, file count and bytes;
 * lib/manifest/agreement.ts). A file changed together with its sidecar line
 * would pass the per-file digests; it does not pass this.
 *
 * @module
 */
import { OperationFailedError } from "../errors.ts";
import {
  disagreementsWithRecord,
  type ManifestRecord,
  recordedSidecarSha256,
  unrecordedSidecarNote,
} from "../manifest/mod.ts";
import { otherSourceHint, type RestoreSource, type ShareFacts, unsafePathReason } from "./plan.ts";
import type { Reader } from "./reader.ts";

/**
 * @returns notes for the outcome (a record that holds no sidecar digest).
 * @throws {OperationFailedError} for a path that could leave the destination,
 *   or a copy that disagrees with the record, saying where to restore from instead.
 */
export function requireTrustedCopy(
  record: ManifestRecord,
  reader: Reader,
  source: RestoreSource,
  share: ShareFacts,
): string[] {
  const { sidecarName } = reader.totals;
  for (const file of reader.files) {
    const unsafe = unsafePathReason(file.stored) ?? unsafePathReason(file.path);
    if (unsafe !== undefined) {
      throw new OperationFailedError(
        `${sidecarName} of ${record.backup_name} lists '${file.stored}' (${unsafe}): ` +
          "refusing to restore a path that could land outside the destination",
      );
    }
  }
  const disagreements = disagreementsWithRecord(record, reader.totals);
  if (disagreements.length > 0) {
    throw new OperationFailedError(
      `${reader.label} of ${record.backup_name} is not the one its manifest record describes: ` +
        `${disagreements.join("; ")}; ${otherSourceHint(record, share, source)} ` +
        "(nothing was written)",
    );
  }
  return recordedSidecarSha256(record) === undefined
    ? [unrecordedSidecarNote(record, sidecarName)]
    : [];
}
