/**
 * Where a backup lives, on the share and in S3: folder paths, object keys,
 * the one `s3://` URI parser, and which storage classes must be retrieved
 * before they can be read. Pure.
 *
 * On the share a backup is `<truenas.root>/<instrument>/<study>/`; in S3 it
 * is `s3://<bucket>/<prefix>/<instrument>/<study>/`. Besides the study's own
 * files its share folder holds the sidecar (one list per revision, see
 * revision.ts) and, while a backup is unfinished, the copy journal.
 *
 * @module
 */
import { join } from "node:path";
import { COPY_JOURNAL_NAME } from "./journal.ts";
import { listRevision } from "./revision.ts";

/**
 * Whether a path in a backup folder is one of the tool's own files, never
 * part of the study's data: a revision's file list (`_checksums*.sha256`), or
 * the copy journal of an unfinished backup.
 */
export function isOwnFile(path: string): boolean {
  return path === COPY_JOURNAL_NAME || listRevision(path) !== undefined;
}

/**
 * What an instrument may be called (`[backup] instrument`): the name is a
 * folder on the share and in S3 and part of its manifest files' names, so it
 * holds only characters every file system keeps as they are.
 */
export const INSTRUMENT_NAME_PATTERN = {
  regex: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  meaning: "letters, digits, '.', '_' and '-', starting with a letter or digit",
} as const;

/** `<root>/<instrument>/<study>`: a backup's folder on the share. */
export function backupFolder(root: string, instrument: string, study: string): string {
  return join(root, instrument, study);
}

/** The local path of `relative` (`/`-separated, as sidecars and listings write it) under `root`. */
export function localPath(root: string, relative: string): string {
  return join(root, ...relative.split("/"));
}

/**
 * An object key from a prefix and path parts: joined with `/`, without a
 * leading `/` or empty segments. Parts may contain `/` (relative paths);
 * callers pass forward slashes.
 */
export function s3Key(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].flatMap((part) => part.split("/")).filter((part) => part !== "")
    .join("/");
}

/** Where an `s3://bucket/key` URI points. */
export interface S3Location {
  readonly bucket: string;
  /** The key (for a backup: its folder's key prefix), without a trailing `/`. */
  readonly prefix: string;
}

/**
 * The bucket and key prefix of an `s3://bucket/prefix/` URI (a manifest
 * record's `s3_uri`), the prefix without trailing `/`; undefined when the URI
 * is not `s3://bucket/<something>`.
 */
export function parseS3Uri(uri: string): S3Location | undefined {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (match === null) return undefined;
  const prefix = (match[2] ?? "").replace(/\/+$/, "");
  if (prefix === "") return undefined;
  return { bucket: match[1] ?? "", prefix };
}

/** Storage classes whose objects must be retrieved (RestoreObject) before they can be read. */
export const ARCHIVE_STORAGE_CLASSES: readonly string[] = ["GLACIER", "DEEP_ARCHIVE"];

/**
 * The storage class of the small objects a backup writes besides the data (the
 * sidecar, folder markers, the manifest mirror): readable at once even when the
 * data goes to an archive class, so audit, restore and disaster recovery can
 * read them without waiting hours.
 */
export function metadataStorageClass(dataClass: string): string {
  return ARCHIVE_STORAGE_CLASSES.includes(dataClass) ? "STANDARD" : dataClass;
}
