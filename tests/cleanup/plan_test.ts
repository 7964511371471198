/** The planner on its own: matching the share with the manifest, ordering, and the plan. */
import assert from "node:assert/strict";
import {
  type Assessment,
  type Candidate,
  type CleanupPlan,
  matchShare,
  planCleanup,
  type ShareEntry,
  targetFreeBytes,
} from "../../lib/cleanup/mod.ts";
import type { ManifestRecord } from "../../lib/manifest/mod.ts";

function record(name: string, fields: Partial<ManifestRecord> = {}): ManifestRecord {
  const [instrument = "", study = ""] = name.split("/");
  return {
    backup_name: name,
    run_name: study,
    instrument,
    source_path: `D:\\FusionData\\${study}`,
    truenas_path: `\\\\truenas\\fusion-backup\\${instrument}\\${study}`,
    s3_uri: `s3://lab/fusion/${name}/`,
    file_count: 3,
    total_bytes: 300,
    status: "complete",
    started_at: "2025-01-01T02:00:00Z",
    truenas_verified_at: "2025-01-01T02:10:00Z",
    s3_verified_at: "2025-01-01T02:20:00Z",
    completed_at: "2025-01-01T02:21:00Z",
    source_deleted_at: "2025-01-01T02:22:00Z",
    error: null,
    ...fields,
  };
}

function entry(name: string, kind: ShareEntry["kind"] = "dir"): ShareEntry {
  const [instrument = "", study = ""] = name.split("/");
  return { instrument, name: study, path: `/share/${name}`, kind };
}

function candidate(name: string, completedAt: string): Candidate {
  return {
    backupName: name,
    path: `/share/${name}`,
    record: record(name, { completed_at: completedAt }),
  };
}

const ok = (bytes: number, files = 3): Assessment => ({ evictable: true, files, bytes });
const no = (reason: string): Assessment => ({ evictable: false, reason });

const OLD = candidate("f1/a", "2025-01-01T00:00:00Z");
const MID = candidate("f1/b", "2025-02-01T00:00:00Z");
const NEW = candidate("f1/c", "2025-03-01T00:00:00Z");
const NEWEST = candidate("f1/d", "2025-04-01T00:00:00Z");
const ALL = [OLD, MID, NEW, NEWEST];

function plan(
  freeBytes: number,
  assessments: Record<string, Assessment>,
  options: { thresholdPct?: number; totalBytes?: number; candidates?: Candidate[] } = {},
): CleanupPlan {
  return planCleanup({
    space: { freeBytes, totalBytes: options.totalBytes ?? 1000 },
    thresholdPct: options.thresholdPct ?? 20,
    candidates: options.candidates ?? ALL,
    assessments: new Map(Object.entries(assessments)),
  });
}

const names = (result: CleanupPlan) => result.evictions.map((item) => item.candidate.backupName);

Deno.test("matchShare: candidates oldest first by completed_at, ties by name", () => {
  const latest = new Map([
    ["f1/late", record("f1/late", { completed_at: "2025-03-01T00:00:00Z" })],
    ["f1/early", record("f1/early", { completed_at: "2025-01-01T00:00:00Z" })],
    ["f2/tie-b", record("f2/tie-b", { completed_at: "2025-02-01T00:00:00Z" })],
    ["f1/tie-a", record("f1/tie-a", { completed_at: "2025-02-01T00:00:00Z" })],
  ]);
  const contents = matchShare(
    [entry("f1/late"), entry("f2/tie-b"), entry("f1/early"), entry("f1/tie-a")],
    latest,
  );
  assert.deepEqual(contents.candidates.map((item) => item.backupName), [
    "f1/early",
    "f1/tie-a",
    "f2/tie-b",
    "f1/late",
  ]);
  assert.equal(contents.candidates[0]?.path, "/share/f1/early");
  assert.equal(contents.candidates[0]?.record, latest.get("f1/early"));
  assert.deepEqual(contents.unknown, []);
});

Deno.test("matchShare: a record that never completed orders by started_at; unreadable dates come first", () => {
  const latest = new Map([
    ["f1/done", record("f1/done", { completed_at: "2025-02-01T00:00:00Z" })],
    [
      "f1/crashed",
      record("f1/crashed", {
        status: "in_progress",
        started_at: "2025-01-15T00:00:00Z",
        completed_at: null,
      }),
    ],
    ["f1/garbled", record("f1/garbled", { completed_at: "yesterday" })],
  ]);
  const contents = matchShare([entry("f1/done"), entry("f1/crashed"), entry("f1/garbled")], latest);
  assert.deepEqual(contents.candidates.map((item) => item.backupName), [
    "f1/garbled",
    "f1/crashed",
    "f1/done",
  ]);
});

Deno.test("matchShare: entries the manifest does not know, and entries that are not folders, are unknown", () => {
  const latest = new Map([
    ["f1/known", record("f1/known")],
    ["f1/linked", record("f1/linked")],
  ]);
  const contents = matchShare(
    [
      entry("f1/known"),
      entry("f1/stray"),
      entry("f1/linked", "symlink"),
      entry("f1/notes", "file"),
    ],
    latest,
  );
  assert.deepEqual(contents.candidates.map((item) => item.backupName), ["f1/known"]);
  assert.deepEqual(contents.unknown, [
    { path: "/share/f1/stray", reason: "the manifest has no backup of this name" },
    { path: "/share/f1/linked", reason: "a symlink, not a backup folder" },
    { path: "/share/f1/notes", reason: "a file, not a backup folder" },
  ]);
});

Deno.test("targetFreeBytes rounds up: the threshold is a floor", () => {
  assert.equal(targetFreeBytes(1000, 20), 200);
  assert.equal(targetFreeBytes(1001, 20), 201);
  assert.equal(targetFreeBytes(3, 50), 2);
  assert.equal(targetFreeBytes(1_000_000_000_000_000, 12.5), 125_000_000_000_000);
});

Deno.test("planCleanup: already at or above the threshold, nothing is assessed or evicted", () => {
  for (const free of [200, 999]) {
    const result = plan(free, {});
    assert.equal(result.alreadyAbove, true);
    assert.equal(result.reached, true);
    assert.equal(result.next, undefined);
    assert.deepEqual(result.evictions, []);
    assert.deepEqual(result.skipped, []);
    assert.equal(result.notNeeded, 4);
    assert.equal(result.freeAfterBytes, free);
  }
});

Deno.test("planCleanup: asks for the oldest unassessed candidate while short of the threshold", () => {
  assert.equal(plan(100, {}).next, OLD);
  const afterOne = plan(100, { "f1/a": ok(50) });
  assert.equal(afterOne.next, MID);
  assert.deepEqual(names(afterOne), ["f1/a"]);
  assert.equal(afterOne.reached, false);
  // Once the projection meets the threshold, no more candidates are needed, or assessed.
  const done = plan(100, { "f1/a": ok(50), "f1/b": ok(60) });
  assert.equal(done.next, undefined);
  assert.deepEqual(names(done), ["f1/a", "f1/b"]);
  assert.equal(done.reached, true);
  assert.equal(done.alreadyAbove, false);
  assert.equal(done.notNeeded, 2);
  assert.equal(done.freeAfterBytes, 210);
  assert.deepEqual(done.evictions.map((item) => item.freeAfterBytes), [150, 210]);
});

Deno.test("planCleanup: exactly the target is enough", () => {
  const result = plan(150, { "f1/a": ok(50) });
  assert.deepEqual(names(result), ["f1/a"]);
  assert.equal(result.freeAfterBytes, 200);
  assert.equal(result.reached, true);
  assert.equal(result.notNeeded, 3);
});

Deno.test("planCleanup: a refused candidate is skipped with its reason and the next one is taken", () => {
  const result = plan(100, {
    "f1/a": no("its latest manifest record is failed_s3: boom"),
    "f1/b": ok(40),
    "f1/c": no("S3 lacks 1 of 5 files"),
    "f1/d": ok(70),
  });
  assert.deepEqual(names(result), ["f1/b", "f1/d"]);
  assert.deepEqual(result.skipped.map((item) => [item.candidate.backupName, item.reason]), [
    ["f1/a", "its latest manifest record is failed_s3: boom"],
    ["f1/c", "S3 lacks 1 of 5 files"],
  ]);
  assert.equal(result.reached, true);
  assert.equal(result.freeAfterBytes, 210);
});

Deno.test("planCleanup: candidates newer than the last one needed are neither skipped nor evicted", () => {
  const result = plan(100, { "f1/a": ok(150), "f1/b": no("never looked at") });
  assert.deepEqual(names(result), ["f1/a"]);
  assert.deepEqual(result.skipped, []);
  assert.equal(result.notNeeded, 3);
});

Deno.test("planCleanup: out of reach, every evictable backup goes and the refused ones are listed", () => {
  const result = plan(10, {
    "f1/a": ok(20),
    "f1/b": no("in_progress"),
    "f1/c": ok(30),
    "f1/d": no("no sidecar"),
  }, { thresholdPct: 50 });
  assert.deepEqual(names(result), ["f1/a", "f1/c"]);
  assert.equal(result.skipped.length, 2);
  assert.equal(result.reached, false);
  assert.equal(result.freeAfterBytes, 60);
  assert.equal(result.notNeeded, 0);
  assert.equal(result.next, undefined);
});

Deno.test("planCleanup: out of reach with nothing refused: the share holds other things", () => {
  const result = plan(10, { "f1/a": ok(20), "f1/b": ok(20), "f1/c": ok(20), "f1/d": ok(20) }, {
    thresholdPct: 90,
  });
  assert.equal(result.evictions.length, 4);
  assert.deepEqual(result.skipped, []);
  assert.equal(result.reached, false);
});

Deno.test("planCleanup: no candidates at all", () => {
  const result = plan(10, {}, { candidates: [] });
  assert.deepEqual(result.evictions, []);
  assert.equal(result.reached, false);
  assert.equal(result.next, undefined);
  assert.equal(result.targetFreeBytes, 200);
});

Deno.test("planCleanup: projected free space never exceeds the share's size", () => {
  const result = plan(100, { "f1/a": ok(5000) }, { thresholdPct: 99.9 });
  assert.equal(result.freeAfterBytes, 1000);
  assert.equal(result.evictions[0]?.freeAfterBytes, 1000);
  assert.equal(result.reached, true);
});

Deno.test("planCleanup: an empty backup folder frees nothing but is still evicted in turn", () => {
  const result = plan(100, { "f1/a": ok(0, 1), "f1/b": ok(100) });
  assert.deepEqual(names(result), ["f1/a", "f1/b"]);
  assert.deepEqual(result.evictions.map((item) => item.freeAfterBytes), [100, 200]);
});

Deno.test("planCleanup: petabyte shares and fractional thresholds", () => {
  const PIB = 2 ** 50;
  const result = planCleanup({
    space: { freeBytes: 0.1 * PIB, totalBytes: 2 * PIB },
    thresholdPct: 12.5,
    candidates: ALL,
    assessments: new Map([["f1/a", ok(0.1 * PIB)], ["f1/b", ok(0.06 * PIB)]]),
  });
  assert.equal(result.targetFreeBytes, 0.25 * PIB);
  assert.deepEqual(names(result), ["f1/a", "f1/b"]);
  assert.equal(result.reached, true);
});
