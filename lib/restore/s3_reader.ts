/**
 * The S3 copy of a backup as a restore reads it: the revision's file list
 * (checked against its own `sha256` metadata, and hashed for the manifest
 * check), one listing for the folder markers, the objects' sizes and what
 * the sidecar does not list, and every object streamed and hashed, checked
 * against the sidecar and its `sha256` metadata.
 *
 * @module
 */
import { forEachLimited } from "../concurrency/mod.ts";
import type { Config } from "../config/mod.ts";
import { errorMessage, OperationFailedError } from "../errors.ts";
import {
  isOwnFile,
  isRevisionPath,
  listName,
  parseS3Uri,
  parseSidecar,
  revisionOf,
  type SidecarEntry,
} from "../layout/mod.ts";
import type { ManifestRecord } from "../manifest/mod.ts";
import { headRequestsAtOnce, sha256Hex } from "../storage/mod.ts";
import type { ObjectInfo, S3Store } from "../storage/s3.ts";
import { shortDigest } from "../text/mod.ts";
import { backupFiles, emptyFoldersOf, type FileProblem, type Reader } from "./reader.ts";

/**
 * The backup's S3 prefix, in `[s3] bucket`.
 *
 * @throws {OperationFailedError} for an s3_uri that is not one, or names another bucket.
 */
function prefixOf(config: Config, record: ManifestRecord, store: S3Store): string {
  const location = parseS3Uri(record.s3_uri);
  if (location === undefined) {
    throw new OperationFailedError(
      `the manifest's s3_uri '${record.s3_uri}' is not s3://bucket/key`,
    );
  }
  if (location.bucket !== store.bucket) {
    throw new OperationFailedError(
      `${record.backup_name} is in bucket '${location.bucket}' (manifest) but [s3] bucket is ` +
        `'${store.bucket}': set [s3] bucket in ${config.file}`,
    );
  }
  return location.prefix;
}

/**
 * The sidecar object, its bytes checked against its `sha256` metadata.
 *
 * @throws {OperationFailedError} when it is missing, damaged or unreadable.
 */
async function readSidecarObject(
  store: S3Store,
  record: ManifestRecord,
  key: string,
): Promise<{ entries: SidecarEntry[]; sha256Hex: string }> {
  const sidecar = await store.getBytes(key);
  if (sidecar === undefined) {
    throw new OperationFailedError(
      `${store.uri(key)} does not exist: the S3 copy of ${record.backup_name} is incomplete`,
    );
  }
  const digest = sha256Hex(sidecar.bytes);
  if (sidecar.sha256Hex !== digest) {
    throw new OperationFailedError(
      `${store.uri(key)} does not match its sha256 metadata (${shortDigest(digest)} vs ` +
        `${shortDigest(sidecar.sha256Hex)}): the list of checksums itself is damaged`,
    );
  }
  try {
    return { entries: parseSidecar(new TextDecoder().decode(sidecar.bytes)), sha256Hex: digest };
  } catch (error) {
    throw new OperationFailedError(`${store.uri(key)}: ${errorMessage(error)}`);
  }
}

/** Opens the S3 copy of `record`. */
export async function openS3Reader(
  config: Config,
  record: ManifestRecord,
  store: S3Store,
): Promise<Reader> {
  const prefix = prefixOf(config, record, store);
  const keyOf = (path: string) => `${prefix}/${path}`;
  const revision = revisionOf(record);
  const name = listName(revision);
  const sidecar = await readSidecarObject(store, record, keyOf(name));
  const files = backupFiles(sidecar.entries);
  const listed = new Set(sidecar.entries.map((entry) => entry.path));
  const markers: string[] = [];
  const extra: string[] = [];
  const listing = await store.listSizes(`${prefix}/`);
  for (const [key, size] of listing) {
    const path = key.slice(prefix.length + 1);
    if (key.endsWith("/") && size === 0) markers.push(path.slice(0, -1));
    // After a revision, keys outside its list are earlier revisions' files: the backup's too.
    else if (revision === 1 && !isOwnFile(path) && !listed.has(path) && !isRevisionPath(path)) {
      extra.push(path);
    }
  }
  const sizes = files.map((file) => listing.get(keyOf(file.stored)));
  return {
    label: "the S3 copy",
    files,
    emptyDirs: emptyFoldersOf(revision, markers, new Set()),
    notes: extra.map((path) =>
      `${store.uri(keyOf(path))} is not in ${name}: not restored (unverifiable)`
    ),
    totals: {
      sidecarName: name,
      sidecarSha256: sidecar.sha256Hex,
      files: files.length,
      bytes: sizes.every((size) => size !== undefined)
        ? sizes.reduce((sum: number, size) => sum + size, 0)
        : undefined,
    },
    concurrency: config.s3.concurrency,
    async inspect(selected) {
      const missing: FileProblem[] = [];
      const archived: ObjectInfo[] = [];
      await forEachLimited(
        selected,
        headRequestsAtOnce(config.s3.concurrency),
        async (file) => {
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
        },
      );
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
          }, the sidecar says ${shortDigest(file.sha256Hex)}`,
        );
      }
      return problems.length === 0
        ? undefined
        : `${problems.join("; ")} (${store.uri(keyOf(file.stored))})`;
    },
  };
}
