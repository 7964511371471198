/** The pure decisions of a study's backup, on values. */
import assert from "node:assert/strict";
import {
  decideStudy,
  diffState,
  firstBackup,
  revisionWork,
  spaceNeeded,
  unchanged,
  workCounts,
} from "../../lib/backup/mod.ts";
import type { ManifestRecord } from "../../lib/manifest/mod.ts";
import { EMPTY_LISTING } from "../../lib/study/mod.ts";

const DIGEST = (n: number) => String(n).repeat(64).slice(0, 64);

function record(fields: Partial<ManifestRecord> = {}): ManifestRecord {
  return {
    backup_name: "fusion-01/s",
    run_name: "s",
    instrument: "fusion-01",
    source_path: "/d/s",
    truenas_path: "/n/s",
    s3_uri: "s3://b/s/",
    file_count: 1,
    total_bytes: 1,
    status: "complete",
    started_at: "2025-04-01T02:00:00Z",
    truenas_verified_at: null,
    s3_verified_at: null,
    completed_at: "2025-04-01T03:00:00Z",
    source_deleted_at: null,
    error: null,
    ...fields,
  };
}

Deno.test("decideStudy: a complete backup is compared with; none is backed up; an unknown one refused", () => {
  assert.deepEqual(decideStudy(undefined, undefined, false), { kind: "first" });
  assert.deepEqual(decideStudy(record({ status: "failed_s3" }), undefined, true), {
    kind: "first",
  });
  const complete = record();
  assert.deepEqual(decideStudy(complete, complete, false), {
    kind: "compare",
    base: complete,
    next: 2,
  });
  // A failed revision 3 after a complete revision 2: compared with 2, and becomes 3 again.
  const two = record({ revision: 2 });
  assert.deepEqual(decideStudy(record({ status: "failed_s3", revision: 3 }), two, false), {
    kind: "compare",
    base: two,
    next: 3,
  });
  const refused = decideStudy(undefined, undefined, true);
  assert.equal(refused.kind, "refuse");
  assert.match(
    refused.kind === "refuse" ? refused.message : "",
    /already holds a backup that the manifest does not know .* it is never overwritten/,
  );
});

Deno.test("diffState and revisionWork: unchanged files stay where stored, the rest go to _revisions/N", () => {
  const base = [
    { path: "a.xpd", sha256Hex: DIGEST(1) },
    { path: "x/old.bin", sha256Hex: DIGEST(2) },
    { path: "_revisions/2/x/changed.bin", sha256Hex: DIGEST(3) },
    { path: "x/gone.bin", sha256Hex: DIGEST(4) },
  ];
  const source = [
    { path: "a.xpd", size: 1, mtime: 1, sha256Hex: DIGEST(1) },
    { path: "x/old.bin", size: 2, mtime: 2, sha256Hex: DIGEST(2) },
    { path: "x/changed.bin", size: 3, mtime: 3, sha256Hex: DIGEST(5) },
    { path: "x/new.bin", size: 4, mtime: 4, sha256Hex: DIGEST(6) },
  ];
  const changes = diffState(base, source);
  assert.deepEqual(changes, {
    added: ["x/new.bin"],
    changed: ["x/changed.bin"],
    removed: ["x/gone.bin"],
  });
  assert.equal(unchanged(changes), false);
  assert.equal(unchanged(diffState(base.slice(0, 2), source.slice(0, 2))), true);
  const work = revisionWork(3, base, source, ["x/empty"]);
  assert.deepEqual(work.files.map((file) => [file.path, file.stored, file.kept]), [
    ["a.xpd", "a.xpd", DIGEST(1)],
    ["x/old.bin", "x/old.bin", DIGEST(2)],
    ["x/changed.bin", "_revisions/3/x/changed.bin", undefined],
    ["x/new.bin", "_revisions/3/x/new.bin", undefined],
  ]);
  assert.deepEqual(work.emptyDirs, ["_revisions/3/x/empty"]);
  assert.equal(work.revision, 3);
  // The record counts the whole state, and what the revision stores itself.
  assert.deepEqual(workCounts(work), {
    file_count: 4,
    total_bytes: 10,
    stored_file_count: 2,
    stored_bytes: 7,
  });
});

Deno.test("firstBackup stores every file at its own path", () => {
  const listing = {
    ...EMPTY_LISTING,
    files: [{ path: "a", size: 1, mtime: 1 }],
    emptyDirs: ["e"],
  };
  assert.deepEqual(firstBackup(listing), {
    revision: 1,
    files: [{ path: "a", size: 1, mtime: 1, stored: "a", kept: undefined }],
    emptyDirs: ["e"],
    changes: undefined,
  });
  // A first backup stores every file: nothing more to record.
  assert.deepEqual(workCounts(firstBackup(listing)), { file_count: 1, total_bytes: 1 });
});

Deno.test("spaceNeeded: the bytes still to write, a block per file, and room for the lists", () => {
  const files = Array.from({ length: 3 }, (_, index) => ({
    path: String(index),
    size: 10,
    mtime: 0,
    stored: String(index),
    kept: undefined,
  }));
  assert.equal(spaceNeeded({ bytesToWrite: 30, toCopy: files }), 30 + 3 * 8192 + 1024 * 1024);
});
