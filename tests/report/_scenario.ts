/**
 * The month the report tests look at: three instruments sharing a share and a
 * bucket, 14 months of generated records (lib's own record shapes, from
 * scripts/sample_archive.ts) and, in the report's month (2026-11), one of
 * everything the report must tell: a missed backup, a silent monitor, a
 * failed cleanup, a failure that a later run fixed, a study failing
 * validation since October, a stopped backup, a waiting study, evictions, an
 * audit and a restore. The totals each test checks are worked out in the
 * comments here, from the generator's rules.
 *
 * @module
 */
import type { ReportInput, ReportSettings } from "../../lib/report/mod.ts";
import type { Calendar } from "../../lib/report/mod.ts";
import {
  at,
  completeBackup,
  evicted,
  failedBackup,
  jobRun,
  sampleArchive,
} from "../../scripts/sample_archive.ts";

export const GIB = 2 ** 30;

/** UTC: the generated times are UTC, so the months are exactly the generator's. */
export const UTC: Calendar = { offsetMinutes: () => 0 };

export const INSTRUMENTS = ["fusion-01", "fusion-02", "fusion-03"];

/** When the report is made: the day after the backup of December. */
export const NOW = new Date("2026-12-02T08:00:00Z");

export const SETTINGS: ReportSettings = {
  instrument: "fusion-01",
  shareRoot: "\\\\truenas\\fusion-backup",
  s3Location: "s3://lab-fusion-archive/fusion/",
  thresholdPct: 20,
  storageClass: "DEEP_ARCHIVE",
  prices: {
    STANDARD: 0.023,
    INTELLIGENT_TIERING: 0.023,
    STANDARD_IA: 0.0125,
    ONEZONE_IA: 0.01,
    GLACIER_IR: 0.004,
    GLACIER: 0.0036,
    DEEP_ARCHIVE: 0.00099,
  },
  pricesAsOf: "2026-06",
};

/** The share: 10,000 GiB, 3,000 GiB free. */
export const SPACE = { freeBytes: 3000 * GIB, totalBytes: 10_000 * GIB };

/**
 * The records. The generator's rules: instrument i (0, 1, 2) backs up i+1
 * studies a month of i+1 GiB and 100*(i+1) files each, 2025-10 to 2026-11:
 * 1 + 4 + 9 = 14 GiB a month, 6 backups, 1,406 S3 objects (files + a
 * sidecar each). Then, in 2026-11:
 * - fusion-03 runs no backup (its run and its three backups are dropped);
 * - fusion-02's monitor is silent (its signs of life of November are dropped);
 * - fusion-03's cleanup run exits 2;
 * - fusion-02's extra study fails in S3 on the 3rd and completes on the 4th (5 GiB, 50 files);
 * - fusion-01's `20261101_user0_bad_name` fails validation again (first on 2026-10-01);
 * - fusion-01's `20261105_user0_stuck` stops part-way;
 * - fusion-01's November and December runs find `20261120_user0_long_run` waiting;
 * - fusion-01's first backup (2025-10, 1 GiB) is evicted on the 20th; fusion-02's two of
 *   2025-10 (2 GiB each) were on 2026-10-20;
 * - fusion-01 audits (2 findings in 1 backup, 10% sample, with S3), fusion-02 restores.
 */
export function scenario(): Pick<ReportInput, "manifest" | "jobs" | "ledger"> {
  const archive = sampleArchive({
    instruments: INSTRUMENTS,
    from: "2025-10",
    to: "2026-11",
    studies: (index) => index + 1,
    bytes: (index) => (index + 1) * GIB,
    files: (index) => 100 * (index + 1),
    signsOfLife: true,
  });
  const november = (iso: string) => iso.startsWith("2026-11");
  const manifest = archive.manifest.filter((record) =>
    !(record.instrument === "fusion-03" && november(record.started_at))
  );
  let jobs = archive.jobs.filter((record) =>
    !(record.instrument === "fusion-03" && record.job === "backup run" &&
      november(record.started_at)) &&
    !(record.instrument === "fusion-02" && record.job === "monitor tail" &&
      november(record.recorded_at)) &&
    !(record.instrument === "fusion-01" && record.job === "backup run" &&
      november(record.started_at)) &&
    !(record.instrument === "fusion-03" && record.job === "cleanup run" &&
      november(record.started_at))
  );

  const bad = { instrument: "fusion-01", study: "20261101_user0_bad_name", bytes: 0, files: 0 };
  const validation = "validate: naming standard: R1 20261101_user0_bad_name: not a study name";
  manifest.push(
    ...failedBackup({ ...bad, startedAt: at("2026-10", 1, 2, 5) }, "failed_validation", validation),
    ...failedBackup({ ...bad, startedAt: at("2026-11", 1, 2, 5) }, "failed_validation", validation),
  );
  const retry = {
    instrument: "fusion-02",
    study: "20261103_user1_panel_retry",
    bytes: 5 * GIB,
    files: 50,
  };
  manifest.push(
    ...failedBackup({ ...retry, startedAt: at("2026-11", 3, 11) }, "failed_s3", "upload: timeout"),
    ...completeBackup({ ...retry, startedAt: at("2026-11", 4, 10) }),
  );
  manifest.push(
    completeBackup({
      instrument: "fusion-01",
      study: "20261105_user0_stuck",
      startedAt: at("2026-11", 5, 3),
      bytes: GIB,
      files: 10,
    })[0]!,
  );

  const waiting = [{ study: "20261120_user0_long_run", newest_change: "2026-11-28T00:00:00Z" }];
  jobs.push(
    jobRun({
      job: "backup run",
      instrument: "fusion-01",
      startedAt: at("2026-11", 1, 2),
      exitCode: 1,
      summary: "1 of 2 studies failed",
      details: { waiting },
    }),
    jobRun({
      job: "backup run",
      instrument: "fusion-01",
      startedAt: at("2026-12", 1, 2),
      details: { waiting },
    }),
    jobRun({
      job: "cleanup run",
      instrument: "fusion-03",
      startedAt: at("2026-11", 20, 2),
      exitCode: 2,
      summary: "the share is locked by PC-FUSION-01 pid 7",
    }),
    jobRun({
      job: "audit",
      instrument: "fusion-01",
      startedAt: at("2026-11", 15, 9),
      exitCode: 1,
      details: {
        backups: 40,
        with_findings: 1,
        findings: 2,
        not_on_share: 3,
        s3: true,
        sample_pct: 10,
      },
    }),
    jobRun({
      job: "restore",
      instrument: "fusion-02",
      startedAt: at("2026-11", 16, 14),
      details: {
        backup: "fusion-01/20251003_user0_panel_run0",
        source: "s3",
        files: 100,
        bytes: GIB,
        problems: 0,
        waiting_for_s3: false,
      },
    }),
  );
  jobs = jobs.sort((a, b) => a.recorded_at < b.recorded_at ? -1 : 1);

  const first = (name: string) =>
    manifest.find((record) => record.backup_name === name && record.status === "complete")!;
  const ledger = [
    evicted(first("fusion-02/20251003_user1_panel_run0"), at("2026-10", 20, 2, 10)),
    evicted(first("fusion-02/20251003_user1_panel_run1"), at("2026-10", 20, 2, 11)),
    evicted(first("fusion-01/20251003_user0_panel_run0"), at("2026-11", 20, 2, 10)),
  ];
  return { manifest, jobs, ledger };
}

/** The input of the report of 2026-11, made at {@linkcode NOW}. */
export function scenarioInput(fields: Partial<ReportInput> = {}): ReportInput {
  return {
    month: "2026-11",
    now: NOW,
    calendar: UTC,
    settings: SETTINGS,
    ...scenario(),
    space: SPACE,
    s3Usage: undefined,
    problems: [],
    ...fields,
  };
}
