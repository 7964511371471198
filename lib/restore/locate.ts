/**
 * Resolve the backup: the manifest (from the share when it is mounted, else
 * its mirror in S3) names it, its last complete revision is the one restored,
 * and the share is looked at for its copy.
 *
 * @module
 */
import { join } from "node:path";
import type { Config } from "../config/mod.ts";
import { OperationFailedError } from "../errors.ts";
import { kindAt } from "../fs/mod.ts";
import { listName, revisionOf } from "../layout/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { ManifestRecord } from "../manifest/mod.ts";
import type { S3Store } from "../storage/s3.ts";
import { type ManifestSource, readMirroredManifest, readShareManifest } from "./manifest_source.ts";
import { resolveBackup, type ShareFacts, unsafePathReason } from "./plan.ts";

/** A backup the manifest names, and what the share holds of it. */
export interface LocatedBackup {
  /** The record of the revision restored. */
  readonly record: ManifestRecord;
  /** Where the manifest was read, for messages. */
  readonly manifest: string;
  /** `<truenas.root>/<instrument>/<study>`. */
  readonly folder: string;
  readonly share: ShareFacts;
}

/** What locating a backup needs. */
export interface LocateOptions {
  readonly config: Config;
  /** `<instrument>/<study>`, or `<study>` when only one instrument has it. */
  readonly name: string;
  /** The S3 store, opened on first use (a mounted share needs no S3). */
  readonly store: () => S3Store;
  readonly logger: Logger;
  /** How the user starts this program (lib/invocation.ts), for the hint that lists the backups. */
  readonly command: string;
}

/** The manifest from the share when it is mounted, else its mirror in S3. */
async function readBackups(options: LocateOptions, reachable: boolean): Promise<ManifestSource> {
  if (reachable) return await readShareManifest(options.config);
  const manifest = await readMirroredManifest(options.config, options.store());
  options.logger.info(
    `the share is not reachable at ${options.config.truenas.root}: using the manifest copy ` +
      manifest.label,
  );
  return manifest;
}

/**
 * Finds the backup `options.name` means.
 *
 * @throws {UsageError} for an unknown or ambiguous name.
 * @throws {OperationFailedError} when the manifest names it with a path that is not a folder name.
 */
export async function locateBackup(options: LocateOptions): Promise<LocatedBackup> {
  const root = options.config.truenas.root;
  const reachable = await kindAt(root) === "dir";
  const manifest = await readBackups(options, reachable);
  for (const warning of manifest.warnings) {
    options.logger.warn(`${warning.file}:${warning.line}: ${warning.message}`);
  }
  const latest = resolveBackup(options.name, manifest.latest, manifest.label, options.command);
  // A revision still in progress, or one that failed, leaves the last complete one to restore.
  const record = latest.status === "complete"
    ? latest
    : manifest.complete.get(latest.backup_name) ?? latest;
  const revision = revisionOf(record);
  if (record !== latest) {
    options.logger.info(
      `restore ${record.backup_name}: its latest revision is ${latest.status}; restoring ` +
        `revision ${revision}, the last complete one (${record.completed_at})`,
    );
  }
  for (const name of [record.instrument, record.run_name]) {
    if (unsafePathReason(name) !== undefined || name.includes("/")) {
      throw new OperationFailedError(
        `the manifest names ${record.backup_name} with '${name}', which is not a folder name: ` +
          `check ${manifest.label}`,
      );
    }
  }
  const folder = join(root, record.instrument, record.run_name);
  const folderPresent = reachable && await kindAt(folder) === "dir";
  return {
    record,
    manifest: manifest.label,
    folder,
    share: {
      reachable,
      folderPresent,
      sidecarPresent: folderPresent && await kindAt(join(folder, listName(revision))) === "file",
      listName: listName(revision),
      folder,
      root,
    },
  };
}
