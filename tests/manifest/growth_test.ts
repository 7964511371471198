/** What each complete revision of a backup stored, from records as values. */
import assert from "node:assert/strict";
import {
  completedRevisions,
  type ManifestRecord,
  parseManifest,
  recordProblem,
  storedBy,
} from "../../lib/manifest/mod.ts";

const GIB = 2 ** 30;

function record(fields: Partial<ManifestRecord> = {}): ManifestRecord {
  return {
    backup_name: "fusion-01/s",
    run_name: "s",
    instrument: "fusion-01",
    source_path: "D:\\FusionData\\s",
    truenas_path: "\\\\truenas\\fusion-backup\\fusion-01\\s",
    s3_uri: "s3://bucket/fusion/fusion-01/s/",
    file_count: 100,
    total_bytes: 10 * GIB,
    status: "complete",
    started_at: "2025-01-03T02:00:00Z",
    truenas_verified_at: "2025-01-03T02:10:00Z",
    s3_verified_at: "2025-01-03T02:20:00Z",
    completed_at: "2025-01-03T02:21:00Z",
    source_deleted_at: null,
    error: null,
    ...fields,
  };
}

Deno.test("storedBy: a first backup stored every file; a revision what it recorded storing", () => {
  assert.deepEqual(storedBy(record()), { files: 100, bytes: 10 * GIB });
  const revision = record({
    revision: 2,
    file_count: 101,
    total_bytes: 11 * GIB,
    stored_file_count: 3,
    stored_bytes: GIB,
  });
  assert.deepEqual(storedBy(revision), { files: 3, bytes: GIB });
  // A revision recorded without the fields: its whole size, the most it can have stored.
  const { stored_file_count: _files, stored_bytes: _bytes, ...bare } = revision;
  assert.deepEqual(storedBy(bare), { files: 101, bytes: 11 * GIB });
});

Deno.test("completedRevisions: each complete revision once, however many lines settle it", () => {
  const first = record();
  const second = record({
    revision: 2,
    started_at: "2025-03-03T02:00:00Z",
    completed_at: "2025-03-03T02:05:00Z",
    file_count: 101,
    total_bytes: 11 * GIB,
    stored_file_count: 3,
    stored_bytes: GIB,
  });
  const records = [
    { ...first, status: "in_progress" as const, completed_at: null },
    first,
    // A later run found the source gone: the complete record again, in that run's month.
    { ...first, started_at: "2025-02-03T02:00:00Z", source_deleted_at: "2025-02-03T02:00:05Z" },
    { ...second, status: "in_progress" as const, completed_at: null },
    second,
    { ...second, source_deleted_at: "2025-03-03T02:06:00Z" },
    // A third revision that failed stored nothing the report may count.
    record({ revision: 3, status: "failed_s3", completed_at: null, stored_bytes: 5 * GIB }),
    record({ backup_name: "fusion-02/t", instrument: "fusion-02", total_bytes: GIB }),
  ];
  assert.deepEqual(completedRevisions(records), [
    {
      backupName: "fusion-01/s",
      instrument: "fusion-01",
      revision: 1,
      completedAt: "2025-01-03T02:21:00Z",
      files: 100,
      bytes: 10 * GIB,
    },
    {
      backupName: "fusion-01/s",
      instrument: "fusion-01",
      revision: 2,
      completedAt: "2025-03-03T02:05:00Z",
      files: 3,
      bytes: GIB,
    },
    {
      backupName: "fusion-02/t",
      instrument: "fusion-02",
      revision: 1,
      completedAt: "2025-01-03T02:21:00Z",
      files: 100,
      bytes: GIB,
    },
  ]);
});

Deno.test("stored_file_count and stored_bytes: whole numbers when present, absent in earlier records", () => {
  const revision = record({ revision: 2, stored_file_count: 3, stored_bytes: 7 });
  assert.equal(recordProblem(revision), undefined);
  assert.equal(recordProblem(record()), undefined);
  assert.equal(
    recordProblem({ ...revision, stored_bytes: -1 }),
    "'stored_bytes' is not a whole number",
  );
  assert.equal(
    recordProblem({ ...revision, stored_file_count: "3" }),
    "'stored_file_count' is not a whole number",
  );
  const parsed = parseManifest(`${JSON.stringify(revision)}\n`, "m.jsonl");
  assert.deepEqual(parsed.warnings, []);
  assert.deepEqual(parsed.records.map((r) => [r.stored_file_count, r.stored_bytes]), [[3, 7]]);
});
