/**
 * The one screen of `status`, as text. Pure.
 *
 * @module
 */
import { basename } from "node:path";
import { formatBytes, renderTable } from "../text/mod.ts";
import { REFUSED, type StatusReport } from "./gather.ts";

function when(iso: string): string {
  return iso.replace("T", " ").replace(/:\d{2}(\.\d+)?Z$/, " UTC");
}

function runLines(report: StatusReport): string[] {
  const jobs = ["backup run", "cleanup run", "audit", "monitor tail"];
  const names = [...new Set([...jobs, ...Object.keys(report.runs)])];
  return names.map((job) => {
    const run = report.runs[job];
    if (run === undefined) return `  ${job.padEnd(13)} never ran here`;
    const outcome = run.exit_code === 0 ? "ok" : `FAILED (exit ${run.exit_code})`;
    const summary = run.summary === null ? "" : `: ${run.summary}`;
    return `  ${job.padEnd(13)} ${when(run.started_at)}  ${outcome}${summary}`;
  });
}

function instrumentLines(report: StatusReport): string[] {
  const { instrument } = report;
  if (!instrument.reachable) return [`  ${instrument.source_root} is not reachable`];
  if (instrument.studies.length === 0) return [`  ${instrument.source_root}: no studies`];
  const idle = instrument.studies.filter((study) => study.idle).length;
  const lines = [
    `  ${instrument.source_root}: ${instrument.waiting_count} stud${
      instrument.waiting_count === 1 ? "y" : "ies"
    }, ${formatBytes(instrument.waiting_bytes)}; ${idle} idle (taken by the next backup run)`,
  ];
  const table = renderTable(
    ["study", "size", "last change", "idle", "next backup run"],
    instrument.studies.map((study) => [
      study.study,
      formatBytes(study.bytes),
      when(study.newest_change),
      study.idle ? "yes" : "no",
      study.next,
    ]),
    ["left", "right"],
  );
  const problems = instrument.studies.filter((study) => study.problem !== null).map((study) =>
    `  ${study.study}: ${study.next === REFUSED ? "refused" : "would be refused"}: ${study.problem}`
  );
  return [...lines, ...table.trimEnd().split("\n").map((line) => `    ${line}`), ...problems];
}

function monthsText(months: number): string {
  if (months < 1) return "less than a month of backups";
  if (months > 120) return "more than ten years of backups";
  return `about ${months.toFixed(1)} months of backups`;
}

function shareLines(report: StatusReport): string[] {
  const { share } = report;
  const lines: string[] = [];
  if (share.free_bytes !== null && share.total_bytes !== null && share.free_pct !== null) {
    lines.push(
      `  ${share.root}: ${formatBytes(share.free_bytes)} free of ${
        formatBytes(share.total_bytes)
      } (${share.free_pct.toFixed(1)}%); cleanup evicts below ${share.cleanup_threshold_pct}%`,
    );
  } else {
    lines.push(`  ${share.root}`);
  }
  if (share.monthly_bytes !== null) {
    const fit = share.months_fit === null ? "" : `: ${monthsText(share.months_fit)} fit`;
    lines.push(`  backups average ${formatBytes(share.monthly_bytes)} a month${fit}`);
  } else {
    lines.push("  no completed backups yet to estimate how many months fit");
  }
  if (share.problem !== null) lines.push(`  ${share.problem}`);
  return lines;
}

const VERSIONING_TEXT = {
  enabled: "versioning on: a replaced or deleted object keeps its earlier version",
  suspended: "versioning suspended: turn it back on, so a replaced or deleted object keeps its " +
    "earlier version (setup guide, AWS credentials)",
  off: "versioning off: turning it on is recommended, so a replaced or deleted object keeps its " +
    "earlier version (setup guide, AWS credentials)",
} as const;

function s3Lines(report: StatusReport): string[] {
  const { s3 } = report;
  const detail = s3.versioning === null ? s3.problem ?? "" : VERSIONING_TEXT[s3.versioning];
  return [`  s3://${s3.bucket}: ${detail}`];
}

function monitorLines(report: StatusReport): string[] {
  const { monitor } = report;
  const lines = [`  ${monitor.log_path}`];
  if (monitor.offset !== null) {
    const lag = monitor.lag_bytes === null
      ? ""
      : `; ${formatBytes(monitor.lag_bytes)} not read yet`;
    const log = basename(monitor.log_path);
    const { rotation } = monitor;
    lines.push(
      rotation === null
        ? `  read up to byte ${monitor.offset}${lag}`
        : rotation.old_file !== null
        ? `  rotating: finishing the old file ${rotation.old_file} (read up to byte ` +
          `${monitor.offset}), then ${log} from its start${lag}`
        : `  rotated: the file read up to byte ${monitor.offset} is no longer beside ${log}; ` +
          `the monitor reads ${log} from its start${lag}`,
    );
    lines.push(
      monitor.last_error_sent_at === null
        ? "  no instrument error emailed in the dedup window"
        : `  last instrument error emailed ${when(monitor.last_error_sent_at)}`,
    );
  }
  if (monitor.problem !== null) lines.push(`  ${monitor.problem}`);
  return lines;
}

/** The whole screen. */
export function renderStatus(report: StatusReport): string {
  const sections: string[] = [
    `fusion-toolkit status, ${when(report.generated_at)} (config ${report.config})`,
    "",
    "Last runs",
    ...runLines(report),
    "",
    "Instrument",
    ...instrumentLines(report),
    "",
    `Needs attention (${report.attention.length})`,
    ...(report.attention.length === 0
      ? ["  nothing"]
      : report.attention.map((item) =>
        `  ${item.backup_name}  ${item.status}  started ${when(item.started_at)}: ${item.problem}`
      )),
    "",
    "Share",
    ...shareLines(report),
    "",
    "S3",
    ...s3Lines(report),
    "",
    "Monitor",
    ...monitorLines(report),
    "",
    `Running now (${report.running.length})`,
    ...(report.running.length === 0
      ? ["  no backup or cleanup"]
      : report.running.map((job) => `  ${job}`)),
    "",
    `Locks left by runs that stopped (${report.stale_locks.length})`,
    ...(report.stale_locks.length === 0
      ? ["  none"]
      : report.stale_locks.map((lock) => `  ${lock}: the next run takes it over and resumes`)),
  ];
  return `${sections.join("\n")}\n`;
}
