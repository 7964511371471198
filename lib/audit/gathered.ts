/**
 * What one backup's audit gathers as it goes: findings, notes and counts.
 *
 * @module
 */
import { type CopyTotals, disagreementsWithRecord, type ManifestRecord } from "../manifest/mod.ts";
import type { BackupAudit, Finding } from "./types.ts";

/** What one backup's audit gathers as it goes. */
export class Gathered {
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

/** The findings, the share's first, each place's by path. */
export function sortedFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) =>
    a.place !== b.place
      ? (a.place === "share" ? -1 : 1)
      : a.path < b.path
      ? -1
      : a.path > b.path
      ? 1
      : 0
  );
}

/** What the audit of one backup found, once it is over. */
export function backupAudit(
  gathered: Gathered,
  share: BackupAudit["share"],
  files: number,
): BackupAudit {
  return {
    backup: gathered.name,
    share,
    files,
    shareChecked: gathered.shareChecked,
    shareBytes: gathered.shareBytes,
    s3Checked: gathered.s3Checked,
    findings: sortedFindings(gathered.findings),
    notes: gathered.notes,
  };
}
