/**
 * `deno task bench`: the speed and memory targets of the project, measured
 * on generated data. Never part of the test suite (the machines are shared
 * and noisy); quote ratios measured side by side in one run.
 *
 * Usage: `deno task bench [case ...]`; with no case, every case runs.
 *
 * @module
 */
import { join } from "node:path";
import { validateRoot } from "../lib/standard/mod.ts";
import { makeSampleStudy } from "./sample_data.ts";
import { benchCopyHash } from "./_bench_copy.ts";
import { benchRestore } from "./_bench_restore.ts";
import { benchS3Upload } from "./_bench_s3.ts";
import { peakRssMiB } from "./_rss.ts";
import { writeSampleFusionLog } from "./sample_log.ts";

/** One benchmark case: prepares its data in `dir` and prints its own table rows. */
interface BenchCase {
  readonly name: string;
  readonly what: string;
  run(dir: string): Promise<void>;
}

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

const s3Upload: BenchCase = {
  name: "s3-upload",
  what: "upload of one multi-GiB qptiff (FUSION_BENCH_GIB, default 2) + 2,000 small files to the " +
    "local S3 peer, ours vs aws s3 cp (targets: at least as fast; peak RSS under 300 MB)",
  run: benchS3Upload,
};

const copyHash: BenchCase = {
  name: "copy-hash",
  what: "copy+hash and read-back verify of one multi-GiB qptiff (FUSION_BENCH_GIB, default 2) + " +
    "2,000 small files, ours vs cp, cp + sha256sum, rclone (target: copy+hash within 1.2x of cp; " +
    "peak RSS under 300 MB)",
  run: benchCopyHash,
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
  const script = new URL("./monitor_catchup.ts", import.meta.url).pathname;
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

const restore: BenchCase = {
  name: "restore",
  what: "restore of a backed-up study (one FUSION_BENCH_GIB GiB qptiff, default 2, + 2,000 small " +
    "files) from the share and from the local S3 peer, verified, vs cp -r, cp -r + sha256sum -c, " +
    "aws s3 cp",
  run: benchRestore,
};

const CASES: readonly BenchCase[] = [validateTree, copyHash, s3Upload, monitorCatchup, restore];

async function main(): Promise<number> {
  const wanted = Deno.args;
  const unknown = wanted.filter((name) => !CASES.some((item) => item.name === name));
  if (unknown.length > 0) {
    console.error(
      `unknown case(s): ${unknown.join(", ")}; known: ${CASES.map((c) => c.name).join(", ")}`,
    );
    return 2;
  }
  for (const item of CASES) {
    if (wanted.length > 0 && !wanted.includes(item.name)) continue;
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
