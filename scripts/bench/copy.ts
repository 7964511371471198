/**
 * The copy cases: a generated study copied to another folder by our copy to
 * the share (kernel copy beside the source hash, every file flushed before
 * it counts) and read back by our verify, side by side with `cp -r` + `sync`
 * (the fair baseline: both end with the bytes on the disk), plain `cp -r`
 * (a reference that leaves them in the page cache) and `openssl dgst
 * -sha256` of the same copy (raw SHA-256 with the CPU's SHA instructions,
 * measured in the same run). Each tool runs as a process of its own, in a
 * rotating order, for `FUSION_BENCH_ROUNDS` rounds (default 3); the table
 * gives every row, then medians and the ratios paired round by round.
 *
 * - `copy-hash`: one `.qptiff` of `FUSION_BENCH_GIB` GiB (default 2) and
 *   2,000 small files of 1–64 KiB;
 * - `copy-30k`, `copy-100k`: 30,000 and 100,000 files of 4 KiB (the `.temp`
 *   tiles of a Fusion run), for the per-file costs and the memory.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchCase, benchRounds, dropPageCache, loadLine, median } from "./_case.ts";
import { type MeasuredRun, runMeasured } from "./_rss.ts";
import { writeSampleFile } from "../sample_data.ts";

const MiB = 1024 * 1024;
const CHILD = fileURLToPath(new URL("./_copy_child.ts", import.meta.url));
/** The product's file permissions, no more: what the copy and verify stages have. */
const OURS = [Deno.execPath(), "run", "--quiet", "--allow-read", "--allow-write", CHILD] as const;

interface StudyShape {
  readonly bigBytes: number;
  readonly smallFiles: number;
  readonly smallBytes: (index: number) => number;
}

/** Writes the study; returns its size in bytes. */
async function generateStudy(root: string, shape: StudyShape): Promise<number> {
  const scan = join(root, "exp", "Scan1");
  await Deno.mkdir(scan, { recursive: true });
  let total = 0;
  if (shape.bigBytes > 0) {
    await writeSampleFile(join(scan, "image.qptiff"), shape.bigBytes);
    total += shape.bigBytes;
  }
  // A Fusion run's tiles, a thousand to a folder.
  for (let index = 0; index < shape.smallFiles; index++) {
    const folder = join(scan, ".temp", `t${String(Math.floor(index / 1000)).padStart(3, "0")}`);
    if (index % 1000 === 0) await Deno.mkdir(folder, { recursive: true });
    const size = shape.smallBytes(index);
    await writeSampleFile(join(folder, `tile_${String(index).padStart(6, "0")}.bin`), size);
    total += size;
  }
  return total;
}

interface Tool {
  readonly name: string;
  /**
   * The command; `{from}` and `{to}` stand for the study and this row's
   * output, `{digests}` for the file where our copy leaves its digests.
   */
  readonly argv: readonly string[];
}

const COPIES: readonly Tool[] = [
  { name: "cp -r", argv: ["cp", "-r", "{from}", "{to}"] },
  { name: "cp -r + sync", argv: ["sh", "-c", 'cp -r "$0" "$1" && sync', "{from}", "{to}"] },
  {
    name: "fusion-toolkit copy (each file flushed)",
    argv: [...OURS, "copy", "{from}", "{to}", "{digests}"],
  },
];
const VERIFIES: readonly Tool[] = [
  { name: "fusion-toolkit verify", argv: [...OURS, "verify", "{to}", "{digests}"] },
  {
    name: "openssl dgst -sha256",
    argv: [
      "sh",
      "-c",
      'find "$0" -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null',
      "{to}",
    ],
  },
];

interface Row {
  readonly round: number;
  readonly tool: string;
  readonly run: MeasuredRun;
  readonly cold: boolean;
}

/** `tools` in the order of this round: rotated, so no tool always runs first. */
function rotated<T>(tools: readonly T[], round: number): T[] {
  const shift = round % tools.length;
  return [...tools.slice(shift), ...tools.slice(0, shift)];
}

async function runRow(
  rows: Row[],
  round: number,
  tool: Tool,
  paths: { readonly from: string; readonly to: string; readonly digests: string },
  bytes: number,
): Promise<void> {
  const cold = await dropPageCache();
  const [command, ...args] = tool.argv.map((arg) =>
    arg.replace("{from}", paths.from).replace("{to}", paths.to).replace("{digests}", paths.digests)
  );
  const run = await runMeasured(command!, args);
  if (!run.success) throw new Error(`${tool.name} failed`);
  rows.push({ round, tool: tool.name, run, cold });
  console.log(
    `| ${round + 1} | ${tool.name} | ${run.seconds.toFixed(2)} | ` +
      `${(bytes / 1e6 / run.seconds).toFixed(0)} | ${run.peakMiB?.toFixed(0) ?? "n/a"} | ` +
      `${cold ? "cold" : "warm"} |`,
  );
}

/** Seconds of `tool` in each round, in round order. */
function secondsOf(rows: readonly Row[], tool: string): number[] {
  return rows.filter((row) => row.tool === tool).map((row) => row.run.seconds);
}

function pairLine(name: string, ratios: readonly number[], target: string): string {
  return `| ${name} | ${ratios.map((ratio) => ratio.toFixed(2)).join(", ")} | ` +
    `${median(ratios).toFixed(2)} | ${target} |`;
}

async function compare(dir: string, shape: StudyShape): Promise<void> {
  const study = join(dir, "study");
  const bytes = await generateStudy(study, shape);
  const files = shape.smallFiles + (shape.bigBytes > 0 ? 1 : 0);
  const rounds = benchRounds();
  console.log(
    `study: ${(bytes / MiB).toFixed(0)} MiB in ${files} files; ${rounds} rounds, the tools in a ` +
      `rotating order; ${loadLine()} at the start`,
  );
  console.log("\n| round | tool | seconds | MB/s | peak RSS MiB | page cache |");
  console.log("| ---: | --- | ---: | ---: | ---: | --- |");
  const rows: Row[] = [];
  for (let round = 0; round < rounds; round++) {
    const outputs = join(dir, `round-${round}`);
    await Deno.mkdir(outputs);
    const ours = join(outputs, "fusion-toolkit");
    const digests = join(outputs, "digests.json");
    for (const tool of rotated(COPIES, round)) {
      const to = tool.argv[0] === OURS[0] ? ours : join(outputs, `copy-${rows.length}`);
      await runRow(rows, round, tool, { from: study, to, digests }, bytes);
    }
    for (const tool of rotated(VERIFIES, round)) {
      await runRow(rows, round, tool, { from: study, to: ours, digests }, bytes);
    }
    // Removing a round's copies here, not between rows, keeps the file system's cleanup of
    // them out of the rows (ext4 pays for recently deleted inodes in the next creations).
    await Deno.remove(outputs, { recursive: true });
  }

  const tools = [...COPIES, ...VERIFIES].map((tool) => tool.name);
  console.log(`\n${loadLine()} at the end; page cache ${describeCache(rows)}\n`);
  console.log("| tool | median seconds | median MB/s | peak RSS MiB (largest) |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const tool of tools) {
    const seconds = median(secondsOf(rows, tool));
    const peaks = rows.filter((row) => row.tool === tool).map((row) => row.run.peakMiB ?? 0);
    console.log(
      `| ${tool} | ${seconds.toFixed(2)} | ${(bytes / 1e6 / seconds).toFixed(0)} | ` +
        `${Math.max(...peaks).toFixed(0)} |`,
    );
  }
  const [cp, cpSync, ourCopy] = COPIES.map((tool) => secondsOf(rows, tool.name));
  const [ourVerify, openssl] = VERIFIES.map((tool) => secondsOf(rows, tool.name));
  const ratio = (a: number[] | undefined, b: number[] | undefined) =>
    (a ?? []).map((value, index) => value / (b?.[index] ?? Number.NaN));
  console.log("\n| paired ratio | per round | median | target |");
  console.log("| --- | --- | ---: | --- |");
  console.log(pairLine("our copy time / cp -r + sync", ratio(ourCopy, cpSync), "at most 1.2"));
  console.log(pairLine("our copy time / cp -r (reference)", ratio(ourCopy, cp), "-"));
  console.log(pairLine("our verify speed / openssl's", ratio(openssl, ourVerify), "at least 0.9"));
}

function describeCache(rows: readonly Row[]): string {
  if (rows.every((row) => row.cold)) return "dropped before every row (all cold)";
  if (rows.every((row) => !row.cold)) {
    return "never dropped (all warm: dropping needs root and -A; FUSION_BENCH_WARM=1 keeps it)";
  }
  return "dropped before some rows only (see each row)";
}

const gib = () => Number(Deno.env.get("FUSION_BENCH_GIB") ?? "2");

export const copyHash: BenchCase = {
  name: "copy-hash",
  what: "copy to the share and read-back verify of one FUSION_BENCH_GIB GiB qptiff (default 2) " +
    "+ 2,000 small files, vs cp -r + sync and openssl dgst -sha256 (targets: copy at most 1.2x " +
    "cp -r + sync; verify at least 0.9 of openssl's speed)",
  run: (dir) =>
    compare(dir, {
      bigBytes: Math.round(gib() * 1024 * MiB),
      smallFiles: 2000,
      smallBytes: (index) => 1024 + ((index * 7919) % (63 * 1024)),
    }),
};

export const copy30k: BenchCase = {
  name: "copy-30k",
  what: "copy and verify of 30,000 files of 4 KiB, as copy-hash (and peak RSS)",
  run: (dir) => compare(dir, { bigBytes: 0, smallFiles: 30_000, smallBytes: () => 4096 }),
};

export const copy100k: BenchCase = {
  name: "copy-100k",
  what: "copy and verify of 100,000 files of 4 KiB, as copy-hash (target: peak RSS under 200 MiB)",
  run: (dir) => compare(dir, { bigBytes: 0, smallFiles: 100_000, smallBytes: () => 4096 }),
};
