/**
 * `audit`: re-reads the TrueNAS copy of every complete backup and checks it
 * against its `_checksums.sha256` (bit rot, missing files), and with `--s3`
 * checks that S3 still holds every object with the recorded digest.
 *
 * The audit only reads and takes no lock, so a long audit never blocks the
 * monthly backup or cleanup. It reads the last complete revision of every
 * backup: what a complete revision stored is never rewritten (a later
 * revision only adds files beside it, see lib/layout/revision.ts), so a
 * backup that runs meanwhile changes nothing the audit reads. Every file any
 * complete revision's list names is hashed on the share; the S3 check covers
 * the same files. Cleanup may evict a complete folder while the audit reads
 * it: a folder that is gone once its check ends counts as evicted, not as
 * missing files.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { forEachLimited } from "../concurrency/mod.ts";
import type { Config } from "../config/mod.ts";
import { errorMessage } from "../errors.ts";
import { kindAt, walk } from "../fs/mod.ts";
import type { Logger } from "../log/mod.ts";
import {
  type CopyTotals,
  disagreementsWithRecord,
  foldComplete,
  type ManifestRecord,
  readManifest,
  recordedSidecarSha256,
  unrecordedSidecarNote,
} from "../manifest/mod.ts";
import {
  isOwnFile,
  listName,
  listNames,
  localPath,
  parseS3Uri,
  parseSidecar,
  readSidecar,
  readStoredSidecar,
  requireShareRoot,
  revisionOf,
  shareHolders,
  shareLockReport,
  type SidecarEntry,
  type StoredSidecar,
} from "../layout/mod.ts";
import type { RestoreProgress } from "../restore/mod.ts";
import { hashFile, sha256Hex } from "../storage/mod.ts";
import { shortDigest } from "../text/mod.ts";
import type { S3Store } from "../storage/s3.ts";
import { sampleItems } from "./sample.ts";

/** Share files read at once. */
const SHARE_CONCURRENCY = 4;
/** HeadObject requests at once, at least. */
const HEAD_CONCURRENCY = 8;
/** Share files sized at once (a stat on an SMB share is a round trip). */
const STAT_CONCURRENCY = 8;

/** Receives progress; the CLI draws it on a terminal. */
export type AuditProgress = RestoreProgress;

/** What `audit` was asked to do. */
export interface AuditOptions {
  readonly config: Config;
  /** `--sample`: the percentage of each backup's files read (and, with `s3`, HEADed); all when absent. */
  readonly samplePct?: number | undefined;
  /** Picks the sample (see sample.ts). */
  readonly seed: number;
  /** `--s3`: also check the S3 copy of every complete backup. */
  readonly s3: boolean;
  /** The S3 store, opened on first use. */
  readonly store: () => S3Store;
  readonly logger: Logger;
  readonly progress: AuditProgress;
}

/** Something wrong with a stored copy. */
export interface Finding {
  readonly place: "share" | "s3";
  /** The file (relative to the study), or the sidecar. */
  readonly path: string;
  readonly problem: string;
}

/** How the share copy of a backup was checked. */
export type ShareState = "checked" | "evicted" | "evicted during the audit";

/** The audit of one backup. */
export interface BackupAudit {
  readonly backup: string;
  readonly share: ShareState;
  /** Files its sidecar lists (0 when no sidecar could be read). */
  readonly files: number;
  /** Files read and hashed on the share. */
  readonly shareChecked: number;
  readonly shareBytes: number;
  /** Objects checked by HeadObject; undefined without `--s3`. */
  readonly s3Checked: number | undefined;
  readonly findings: readonly Finding[];
  /** Worth knowing, not wrong: files on the share the sidecar does not list. */
  readonly notes: readonly string[];
}

/** The whole audit. */
export interface AuditReport {
  readonly manifest: string;
  readonly backups: readonly BackupAudit[];
  readonly samplePct: number | undefined;
  readonly seed: number;
  readonly s3: boolean;
  /** Who holds the share lock, when a backup or cleanup runs during the audit. */
  readonly shareLockHolder: string | undefined;
}

/** Findings of the report, all backups. */
export function allFindings(report: AuditReport): { backup: string; finding: Finding }[] {
  return report.backups.flatMap((audit) =>
    audit.findings.map((finding) => ({ backup: audit.backup, finding }))
  );
}

/** What one backup's audit gathers as it goes. */
class Gathered {
  readonly findings: Finding[] = [];
  readonly notes: string[] = [];
  shareChecked = 0;
  shareBytes = 0;
  s3Checked: number | undefined;

  constructor(readonly name: string) {}

  add(place: Finding["place"], path: string, problem: string): void {
    this.findings.push({ place, path, problem });
  }

  /** Each way a copy in `place` disagrees with `record` (lib/manifest/agreement.ts) is a finding. */
  addDisagreements(place: Finding["place"], record: ManifestRecord, copy: CopyTotals): void {
    for (const disagreement of disagreementsWithRecord(record, copy)) {
      this.add(
        place,
        copy.sidecarName,
        `is not the one the manifest record describes: ${disagreement}`,
      );
    }
  }
}

/** What the share copy of a backup showed. */
interface ShareRead {
  /** The list of the revision audited, undefined when it could not be read. */
  readonly entries: SidecarEntry[] | undefined;
  /** Every stored file of its revisions. */
  readonly all: SidecarEntry[];
  /** SHA-256 of that list's bytes. */
  readonly sidecarDigest: string | undefined;
  /** Sizes of the files read. */
  readonly sizes: Map<string, number>;
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

/**
 * Checks the share copy in `folder` of the revision `record` describes:
 * every file of its revisions against their lists, then that revision's
 * list, its file count and (when no file had a finding of its own, which
 * would explain it) the files' total size against the manifest record.
 */
async function auditShare(
  options: AuditOptions,
  gathered: Gathered,
  folder: string,
  record: ManifestRecord,
): Promise<ShareRead> {
  const sizes = new Map<string, number>();
  const name = listName(revisionOf(record));
  let list: StoredSidecar | undefined;
  try {
    list = await readStoredSidecar(folder, name);
  } catch (error) {
    gathered.add("share", name, `cannot be read: ${errorMessage(error)}`);
    return { entries: undefined, all: [], sidecarDigest: undefined, sizes };
  }
  if (list === undefined) {
    gathered.add("share", name, "is missing: the share copy cannot be verified");
    return { entries: undefined, all: [], sidecarDigest: undefined, sizes };
  }
  const { entries } = list;
  const all = await allRevisionFiles(folder, revisionOf(record), entries);
  const present = new Set<string>();
  for await (const entry of walk(folder)) {
    if (entry.kind !== "dir") present.add(entry.path);
  }
  const listed = new Set(all.map((entry) => entry.path));
  for (const entry of entries) {
    if (!present.has(entry.path)) gathered.add("share", entry.path, "is missing from the share");
  }
  for (const path of present) {
    // The file lists, and the copy journal a backup stopped right after `complete` may leave.
    if (!isOwnFile(path) && !listed.has(path)) {
      gathered.notes.push(
        `${path} is on the share but not in ${listNames(revisionOf(record))}`,
      );
    }
  }
  const sample = sampleItems(all, options.samplePct ?? 100, options.seed, gathered.name)
    .filter((entry) => present.has(entry.path));
  for (const entry of sample) {
    // A file that cannot be stat'ed is reported when it is read below.
    await Deno.stat(localPath(folder, entry.path)).then(
      (info) => sizes.set(entry.path, info.size),
      () => {},
    );
  }

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
          onProgress: (bytes) => progress.advance(0, bytes),
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

/**
 * Checks the S3 copy of `record` against the share's list of its revision
 * (or that list in S3 when the share has none), and every file of its
 * revisions the share's lists name.
 */
async function auditS3(
  options: AuditOptions,
  gathered: Gathered,
  record: ManifestRecord,
  share: { entries: SidecarEntry[] | undefined; all: readonly SidecarEntry[] },
  shareSidecarDigest: string | undefined,
  shareSizes: ReadonlyMap<string, number>,
): Promise<number> {
  const store = options.store();
  const list = listName(revisionOf(record));
  const shareEntries = share.entries;
  const location = parseS3Uri(record.s3_uri);
  if (location === undefined) {
    gathered.add(
      "s3",
      list,
      `the manifest's s3_uri '${record.s3_uri}' is not s3://bucket/key: not checked`,
    );
    return 0;
  }
  const { bucket, prefix } = location;
  if (bucket !== store.bucket) {
    gathered.add(
      "s3",
      list,
      `the backup is in bucket '${bucket}' but [s3] bucket is '${store.bucket}': not checked`,
    );
    return 0;
  }
  const keyOf = (path: string) => `${prefix}/${path}`;
  const sizes = await store.listSizes(`${prefix}/`);
  let entries = shareEntries;
  const listUri = store.uri(keyOf(list));
  const sidecarHead = await store.headObject(keyOf(list));
  if (sidecarHead === undefined) {
    gathered.add("s3", list, `${listUri} does not exist`);
  } else {
    if (shareSidecarDigest !== undefined && sidecarHead.sha256Hex !== shareSidecarDigest) {
      gathered.add(
        "s3",
        list,
        `${listUri} differs from the share's (sha256 metadata ` +
          `${shortDigest(sidecarHead.sha256Hex)}, the share's is ${
            shortDigest(shareSidecarDigest)
          })`,
      );
    }
    // S3's own checksum of the bytes it holds ties them to the metadata, without a download.
    const expected = Buffer.from(sidecarHead.sha256Hex ?? "", "hex").toString("base64");
    if (
      sidecarHead.sha256Hex !== undefined && sidecarHead.checksumSha256 !== undefined &&
      !sidecarHead.checksumSha256.includes("-") && sidecarHead.checksumSha256 !== expected
    ) {
      gathered.add(
        "s3",
        list,
        `${listUri}: ChecksumSHA256 ${sidecarHead.checksumSha256}, its sha256 metadata says ` +
          expected,
      );
    }
  }
  if (entries === undefined && sidecarHead !== undefined) {
    const object = await store.getBytes(keyOf(list));
    if (object === undefined || object.sha256Hex !== sha256Hex(object.bytes)) {
      gathered.add(
        "s3",
        list,
        "does not match its sha256 metadata: the S3 copy cannot be verified",
      );
    } else {
      try {
        entries = parseSidecar(new TextDecoder().decode(object.bytes));
      } catch (error) {
        gathered.add("s3", list, `cannot be read: ${errorMessage(error)}`);
      }
    }
  }
  if (entries === undefined) return 0;

  let missing = 0;
  let total = 0;
  for (const entry of entries) {
    const size = sizes.get(keyOf(entry.path));
    if (size === undefined) {
      missing++;
      gathered.add("s3", entry.path, `${store.uri(keyOf(entry.path))} does not exist`);
    } else {
      total += size;
    }
  }
  if (sidecarHead !== undefined) {
    gathered.addDisagreements("s3", record, {
      sidecarName: list,
      sidecarSha256: sidecarHead.sha256Hex,
      // A list read on the share had its count checked there.
      files: shareEntries === undefined ? entries.length : undefined,
      bytes: missing === 0 ? total : undefined,
    });
  }
  const checkedFiles = shareEntries === undefined ? entries : share.all;
  const sample = sampleItems(checkedFiles, options.samplePct ?? 100, options.seed, gathered.name)
    .filter((entry) => sizes.has(keyOf(entry.path)));
  const { progress } = options;
  progress.stage(gathered.name, "s3", sample.length, 0);
  let checked = 0;
  try {
    await forEachLimited(
      sample,
      Math.max(options.config.s3.concurrency, HEAD_CONCURRENCY),
      async (entry) => {
        const uri = store.uri(keyOf(entry.path));
        const head = await store.headObject(keyOf(entry.path));
        checked++;
        progress.advance(1, 0);
        if (head === undefined) {
          gathered.add("s3", entry.path, `${uri} does not exist`);
          return;
        }
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
        } else if (!head.checksumSha256.includes("-")) {
          // A single PUT's checksum is the whole file's; a multipart one (`...-N`) is a digest of
          // part digests that the sidecar cannot give (S3 checked every part on upload).
          const expected = Buffer.from(entry.sha256Hex, "hex").toString("base64");
          if (head.checksumSha256 !== expected) {
            problems.push(
              `ChecksumSHA256 ${head.checksumSha256}, the sidecar's digest is ${expected}`,
            );
          }
        }
        const shareSize = shareSizes.get(entry.path);
        if (shareSize !== undefined && head.size !== shareSize) {
          problems.push(`${head.size} bytes, the share copy has ${shareSize}`);
        }
        if (problems.length > 0) gathered.add("s3", entry.path, `${uri}: ${problems.join("; ")}`);
      },
    );
  } finally {
    progress.end();
  }
  return checked;
}

async function auditBackup(options: AuditOptions, record: ManifestRecord): Promise<BackupAudit> {
  const gathered = new Gathered(record.backup_name);
  const folder = join(options.config.truenas.root, record.instrument, record.run_name);
  let share: ShareState = "evicted";
  let entries: SidecarEntry[] | undefined;
  let all: SidecarEntry[] = [];
  let sidecarDigest: string | undefined;
  let sizes: ReadonlyMap<string, number> = new Map();
  if (await kindAt(folder) === "dir") {
    share = "checked";
    try {
      ({ entries, all, sidecarDigest, sizes } = await auditShare(
        options,
        gathered,
        folder,
        record,
      ));
    } catch (error) {
      // The folder could not be listed: gone (see below), or a finding.
      gathered.add("share", ".", `the folder cannot be read: ${errorMessage(error)}`);
    }
    if (gathered.findings.length > 0 && await kindAt(folder) === undefined) {
      // Cleanup evicted it while it was read: what looked missing is simply gone.
      share = "evicted during the audit";
      gathered.findings.length = 0;
      entries = undefined;
      all = [];
      sidecarDigest = undefined;
      sizes = new Map();
    }
  }
  if (options.s3) {
    gathered.s3Checked = await auditS3(
      options,
      gathered,
      record,
      { entries, all },
      sidecarDigest,
      sizes,
    );
  }
  if (recordedSidecarSha256(record) === undefined && (entries !== undefined || options.s3)) {
    gathered.notes.push(unrecordedSidecarNote(record, listName(revisionOf(record))));
  }
  gathered.findings.sort((a, b) =>
    a.place !== b.place
      ? (a.place === "share" ? -1 : 1)
      : a.path < b.path
      ? -1
      : a.path > b.path
      ? 1
      : 0
  );
  for (const finding of gathered.findings) {
    options.logger.error(
      `audit ${record.backup_name}: ${finding.place} ${finding.path} ${finding.problem}`,
    );
  }
  return {
    backup: record.backup_name,
    share,
    files: entries?.length ?? 0,
    shareChecked: gathered.shareChecked,
    shareBytes: gathered.shareBytes,
    s3Checked: gathered.s3Checked,
    findings: gathered.findings,
    notes: gathered.notes,
  };
}

/**
 * Audits the last complete revision of every backup, in name order.
 *
 * @throws {ConfigError} when the share is not mounted.
 * @throws {S3StorageError} with `s3` when S3 cannot be asked.
 */
export async function runAudit(options: AuditOptions): Promise<AuditReport> {
  const { config, logger } = options;
  const root = config.truenas.root;
  await requireShareRoot(root);
  const manifest = await readManifest(config.truenas.manifestRoot);
  for (const warning of manifest.warnings) {
    logger.warn(`${warning.file}:${warning.line}: ${warning.message}`);
  }
  const lockHolder = shareHolders(await shareLockReport(root));
  if (lockHolder !== undefined) {
    logger.info(
      `a backup or cleanup is running (${lockHolder}); the audit reads only complete ` +
        "revisions, and a folder evicted meanwhile counts as evicted",
    );
  }
  const complete = [...foldComplete(manifest.records).values()]
    .sort((a, b) => a.backup_name < b.backup_name ? -1 : a.backup_name > b.backup_name ? 1 : 0);
  const backups: BackupAudit[] = [];
  for (const record of complete) backups.push(await auditBackup(options, record));
  return {
    manifest: config.truenas.manifestRoot,
    backups,
    samplePct: options.samplePct,
    seed: options.seed,
    s3: options.s3,
    shareLockHolder: lockHolder,
  };
}
