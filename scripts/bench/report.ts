/**
 * The `report` benchmark case: ten years of records of four instruments
 * (5,040 backups, their monitors' daily signs of life, two years of
 * evictions), generated and written in the tool's layout, then gathered,
 * aggregated and rendered (text, page, email) as `report` does. Target:
 * well under a second. Self-contained: `deno task bench report`.
 *
 * @module
 */
import { join } from "node:path";
import type { BenchCase } from "./_case.ts";
import { readShareSpace } from "../../lib/cleanup/mod.ts";
import { loadConfig } from "../../lib/config/mod.ts";
import {
  addMonths,
  buildReport,
  gatherReport,
  lastFullMonth,
  localCalendar,
  renderEmailHtml,
  renderPage,
  renderText,
} from "../../lib/report/mod.ts";
import { evicted, sampleArchive, writeSampleArchive } from "../sample_archive.ts";
import { sampleConfigToml } from "../sample_data.ts";

const INSTRUMENTS = ["fusion-01", "fusion-02", "fusion-03", "fusion-04"];
const MONTHS = 120;
const YEAR_MS = 365.25 * 86_400_000;

async function run(dir: string): Promise<void> {
  const share = join(dir, "truenas");
  const month = lastFullMonth(localCalendar, Date.now());
  const archive = sampleArchive({
    instruments: INSTRUMENTS,
    from: addMonths(month, 1 - MONTHS),
    to: month,
    // 9 + 10 + 11 + 12 = 42 backups a month, 5,040 in ten years.
    studies: (index) => 9 + index,
    bytes: (index) => (100 + 50 * index) * 2 ** 30,
    files: (index) => 1500 + 100 * index,
    signsOfLife: true,
  });
  // Cleanup keeps about two years of backups on the share.
  for (const record of archive.manifest) {
    if (record.status !== "complete" || record.source_deleted_at === null) continue;
    const at = new Date(Date.parse(record.completed_at ?? "") + 2 * YEAR_MS);
    if (at.getTime() < Date.now()) archive.ledger.push(evicted(record, at));
  }
  await writeSampleArchive(join(share, "_manifest"), archive);
  const configFile = join(dir, "config.toml");
  await Deno.writeTextFile(
    configFile,
    sampleConfigToml({
      source: join(dir, "FusionData"),
      share,
      bucket: "lab-fusion-archive",
      endpoint: "http://127.0.0.1:9",
    }),
  );
  const config = await loadConfig({ path: configFile });

  const whole: number[] = [];
  const pure: number[] = [];
  let backups = 0;
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    const input = await gatherReport(config, {
      month,
      now: new Date(),
      calendar: localCalendar,
      readSpace: readShareSpace,
    });
    const gathered = performance.now();
    const report = buildReport(input);
    renderText(report);
    renderPage(report);
    renderEmailHtml(report);
    const end = performance.now();
    whole.push(end - start);
    pure.push(end - gathered);
    backups = report.s3.classes.reduce((sum, line) => sum + line.objects, 0) === 0
      ? 0
      : report.totals.backups;
    if (report.problems.length > 0 || report.instruments.length !== INSTRUMENTS.length) {
      throw new Error(`the report did not read the archive: ${report.problems.join("; ")}`);
    }
  }
  if (backups !== 42) throw new Error(`the report's month has ${backups} backups, not 42`);
  const median = (times: number[]) => times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  const best = (times: number[]) => Math.min(...times);
  console.log(
    `| records | ${INSTRUMENTS.length} instruments, ${MONTHS} months: ` +
      `${archive.manifest.length} manifest lines (5,040 backups), ${archive.jobs.length} job ` +
      `log lines, ${archive.ledger.length} cleanup ledger lines |`,
  );
  console.log(
    `| report (read, aggregate, render text, page and email) | best ${best(whole).toFixed(0)} ms ` +
      `| median ${median(whole)?.toFixed(0)} ms |`,
  );
  console.log(
    `| of which aggregate and render | best ${best(pure).toFixed(0)} ms | median ${
      median(pure)?.toFixed(0)
    } ms |`,
  );
}

/** The case, as scripts/bench/main.ts lists them. */
export const reportBench: BenchCase = {
  name: "report",
  what: "report over 10 years of 4 instruments' records, ~5,000 backups (target: well under 1 s)",
  run,
};
