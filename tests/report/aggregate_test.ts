/**
 * The report's numbers from generated records of three instruments with
 * known totals (tests/report/_scenario.ts): every figure, the forecast and
 * the cost included.
 */
import assert from "node:assert/strict";
import { buildReport, type Calendar, MONTH_MS, renderText } from "../../lib/report/mod.ts";
import {
  at,
  completeBackup,
  completeRevision,
  evicted,
  jobRun,
} from "../../scripts/sample_archive.ts";
import { GIB, NOW, scenarioInput, SETTINGS, SPACE, UTC } from "./_scenario.ts";

const t = (iso: string) => Date.parse(iso);

Deno.test("per instrument: the backups, bytes, files and failures of the month; the totals", () => {
  const report = buildReport(scenarioInput());
  assert.deepEqual(report.instruments, ["fusion-01", "fusion-02", "fusion-03"]);
  assert.deepEqual(report.perInstrument, [
    { instrument: "fusion-01", backups: 1, bytes: GIB, files: 100, failures: 1 },
    { instrument: "fusion-02", backups: 3, bytes: 9 * GIB, files: 450, failures: 1 },
    { instrument: "fusion-03", backups: 0, bytes: 0, files: 0, failures: 0 },
  ]);
  assert.deepEqual(report.totals, { backups: 4, bytes: 10 * GIB, files: 550 });
  assert.equal(report.partial, false);
  assert.equal(report.zone, "UTC");
});

Deno.test("jobs: what ran, what failed, and the missed ones, the backup first", () => {
  const report = buildReport(scenarioInput());
  const cells = report.jobs.map((row) => [
    row.instrument,
    ...row.jobs.map((job) => `${job.runs}/${job.failed}/${job.expected}`),
  ]);
  assert.deepEqual(cells, [
    ["fusion-01", "1/1/true", "1/0/true", "30/0/true"],
    ["fusion-02", "1/0/true", "1/0/true", "0/0/true"],
    ["fusion-03", "0/0/true", "1/1/true", "30/0/true"],
  ]);
  assert.deepEqual(report.missed, [
    {
      instrument: "fusion-03",
      job: "backup run",
      lastSeen: t("2026-10-03T10:02:00Z"),
      lastHost: "PC-FUSION-03",
    },
    {
      instrument: "fusion-02",
      job: "monitor tail",
      lastSeen: t("2026-10-31T12:00:00Z"),
      lastHost: "PC-FUSION-02",
    },
  ]);
  assert.deepEqual(
    report.failedRuns.map((run) => [run.instrument, run.job, run.at, run.exitCode, run.summary]),
    [
      ["fusion-01", "backup run", t("2026-11-01T02:00:00Z"), 1, "1 of 2 studies failed"],
      [
        "fusion-03",
        "cleanup run",
        t("2026-11-20T02:00:00Z"),
        2,
        "the share is locked by PC-FUSION-01 pid 7",
      ],
    ],
  );
});

Deno.test("a missed job is the report's first line", () => {
  const lines = renderText(buildReport(scenarioInput())).split("\n");
  assert.deepEqual(lines.slice(0, 3), [
    "MISSED: no backup run recorded for instrument fusion-03 in 2026-11 " +
    "(last: 2026-10-03 10:02 on PC-FUSION-03)",
    "MISSED: no sign of life from monitor tail on instrument fusion-02 in 2026-11 " +
    "(last: 2026-10-31 12:00 on PC-FUSION-02)",
    "fusion-toolkit monthly report: November 2026",
  ]);
});

Deno.test("failures and how they ended; waiting and failing validation, with for how long", () => {
  const report = buildReport(scenarioInput());
  assert.deepEqual(
    report.failures.map((story) => [
      story.backupName,
      story.attempts.map((attempt) => `${attempt.status}@${new Date(attempt.at).toISOString()}`),
      story.now,
      new Date(story.nowAt).toISOString(),
      story.sourceKept,
    ]),
    [
      [
        "fusion-01/20261101_user0_bad_name",
        ["failed_validation@2026-11-01T02:05:00.000Z"],
        "failed_validation",
        "2026-11-01T02:05:00.000Z",
        false,
      ],
      [
        "fusion-02/20261103_user1_panel_retry",
        ["failed_s3@2026-11-03T11:00:00.000Z"],
        "complete",
        "2026-11-04T10:21:00.000Z",
        false,
      ],
      [
        "fusion-01/20261105_user0_stuck",
        ["in_progress@2026-11-05T03:00:00.000Z"],
        "in_progress",
        "2026-11-05T03:00:00.000Z",
        false,
      ],
    ],
  );
  assert.deepEqual(report.waiting, [{
    instrument: "fusion-01",
    study: "20261120_user0_long_run",
    newestChange: t("2026-11-28T00:00:00Z"),
    since: t("2026-11-01T02:00:00Z"),
  }]);
  assert.deepEqual(report.failingValidation, [{
    backupName: "fusion-01/20261101_user0_bad_name",
    instrument: "fusion-01",
    since: t("2026-10-01T02:05:00Z"),
    error: "validate: naming standard: R1 20261101_user0_bad_name: not a study name",
  }]);
  const text = renderText(report);
  assert.ok(
    text.includes(
      "fusion-01/20261101_user0_bad_name: failing validation for 62 days (since 2026-10-01)",
    ),
  );
  assert.ok(
    text.includes(
      "fusion-01/20261120_user0_long_run: waiting 31 days (first seen 2026-11-01), " +
        "last changed 2026-11-28",
    ),
  );
  assert.ok(
    text.includes(
      "fusion-02/20261103_user1_panel_retry: failed_s3 2026-11-03; now backed up 2026-11-04 " +
        "by a later run",
    ),
  );
});

Deno.test("the share: its backups at each month's end, evictions, and the forecast", () => {
  const report = buildReport(scenarioInput());
  // 14 GiB a month from 2025-10; 2 x 2 GiB evicted on 2026-10-20, 1 GiB on 2026-11-20;
  // November adds 1 + 4 + 5 = 10 GiB.
  assert.deepEqual(
    report.share.history.map((point) => [point.month, point.backupBytes / GIB]),
    [
      ["2025-12", 42],
      ["2026-01", 56],
      ["2026-02", 70],
      ["2026-03", 84],
      ["2026-04", 98],
      ["2026-05", 112],
      ["2026-06", 126],
      ["2026-07", 140],
      ["2026-08", 154],
      ["2026-09", 168],
      ["2026-10", 178],
      ["2026-11", 187],
    ],
  );
  assert.deepEqual(report.share.evicted, { count: 1, bytes: GIB });
  assert.deepEqual([report.share.freeBytes, report.share.totalBytes], [
    SPACE.freeBytes,
    SPACE.totalBytes,
  ]);
  // The mean of 2026-06..2026-11: (5 x 14 + 10) / 6 GiB; 1,000 GiB above the 20% threshold
  // (2,000 GiB) last 75 months, the 3,000 GiB free 225.
  const forecast = report.share.forecast;
  assert.ok(forecast !== undefined);
  assert.equal(forecast.months, 6);
  assert.equal(forecast.bytesPerMonth, (80 * GIB) / 6);
  assert.equal(forecast.thresholdBytes, 2000 * GIB);
  assert.ok(Math.abs((forecast.monthsToThreshold ?? 0) - 75) < 1e-9);
  assert.ok(Math.abs((forecast.monthsToFull ?? 0) - 225) < 1e-9);
  // An average month is 365.2425 / 12 days: 75 of them are 2,282.77 days.
  assert.equal(MONTH_MS, 30.436875 * 86_400_000);
  assert.equal(forecast.thresholdAt?.slice(0, 16), "2033-03-03T02:22");
  assert.equal(forecast.fullAt?.slice(0, 10), "2045-09-01");
  assert.match(
    renderText(report),
    /At 13\.3 GiB a month \(the mean of the last 6 months\), the free space reaches the 20% cleanup threshold around 2033-03-03 \(in 75\.0 months\)/,
  );
});

Deno.test("S3 from the manifest: every complete backup at the configured class, and its cost", () => {
  const report = buildReport(scenarioInput());
  // 13 months of 14 GiB and 1,406 objects, then 10 GiB and 101 + 402 + 51 objects.
  const bytes = 192 * GIB;
  const objects = 18_832;
  // AWS bills 40 KiB more per DEEP_ARCHIVE object: 32 KiB at its price, 8 KiB at STANDARD's.
  const cost = 192 * 0.00099 + (objects * (32 * 1024 * 0.00099 + 8 * 1024 * 0.023)) / 2 ** 30;
  assert.ok(Math.abs(cost - 0.19395) < 0.00001);
  assert.deepEqual(report.s3.classes, [{
    storageClass: "DEEP_ARCHIVE",
    objects,
    bytes,
    price: 0.00099,
    cost,
  }]);
  assert.equal(report.s3.source, "manifest");
  assert.deepEqual([report.s3.bytes, report.s3.objects, report.s3.cost], [bytes, objects, cost]);
  assert.deepEqual(report.s3.unpriced, []);
  assert.deepEqual(
    report.s3.added.map((point) => [point.month, point.byInstrument.map((b) => b / GIB)]),
    [
      ...[
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
      ].map((month) => [month, [1, 4, 9]]),
      ["2026-11", [1, 9, 0]],
    ],
  );
  const [december] = report.s3.growth;
  assert.deepEqual(december, {
    month: "2025-12",
    bytes: 42 * GIB,
    cost: 42 * 0.00099 + (4218 * (32 * 1024 * 0.00099 + 8 * 1024 * 0.023)) / 2 ** 30,
  });
  assert.deepEqual(report.s3.growth.at(-1), { month: "2026-11", bytes, cost });
  assert.match(renderText(report), /^ {2}total +18832 +192 GiB +\$0\.19$/m);
});

Deno.test("S3 from a listing: bytes per class, each at its price, an unpriced class named", () => {
  const s3Usage = new Map([
    ["STANDARD", { objects: 10, bytes: GIB }],
    ["DEEP_ARCHIVE", { objects: 1000, bytes: 100 * GIB }],
    ["GLACIER_IR", { objects: 1, bytes: 2 * GIB }],
    ["EXPRESS_ONEZONE", { objects: 1, bytes: GIB }],
  ]);
  const report = buildReport(scenarioInput({ s3Usage }));
  const deep = 100 * 0.00099 + (1000 * (32 * 1024 * 0.00099 + 8 * 1024 * 0.023)) / 2 ** 30;
  assert.equal(report.s3.source, "listing");
  assert.deepEqual(
    report.s3.classes.map((line) => [line.storageClass, line.objects, line.bytes, line.cost]),
    [
      ["DEEP_ARCHIVE", 1000, 100 * GIB, deep],
      ["EXPRESS_ONEZONE", 1, GIB, undefined],
      ["GLACIER_IR", 1, 2 * GIB, 2 * 0.004],
      ["STANDARD", 10, GIB, 0.023],
    ],
  );
  assert.equal(report.s3.cost, deep + 0.008 + 0.023);
  assert.deepEqual(report.s3.unpriced, ["EXPRESS_ONEZONE"]);
  assert.equal(report.s3.bytes, 104 * GIB);
  assert.match(renderText(report), /No price is set for EXPRESS_ONEZONE: not in the total\./);
});

Deno.test("audits and restores of the month", () => {
  const report = buildReport(scenarioInput());
  assert.deepEqual(report.audits, [{
    instrument: "fusion-01",
    host: "PC-FUSION-01",
    at: t("2026-11-15T09:00:00Z"),
    exitCode: 1,
    backups: 40,
    withFindings: 1,
    findings: 2,
    notOnShare: 3,
    s3: true,
    samplePct: 10,
  }]);
  assert.deepEqual(report.restores, [{
    instrument: "fusion-02",
    host: "PC-FUSION-02",
    at: t("2026-11-16T14:00:00Z"),
    exitCode: 0,
    backup: "fusion-01/20251003_user0_panel_run0",
    source: "s3",
    files: 100,
    bytes: GIB,
    problems: 0,
    waitingForS3: false,
  }]);
  const text = renderText(report);
  assert.ok(
    text.includes(
      "2026-11-15 09:00 fusion-01: 40 backups audited (10% sample and S3): 2 findings in 1 backup",
    ),
  );
  assert.ok(
    text.includes(
      "2026-11-16 14:00 fusion-02: fusion-01/20251003_user0_panel_run0 from S3: 100 files, " +
        "1.0 GiB, all verified",
    ),
  );
});

Deno.test("a month not over: nothing is judged missed yet", () => {
  const report = buildReport(scenarioInput({ month: "2026-12" }));
  assert.equal(report.partial, true);
  assert.deepEqual(report.missed, []);
  assert.match(renderText(report), /The month is not over: missed jobs are judged once it is\./);
});

Deno.test("months follow the PC's clock: 02:00 on the 1st in UTC+8 is the new month", () => {
  const shanghai: Calendar = { offsetMinutes: () => 480 };
  // 02:00 on the 1st in Shanghai is 18:00 UTC on the last day of the month before.
  const jobs = ["2026-10-01T02:00:00+08:00", "2026-11-01T02:00:00+08:00"].map((local) =>
    jobRun({ job: "backup run", instrument: "fusion-cn", startedAt: new Date(local) })
  );
  const manifest = completeBackup({
    instrument: "fusion-cn",
    study: "20261101_wang_lung_p1",
    startedAt: new Date("2026-11-01T02:05:00+08:00"),
    bytes: GIB,
    files: 1,
  });
  const input = {
    ...scenarioInput(),
    manifest,
    jobs,
    ledger: [],
    settings: { ...SETTINGS, instrument: "fusion-cn" },
  };
  const local = buildReport({ ...input, calendar: shanghai });
  assert.deepEqual(local.missed, []);
  assert.equal(local.perInstrument[0]?.backups, 1);
  assert.equal(local.zone, "UTC+08:00");
  assert.match(renderText(local), /^ {2}fusion-cn +ok +- +-$/m);
  // Read in UTC, the same records would put both runs in October and none in November.
  const utc = buildReport({ ...input, calendar: UTC });
  assert.deepEqual(utc.missed.map((missed) => missed.job), ["backup run"]);
});

Deno.test("an instrument from before the job log: its manifest says its backup ran", () => {
  const manifest = ["2026-10", "2026-11"].flatMap((month) =>
    completeBackup({
      instrument: "fusion-old",
      study: `${month.replace("-", "")}03_ann_liver_p1`,
      startedAt: at(month, 3, 10),
      bytes: GIB,
      files: 1,
    })
  );
  const base = { ...scenarioInput(), jobs: [], ledger: [], manifest };
  const report = buildReport({ ...base, settings: { ...SETTINGS, instrument: "fusion-old" } });
  assert.deepEqual(report.missed, []);
  assert.deepEqual(report.jobs[0]?.jobs.map((job) => [job.job, job.runs, job.expected]), [
    ["backup run", 1, true],
    ["cleanup run", 0, false],
    ["monitor tail", 0, false],
  ]);
  const stopped = buildReport({
    ...base,
    manifest: manifest.filter((record) => record.started_at.startsWith("2026-10")),
  });
  assert.deepEqual(stopped.missed.map((missed) => [missed.instrument, missed.job]), [
    ["fusion-old", "backup run"],
  ]);
});

Deno.test("no space, no records: the report still says so rather than failing", () => {
  const report = buildReport(
    scenarioInput({
      manifest: [],
      jobs: [],
      ledger: [],
      space: undefined,
      problems: ["the share X is not reachable (not mounted?): the report has no records"],
      now: NOW,
    }),
  );
  assert.equal(report.share.forecast, undefined);
  assert.deepEqual(report.instruments, ["fusion-01"]);
  assert.deepEqual(report.s3.classes, []);
  const text = renderText(report);
  assert.match(text, /No forecast: the free space is not known\./);
  assert.match(text, /Problems reading the records\n {2}the share X is not reachable/);
});

Deno.test("a forecast beyond a century has no date, and says so", () => {
  const report = buildReport(scenarioInput({ space: { freeBytes: 2 ** 60, totalBytes: 2 ** 61 } }));
  const forecast = report.share.forecast;
  assert.ok(forecast !== undefined && (forecast.monthsToThreshold ?? 0) > 1200);
  assert.deepEqual([forecast.thresholdAt, forecast.fullAt], [null, null]);
  assert.match(renderText(report), /the free space lasts more than a hundred years\./);
});

Deno.test("below the threshold, the forecast says cleanup is evicting; with no backups, not filling", () => {
  const below = buildReport(
    scenarioInput({ space: { freeBytes: 1000 * GIB, totalBytes: 10_000 * GIB } }),
  );
  assert.equal(below.share.forecast?.monthsToThreshold, 0);
  assert.match(
    renderText(below),
    /The share is below the 20% cleanup threshold: cleanup evicts the oldest backups from it \(S3 keeps them\), about 13\.3 GiB a month at the recent rate; without cleanup it would be full around 2033-03-03\./,
  );
  // Nothing completed in the six months up to 2027-05: a rate of zero.
  const idle = buildReport(
    scenarioInput({ month: "2027-05", now: new Date("2027-06-02T08:00:00Z") }),
  );
  assert.equal(idle.share.forecast?.bytesPerMonth, 0);
  assert.deepEqual([idle.share.forecast?.thresholdAt, idle.share.forecast?.fullAt], [null, null]);
  assert.match(
    renderText(idle),
    /Nothing was backed up in the last 6 months: the share is not filling\./,
  );
});

Deno.test("a revision counts what it stored, in its month; the first backup stays in its own", () => {
  const study = {
    instrument: "fusion-01",
    study: "20260903_alice_lung_panel1",
    startedAt: at("2026-09", 3, 10),
    bytes: 10 * GIB,
    files: 100,
  };
  // September: the first backup, 10 GiB in 100 files; the study changed, so its source was kept.
  // October: revision 2 stored 1 GiB (one file changed, one added) of the study's 11 GiB.
  // November: revision 3 stored 0.5 GiB (one file changed) of 11.5 GiB.
  const manifest = [
    ...completeBackup(study).slice(0, 4),
    ...completeRevision({
      ...study,
      startedAt: at("2026-10", 3, 10),
      bytes: 11 * GIB,
      files: 101,
      revision: 2,
      storedFiles: 2,
      storedBytes: GIB,
    }).slice(0, 4),
    ...completeRevision({
      ...study,
      startedAt: at("2026-11", 3, 10),
      bytes: 11.5 * GIB,
      files: 101,
      revision: 3,
      storedFiles: 1,
      storedBytes: 0.5 * GIB,
    }),
  ];
  const input = { ...scenarioInput(), manifest, jobs: [], ledger: [] };
  const report = buildReport(input);
  assert.deepEqual(report.perInstrument, [
    { instrument: "fusion-01", backups: 1, bytes: 0.5 * GIB, files: 1, failures: 0 },
  ]);
  assert.deepEqual(
    report.s3.added.slice(-3).map((point) => [point.month, point.total / GIB]),
    [["2026-09", 10], ["2026-10", 1], ["2026-11", 0.5]],
  );
  assert.deepEqual(
    report.share.history.slice(-3).map((point) => [point.month, point.backupBytes / GIB]),
    [["2026-09", 10], ["2026-10", 11], ["2026-11", 11.5]],
  );
  // The share grew 11.5 GiB in the three months since the first backup.
  assert.equal(report.share.forecast?.months, 3);
  assert.equal(report.share.forecast?.bytesPerMonth, (11.5 * GIB) / 3);
  // S3 holds each revision's files and its list once: 101 + 3 + 2 objects.
  const objectCost = (objects: number, gib: number) =>
    gib * 0.00099 + (objects * (32 * 1024 * 0.00099 + 8 * 1024 * 0.023)) / 2 ** 30;
  assert.deepEqual(
    [report.s3.bytes, report.s3.objects, report.s3.cost],
    [11.5 * GIB, 106, objectCost(106, 11.5)],
  );
  assert.deepEqual(report.s3.growth.at(-2), {
    month: "2026-10",
    bytes: 11 * GIB,
    cost: objectCost(104, 11),
  });

  // Evicted on the 20th: the folder held what every revision stored.
  const latest = manifest.at(-1);
  assert.ok(latest !== undefined);
  const evictedReport = buildReport({
    ...input,
    ledger: [evicted(latest, at("2026-11", 20, 2))],
  });
  assert.deepEqual(evictedReport.share.evicted, { count: 1, bytes: 11.5 * GIB });
  assert.equal(evictedReport.share.history.at(-1)?.backupBytes, 0);
});
