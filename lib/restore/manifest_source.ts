/**
 * The manifest a restore reads: the ledger on the share, or, when the share
 * is not reachable, its mirror in S3 (`<prefix>/_manifest/`: every
 * instrument's `YYYY-MM.<instrument>.jsonl`, and the shared `YYYY-MM.jsonl`
 * of earlier versions), which every backup keeps up to date for exactly this
 * case.
 *
 * @module
 */
import type { Config } from "../config/mod.ts";
import {
  foldComplete,
  foldRecords,
  manifestFilesInFoldOrder,
  type ManifestRecord,
  type ManifestWarning,
  parseManifest,
  readManifest,
} from "../manifest/mod.ts";
import type { S3Store } from "../storage/s3.ts";

/** The folded manifest and where it came from. */
export interface ManifestSource {
  readonly latest: ReadonlyMap<string, ManifestRecord>;
  /** The latest complete record of each backup (a later revision may be unfinished). */
  readonly complete: ReadonlyMap<string, ManifestRecord>;
  readonly warnings: readonly ManifestWarning[];
  /** The folder or S3 prefix read, for messages. */
  readonly label: string;
  readonly fromS3: boolean;
}

/** Reads the share's manifest folder. */
export async function readShareManifest(config: Config): Promise<ManifestSource> {
  const contents = await readManifest(config.truenas.manifestRoot);
  return {
    latest: contents.latest,
    complete: foldComplete(contents.records),
    warnings: contents.warnings,
    label: config.truenas.manifestRoot,
    fromS3: false,
  };
}

/**
 * Reads every manifest file mirrored under `<prefix>/_manifest/`, every
 * instrument's, in the order the share's are folded, and folds them.
 *
 * @throws {S3StorageError}
 */
export async function readMirroredManifest(
  config: Config,
  store: S3Store,
): Promise<ManifestSource> {
  // [s3] prefix has no leading or trailing '/' (the config loader strips them).
  const folder = config.s3.prefix === "" ? "_manifest/" : `${config.s3.prefix}/_manifest/`;
  const names = [...(await store.listSizes(folder)).keys()].map((key) => key.slice(folder.length));
  const keys = manifestFilesInFoldOrder(names).map((name) => `${folder}${name}`);
  const records: ManifestRecord[] = [];
  const warnings: ManifestWarning[] = [];
  for (const key of keys) {
    const object = await store.getBytes(key);
    if (object === undefined) continue; // gone since the listing
    const parsed = parseManifest(new TextDecoder().decode(object.bytes), store.uri(key));
    records.push(...parsed.records);
    warnings.push(...parsed.warnings);
  }
  return {
    latest: foldRecords(records),
    complete: foldComplete(records),
    warnings,
    label: store.uri(folder),
    fromS3: true,
  };
}
