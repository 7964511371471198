/**
 * The `copy-hash` bench case: a generated study (one multi-GiB `.qptiff`,
 * `FUSION_BENCH_GIB` GiB, default 2, plus 2,000 small files in `.temp`)
 * copied to another folder by our copy+hash and checked by our read-back
 * verify, side by side in one run with plain `cp`, `cp` + `sha256sum` of the
 * copy, and `rclone copy --checksum` (when installed). Each tool runs as its
 * own process (peak RSS is its own), from a cold page cache when this
 * machine lets the bench drop it (root on Linux), else warm for all alike.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type MeasuredRun, runMeasured } from "./_rss.ts";
import { writeSampleFile } from "./sample_data.ts";

const MiB = 1024 * 1024;
const SMALL_FILES = 2000;
const CHILD = fileURLToPath(new URL("./_bench_copy_child.ts", import.meta.url));

async function generateStudy(root: string, bigBytes: number): Promise<number> {
  const scan = join(root, "exp", "Scan1");
  await Deno.mkdir(join(scan, ".temp"), { recursive: true });
  await writeSampleFile(join(scan, "image.qptiff"), bigBytes);
  let total = bigBytes;
  for (let index = 0; index < SMALL_FILES; index++) {
    const size = 1024 + ((index * 7919) % (63 * 1024));
    await writeSampleFile(join(scan, ".temp", `tile_${String(index).padStart(5, "0")}.bin`), size);
    total += size;
  }
  return total;
}

/** Flushes and drops the page cache so every tool reads from the disk; false when not allowed. */
async function dropCaches(): Promise<boolean> {
  try {
    await new Deno.Command("sync").output();
    await Deno.writeTextFile("/proc/sys/vm/drop_caches", "3\n");
    return true;
  } catch {
    return false;
  }
}

async function installed(command: string): Promise<boolean> {
  try {
    return (await new Deno.Command(command, { args: ["--version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

interface Row {
  readonly tool: string;
  readonly run: MeasuredRun;
}

/** Runs the case in `dir`. */
export async function benchCopyHash(dir: string): Promise<void> {
  const gib = Number(Deno.env.get("FUSION_BENCH_GIB") ?? "2");
  const source = join(dir, "source", "study");
  const bytes = await generateStudy(source, Math.round(gib * 1024 * MiB));
  const cold = await dropCaches();
  console.log(
    `study: ${(bytes / MiB).toFixed(0)} MiB (${gib} GiB image + ${SMALL_FILES} small files); ` +
      `page cache ${cold ? "dropped before each run (cold)" : "not droppable here (warm)"}`,
  );
  const deno = Deno.execPath();
  const rows: Row[] = [];
  let target = 0;
  const measure = async (tool: string, command: string, args: (out: string) => string[]) => {
    const out = join(dir, `copy-${target++}`);
    await dropCaches();
    const run = await runMeasured(command, args(out));
    if (!run.success) throw new Error(`${tool} failed`);
    rows.push({ tool, run });
    return out;
  };
  await measure("cp -r", "cp", (out) => ["-r", source, out]);
  await measure("cp -r + sync", "sh", (out) => ["-c", `cp -r "${source}" "${out}" && sync`]);
  const shaCopy = await measure("cp -r + sha256sum of the copy", "sh", (out) => [
    "-c",
    `cp -r "${source}" "${out}" && find "${out}" -type f -print0 | xargs -0 sha256sum > /dev/null`,
  ]);
  const ours = await measure(
    "fusion-toolkit copy+hash (fsync each file)",
    deno,
    (out) => ["run", "-A", CHILD, "copy", source, out],
  );
  if (await installed("rclone")) {
    await measure("rclone copy --checksum", "rclone", (out) => ["copy", "--checksum", source, out]);
  } else {
    console.log("rclone is not installed (apt-get install rclone): its row is skipped");
  }
  await dropCaches();
  rows.push({
    tool: "fusion-toolkit read-back verify",
    run: await runMeasured(deno, ["run", "-A", CHILD, "verify", source, ours]),
  });
  await dropCaches();
  rows.push({
    tool: "sha256sum of the copy",
    run: await runMeasured("sh", [
      "-c",
      `find "${shaCopy}" -type f -print0 | xargs -0 sha256sum > /dev/null`,
    ]),
  });

  const cp = rows[0]?.run.seconds ?? 1;
  console.log("| tool | seconds | MB/s | peak RSS MiB | time / cp |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const { tool, run } of rows) {
    const rss = run.peakMiB === undefined ? "-" : run.peakMiB.toFixed(0);
    console.log(
      `| ${tool} | ${run.seconds.toFixed(2)} | ${(bytes / run.seconds / 1e6).toFixed(0)} | ` +
        `${rss} | ${(run.seconds / cp).toFixed(2)} |`,
    );
  }
}
