/**
 * `status` against a real world: backups run for real (S3 peer on
 * 127.0.0.1, temp folders), a monitor state file, locks; the free space is
 * injected (one test reads the real file system's).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { appendRecord, type ManifestRecord } from "../../lib/manifest/mod.ts";
import { EMPTY_PARSER_STATE, monitorStatePath, writeMonitorState } from "../../lib/monitor/mod.ts";
import {
  appendRun,
  attentionFor,
  gatherStatus,
  lastRuns,
  monthlyAverage,
  renderStatus,
  runsFilePath,
} from "../../lib/status/mod.ts";
import { readShareSpace } from "../../lib/cleanup/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { startEmpty } from "../monitor/_tail.ts";
import { makeIdle, withBackupWorld } from "../backup/_fixture.ts";
import { closedEndpoint } from "../../peers/ports.ts";
import { manifestRecord } from "../_helpers/manifest.ts";

const GIB = 1024 ** 3;

/** A record of backup `fusion-01/s` (1 GiB) with `status`, no step done unless `extra` says. */
function record(status: ManifestRecord["status"], extra: Partial<ManifestRecord> = {}) {
  return manifestRecord("fusion-01/s", {
    file_count: 1,
    total_bytes: GIB,
    status,
    started_at: "2025-01-01T00:00:00Z",
    truenas_verified_at: null,
    s3_verified_at: null,
    completed_at: null,
    source_deleted_at: null,
    ...extra,
  });
}

/** Revision 2 of the 10 GiB study, completed in March: it stored one new 1 GiB file; 11 GiB now. */
function secondRevision(): ManifestRecord {
  return record("complete", {
    revision: 2,
    started_at: "2025-03-01T00:00:00Z",
    completed_at: "2025-03-02T00:00:00Z",
    file_count: 2,
    total_bytes: 11 * GIB,
    stored_file_count: 1,
    stored_bytes: GIB,
  });
}

Deno.test("monthlyAverage averages the last six months that had complete backups", () => {
  const months = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06", "2025-07"];
  const records = months.map((month, index) =>
    record("complete", {
      backup_name: month,
      completed_at: `${month}-02T00:00:00Z`,
      total_bytes: (index + 1) * GIB,
    })
  );
  records.push(record("failed_s3", { backup_name: "x", total_bytes: 100 * GIB }));
  assert.equal(monthlyAverage(records), (2 + 3 + 4 + 5 + 6 + 7) / 6 * GIB);
  assert.equal(monthlyAverage([]), undefined);
});

Deno.test("monthlyAverage counts what each backup and revision stored, once, in the month it completed", () => {
  const first = record("complete", { completed_at: "2025-01-05T00:00:00Z", total_bytes: 10 * GIB });
  // The source found gone a month later: the complete record again, with its completed_at.
  const settled = { ...first, started_at: "2025-02-01T00:00:00Z", source_deleted_at: "t" };
  const revision = secondRevision();
  const revisionSettled = { ...revision, source_deleted_at: "2025-03-02T00:00:05Z" };
  assert.equal(monthlyAverage([first, settled, revision, revisionSettled]), (10 + 1) / 2 * GIB);
});

Deno.test("status averages the months from every record, not only each backup's latest", async () => {
  await withBackupWorld(async (world) => {
    const root = world.config.truenas.manifestRoot;
    const first = record("complete", {
      started_at: "2025-01-05T00:00:00Z",
      completed_at: "2025-01-05T01:00:00Z",
      total_bytes: 10 * GIB,
    });
    const revision = secondRevision();
    for (const line of [first, revision, { ...revision, source_deleted_at: "t" }]) {
      await appendRecord(root, line);
    }
    const report = await gatherStatus(world.config, {
      now: new Date(),
      readSpace: () => Promise.resolve({ freeBytes: 22 * GIB, totalBytes: 100 * GIB }),
      readVersioning: world.readVersioning,
    });
    assert.equal(report.share.monthly_bytes, 5.5 * GIB);
    assert.equal(report.share.months_fit, 4);
    assert.match(
      renderStatus(report),
      /^ {2}backups average 5\.5 GiB a month: about 4\.0 months of backups fit$/m,
    );
  });
});

Deno.test("attentionFor says why a record needs a person", () => {
  assert.equal(attentionFor(record("failed_s3", { error: "upload: no" })), "upload: no");
  assert.match(attentionFor(record("in_progress")) ?? "", /stopped part-way/);
  assert.equal(attentionFor(record("complete", { source_deleted_at: "t" })), undefined);
  // A complete backup whose source is still there is the next run's to settle, not a person's.
  assert.equal(attentionFor(record("complete")), undefined);
});

Deno.test("the job history keeps the latest run of each job and skips a torn line", async () => {
  await withTempDir(async (dir) => {
    const run = { started_at: "a", finished_at: "b", exit_code: 0, summary: null };
    await appendRun(dir, { ...run, job: "backup run" });
    await appendRun(dir, { ...run, job: "backup run", exit_code: 1, summary: "1 of 2 failed" });
    await appendRun(dir, { ...run, job: "cleanup run" });
    await Deno.writeTextFile(runsFilePath(dir), '{"job": "aud', { append: true });
    const runs = await lastRuns(dir);
    assert.deepEqual([...runs.keys()], ["backup run", "cleanup run"]);
    assert.equal(runs.get("backup run")?.summary, "1 of 2 failed");
  });
});

Deno.test("status gathers runs, waiting studies, attention, space, monitor and locks", async () => {
  await withBackupWorld(async (world) => {
    await world.makeStudy("20250301_alice_lung_panel1");
    const bad = await world.makeStudy("20230229_carol_liver_pilot");
    await makeIdle(bad);
    await world.run();
    const fresh = await world.makeStudy("20250620_dan_new_run", { mtime: new Date() });
    await Deno.writeTextFile(
      join(fresh, ".fusion-toolkit.lock"),
      JSON.stringify({ hostname: "pc", pid: 9, started_at: "t" }),
    );
    await appendRun(world.config.dir, {
      job: "backup run",
      started_at: "2025-11-01T02:00:00Z",
      finished_at: "2025-11-01T02:10:00Z",
      exit_code: 1,
      summary: "1 of 2 studies failed",
    });
    const logPath = join(world.dir, "Fusion.log");
    await Deno.writeTextFile(logPath, "x".repeat(1000));
    const sentAt = Date.parse("2025-11-28T14:02:00Z");
    await writeMonitorState(monitorStatePath(world.config.dir), {
      logPath,
      offset: 600,
      head: new Uint8Array(0),
      historyEnd: 0,
      parser: EMPTY_PARSER_STATE,
      sent: new Map([["old", sentAt - 86_400_000], ["new", sentAt]]),
    }, new Date());

    const report = await gatherStatus(world.config, {
      now: new Date(),
      readSpace: () => Promise.resolve({ freeBytes: 30 * GIB, totalBytes: 100 * GIB }),
      readVersioning: world.readVersioning,
    });
    assert.equal(report.runs["backup run"]?.exit_code, 1);
    assert.deepEqual(report.instrument.studies.map((s) => [s.study, s.idle, s.next]), [
      ["20230229_carol_liver_pilot", true, "refuse it"],
      ["20250620_dan_new_run", false, "waits until it is idle"],
    ]);
    assert.match(
      report.instrument.studies[0]?.problem ?? "",
      /^naming standard: R1 \.: study name: 20230229 is not a real calendar date/,
    );
    assert.equal(report.instrument.waiting_count, 2);
    assert.deepEqual(report.attention.map((a) => [a.backup_name, a.status]), [
      ["fusion-01/20230229_carol_liver_pilot", "failed_validation"],
    ]);
    assert.equal(report.share.free_pct, 30);
    assert.ok(report.share.monthly_bytes !== null && report.share.monthly_bytes > 0);
    assert.equal(report.share.months_fit, 30 * GIB / report.share.monthly_bytes);
    assert.equal(report.monitor.offset, 600);
    assert.equal(report.monitor.lag_bytes, 400);
    assert.equal(report.monitor.last_error_sent_at, "2025-11-28T14:02:00.000Z");
    assert.deepEqual(report.running, []);
    assert.equal(report.stale_locks.length, 1);
    assert.match(
      report.stale_locks[0] ?? "",
      /20250620_dan_new_run.\.fusion-toolkit\.lock \(left by job running since t, pid 9 on pc\)$/,
    );
    assert.equal(report.attention_needed, true);

    const text = renderStatus(report);
    assert.match(
      text,
      /^ {2}backup run {4}2025-11-01 02:00 UTC {2}FAILED \(exit 1\): 1 of 2 studies failed$/m,
    );
    assert.match(text, /^ {2}cleanup run {3}never ran here$/m);
    assert.match(text, /^Needs attention \(1\)$/m);
    assert.match(text, /30\.0 GiB free of 100 GiB \(30\.0%\); cleanup evicts below 20%/);
    assert.match(text, /(about [\d.]+ months|more than ten years) of backups fit/);
    assert.match(text, /^ {2}last instrument error emailed 2025-11-28 14:02 UTC$/m);
    assert.match(text, /400 B not read yet/);
    assert.match(text, /^Locks left by runs that stopped \(1\)$/m);
    assert.match(text, /\.fusion-toolkit\.lock .*: the next run takes it over and resumes$/m);
    assert.match(text, /^ {2}20230229_carol_liver_pilot: refused: naming standard: R1/m);
  });
});

Deno.test("status on a share of several instruments: their records count, not as this PC's sources", async () => {
  await withBackupWorld(async (world) => {
    const study = "20250301_alice_lung_panel1";
    await world.makeStudy(study);
    const root = world.config.truenas.manifestRoot;
    // fusion-02 backed up a study of the same name and kept its source; another failed there.
    await appendRecord(
      root,
      record("complete", {
        backup_name: `fusion-02/${study}`,
        run_name: study,
        instrument: "fusion-02",
      }),
    );
    await appendRecord(
      root,
      record("failed_s3", {
        backup_name: "fusion-02/b",
        run_name: "b",
        instrument: "fusion-02",
        error: "upload: no",
      }),
    );
    await appendRecord(
      root,
      record("complete", {
        backup_name: `fusion-01/${study}`,
        run_name: study,
        started_at: "2025-01-03T00:00:00Z",
      }),
    );
    const report = await gatherStatus(world.config, {
      now: new Date(),
      readSpace: () => Promise.resolve({ freeBytes: 30 * GIB, totalBytes: 100 * GIB }),
      readVersioning: world.readVersioning,
    });
    assert.deepEqual(report.attention.map((a) => [a.backup_name, a.problem]), [
      ["fusion-02/b", "upload: no"],
    ]);
    // This PC's study is settled by the next run against this PC's backup of it, not fusion-02's.
    assert.deepEqual(report.instrument.studies.map((s) => [s.study, s.next]), [
      [
        study,
        "compare with its complete backup (revision 1): delete the source if unchanged, else " +
        "back up what changed as revision 2",
      ],
    ]);
  });
});

Deno.test("status during a log rotation: the old file the monitor is finishing, and the new log after it", async () => {
  await withBackupWorld(async (world) => {
    using run = await startEmpty(world.config.dir);
    const gather = () =>
      gatherStatus(world.config, {
        now: new Date(),
        readSpace: () => Promise.resolve({ freeBytes: 30 * GIB, totalBytes: 100 * GIB }),
        readVersioning: world.readVersioning,
      });
    const position = async () => {
      const { monitor } = await gather();
      return [monitor.offset, monitor.lag_bytes, monitor.rotation];
    };
    /** A log line of 50 bytes. */
    const line = (text: string) => new TextEncoder().encode(`${text.padEnd(49, ".")}\n`);
    // The instrument holds the log open, as a .NET logger does.
    const writer = await Deno.open(run.log, { write: true, append: true });
    try {
      await writer.write(line("2025-03-01 10:00:00 INFO one"));
      await writer.write(line("2025-03-01 10:00:01 INFO two"));
      await run.tail.poll();
      assert.deepEqual(await position(), [100, 0, null]);
      // Rotation: the log is renamed, the instrument's handle writes 50 bytes more to it, a new
      // log of 30 bytes appears; the monitor reads the old file on.
      await Deno.rename(run.log, `${run.log}.1`);
      await writer.write(line("2025-03-01 10:00:02 INFO three"));
      await Deno.writeTextFile(run.log, "2025-03-01 10:00:04 INFO new.\n");
      await run.tail.poll();
      // And 50 more, not read yet.
      await writer.write(line("2025-03-01 10:00:03 INFO four"));
      const report = await gather();
      assert.deepEqual(report.monitor.rotation, { old_file: `${run.log}.1` });
      assert.equal(report.monitor.offset, 150, "the position is in the old file");
      assert.equal(report.monitor.log_bytes, 30);
      assert.equal(report.monitor.lag_bytes, 50 + 30, "the old file's rest, then the new log");
      assert.equal(report.monitor.problem, null);
      assert.ok(
        renderStatus(report).includes(
          `\n  rotating: finishing the old file ${run.log}.1 (read up to byte 150), then ` +
            "Fusion.log from its start; 80 B not read yet\n",
        ),
      );
    } finally {
      writer.close();
    }
    // The old file stays unchanged for a pass: finished; then the new log is read.
    await run.tail.poll();
    await run.tail.poll();
    assert.deepEqual(await position(), [30, 0, null]);

    // A rotation whose old file is gone by the time status looks: the new log is all there is.
    run.tail.close();
    await Deno.rename(run.log, `${run.log}.2`);
    await Deno.writeTextFile(run.log, "x".repeat(12));
    await Deno.remove(`${run.log}.2`);
    const report = await gather();
    assert.deepEqual(
      [report.monitor.offset, report.monitor.lag_bytes, report.monitor.rotation],
      [30, 12, { old_file: null }],
    );
    assert.match(
      renderStatus(report),
      /^ {2}rotated: the file read up to byte 30 is no longer beside Fusion\.log; the monitor reads Fusion\.log from its start; 12 B not read yet$/m,
    );
  });
});

Deno.test("status reports an unmounted share and a missing source without failing", async () => {
  await withBackupWorld(async (world) => {
    await Deno.remove(world.share, { recursive: true });
    await Deno.remove(world.source, { recursive: true });
    const report = await gatherStatus(world.config, {
      now: new Date(),
      readSpace: () => Promise.reject(new Error("must not be asked")),
      readVersioning: world.readVersioning,
    });
    assert.equal(report.share.reachable, false);
    assert.match(report.share.problem ?? "", /not reachable \(not mounted\?\)/);
    assert.equal(report.instrument.reachable, false);
    assert.equal(report.monitor.problem, "the monitor has not run yet");
    assert.equal(report.attention_needed, true);
    assert.match(renderStatus(report), /is not reachable/);
  });
});

Deno.test("the free space of the real file system is read", async () => {
  await withTempDir(async (dir) => {
    const space = await readShareSpace(dir);
    assert.ok(space.totalBytes > 0 && space.freeBytes >= 0 && space.freeBytes <= space.totalBytes);
  });
});

Deno.test("status says whether the bucket keeps earlier versions, and what to do when it does not", async () => {
  await withBackupWorld(async (world) => {
    const gather = () =>
      gatherStatus(world.config, {
        now: new Date(),
        readSpace: () => Promise.resolve({ freeBytes: 30 * GIB, totalBytes: 100 * GIB }),
        readVersioning: world.readVersioning,
      });
    const off = await gather();
    assert.deepEqual(off.s3, { bucket: "fusion-test", versioning: "off", problem: null });
    assert.match(
      renderStatus(off),
      /^S3\n {2}s3:\/\/fusion-test: versioning off: turning it on is recommended, so a replaced or deleted object keeps its earlier version \(setup guide, AWS credentials\)$/m,
    );
    assert.equal(off.attention_needed, false, "a recommendation, not a failure");

    await world.peer.setVersioning("Enabled");
    const on = await gather();
    assert.equal(on.s3.versioning, "enabled");
    assert.match(renderStatus(on), /^ {2}s3:\/\/fusion-test: versioning on: /m);
    await world.peer.setVersioning("Suspended");
    assert.match(renderStatus(await gather()), /versioning suspended: turn it back on/);

    const endpoint = closedEndpoint();
    world.config = {
      ...world.config,
      s3: { ...world.config.s3, endpoint },
    };
    const unreachable = await gather();
    assert.equal(unreachable.s3.versioning, null);
    assert.match(
      unreachable.s3.problem ?? "",
      /^cannot read the bucket's versioning state: cannot reach S3 at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): check the network\/endpoint$/,
    );
    assert.match(renderStatus(unreachable), /^ {2}s3:\/\/fusion-test: cannot read the bucket's/m);
  });
});
