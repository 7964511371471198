/**
 * `deno task bench`: the speed and memory targets of the project, measured
 * on generated data. Never part of the test suite (the machines are shared
 * and noisy); quote ratios measured side by side in one run.
 *
 * Usage: `deno task bench [case ...]`; with no case, every case runs. Run
 * as root with `deno run -A scripts/bench/main.ts` to let the cases that
 * compare with other tools drop the page cache between rows.
 *
 * @module
 */
import { join } from "node:path";
import { validateRoot } from "../../lib/study/mod.ts";
import { makeSampleStudy } from "../sample_data.ts";
import type { BenchCase } from "./_case.ts";
import { peakRssMiB } from "./_rss.ts";
import { writeSampleFusionLog } from "../sample_log.ts";

/** Milliseconds of `body`, best and median of `rounds` runs. */
async function timeRounds(rounds: number, body: () => Promise<unknown>) {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    await body();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { best: times[0] ?? 0, median: times[Math.floor(times.length / 2)] ?? 0 };
}

const validateTree: BenchCase = {
  name: "validate-root",
  what: "validate root over 2,000 generated studies (target: well under 1 s)",
  async run(dir) {
    const studies = 2000;
    const root = join(dir, "studies");
    for (let index = 0; index < studies; index++) {
      const day = String(1 + (index % 28)).padStart(2, "0");
      await makeSampleStudy(root, `202501${day}_user${index}_bench_run${index}`, {
        experiments: index % 2 === 0 ? [""] : ["", "B"],
        qptiffBytes: 16,
        tempFiles: 3,
        tempFileBytes: 8,
      });
    }
    const { best, median } = await timeRounds(5, async () => {
      const report = await validateRoot(root);
      if (!report.ok || report.studies.length !== studies) {
        throw new Error("the generated tree should pass");
      }
    });
    console.log(
      `| validate-root | ${studies} studies | best ${best.toFixed(0)} ms | ` +
        `median ${median.toFixed(0)} ms | peak RSS ${peakRssMiB().toFixed(0)} MiB |`,
    );
  },
};

/** Seconds a shell command takes, best of `rounds`. */
async function commandSeconds(rounds: number, script: string): Promise<number> {
  const { best } = await timeRounds(rounds, async () => {
    const status = await new Deno.Command("sh", { args: ["-c", script], stdout: "null" }).output();
    if (!status.success) throw new Error(`${script} failed`);
  });
  return best / 1000;
}

/** What scripts/monitor_catchup.ts reports. */
interface CatchupReport {
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly delivered: number;
  readonly offset: number;
  readonly found: number;
  readonly repeated: number;
}

/** One catch-up pass in a process of its own, with the permissions `monitor tail` has. */
async function catchUp(log: string, stateFile: string): Promise<CatchupReport> {
  const script = new URL("../monitor_catchup.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-read", "--allow-write", script, log, stateFile],
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error("the catch-up process failed");
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

const monitorCatchup: BenchCase = {
  name: "monitor-catchup",
  what: "monitor tail catching up on a generated 1 GiB Fusion.log (FUSION_BENCH_GIB scales it; " +
    "targets: disk speed, under 100 MB of memory)",
  async run(dir) {
    const gib = Number(Deno.env.get("FUSION_BENCH_GIB") ?? "1");
    const log = join(dir, "Fusion.log");
    const written = await writeSampleFusionLog(log, Math.round(gib * 1024 ** 3));
    const mb = written.bytes / 1e6;
    const rate = (seconds: number) => `${(mb / seconds).toFixed(0)} MB/s (${seconds.toFixed(2)} s)`;
    // The log was just written, so every reader below reads it from the page cache.
    const cat = await commandSeconds(3, `cat '${log}' > /dev/null`);
    const wc = await commandSeconds(3, `wc -l '${log}'`);
    const reports: CatchupReport[] = [];
    for (let round = 0; round < 3; round++) {
      const report = await catchUp(log, join(dir, "state", "monitor.json"));
      const { offset, found, repeated, delivered } = report;
      if (
        offset !== written.bytes || found !== written.errorBlocks || repeated + delivered !== found
      ) {
        throw new Error(
          `catch-up read ${offset} of ${written.bytes} bytes and found ${found} of ` +
            `${written.errorBlocks} error blocks`,
        );
      }
      reports.push(report);
    }
    const best = Math.min(...reports.map((report) => report.seconds));
    const peak = Math.max(...reports.map((report) => report.peakRssMiB));
    console.log(
      `| log | ${mb.toFixed(0)} MB, ${written.lines} lines, ${written.errorBlocks} error blocks ` +
        `(${written.distinctErrors} distinct: ${reports[0]?.delivered} delivered, the rest ` +
        "deduplicated) |",
    );
    console.log(`| monitor catch-up (best of 3) | ${rate(best)} |`);
    console.log(`| \`cat > /dev/null\` (best of 3) | ${rate(cat)} |`);
    console.log(`| \`wc -l\` (best of 3) | ${rate(wc)} |`);
    console.log(`| peak RSS of the catch-up process | ${peak.toFixed(0)} MiB |`);
  },
};

/** Every case, one line each, loaded only when it runs; `deno task bench NAME` picks some. */
const CASES: Readonly<Record<string, () => BenchCase | Promise<BenchCase>>> = {
  "validate-root": () => validateTree,
  "copy-hash": async () => (await import("./copy.ts")).copyHash,
  "copy-30k": async () => (await import("./copy.ts")).copy30k,
  "copy-100k": async () => (await import("./copy.ts")).copy100k,
  "backup-run": async () => (await import("./backup_run.ts")).backupRun,
  "s3-upload": async () => (await import("./s3.ts")).s3Upload,
  "monitor-catchup": () => monitorCatchup,
  "restore": async () => (await import("./restore.ts")).restore,
  "report": async () => (await import("./report.ts")).reportBench,
};

async function main(): Promise<number> {
  const known = Object.keys(CASES);
  const wanted = Deno.args.length > 0 ? Deno.args : known;
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    console.error(`unknown case(s): ${unknown.join(", ")}; known: ${known.join(", ")}`);
    return 2;
  }
  for (const name of known.filter((name) => wanted.includes(name))) {
    const item = await CASES[name]!();
    console.log(`\n## ${item.name}: ${item.what}`);
    const dir = await Deno.makeTempDir({ prefix: `fusion-toolkit-bench-${item.name}-` });
    try {
      await item.run(dir);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
