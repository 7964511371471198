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
import { join } from "node:path";
import { errorMessage } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import {
  foldComplete,
  type ManifestRecord,
  readManifest,
  recordedSidecarSha256,
  unrecordedSidecarNote,
} from "../manifest/mod.ts";
import {
  listName,
  requireShareRoot,
  revisionOf,
  shareHolders,
  shareLockReport,
} from "../layout/mod.ts";
import { backupAudit, Gathered } from "./gathered.ts";
import { auditS3 } from "./s3.ts";
import { auditShare, nothingRead, type ShareRead } from "./share.ts";
import type { AuditOptions, AuditReport, BackupAudit, Finding, ShareState } from "./types.ts";

/** Findings of the report, all backups. */
export function allFindings(report: AuditReport): { backup: string; finding: Finding }[] {
  return report.backups.flatMap((audit) =>
    audit.findings.map((finding) => ({ backup: audit.backup, finding }))
  );
}

/**
 * The share copy of a backup in `folder`, checked when it is there. A copy
 * that cleanup evicted while it was read counts as evicted, its findings
 * dropped: what looked missing is simply gone.
 */
async function auditShareCopy(
  options: AuditOptions,
  gathered: Gathered,
  folder: string,
  record: ManifestRecord,
): Promise<{ state: ShareState; read: ShareRead }> {
  if (await kindAt(folder) !== "dir") return { state: "evicted", read: nothingRead() };
  let read = nothingRead();
  try {
    read = await auditShare(options, gathered, folder, record);
  } catch (error) {
    // The folder could not be listed: gone (see below), or a finding.
    gathered.add("share", ".", `the folder cannot be read: ${errorMessage(error)}`);
  }
  if (gathered.findings.length > 0 && await kindAt(folder) === undefined) {
    gathered.findings.length = 0;
    return { state: "evicted during the audit", read: nothingRead() };
  }
  return { state: "checked", read };
}

async function auditBackup(options: AuditOptions, record: ManifestRecord): Promise<BackupAudit> {
  const gathered = new Gathered(record.backup_name);
  const folder = join(options.config.truenas.root, record.instrument, record.run_name);
  const { state, read } = await auditShareCopy(options, gathered, folder, record);
  if (options.s3) gathered.s3Checked = await auditS3(options, gathered, record, read);
  if (recordedSidecarSha256(record) === undefined && (read.entries !== undefined || options.s3)) {
    gathered.notes.push(unrecordedSidecarNote(record, listName(revisionOf(record))));
  }
  const audit = backupAudit(gathered, state, read.entries?.length ?? 0);
  for (const finding of audit.findings) {
    options.logger.error(
      `audit ${record.backup_name}: ${finding.place} ${finding.path} ${finding.problem}`,
    );
  }
  return audit;
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
