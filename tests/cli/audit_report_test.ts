/** The audit's report and failure email (lib/cli/audit.ts): pure. */
import assert from "node:assert/strict";
import type { AuditReport, BackupAudit } from "../../lib/audit/mod.ts";
import { auditFailure, renderAudit } from "../../lib/cli/audit.ts";

function backup(name: string, findings: number): BackupAudit {
  return {
    backup: name,
    share: "checked",
    files: 100,
    shareChecked: 100,
    shareBytes: 2048,
    s3Checked: undefined,
    findings: Array.from({ length: findings }, (_, index) => ({
      place: "share" as const,
      path: `exp/Scan1/.temp/tile_${index}.bin`,
      problem: "changed",
    })),
    notes: [],
  };
}

function report(backups: BackupAudit[]): AuditReport {
  return {
    manifest: "Z:\\_manifest",
    backups,
    samplePct: undefined,
    seed: 1,
    s3: false,
    shareLockHolder: undefined,
  };
}

Deno.test("no complete backups: one line naming the manifest", () => {
  assert.equal(renderAudit(report([])), "no complete backups in the manifest Z:\\_manifest\n");
  assert.equal(auditFailure(report([])), undefined);
});

Deno.test("the failure email names the backup when there is one, and lists at most 50 findings", () => {
  const one = auditFailure(report([backup("fusion-01/S", 2), backup("fusion-01/T", 0)]));
  assert.deepEqual(one, {
    study: "fusion-01/S",
    title: "audit found 2 problems in 1 backup",
    lines: [
      "fusion-01/S: share exp/Scan1/.temp/tile_0.bin: changed",
      "fusion-01/S: share exp/Scan1/.temp/tile_1.bin: changed",
    ],
  });
  const many = auditFailure(report([backup("fusion-01/S", 70), backup("fusion-01/T", 1)]));
  assert.equal(many?.study, undefined);
  assert.equal(many?.title, "audit found 71 problems in 2 backups");
  assert.equal(many?.lines.length, 51);
  assert.equal(many?.lines.at(-1), "... and 21 more: see the audit's output or the log");
  const text = renderAudit(report([backup("fusion-01/S", 70)]));
  assert.equal(text.split("\n").filter((line) => line.startsWith("FINDING ")).length, 70);
  assert.match(text, /^fusion-01\/S {2}read 100 of 100 files, 2\.0 KiB {2}- +70 findings$/m);
});
