/**
 * The copy cases: a generated study copied to a share folder and read back
 * by the backup's own copy and read-back steps, called as `backup run`
 * calls them (`scripts/bench/_copy_child.ts`), side by side with `cp -r` +
 * `sync` (the fair baseline: both end with the bytes on the disk), plain
 * `cp -r` (a reference that leaves them in the page cache) and `openssl dgst
 * -sha256` of our copy (raw SHA-256 with the CPU's SHA instructions,
 * measured in the same run). Each tool runs as a process of its own, in a
 * rotating order, for `FUSION_BENCH_ROUNDS` rounds (default 3); the tables
 * give every row, then medians and the ratios paired round by round.
 *
 * Our rows are the steps' own times, measured inside the child around the
 * step calls (its start and module loading left out); the other tools' rows
 * are their process times. Our read-back runs right after our copy, as in a
 * run, so it reads what was just written (warm); openssl's row is made warm
 * the same way, by one untimed read first.
 *
 * - `copy-hash`: one `.qptiff` of `FUSION_BENCH_GIB` GiB (default 2) and
 *   2,000 files of 32 KiB;
 * - `copy-30k`, `copy-100k`: 30,000 and 100,000 files of 4 KiB (the `.temp`
 *   tiles of a Fusion run), for the per-file costs and the memory.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PRODUCT_FLAGS } from "../../lib/install/permissions.ts";
import { COPY_JOURNAL_NAME } from "../../lib/layout/mod.ts";
import { type BenchCase, benchRounds, dropPageCache, loadLine, median } from "./_case.ts";
import { runMeasured } from "./_rss.ts";
import { makeSampleStudy } from "../sample_data.ts";

const MiB = 1024 * 1024;
const CHILD = fileURLToPath(new URL("./_copy_child.ts", import.meta.url));
const STUDY = "20250101_bench_copy_run1";

interface StudyShape {
  readonly bigBytes: number;
  readonly smallFiles: number;
  readonly smallBytes: number;
}

/** One measured row: a tool's seconds in one round, its peak memory, cold or warm. */
interface Row {
  readonly round: number;
  readonly tool: string;
  readonly seconds: number;
  readonly peakMiB: number | undefined;
  readonly cold: boolean;
}

const CP = "cp -r";
const CP_SYNC = "cp -r + sync";
const OUR_COPY = "fusion-toolkit copy step (each file flushed)";
const OUR_VERIFY = "fusion-toolkit read-back step (warm)";
const OPENSSL = "openssl dgst -sha256 (warm)";

/** `tools` in the order of this round: rotated, so no tool always runs first. */
export function rotated<T>(tools: readonly T[], round: number): T[] {
  const shift = round % tools.length;
  return [...tools.slice(shift), ...tools.slice(0, shift)];
}

/** Runs a shell command to its end; its seconds and peak memory. */
export async function shell(script: string, ...args: string[]) {
  const run = await runMeasured("sh", ["-c", script, ...args]);
  if (!run.success) throw new Error(`${script} failed`);
  return run;
}

/** Every file under `dir` hashed by openssl, the copy journal left out. */
export const OPENSSL_SCRIPT =
  `find "$0" -type f ! -name '${COPY_JOURNAL_NAME}' -print0 | xargs -0 openssl dgst -sha256 ` +
  ">/dev/null";

function printRow(row: Row, bytes: number): void {
  console.log(
    `| ${row.round + 1} | ${row.tool} | ${row.seconds.toFixed(2)} | ` +
      `${(bytes / 1e6 / row.seconds).toFixed(0)} | ${row.peakMiB?.toFixed(0) ?? "n/a"} | ` +
      `${row.cold ? "cold" : "warm"} |`,
  );
}

/** Seconds of `tool` in each round, in round order. */
export function secondsOf(rows: readonly Row[], tool: string): number[] {
  return rows.filter((row) => row.tool === tool).map((row) => row.seconds);
}

/** `a[i] / b[i]` for each round. */
export function paired(a: readonly number[], b: readonly number[]): number[] {
  return a.map((value, index) => value / (b[index] ?? Number.NaN));
}

export function pairLine(name: string, ratios: readonly number[], target: string): string {
  return `| ${name} | ${ratios.map((ratio) => ratio.toFixed(2)).join(", ")} | ` +
    `${median(ratios).toFixed(2)} | ${target} |`;
}

/** Whether the rows were read from the disk, from the page cache, or both. */
export function describeCache(rows: readonly { readonly cold: boolean }[]): string {
  if (rows.every((row) => row.cold)) return "dropped before every row (all cold)";
  if (rows.every((row) => !row.cold)) {
    return "never dropped (all warm: dropping needs root and -A; FUSION_BENCH_WARM=1 keeps it)";
  }
  return "dropped before the cold rows only (see each row)";
}

async function compare(dir: string, shape: StudyShape): Promise<void> {
  const source = join(dir, "source");
  const study = await makeSampleStudy(source, STUDY, {
    qptiffBytes: shape.bigBytes,
    tempFiles: shape.smallFiles,
    tempFileBytes: shape.smallBytes,
  });
  const bytes = shape.bigBytes + shape.smallFiles * shape.smallBytes;
  const rounds = benchRounds();
  console.log(
    `study: ${(bytes / MiB).toFixed(0)} MiB in ${shape.smallFiles + 2} files; ${rounds} rounds, ` +
      `the tools in a rotating order; ${loadLine()} at the start`,
  );
  console.log("\n| round | tool | seconds | MB/s | peak RSS MiB | page cache |");
  console.log("| ---: | --- | ---: | ---: | ---: | --- |");
  const rows: Row[] = [];
  const add = (row: Row) => {
    rows.push(row);
    printRow(row, bytes);
  };
  for (let round = 0; round < rounds; round++) {
    const outputs = join(dir, `round-${round}`);
    await Deno.mkdir(outputs);
    const share = join(outputs, "share");
    await Deno.mkdir(share);
    const tools: Record<string, () => Promise<void>> = {
      [CP]: async () => {
        const cold = await dropPageCache();
        const run = await shell('cp -r "$0" "$1"', study, join(outputs, "cp"));
        add({ round, tool: CP, seconds: run.seconds, peakMiB: run.peakMiB, cold });
      },
      [CP_SYNC]: async () => {
        const cold = await dropPageCache();
        const run = await shell('cp -r "$0" "$1" && sync', study, join(outputs, "cp-sync"));
        add({ round, tool: CP_SYNC, seconds: run.seconds, peakMiB: run.peakMiB, cold });
      },
      [OUR_COPY]: async () => {
        const cold = await dropPageCache();
        const child = await runOurSteps(study, share);
        add({ round, tool: OUR_COPY, seconds: child.copySeconds, peakMiB: child.peakMiB, cold });
        add({
          round,
          tool: OUR_VERIFY,
          seconds: child.verifySeconds,
          peakMiB: child.peakMiB,
          cold: false,
        });
        // The same bytes, warm as ours were, hashed by openssl.
        const copy = join(share, "fusion-01", STUDY);
        await shell(`find "$0" -type f -print0 | xargs -0 cat > /dev/null`, copy);
        const run = await shell(OPENSSL_SCRIPT, copy);
        add({ round, tool: OPENSSL, seconds: run.seconds, peakMiB: run.peakMiB, cold: false });
      },
    };
    for (const tool of rotated(Object.keys(tools), round)) await tools[tool]!();
    // Removing a round's copies here, not between rows, keeps the file system's cleanup of
    // them out of the rows (ext4 pays for recently deleted inodes in the next creations).
    await Deno.remove(outputs, { recursive: true });
  }

  console.log(`\n${loadLine()} at the end; page cache ${describeCache(rows)}\n`);
  console.log("| tool | median seconds | median MB/s | peak RSS MiB (largest) |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const tool of [CP, CP_SYNC, OUR_COPY, OUR_VERIFY, OPENSSL]) {
    const seconds = median(secondsOf(rows, tool));
    const peaks = rows.filter((row) => row.tool === tool).map((row) => row.peakMiB ?? 0);
    console.log(
      `| ${tool} | ${seconds.toFixed(2)} | ${(bytes / 1e6 / seconds).toFixed(0)} | ` +
        `${Math.max(...peaks).toFixed(0)} |`,
    );
  }
  console.log("\n| paired ratio | per round | median | target |");
  console.log("| --- | --- | ---: | --- |");
  const ours = secondsOf(rows, OUR_COPY);
  console.log(
    pairLine("our copy time / cp -r + sync", paired(ours, secondsOf(rows, CP_SYNC)), "at most 1.2"),
  );
  console.log(
    pairLine("our copy time / cp -r (reference)", paired(ours, secondsOf(rows, CP)), "-"),
  );
  console.log(
    pairLine(
      "our read-back speed / openssl's",
      paired(secondsOf(rows, OPENSSL), secondsOf(rows, OUR_VERIFY)),
      "at least 0.9",
    ),
  );
}

/** What the child reports, and its peak memory. */
interface StepTimes {
  readonly copySeconds: number;
  readonly verifySeconds: number;
  readonly peakMiB: number | undefined;
}

/** Our copy and read-back steps on `study` into `share`, in a child with the product's permissions. */
async function runOurSteps(study: string, share: string): Promise<StepTimes> {
  const report = join(share, "..", "steps.json");
  const run = await runMeasured("sh", [
    "-c",
    '"$0" "$@" > "$REPORT"',
    Deno.execPath(),
    "run",
    "--quiet",
    ...PRODUCT_FLAGS,
    CHILD,
    study,
    share,
  ], { REPORT: report });
  if (!run.success) throw new Error("our copy and read-back failed");
  const times = JSON.parse(await Deno.readTextFile(report));
  return { copySeconds: times.copySeconds, verifySeconds: times.verifySeconds, ...run };
}

const gib = () => Number(Deno.env.get("FUSION_BENCH_GIB") ?? "2");

export const copyHash: BenchCase = {
  name: "copy-hash",
  what: "the backup's copy and read-back steps on one FUSION_BENCH_GIB GiB qptiff (default 2) + " +
    "2,000 files of 32 KiB, vs cp -r + sync and openssl dgst -sha256 (targets: copy at most 1.2x " +
    "cp -r + sync; read-back at least 0.9 of openssl's speed)",
  run: (dir) =>
    compare(dir, {
      bigBytes: Math.round(gib() * 1024 * MiB),
      smallFiles: 2000,
      smallBytes: 32 * 1024,
    }),
};

export const copy30k: BenchCase = {
  name: "copy-30k",
  what: "the copy and read-back steps on 30,000 files of 4 KiB, as copy-hash (and peak RSS)",
  run: (dir) => compare(dir, { bigBytes: 4096, smallFiles: 30_000, smallBytes: 4096 }),
};

export const copy100k: BenchCase = {
  name: "copy-100k",
  what: "the copy and read-back steps on 100,000 files of 4 KiB, as copy-hash (and peak RSS)",
  run: (dir) => compare(dir, { bigBytes: 4096, smallFiles: 100_000, smallBytes: 4096 }),
};
