/** The pure decisions of a study's backup, on values. */
import assert from "node:assert/strict";
import {
  compareState,
  decideStudy,
  firstBackup,
  judgeFoundObject,
  revisionWork,
  spaceNeeded,
  unchanged,
  workCounts,
} from "../../lib/backup/mod.ts";
import { DigestTable } from "../../lib/backup/digest_table.ts";
import { formatAttemptTag } from "../../lib/layout/mod.ts";
import type { ManifestRecord } from "../../lib/manifest/mod.ts";
import { EMPTY_LISTING, FileTable } from "../../lib/study/mod.ts";

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

Deno.test("compareState and revisionWork: unchanged files stay where stored, the rest go to _revisions/N", () => {
  const base = [
    { path: "a.xpd", sha256Hex: DIGEST(1) },
    { path: "x/old.bin", sha256Hex: DIGEST(2) },
    { path: "_revisions/2/x/changed.bin", sha256Hex: DIGEST(3) },
    { path: "x/gone.bin", sha256Hex: DIGEST(4) },
    { path: "_revisions/2/y/kept.bin", sha256Hex: DIGEST(7) },
    { path: "_revisions/2/a/gone too.bin", sha256Hex: DIGEST(8) },
  ];
  // As the walk lists them, and their digests now at their places.
  const table = new FileTable();
  const now: [string, number][] = [
    ["a.xpd", 1],
    ["x/old.bin", 2],
    ["x/changed.bin", 5],
    ["x/new.bin", 6],
    ["y/kept.bin", 7],
  ];
  const files = now.map(([path], index) => table.add(path, index + 1, index + 1));
  const digests = new DigestTable(2);
  now.forEach(([, digest], index) => digests.set(index, DIGEST(digest)));
  const comparison = compareState(files, digests, base);
  assert.deepEqual(comparison.changes, {
    added: ["x/new.bin"],
    changed: ["x/changed.bin"],
    removed: ["a/gone too.bin", "x/gone.bin"],
  });
  assert.deepEqual([...comparison.storedIn], [1, 1, 0, 0, 2]);
  assert.equal(unchanged(comparison.changes), false);
  // The base's entries are taken as they come, one pass: a generator will do.
  const entries = function* (from: number, to: number) {
    yield* base.slice(from, to);
  };
  assert.equal(unchanged(compareState(files.slice(0, 2), digests, entries(0, 2)).changes), true);
  const alone = new DigestTable(1);
  alone.set(0, DIGEST(7));
  assert.equal(unchanged(compareState(files.slice(4), alone, entries(4, 5)).changes), true);
  const work = revisionWork(3, files, comparison, ["x/empty"]);
  assert.deepEqual(work.files.map((file) => [file.path, file.stored, file.kept]), [
    ["a.xpd", "a.xpd", DIGEST(1)],
    ["x/old.bin", "x/old.bin", DIGEST(2)],
    ["x/changed.bin", "_revisions/3/x/changed.bin", undefined],
    ["x/new.bin", "_revisions/3/x/new.bin", undefined],
    ["y/kept.bin", "_revisions/2/y/kept.bin", DIGEST(7)],
  ]);
  assert.deepEqual(work.files.map((file) => [file.size, file.mtime]), [
    [1, 1],
    [2, 2],
    [3, 3],
    [4, 4],
    [5, 5],
  ]);
  // A file the first revision holds is stored at the listing's own path.
  assert.equal(work.files[0]?.stored, files[0]?.path);
  assert.deepEqual(work.emptyDirs, ["_revisions/3/x/empty"]);
  assert.equal(work.revision, 3);
  assert.equal(work.changes, comparison.changes);
  // The record counts the whole state, and what the revision stores itself.
  assert.deepEqual(workCounts(work), {
    file_count: 5,
    total_bytes: 15,
    stored_file_count: 2,
    stored_bytes: 7,
  });
});

Deno.test("firstBackup stores every file at its own path", () => {
  // As the walk lists them: sizes and times in the listing's table.
  const table = new FileTable();
  const listing = {
    ...EMPTY_LISTING,
    files: [table.add("a", 1, 1), table.add("b/c", 2 ** 33, 1_750_000_000_123)],
    emptyDirs: ["e"],
  };
  const work = firstBackup(listing);
  assert.deepEqual(
    work.files.map(({ path, size, mtime, stored, kept }) => ({ path, size, mtime, stored, kept })),
    [
      { path: "a", size: 1, mtime: 1, stored: "a", kept: undefined },
      { path: "b/c", size: 2 ** 33, mtime: 1_750_000_000_123, stored: "b/c", kept: undefined },
    ],
  );
  assert.deepEqual([work.revision, work.emptyDirs, work.changes], [1, ["e"], undefined]);
  // A first backup stores every file: nothing more to record.
  assert.deepEqual(workCounts(work), { file_count: 2, total_bytes: 1 + 2 ** 33 });
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

Deno.test("judgeFoundObject: only an unfinished attempt of the same revision that the manifest lists is replaced", () => {
  const CMD = "fusion-toolkit.exe";
  const A = "2025-04-01T02:00:00Z";
  const B = "2025-05-01T02:00:00Z";
  const now = "2025-06-01T02:00:00Z";
  const current = { instrument: "fusion-01", startedAt: now, revision: 1 };
  const tagOf = (startedAt: string, revision = 1, instrument = "fusion-01") =>
    formatAttemptTag({ instrument, startedAt, revision });
  const unfinished = [
    record({ status: "in_progress", started_at: A, completed_at: null }),
    record({ status: "failed_s3", started_at: A, completed_at: null }),
    record({ status: "in_progress", started_at: B, completed_at: null }),
  ];
  const replaced = judgeFoundObject(unfinished, current, tagOf(A), CMD);
  assert.deepEqual(replaced, {
    replace: true,
    note: `it was written by the attempt started ${A} (revision 1) of this backup, which never ` +
      "completed (its last record: failed_s3)",
  });
  // A killed attempt: its last record is in_progress.
  assert.equal(judgeFoundObject(unfinished, current, tagOf(B), CMD).replace, true);

  const refusal = (history: ManifestRecord[], found: string | undefined) => {
    const verdict = judgeFoundObject(history, current, found, CMD);
    assert.equal(verdict.replace, false, found);
    return verdict.replace ? "" : verdict.reason;
  };
  assert.match(
    refusal(unfinished, undefined),
    /^it names no backup attempt \(it was written by an earlier version of fusion-toolkit, or by another program\), so nothing proves .*: a backup never replaces it — if the manifest .* rename the study folder/,
  );
  assert.match(refusal(unfinished, "written by hand"), /^it names no backup attempt/);
  // Not even one naming this attempt's own start: a lost attempt of the same second could.
  assert.match(refusal(unfinished, tagOf(now)), /which the manifest does not list/);
  assert.match(
    refusal(unfinished, tagOf("2025-03-01T00:00:00Z")),
    /which the manifest does not list \(a lost manifest, or \[truenas\] manifest_root changed\?\): a backup never replaces it — point manifest_root at the manifest that lists that attempt$/,
  );
  assert.match(
    refusal(unfinished, tagOf(A, 2)),
    /^it was written by the attempt started \S+ \(revision 2\) of instrument fusion-01, not by an attempt of revision 1 of fusion-01/,
  );
  assert.match(refusal(unfinished, tagOf(A, 1, "fusion-02")), /of instrument fusion-02, not/);
  // An attempt of the revision completed (it may have kept A's object): nothing of it is replaced.
  const completed = [...unfinished, record({ started_at: B })];
  assert.match(
    refusal(completed, tagOf(A)),
    new RegExp(
      `^revision 1 of this backup is complete \\(the attempt started ${B}\\) and this object ` +
        "may be part of it: a backup never replaces it — run `fusion-toolkit.exe audit --s3`$",
    ),
  );
  // A record of the same start but another revision is not the attempt the tag names.
  assert.match(
    refusal([record({ status: "failed_s3", started_at: A, revision: 2 })], tagOf(A)),
    /which the manifest does not list/,
  );
});
