/**
 * The `backup-run` bench case: one run that fills the table of the
 * project's speed and memory targets, `backup run` measured end to end and
 * step by step against the standard tools doing the same work.
 *
 * 1. A study of one `.qptiff` of `FUSION_BENCH_GIB` GiB (default 2) and
 *    2,000 files of 32 KiB, for `FUSION_BENCH_ROUNDS` rounds (default 3),
 *    the tools in a rotating order, each from a fresh copy of the study,
 *    an empty share folder and a fresh S3 peer process:
 *    - `backup run` (main.ts with the product's permissions, a process of
 *      its own): its time and peak memory, and each step's time from its
 *      log (the copy, read-back and upload lines; the confirm pass from the
 *      timestamps of the upload line and the `S3 upload verified` line);
 *    - `cp -r` + `sync`, then `sha256sum` of the copy, then `aws s3 cp
 *      --recursive` of the study, each timed;
 *    - `rclone copy` + `sync`, `rclone check`, then `aws s3 cp`, each timed
 *      (when rclone is installed);
 *    - plain `cp -r` (a reference: it leaves the bytes in the page cache);
 *    - `openssl dgst -sha256` of our share copy right after our run, warm
 *      as our read-back was (raw SHA-256 speed with the CPU's SHA
 *      instructions, in the same run).
 *    The S3 part size is 10 MiB for both uploaders (the peer takes at most
 *    11 MiB a request), 4 at a time.
 * 2. 30,000 files of 4 KiB (a Fusion run's `.temp` tiles), the same rounds:
 *    `backup run`'s time, the confirm pass's share of it, its peak memory;
 *    `aws s3 cp` of the same study once, for its memory.
 * 3. 100,000 files of 4 KiB, one `backup run`: its peak memory.
 *
 * Before each tool's run the page cache is dropped when the bench may (root
 * and `-A`), so each starts from the disk; inside a run nothing is dropped.
 * The table ends with every target, ours, the baseline, the paired ratio
 * (median over the rounds) and whether it is met.
 *
 * @module
 */
import { join } from "node:path";
import { makeSampleStudy, sampleConfigToml } from "../sample_data.ts";
import { type BenchCase, benchRounds, dropPageCache, loadLine, median } from "./_case.ts";
import { productArgs, productEnv } from "./_product.ts";
import { type MeasuredRun, runMeasured } from "./_rss.ts";
import { describeCache, OPENSSL_SCRIPT, paired, rotated, shell } from "./copy.ts";
import { awsCopy, findAws, startPeerProcess } from "./s3.ts";

const MiB = 1024 * 1024;
const PART_MB = 10;
const OLD = new Date(Date.now() - 60 * 86_400_000);
const IMAGE_STUDY = "20250101_bench_e2e_run1";
/** Short, so the file list of 100,002 files fits in one request to the peer (11 MiB at most). */
const TILES_STUDY = "20250101_lab_tiles_1";

/** What one `backup run` took, from its process and its log. */
interface OurRun {
  readonly run: MeasuredRun;
  readonly copy: number;
  readonly readBack: number;
  readonly upload: number;
  readonly confirm: number;
  /** The page cache was dropped before it. */
  readonly cold: boolean;
}

/** The seconds a step's log line gives: `<study>: <verb> N files, B bytes in S s`. */
function stepLine(log: string, verb: string): number {
  const match = new RegExp(`: ${verb} \\d+ files, \\d+ bytes in ([\\d.]+) s`).exec(log);
  if (match === null) throw new Error(`no '${verb}' line in the run's log`);
  return Number(match[1]);
}

/** The time of the first log line containing `text`. */
function lineTime(log: string, text: string): number {
  const line = log.split("\n").find((candidate) => candidate.includes(text));
  if (line === undefined) throw new Error(`no line with '${text}' in the run's log`);
  return Date.parse(line.slice(0, line.indexOf(" ")));
}

/**
 * One `backup run` of `pristine` (a study folder): copied untimed into a
 * fresh source root, then backed up to a fresh share and a fresh peer.
 */
async function runOurs(pristine: string, dir: string): Promise<OurRun & { share: string }> {
  const source = join(dir, "source");
  const share = join(dir, "share");
  await Deno.mkdir(source, { recursive: true });
  await Deno.mkdir(share, { recursive: true });
  await shell('cp -a "$0" "$1"', pristine, source);
  const peer = await startPeerProcess();
  try {
    const config = join(dir, "config.toml");
    await Deno.writeTextFile(
      config,
      sampleConfigToml({ source, share, bucket: peer.bucket, endpoint: peer.endpoint, partMb: 10 }),
    );
    const cold = await dropPageCache();
    // Its summary table and log lines to files of their own, not into the bench's tables.
    const run = await runMeasured("sh", [
      "-c",
      '"$0" "$@" > "$OUTPUT" 2>&1',
      Deno.execPath(),
      ...productArgs(["backup", "run", "--config", config]),
    ], { ...await productEnv(dir), OUTPUT: join(dir, "output.txt") });
    if (!run.success) {
      const output = await Deno.readTextFile(join(dir, "output.txt")).catch(() => "");
      throw new Error(`backup run failed:\n${output.split("\n").slice(-20).join("\n")}`);
    }
    let log = "";
    for await (const entry of Deno.readDir(join(dir, "logs"))) {
      log += await Deno.readTextFile(join(dir, "logs", entry.name));
    }
    if (!log.includes(": complete, ")) throw new Error("backup run did not complete the study");
    return {
      run,
      share,
      cold,
      copy: stepLine(log, "copied"),
      readBack: stepLine(log, "read back"),
      upload: stepLine(log, "uploaded"),
      confirm: (lineTime(log, "S3 upload verified") - lineTime(log, ": uploaded ")) / 1000,
    };
  } finally {
    await peer.stop();
  }
}

/** `rclone` if it is installed (or can be, from the distribution's packages), else undefined. */
async function findRclone(): Promise<string | undefined> {
  const works = async () =>
    await new Deno.Command("rclone", { args: ["version"], stdout: "null", stderr: "null" })
      .output().then((output) => output.success, () => false);
  if (await works()) return "rclone";
  console.log("rclone not found; installing the Debian package rclone ...");
  await new Deno.Command("apt-get", {
    args: ["-o", "DPkg::Lock::Timeout=900", "install", "-y", "rclone"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => undefined);
  return await works() ? "rclone" : undefined;
}

/** One timed pipeline of standard tools: each part's seconds, and the largest peak memory. */
interface Pipeline {
  readonly parts: Record<string, number>;
  readonly seconds: number;
  readonly peakMiB: number | undefined;
  /** The page cache was dropped before it. */
  readonly cold: boolean;
}

function pipeline(runs: Record<string, MeasuredRun>, cold: boolean): Pipeline {
  const parts = Object.fromEntries(Object.entries(runs).map(([name, run]) => [name, run.seconds]));
  const peaks = Object.values(runs).map((run) => run.peakMiB ?? 0);
  return {
    parts,
    seconds: Object.values(parts).reduce((sum, seconds) => sum + seconds, 0),
    peakMiB: Math.max(...peaks),
    cold,
  };
}

/** `cp -r` + `sync`, `sha256sum` of the copy, `aws s3 cp` of the study. */
async function runStandard(aws: string, study: string, dir: string): Promise<Pipeline> {
  const copy = join(dir, "share");
  await Deno.mkdir(dir, { recursive: true });
  const cold = await dropPageCache();
  const cp = await shell('cp -r "$0" "$1" && sync', study, copy);
  const sums = await shell(
    'cd "$0" && find . -type f -print0 | xargs -0 sha256sum > "$1"',
    copy,
    join(dir, "sums"),
  );
  const peer = await startPeerProcess();
  try {
    const upload = await awsCopy(aws, study, peer, "aws", dir, PART_MB);
    return pipeline({ "cp -r + sync": cp, "sha256sum": sums, "aws s3 cp": upload }, cold);
  } finally {
    await peer.stop();
  }
}

/** `rclone copy` + `sync`, `rclone check` of source and copy, `aws s3 cp` of the study. */
async function runRclone(
  rclone: string,
  aws: string,
  study: string,
  dir: string,
): Promise<Pipeline> {
  const copy = join(dir, "share");
  await Deno.mkdir(dir, { recursive: true });
  const cold = await dropPageCache();
  const cp = await shell(`${rclone} copy -q "$0" "$1" && sync`, study, copy);
  const check = await shell(`${rclone} check --one-way -q "$0" "$1"`, study, copy);
  const peer = await startPeerProcess();
  try {
    const upload = await awsCopy(aws, study, peer, "aws", dir, PART_MB);
    return pipeline(
      { "rclone copy + sync": cp, "rclone check": check, "aws s3 cp": upload },
      cold,
    );
  } finally {
    await peer.stop();
  }
}

interface Target {
  readonly step: string;
  readonly ours: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly met: boolean | undefined;
}

const f1 = (value: number) => value.toFixed(1);
const f2 = (value: number) => value.toFixed(2);

/** Part 1: the image study, end to end and step by step. */
async function imageStudy(dir: string, aws: string, rclone: string | undefined) {
  const gib = Number(Deno.env.get("FUSION_BENCH_GIB") ?? "2");
  const imageBytes = Math.round(gib * 1024 * MiB);
  const study = await makeSampleStudy(join(dir, "pristine"), IMAGE_STUDY, {
    qptiffBytes: imageBytes,
    tempFiles: 2000,
    tempFileBytes: 32 * 1024,
    mtime: OLD,
  });
  const bytes = imageBytes + 2000 * 32 * 1024;
  const rounds = benchRounds();
  console.log(
    `\n### ${gib} GiB image + 2,000 files of 32 KiB (${(bytes / MiB).toFixed(0)} MiB), ` +
      `${rounds} round${rounds === 1 ? "" : "s"}; ${loadLine()} at the start\n`,
  );
  console.log("| round | tool | seconds | parts (s) | peak RSS MiB | page cache |");
  console.log("| ---: | --- | ---: | --- | ---: | --- |");
  const ours: OurRun[] = [];
  const standard: Pipeline[] = [];
  const withRclone: Pipeline[] = [];
  const cp: number[] = [];
  const openssl: number[] = [];
  const colds: { cold: boolean }[] = [];
  for (let round = 0; round < rounds; round++) {
    const at = join(dir, `round-${round}`);
    const tools: Record<string, () => Promise<void>> = {
      "backup run": async () => {
        const run = await runOurs(study, join(at, "ours"));
        ours.push(run);
        colds.push(run);
        console.log(
          `| ${round + 1} | backup run | ${f1(run.run.seconds)} | copy ${f1(run.copy)}, ` +
            `read back ${f1(run.readBack)}, upload ${f1(run.upload)}, confirm ` +
            `${f2(run.confirm)} | ${run.run.peakMiB?.toFixed(0) ?? "n/a"} | ` +
            `${run.cold ? "cold" : "warm"} |`,
        );
        // The same bytes as our read-back hashed, warm as they were for it.
        const copy = join(run.share, "fusion-01", IMAGE_STUDY);
        await shell('find "$0" -type f -print0 | xargs -0 cat > /dev/null', copy);
        const hashed = await shell(OPENSSL_SCRIPT, copy);
        openssl.push(hashed.seconds);
        console.log(
          `| ${round + 1} | openssl dgst -sha256 of our share copy | ${f2(hashed.seconds)} | - | ` +
            `${hashed.peakMiB?.toFixed(0) ?? "n/a"} | warm |`,
        );
      },
      "standard": async () => {
        const result = await runStandard(aws, study, join(at, "standard"));
        standard.push(result);
        colds.push(result);
        printPipeline(round, "cp -r + sync + sha256sum + aws s3 cp", result);
      },
      "rclone": async () => {
        if (rclone === undefined) return;
        const result = await runRclone(rclone, aws, study, join(at, "rclone"));
        withRclone.push(result);
        colds.push(result);
        printPipeline(round, "rclone copy + sync + rclone check + aws s3 cp", result);
      },
      "cp": async () => {
        const cold = await dropPageCache();
        colds.push({ cold });
        const run = await shell('cp -r "$0" "$1"', study, join(at, "cp"));
        cp.push(run.seconds);
        console.log(
          `| ${round + 1} | cp -r (reference) | ${f2(run.seconds)} | - | ` +
            `${run.peakMiB?.toFixed(0) ?? "n/a"} | ${cold ? "cold" : "warm"} |`,
        );
      },
    };
    await Deno.mkdir(at, { recursive: true });
    for (const tool of rotated(Object.keys(tools), round)) await tools[tool]!();
    await Deno.remove(at, { recursive: true });
  }
  console.log(
    `\n${loadLine()} at the end; page cache before each tool: ${describeCache(colds)}; ` +
      "openssl and our read-back: warm\n",
  );
  const e2e = paired(ours.map((run) => run.run.seconds), standard.map((run) => run.seconds));
  const e2eRclone = paired(
    ours.map((run) => run.run.seconds),
    withRclone.map((run) => run.seconds),
  );
  const cpSync = standard.map((run) => run.parts["cp -r + sync"] ?? Number.NaN);
  const copy = paired(ours.map((run) => run.copy), cpSync);
  const readBackSpeed = paired(openssl, ours.map((run) => run.readBack));
  const awsSeconds = standard.map((run) => run.parts["aws s3 cp"] ?? Number.NaN);
  const upload = paired(awsSeconds, ours.map((run) => run.upload));
  const oursMedian = median(ours.map((run) => run.run.seconds));
  const targets: Target[] = [
    {
      step: "end to end `backup run`",
      ours: `${f1(oursMedian)} s`,
      baseline:
        `cp -r + sync + sha256sum + aws s3 cp ${f1(median(standard.map((r) => r.seconds)))} s` +
        (withRclone.length > 0
          ? `; rclone copy + check + aws ${f1(median(withRclone.map((r) => r.seconds)))} s`
          : "; rclone not installed"),
      ratio: `${f2(median(e2e))}${withRclone.length > 0 ? ` / ${f2(median(e2eRclone))}` : ""}`,
      target: "keep ahead (< 1)",
      met: median(e2e) < 1 && (withRclone.length === 0 || median(e2eRclone) < 1),
    },
    {
      step: "copy + hash to the share (each file flushed)",
      ours: `${f2(median(ours.map((run) => run.copy)))} s`,
      baseline: `cp -r + sync ${f2(median(cpSync))} s (cp -r alone ${f2(median(cp))} s)`,
      ratio: f2(median(copy)),
      target: "≤ 1.2",
      met: median(copy) <= 1.2,
    },
    {
      step: "read-back inside `backup run` (SHA-256 + part digests)",
      ours: `${f2(median(ours.map((run) => run.readBack)))} s`,
      baseline: `openssl dgst -sha256 of the same bytes ${f2(median(openssl))} s`,
      ratio: `${f2(median(readBackSpeed))} of raw speed`,
      target: "≥ 0.9",
      met: median(readBackSpeed) >= 0.9,
    },
    {
      step: `S3 upload (${PART_MB} MiB parts, 4 at a time, local peer)`,
      ours: `${f2(median(ours.map((run) => run.upload)))} s`,
      baseline: `aws s3 cp ${f2(median(awsSeconds))} s`,
      ratio: `${f2(median(upload))}× faster`,
      target: "keep (≥ 1)",
      met: median(upload) >= 1,
    },
  ];
  return targets;
}

function printPipeline(round: number, name: string, result: Pipeline): void {
  const parts = Object.entries(result.parts).map(([part, seconds]) => `${part} ${f1(seconds)}`);
  console.log(
    `| ${round + 1} | ${name} | ${f1(result.seconds)} | ${parts.join(", ")} | ` +
      `${result.peakMiB?.toFixed(0) ?? "n/a"} | ${result.cold ? "cold" : "warm"} |`,
  );
}

/** Parts 2 and 3: many small files, for the confirm pass and the memory. */
async function tileStudies(dir: string, aws: string): Promise<Target[]> {
  const targets: Target[] = [];
  for (const files of [30_000, 100_000]) {
    const study = await makeSampleStudy(join(dir, `pristine-${files}`), TILES_STUDY, {
      qptiffBytes: 4096,
      tempFiles: files - 2,
      tempFileBytes: 4096,
      mtime: OLD,
    });
    const rounds = files === 30_000 ? benchRounds() : 1;
    console.log(
      `\n### ${files.toLocaleString("en")} files of 4 KiB, ${rounds} round${
        rounds === 1 ? "" : "s"
      }; ${loadLine()} at the start\n`,
    );
    console.log("| round | tool | seconds | confirm s (share of the run) | peak RSS MiB |");
    console.log("| ---: | --- | ---: | --- | ---: |");
    const runs: OurRun[] = [];
    for (let round = 0; round < rounds; round++) {
      const at = join(dir, `tiles-${files}-${round}`);
      const run = await runOurs(study, at);
      runs.push(run);
      console.log(
        `| ${round + 1} | backup run | ${f1(run.run.seconds)} | ${f2(run.confirm)} ` +
          `(${(100 * run.confirm / run.run.seconds).toFixed(1)} %) | ` +
          `${run.run.peakMiB?.toFixed(0) ?? "n/a"} |`,
      );
      await Deno.remove(at, { recursive: true });
    }
    let awsPeak: number | undefined;
    if (files === 30_000) {
      const peer = await startPeerProcess();
      try {
        await Deno.mkdir(join(dir, "aws-30k"));
        const run = await awsCopy(aws, study, peer, "aws", join(dir, "aws-30k"), PART_MB);
        awsPeak = run.peakMiB;
        console.log(
          `| 1 | aws s3 cp (for its memory) | ${f1(run.seconds)} | - | ` +
            `${run.peakMiB?.toFixed(0) ?? "n/a"} |`,
        );
      } finally {
        await peer.stop();
      }
      const shares = runs.map((run) => run.confirm / run.run.seconds);
      targets.push({
        step: "confirm (ListObjectsV2 pass), 30,000 tiny files",
        ours: `${f2(median(runs.map((run) => run.confirm)))} s = ` +
          `${(100 * median(shares)).toFixed(1)} % of the run (${
            f1(median(runs.map((r) => r.run.seconds)))
          } s)`,
        baseline: "-",
        ratio: "-",
        target: "≤ 10 % of the run",
        met: median(shares) <= 0.1,
      });
    }
    const peak = Math.max(...runs.map((run) => run.run.peakMiB ?? Number.NaN));
    targets.push({
      step: `peak RSS of \`backup run\`, ${files.toLocaleString("en")} × 4 KiB files`,
      ours: `${peak.toFixed(0)} MiB`,
      baseline: awsPeak === undefined ? "-" : `aws s3 cp ${awsPeak.toFixed(0)} MiB`,
      ratio: "-",
      target: files === 100_000 ? "< 200 MiB" : "-",
      met: files === 100_000 ? peak < 200 : undefined,
    });
    await Deno.remove(join(dir, `pristine-${files}`), { recursive: true });
  }
  return targets;
}

export const backupRun: BenchCase = {
  name: "backup-run",
  what: "backup run end to end and step by step vs cp -r + sync + sha256sum + aws s3 cp (and " +
    "rclone), on a FUSION_BENCH_GIB GiB image + 2,000 files, then 30,000 and 100,000 tiny files: " +
    "the table of every speed and memory target",
  async run(dir) {
    const aws = await findAws();
    if (aws === undefined) {
      console.log("aws CLI missing (apt-get install awscli failed): this case needs it; skipped");
      return;
    }
    const rclone = await findRclone();
    if (rclone === undefined) console.log("rclone missing (apt-get install rclone failed)");
    const targets = [...await imageStudy(dir, aws, rclone), ...await tileStudies(dir, aws)];
    console.log(`\n### The targets (${new Date().toISOString().slice(0, 10)}; ${loadLine()})\n`);
    console.log("| step | ours | baseline | ratio | target | met |");
    console.log("| --- | --- | --- | --- | --- | --- |");
    for (const row of targets) {
      const met = row.met === undefined ? "-" : row.met ? "met" : "missed";
      console.log(
        `| ${row.step} | ${row.ours} | ${row.baseline} | ${row.ratio} | ${row.target} | ${met} |`,
      );
    }
  },
};
