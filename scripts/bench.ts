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
import { benchS3Upload } from "./_bench_s3.ts";
import { peakRssMiB } from "./_rss.ts";

export { peakRssMiB };

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

const CASES: readonly BenchCase[] = [validateTree, copyHash, s3Upload];

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
