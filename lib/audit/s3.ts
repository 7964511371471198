/**
 * The audit of a backup's S3 copy: where the manifest says it is, the list
 * of the revision audited (against the share's and its own checksums), every
 * listed object there and their total size against the manifest record, then
 * each file (or a sample) by HeadObject: its sha256 metadata and S3's own
 * checksum against the list, its size against the share copy's.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { forEachLimited } from "../concurrency/mod.ts";
import { errorMessage } from "../errors.ts";
import type { ManifestRecord } from "../manifest/mod.ts";
import {
  listName,
  parseS3Uri,
  parseSidecar,
  revisionOf,
  type SidecarEntry,
} from "../layout/mod.ts";
import { headRequestsAtOnce, sha256Hex } from "../storage/mod.ts";
import type { S3Store } from "../storage/s3.ts";
import { shortDigest } from "../text/mod.ts";
import type { Gathered } from "./gathered.ts";
import { sampleItems } from "./sample.ts";
import type { ShareRead } from "./share.ts";
import type { AuditOptions } from "./types.ts";

/** What HeadObject says of an object. */
type Head = NonNullable<Awaited<ReturnType<S3Store["headObject"]>>>;

/** The backup's objects in the bucket the config names. */
interface Backup {
  readonly store: S3Store;
  /** The list's name (`_checksums.sha256`, `_checksums.r<N>.sha256`). */
  readonly list: string;
  /** The key of a path of the backup. */
  readonly keyOf: (path: string) => string;
}

/** S3's checksum of a whole file with this SHA-256: what a single PUT's ChecksumSHA256 is. */
function wholeFileChecksum(sha256Hex: string): string {
  return Buffer.from(sha256Hex, "hex").toString("base64");
}

/**
 * Whether `checksum` covers the whole file: a multipart one (`...-N`) is a
 * digest of the parts' digests, which no list can give (S3 checked every part
 * on upload).
 */
function isWholeFile(checksum: string): boolean {
  return !checksum.includes("-");
}

/** Where the backup is in S3; undefined and a finding when it is not in the configured bucket. */
function locate(gathered: Gathered, store: S3Store, record: ManifestRecord): Backup | undefined {
  const list = listName(revisionOf(record));
  const location = parseS3Uri(record.s3_uri);
  if (location === undefined) {
    gathered.add(
      "s3",
      list,
      `the manifest's s3_uri '${record.s3_uri}' is not s3://bucket/key: not checked`,
    );
    return undefined;
  }
  if (location.bucket !== store.bucket) {
    gathered.add(
      "s3",
      list,
      `the backup is in bucket '${location.bucket}' but [s3] bucket is '${store.bucket}': ` +
        "not checked",
    );
    return undefined;
  }
  return { store, list, keyOf: (path) => `${location.prefix}/${path}` };
}

/** The list's HeadObject, checked against the share's list and S3's own checksum. */
async function checkList(
  gathered: Gathered,
  { store, list, keyOf }: Backup,
  shareDigest: string | undefined,
): Promise<Head | undefined> {
  const uri = store.uri(keyOf(list));
  const head = await store.headObject(keyOf(list));
  if (head === undefined) {
    gathered.add("s3", list, `${uri} does not exist`);
    return undefined;
  }
  if (shareDigest !== undefined && head.sha256Hex !== shareDigest) {
    gathered.add(
      "s3",
      list,
      `${uri} differs from the share's (sha256 metadata ${shortDigest(head.sha256Hex)}, the ` +
        `share's is ${shortDigest(shareDigest)})`,
    );
  }
  // S3's own checksum of the bytes it holds ties them to the metadata, without a download.
  const expected = wholeFileChecksum(head.sha256Hex ?? "");
  if (
    head.sha256Hex !== undefined && head.checksumSha256 !== undefined &&
    isWholeFile(head.checksumSha256) && head.checksumSha256 !== expected
  ) {
    gathered.add(
      "s3",
      list,
      `${uri}: ChecksumSHA256 ${head.checksumSha256}, its sha256 metadata says ${expected}`,
    );
  }
  return head;
}

/** The list read from S3 (when the share had none), or undefined and a finding. */
async function readList(
  gathered: Gathered,
  { store, list, keyOf }: Backup,
): Promise<SidecarEntry[] | undefined> {
  const object = await store.getBytes(keyOf(list));
  if (object === undefined || object.sha256Hex !== sha256Hex(object.bytes)) {
    gathered.add("s3", list, "does not match its sha256 metadata: the S3 copy cannot be verified");
    return undefined;
  }
  try {
    return parseSidecar(new TextDecoder().decode(object.bytes));
  } catch (error) {
    gathered.add("s3", list, `cannot be read: ${errorMessage(error)}`);
    return undefined;
  }
}

/**
 * Every listed object must be there; the list, its count (when the share's
 * was not read) and the objects' total size must be the record's.
 */
function checkObjects(
  gathered: Gathered,
  backup: Backup,
  record: ManifestRecord,
  entries: readonly SidecarEntry[],
  sizes: ReadonlyMap<string, number>,
  listHead: Head | undefined,
  listFromShare: boolean,
): void {
  let missing = 0;
  let total = 0;
  for (const entry of entries) {
    const size = sizes.get(backup.keyOf(entry.path));
    if (size === undefined) {
      missing++;
      gathered.add(
        "s3",
        entry.path,
        `${backup.store.uri(backup.keyOf(entry.path))} does not exist`,
      );
    } else {
      total += size;
    }
  }
  if (listHead === undefined) return;
  gathered.addDisagreements("s3", record, {
    sidecarName: backup.list,
    sidecarSha256: listHead.sha256Hex,
    // A list read on the share had its count checked there.
    files: listFromShare ? undefined : entries.length,
    bytes: missing === 0 ? total : undefined,
  });
}

/** How one object disagrees with its list entry and the share copy's size. Pure. */
function headProblems(entry: SidecarEntry, head: Head, shareSize: number | undefined): string[] {
  const problems: string[] = [];
  if (head.sha256Hex !== entry.sha256Hex) {
    problems.push(
      `sha256 metadata ${shortDigest(head.sha256Hex)}, the sidecar says ${
        shortDigest(entry.sha256Hex)
      }`,
    );
  }
  if (head.checksumSha256 === undefined) {
    problems.push("S3 holds no SHA-256 checksum for it");
  } else if (isWholeFile(head.checksumSha256)) {
    const expected = wholeFileChecksum(entry.sha256Hex);
    if (head.checksumSha256 !== expected) {
      problems.push(`ChecksumSHA256 ${head.checksumSha256}, the sidecar's digest is ${expected}`);
    }
  }
  if (shareSize !== undefined && head.size !== shareSize) {
    problems.push(`${head.size} bytes, the share copy has ${shareSize}`);
  }
  return problems;
}

/** HEADs every object of `sample`; returns how many were checked. */
async function headSample(
  options: AuditOptions,
  gathered: Gathered,
  backup: Backup,
  sample: readonly SidecarEntry[],
  shareSizes: ReadonlyMap<string, number>,
): Promise<number> {
  const { progress } = options;
  progress.stage(gathered.name, "s3", sample.length, 0);
  let checked = 0;
  try {
    const concurrency = headRequestsAtOnce(options.config.s3.concurrency);
    await forEachLimited(sample, concurrency, async (entry) => {
      const uri = backup.store.uri(backup.keyOf(entry.path));
      const head = await backup.store.headObject(backup.keyOf(entry.path));
      checked++;
      progress.advance(1, 0);
      if (head === undefined) {
        gathered.add("s3", entry.path, `${uri} does not exist`);
        return;
      }
      const problems = headProblems(entry, head, shareSizes.get(entry.path));
      if (problems.length > 0) gathered.add("s3", entry.path, `${uri}: ${problems.join("; ")}`);
    });
  } finally {
    progress.end();
  }
  return checked;
}

/**
 * Checks the S3 copy of `record` against the share's list of its revision
 * (or that list in S3 when the share has none), and every file of its
 * revisions the share's lists name. Returns how many objects were HEADed.
 */
export async function auditS3(
  options: AuditOptions,
  gathered: Gathered,
  record: ManifestRecord,
  share: ShareRead,
): Promise<number> {
  const backup = locate(gathered, options.store(), record);
  if (backup === undefined) return 0;
  const sizes = await backup.store.listSizes(backup.keyOf(""));
  const listHead = await checkList(gathered, backup, share.sidecarDigest);
  const entries = share.entries ??
    (listHead === undefined ? undefined : await readList(gathered, backup));
  if (entries === undefined) return 0;
  checkObjects(gathered, backup, record, entries, sizes, listHead, share.entries !== undefined);
  const checkedFiles = share.entries === undefined ? entries : share.all;
  const sample = sampleItems(checkedFiles, options.samplePct ?? 100, options.seed, gathered.name)
    .filter((entry) => sizes.has(backup.keyOf(entry.path)));
  return await headSample(options, gathered, backup, sample, share.sizes);
}
