/**
 * The `restore` bench case: a generated study (one `.qptiff` of
 * `FUSION_BENCH_GIB` GiB, default 2, plus 2,000 small files) backed up by
 * `backup run` to a share folder and the S3 peer (a process of its own),
 * then restored by `restore` from the share and from S3, each a process of
 * its own with the product's permissions, side by side with `cp -r` of the
 * share copy, `cp -r` + `sha256sum -c` of it, and `aws s3 cp --recursive`
 * (when the AWS CLI is installed). Every restore verifies each file; the
 * baselines mostly do not, which is the point of the comparison. Both S3
 * readers fetch the large image in concurrent 8 MiB ranged GETs.
 *
 * @module
 */
import { join } from "node:path";
import type { BenchCase } from "./_case.ts";
import { productArgs, productEnv } from "./_product.ts";
import { type MeasuredRun, runMeasured } from "./_rss.ts";
import { findAws, startPeerProcess } from "./s3.ts";
import { makeSampleStudy, sampleConfigToml } from "../sample_data.ts";

const MiB = 1024 * 1024;
const STUDY = "20250101_bench_restore_run1";
const SMALL_FILES = 2000;

interface Row {
  readonly tool: string;
  readonly run: MeasuredRun;
}

export const restore: BenchCase = {
  name: "restore",
  what: "restore of a backed-up study (one FUSION_BENCH_GIB GiB qptiff, default 2, + 2,000 small " +
    "files) from the share and from the local S3 peer, verified, vs cp -r, cp -r + sha256sum -c, " +
    "aws s3 cp",
  run: benchRestore,
};

/** Runs the case in `dir` and prints its table. */
async function benchRestore(dir: string): Promise<void> {
  const gib = Number(Deno.env.get("FUSION_BENCH_GIB") ?? "2");
  const source = join(dir, "FusionData");
  const share = join(dir, "truenas");
  await Deno.mkdir(share, { recursive: true });
  console.log(`generating ${gib} GiB + ${SMALL_FILES} small files in ${join(source, STUDY)} ...`);
  await makeSampleStudy(source, STUDY, {
    qptiffBytes: Math.round(gib * 1024 * MiB),
    tempFiles: SMALL_FILES,
    tempFileBytes: 32 * 1024,
    mtime: new Date(Date.now() - 60 * 86_400_000),
  });
  const totalBytes = Math.round(gib * 1024 * MiB) + SMALL_FILES * 32 * 1024;
  const peer = await startPeerProcess();
  try {
    const config = join(dir, "config.toml");
    await Deno.writeTextFile(
      config,
      sampleConfigToml({ source, share, bucket: peer.bucket, endpoint: peer.endpoint, partMb: 10 }),
    );
    const env = await productEnv(dir);
    console.log("backing it up with backup run ...");
    const backup = await runMeasured(
      Deno.execPath(),
      productArgs(["backup", "run", "--config", config]),
      env,
    );
    if (!backup.success) throw new Error("backup run failed");

    const copy = join(share, "fusion-01", STUDY);
    const rows: Row[] = [];
    const measure = async (tool: string, command: string, args: readonly string[]) => {
      const target = join(dir, `to-${rows.length}`);
      await Deno.mkdir(target);
      const run = await runMeasured(
        command,
        args.map((arg) => arg.replaceAll("{to}", target)),
        env,
      );
      if (!run.success) throw new Error(`${tool} failed`);
      rows.push({ tool, run });
    };
    const restoreArgs = (from: string) =>
      productArgs(["restore", STUDY, "--to", "{to}", "--from", from, "--config", config]);
    await measure("restore --from truenas (verifies)", Deno.execPath(), restoreArgs("truenas"));
    await measure("cp -r", "cp", ["-r", copy, "{to}"]);
    await measure("cp -r + sha256sum -c", "sh", [
      "-c",
      `cp -r "$0" "$1" && cd "$1/${STUDY}" && sha256sum -c --quiet _checksums.sha256`,
      copy,
      "{to}",
    ]);
    await measure("restore --from s3 (verifies)", Deno.execPath(), restoreArgs("s3"));
    const aws = await findAws();
    if (aws === undefined) {
      console.log("aws CLI unavailable: the S3 comparison is skipped");
    } else {
      await measure("aws s3 cp --recursive", aws, [
        "s3",
        "cp",
        "--recursive",
        "--only-show-errors",
        "--endpoint-url",
        peer.endpoint,
        `s3://${peer.bucket}/fusion/fusion-01/${STUDY}/`,
        "{to}",
      ]);
    }
    console.log(
      `\n${SMALL_FILES + 3} files, ${(totalBytes / MiB).toFixed(0)} MiB, from the page cache ` +
        "(share) and the S3 peer process on 127.0.0.1; each tool a process of its own; " +
        "the image comes in 8 MiB ranged GETs, 4 at a time for restore ([s3] concurrency), " +
        "10 for aws (its default)\n",
    );
    console.log("| tool | seconds | MB/s | peak RSS MiB |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const { tool, run } of rows) {
      console.log(
        `| ${tool} | ${run.seconds.toFixed(1)} | ${
          (totalBytes / 1e6 / run.seconds).toFixed(0)
        } | ` +
          `${run.peakMiB?.toFixed(0) ?? "n/a"} |`,
      );
    }
  } finally {
    await peer.stop();
  }
}
