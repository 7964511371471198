/**
 * The pure decisions of a restore: which backup a name means, where to
 * restore it from and why, which paths are safe to write, where its S3 copy
 * is, and how long an archive retrieval usually takes. No I/O.
 *
 * @module
 */
import { OperationFailedError, UsageError } from "../errors.ts";
import type { ManifestRecord } from "../manifest/mod.ts";
import type { RestoreTier } from "../storage/s3.ts";
import { editDistance } from "../text/mod.ts";

/** Where a restore reads from: the TrueNAS share or the S3 archive. */
export type RestoreSource = "truenas" | "s3";

/** How many near names an unknown backup name lists. */
const SUGGESTIONS = 5;

/** Typos a near name may be away from the name given: one or two characters wrong, missing, extra or swapped. */
const NEAR_EDITS = 2;

function studyPart(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}

/**
 * The backup names `wanted` may have meant, nearest first: those within
 * {@linkcode NEAR_EDITS} typos of it, as `<instrument>/<study>` or by study
 * alone (another instrument), and those whose name contains its study part.
 */
function nearBackupNames(wanted: string, names: readonly string[]): string[] {
  const study = studyPart(wanted).toLowerCase();
  if (study === "") return [];
  const scored = names.map((name) => {
    const lower = name.toLowerCase();
    const edits = Math.min(
      editDistance(wanted.toLowerCase(), lower),
      editDistance(study, studyPart(lower)),
    );
    return { name, edits: lower.includes(study) ? Math.min(edits, NEAR_EDITS) : edits };
  });
  return scored
    .filter((candidate) => candidate.edits <= NEAR_EDITS)
    .sort((a, b) => a.edits - b.edits || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, SUGGESTIONS)
    .map((candidate) => candidate.name);
}

/**
 * The latest record of the backup `name` means: `<instrument>/<study>`
 * exactly, or a bare `<study>` when one instrument has it. `command` is how
 * the user starts this program, for the hint that lists the backups.
 *
 * @throws {UsageError} when no backup or several have that name.
 */
export function resolveBackup(
  name: string,
  latest: ReadonlyMap<string, ManifestRecord>,
  manifestLabel: string,
  command: string,
): ManifestRecord {
  const wanted = name.trim().replaceAll("\\", "/").replace(/\/+$/, "");
  const exact = latest.get(wanted);
  if (exact !== undefined) return exact;
  if (!wanted.includes("/")) {
    const byStudy = [...latest.values()].filter((record) => record.run_name === wanted);
    if (byStudy.length === 1 && byStudy[0] !== undefined) return byStudy[0];
    if (byStudy.length > 1) {
      throw new UsageError(
        `'${wanted}' was backed up from several instruments ` +
          `(${
            byStudy.map((record) => record.backup_name).join(", ")
          }): name one as <instrument>/<study>`,
      );
    }
  }
  const near = nearBackupNames(wanted, [...latest.keys()]);
  throw new UsageError(
    `no backup named '${wanted}' in the manifest ${manifestLabel}` +
      (near.length > 0 ? ` (did you mean ${near.join(", ")}?)` : "") +
      `; \`${command} manifest show\` lists them`,
  );
}

/** What was found of a backup on the share. */
export interface ShareFacts {
  /** The share root exists (it is mounted). */
  readonly reachable: boolean;
  /** `<root>/<instrument>/<study>` exists. */
  readonly folderPresent: boolean;
  /** Its file list exists: the copy was verified when it was written. */
  readonly sidecarPresent: boolean;
  /** That list's name, when not `_checksums.sha256` (a revision's, lib/layout/revision.ts). */
  readonly listName?: string;
  /** The share folder, for messages. */
  readonly folder: string;
  /** The share root, for messages. */
  readonly root: string;
}

/** The chosen source and the one-line reason shown to the user. */
export interface SourceChoice {
  readonly source: RestoreSource;
  readonly reason: string;
}

function shareProblem(facts: ShareFacts): string | undefined {
  if (!facts.reachable) return `the share is not reachable at ${facts.root}`;
  if (!facts.folderPresent) {
    return `${facts.folder} is no longer on the share (cleanup evicts old backups)`;
  }
  if (!facts.sidecarPresent) {
    return `${facts.folder} has no ${
      facts.listName ?? "_checksums.sha256"
    } (its backup did not finish there)`;
  }
  return undefined;
}

/**
 * Where to restore `record` from: the share by default when its folder and
 * sidecar are there, else S3 when the manifest says the S3 copy is complete.
 * `requested` (`--from`) overrides. Pure.
 *
 * @throws {OperationFailedError} when the chosen source cannot serve the restore.
 */
export function chooseSource(
  record: ManifestRecord,
  facts: ShareFacts,
  requested: RestoreSource | undefined,
): SourceChoice {
  const share = shareProblem(facts);
  const s3Complete = record.status === "complete";
  const s3Problem = `its S3 copy is not verified (manifest status ${record.status})`;
  if (requested === "truenas") {
    if (share !== undefined) {
      throw new OperationFailedError(
        `cannot restore ${record.backup_name} from the share: ${share}` +
          (s3Complete ? "; restore it from S3 with --from s3" : `, and ${s3Problem}`),
      );
    }
    return { source: "truenas", reason: "--from truenas" };
  }
  if (requested === "s3") {
    if (!s3Complete) {
      throw new OperationFailedError(
        `cannot restore ${record.backup_name} from S3: ${s3Problem}` +
          (share === undefined ? "; restore it from the share with --from truenas" : ""),
      );
    }
    return { source: "s3", reason: "--from s3" };
  }
  if (share === undefined) {
    return { source: "truenas", reason: `the share holds its verified copy at ${facts.folder}` };
  }
  if (s3Complete) return { source: "s3", reason: share };
  throw new OperationFailedError(
    `cannot restore ${record.backup_name}: ${share}, and ${s3Problem}`,
  );
}

/**
 * What to do when the copy `source` holds of `record` cannot be trusted:
 * restore from the other source when it can serve, else say that none can.
 * Pure.
 */
export function otherSourceHint(
  record: ManifestRecord,
  facts: ShareFacts,
  source: RestoreSource,
): string {
  if (source === "truenas") {
    return record.status === "complete"
      ? "restore it from S3 with --from s3"
      : `its S3 copy is not verified either (manifest status ${record.status}): no verified ` +
        "copy is left to restore from";
  }
  const share = shareProblem(facts);
  return share === undefined
    ? "restore it from the share with --from truenas"
    : `${share}: no verified copy is left to restore from`;
}

/**
 * Why a sidecar path must not be written under the restore folder, or
 * undefined when it is safe: relative, `/`-separated, no `.`/`..` or empty
 * segments, no drive letter or backslash. Pure.
 */
export function unsafePathReason(path: string): string | undefined {
  if (path === "") return "an empty path";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "an absolute path";
  if (path.includes("\\")) return "a backslash in the path";
  if (path.includes("\0")) return "a NUL character in the path";
  const bad = path.split("/").find((segment) =>
    segment === "" || segment === "." || segment === ".."
  );
  if (bad !== undefined) return `a '${bad}' path segment`;
  return undefined;
}

/** The folder a `/`-separated path of a backup is in ("" for the top). Pure. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

/** S3's published typical retrieval times, per storage class and tier. */
const TYPICAL_WAIT: Readonly<Record<string, Readonly<Record<RestoreTier, string>>>> = {
  GLACIER: { Standard: "3-5 hours", Bulk: "5-12 hours" },
  DEEP_ARCHIVE: { Standard: "within 12 hours", Bulk: "within 48 hours" },
};

/** How long a retrieval from `storageClass` with `tier` typically takes, per AWS. Pure. */
export function typicalWait(storageClass: string, tier: RestoreTier): string {
  return TYPICAL_WAIT[storageClass]?.[tier] ?? "several hours";
}
