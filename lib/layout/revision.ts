/**
 * Revisions of a backup: what a study that changed after its backup was
 * complete adds, without replacing any byte already proven. Pure.
 *
 * Revision 1 is the first backup: the study's files at their own paths and
 * `_checksums.sha256`. Revision N (2, 3, …) stores only what is new or
 * changed since the revision before, under `_revisions/<N>/<path>`, and
 * lists every file of the study as of that revision in `_checksums.r<N>.sha256`
 * — unchanged files where an earlier revision stored them, the rest under
 * `_revisions/<N>/`. So nothing written once is ever rewritten (an S3 key is
 * never reused), each list is checked from the backup's folder with
 * `sha256sum -c <list>`, and a study path is its stored path without the
 * `_revisions/<N>/` in front. The same layout holds on the share and in S3.
 *
 * @module
 */
import { SIDECAR_NAME } from "./sidecar.ts";

/** The folder, at the top of a backup, of what revisions after the first stored. */
export const REVISIONS_DIR = "_revisions";

const LIST_NAME = /^_checksums(?:\.r([1-9]\d*))?\.sha256$/;
const STORED_IN_REVISION = /^_revisions\/([1-9]\d*)\//;

/** The revision a record describes (a record without the field is the first). */
export function revisionOf(record: { readonly revision?: number }): number {
  return record.revision ?? 1;
}

/** The file list of `revision`: `_checksums.sha256` for the first, `_checksums.r<N>.sha256` after. */
export function listName(revision: number): string {
  return revision === 1 ? SIDECAR_NAME : `_checksums.r${revision}.sha256`;
}

/** The revision a name at the top of a backup lists, or undefined when it is no list. */
export function listRevision(name: string): number | undefined {
  const match = LIST_NAME.exec(name);
  if (match === null) return undefined;
  return match[1] === undefined ? 1 : Number(match[1]);
}

/** Where `revision` stores a file of the study at `path` that is new or changed in it. */
export function revisionPath(revision: number, path: string): string {
  return revision === 1 ? path : `${REVISIONS_DIR}/${revision}/${path}`;
}

/** The study path a stored path holds: the stored path without `_revisions/<N>/`. */
export function studyPathOf(stored: string): string {
  return stored.replace(STORED_IN_REVISION, "");
}

/** The revision that stored a stored path: N for `_revisions/<N>/…`, else the first. */
export function storingRevision(stored: string): number {
  const match = STORED_IN_REVISION.exec(stored);
  return match === null ? 1 : Number(match[1]);
}

/** Whether a stored path lies in the area of revisions after the first. */
export function isRevisionPath(stored: string): boolean {
  return stored === REVISIONS_DIR || stored.startsWith(`${REVISIONS_DIR}/`);
}

/** `_checksums.sha256`, or `any of _checksums.sha256, …, _checksums.r<N>.sha256`, for messages. */
export function listNames(revision: number): string {
  const names = Array.from({ length: revision }, (_, index) => listName(index + 1));
  return names.length === 1 ? names[0] ?? "" : `any of ${names.join(", ")}`;
}
