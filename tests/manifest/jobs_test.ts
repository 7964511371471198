/**
 * The job log on the share: one file per instrument and month, appended like
 * the manifest, read back by month; nothing written where the share is not.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  appendJobRecord,
  jobFilePath,
  type JobRecord,
  JOBS_DIR,
  readJobLog,
} from "../../lib/manifest/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

function run(instrument: string, recordedAt: string, fields: Partial<JobRecord> = {}): JobRecord {
  return {
    job: "backup run",
    instrument,
    host: `PC-${instrument}`,
    started_at: recordedAt,
    recorded_at: recordedAt,
    finished_at: recordedAt,
    exit_code: 0,
    summary: "1 study backed up",
    ...fields,
  };
}

Deno.test("each instrument appends to its own file of the month; readers get them in time order", async () => {
  await withTempDir(async (share) => {
    const root = join(share, "_manifest");
    const lines = [
      run("fusion-02", "2026-11-01T02:30:00Z"),
      run("fusion-01", "2026-11-01T02:10:00Z", { details: { waiting: [] } }),
      run("fusion-01", "2026-12-01T02:10:00Z", { exit_code: 2, summary: "lock held" }),
      run("fusion-01", "2026-11-03T00:30:00Z", {
        job: "monitor tail",
        finished_at: null,
        exit_code: null,
        summary: null,
      }),
    ];
    for (const line of lines) await appendJobRecord(share, root, line);
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(join(root, JOBS_DIR)))).map((e) => e.name).sort(),
      ["fusion-01", "fusion-02"],
    );
    assert.equal(
      jobFilePath(root, "fusion-01", "2026-11-03T00:30:00Z"),
      join(root, JOBS_DIR, "fusion-01", "2026-11.jsonl"),
    );
    const november = await readJobLog(root, { from: "2026-11", to: "2026-11" });
    assert.deepEqual(november.records, [lines[1], lines[0], lines[3]]);
    assert.deepEqual(november.warnings, []);
    const all = await readJobLog(root, { from: "2026-01", to: "2027-01" });
    assert.deepEqual(all.records.map((record) => record.recorded_at), [
      "2026-11-01T02:10:00Z",
      "2026-11-01T02:30:00Z",
      "2026-11-03T00:30:00Z",
      "2026-12-01T02:10:00Z",
    ]);
  });
});

Deno.test("a torn last line is skipped with a warning, and the next append starts a new line", async () => {
  await withTempDir(async (share) => {
    const root = join(share, "_manifest");
    const path = await appendJobRecord(share, root, run("fusion-01", "2026-11-01T02:10:00Z"));
    assert.ok(path !== undefined);
    await Deno.writeTextFile(path, '{"job":"cleanup r', { append: true });
    let log = await readJobLog(root, { from: "2026-11", to: "2026-11" });
    assert.equal(log.records.length, 1);
    assert.deepEqual(log.warnings.map((warning) => [warning.file, warning.line]), [[path, 2]]);
    await appendJobRecord(share, root, run("fusion-01", "2026-11-20T02:00:00Z"));
    log = await readJobLog(root, { from: "2026-11", to: "2026-11" });
    assert.deepEqual(log.records.map((record) => record.recorded_at), [
      "2026-11-01T02:10:00Z",
      "2026-11-20T02:00:00Z",
    ]);
  });
});

Deno.test("a share that is not there gets nothing: no folders made on the PC's disk", async () => {
  await withTempDir(async (dir) => {
    const share = join(dir, "mnt", "truenas");
    const written = await appendJobRecord(
      share,
      join(share, "_manifest"),
      run("fusion-01", "2026-11-01T02:10:00Z"),
    );
    assert.equal(written, undefined);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
    assert.deepEqual(
      await readJobLog(join(share, "_manifest"), { from: "2026-01", to: "2026-12" }),
      {
        records: [],
        warnings: [],
      },
    );
  });
});

Deno.test("the log's own folders (named with _) and other files are not read as instruments", async () => {
  await withTempDir(async (share) => {
    const root = join(share, "_manifest");
    await appendJobRecord(share, root, run("fusion-01", "2026-11-01T02:10:00Z"));
    await Deno.mkdir(join(root, JOBS_DIR, "_monthly_report"), { recursive: true });
    await Deno.writeTextFile(join(root, JOBS_DIR, "_monthly_report", "2026-11.jsonl"), "{}\n");
    await Deno.writeTextFile(join(root, JOBS_DIR, "fusion-01", "notes.txt"), "hello\n");
    const log = await readJobLog(root, { from: "2026-11", to: "2026-11" });
    assert.equal(log.records.length, 1);
    assert.deepEqual(log.warnings, []);
  });
});
