/**
 * The audit of a backup's share copy: the list of the revision audited read,
 * the folder compared with the lists of all its revisions (missing files,
 * files no list names), the files (or a sample) hashed against their lists,
 * then that list, its file count and the files' total size against the
 * manifest record.
 *
 * @module
 */
import { forEachLimited } from "../concurrency/mod.ts";
import { errorMessage } from "../errors.ts";
import { walk } from "../fs/mod.ts";
import type { ManifestRecord } from "../manifest/mod.ts";
import {
  isOwnFile,
  listName,
  listNames,
  localPath,
  readSidecar,
  readStoredSidecar,
  revisionOf,
  type SidecarEntry,
  type StoredSidecar,
} from "../layout/mod.ts";
import { hashFile, sha256Hex } from "../storage/mod.ts";
import { shortDigest } from "../text/mod.ts";
import type { Gathered } from "./gathered.ts";
import { sampleItems } from "./sample.ts";
import type { AuditOptions } from "./types.ts";

/** Share files read at once. */
const SHARE_CONCURRENCY = 4;
/** Share files sized at once (a stat on an SMB share is a round trip). */
const STAT_CONCURRENCY = 8;

/** What the share copy of a backup showed; the S3 check goes on from it. */
export interface ShareRead {
  /** The list of the revision audited, undefined when it could not be read. */
  readonly entries: SidecarEntry[] | undefined;
  /** Every stored file of its revisions. */
  readonly all: SidecarEntry[];
  /** SHA-256 of that list's bytes. */
  readonly sidecarDigest: string | undefined;
  /** Sizes of the files read. */
  readonly sizes: ReadonlyMap<string, number>;
}

/** What a share copy that could not be read (or is not there) showed: nothing. */
export function nothingRead(): ShareRead {
  return { entries: undefined, all: [], sidecarDigest: undefined, sizes: new Map() };
}

/** The total size of the listed files in `folder`; undefined when one cannot be sized. */
async function totalSize(
  folder: string,
  entries: readonly SidecarEntry[],
): Promise<number | undefined> {
  let total: number | undefined = 0;
  await forEachLimited(entries, STAT_CONCURRENCY, async (entry) => {
    const size = await Deno.stat(localPath(folder, entry.path)).then(
      (info) => info.size,
      () => undefined,
    );
    total = total === undefined || size === undefined ? undefined : total + size;
  });
  return total;
}

/**
 * The files every list of revisions 1 to `revision` in `folder` names (the
 * lists of earlier revisions may be gone: cleanup evicted the folder once and
 * a later revision stored it again), each stored path once.
 */
async function allRevisionFiles(
  folder: string,
  revision: number,
  current: readonly SidecarEntry[],
): Promise<SidecarEntry[]> {
  const all = new Map(current.map((entry) => [entry.path, entry]));
  for (let earlier = 1; earlier < revision; earlier++) {
    const list = await readSidecar(folder, listName(earlier)).catch(() => undefined);
    for (const entry of list ?? []) if (!all.has(entry.path)) all.set(entry.path, entry);
  }
  return [...all.values()];
}

/** The list `name` in `folder`, or undefined and a finding when it is missing or unreadable. */
async function readList(
  gathered: Gathered,
  folder: string,
  name: string,
): Promise<StoredSidecar | undefined> {
  try {
    const list = await readStoredSidecar(folder, name);
    if (list === undefined) {
      gathered.add("share", name, "is missing: the share copy cannot be verified");
    }
    return list;
  } catch (error) {
    gathered.add("share", name, `cannot be read: ${errorMessage(error)}`);
    return undefined;
  }
}

/** The relative paths of the files (and anything else but folders) in `folder`. */
async function presentFiles(folder: string): Promise<Set<string>> {
  const present = new Set<string>();
  for await (const entry of walk(folder)) {
    if (entry.kind !== "dir") present.add(entry.path);
  }
  return present;
}

/** A listed file that is not there is a finding; a file no list names, a note. */
function compareWithLists(
  gathered: Gathered,
  record: ManifestRecord,
  entries: readonly SidecarEntry[],
  all: readonly SidecarEntry[],
  present: ReadonlySet<string>,
): void {
  const listed = new Set(all.map((entry) => entry.path));
  for (const entry of entries) {
    if (!present.has(entry.path)) gathered.add("share", entry.path, "is missing from the share");
  }
  for (const path of present) {
    // The file lists, and the copy journal a backup stopped right after `complete` may leave.
    if (!isOwnFile(path) && !listed.has(path)) {
      gathered.notes.push(`${path} is on the share but not in ${listNames(revisionOf(record))}`);
    }
  }
}

/** The sizes of `sample`'s files; one that cannot be stat'ed is reported when it is read. */
async function sizesOf(
  folder: string,
  sample: readonly SidecarEntry[],
): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const entry of sample) {
    await Deno.stat(localPath(folder, entry.path)).then(
      (info) => sizes.set(entry.path, info.size),
      () => {},
    );
  }
  return sizes;
}

/** Hashes every file of `sample`; each that differs from its list or cannot be read is a finding. */
async function hashSample(
  options: AuditOptions,
  gathered: Gathered,
  folder: string,
  sample: readonly SidecarEntry[],
  sizes: ReadonlyMap<string, number>,
): Promise<void> {
  const { progress } = options;
  progress.stage(
    gathered.name,
    "share",
    sample.length,
    [...sizes.values()].reduce((a, b) => a + b, 0),
  );
  try {
    await forEachLimited(sample, SHARE_CONCURRENCY, async (entry) => {
      try {
        const digest = await hashFile(localPath(folder, entry.path), {
          sizeHint: sizes.get(entry.path),
          onProgress: (read) => progress.advance(0, read),
        });
        gathered.shareChecked++;
        gathered.shareBytes += digest.size;
        if (digest.sha256Hex !== entry.sha256Hex) {
          gathered.add(
            "share",
            entry.path,
            `changed: SHA-256 ${shortDigest(digest.sha256Hex)}, the sidecar says ${
              shortDigest(entry.sha256Hex)
            }`,
          );
        }
      } catch (error) {
        // ZFS reports a block it cannot repair as an I/O error on read.
        gathered.add("share", entry.path, `cannot be read: ${errorMessage(error)}`);
      }
      progress.advance(1, 0);
    });
  } finally {
    progress.end();
  }
}

/**
 * Checks the share copy in `folder` of the revision `record` describes:
 * every file of its revisions against their lists, then that revision's
 * list, its file count and (when no file had a finding of its own, which
 * would explain it) the files' total size against the manifest record.
 */
export async function auditShare(
  options: AuditOptions,
  gathered: Gathered,
  folder: string,
  record: ManifestRecord,
): Promise<ShareRead> {
  const name = listName(revisionOf(record));
  const list = await readList(gathered, folder, name);
  if (list === undefined) return nothingRead();
  const { entries } = list;
  const all = await allRevisionFiles(folder, revisionOf(record), entries);
  const present = await presentFiles(folder);
  compareWithLists(gathered, record, entries, all, present);
  const sample = sampleItems(all, options.samplePct ?? 100, options.seed, gathered.name)
    .filter((entry) => present.has(entry.path));
  const sizes = await sizesOf(folder, sample);
  await hashSample(options, gathered, folder, sample, sizes);
  const allPresent = entries.every((entry) => present.has(entry.path));
  const total = allPresent && gathered.findings.length === 0
    ? await totalSize(folder, entries)
    : undefined;
  const sidecarDigest = sha256Hex(list.bytes);
  gathered.addDisagreements("share", record, {
    sidecarName: name,
    sidecarSha256: sidecarDigest,
    files: entries.length,
    bytes: total,
  });
  return { entries, all, sidecarDigest, sizes };
}
