/**
 * Builds sample study folders shaped like the instrument's output, for the
 * demo, the benchmark and the tests: `<study>/<experiment>.xpd`,
 * `<study>/<experiment>/Scan1/<experiment>.qptiff` and `Scan1/.temp/*`.
 *
 * @module
 */
import { join } from "node:path";

/** The shape of one generated study. */
export interface SampleStudyOptions {
  /** Experiment suffixes; `""` is the 4-field form named like the study. Default `[""]`. */
  readonly experiments?: readonly string[];
  /** Also write `<study>.fpr`. Default false. */
  readonly fpr?: boolean;
  /** Bytes of each `.qptiff`. Default 1024. */
  readonly qptiffBytes?: number;
  /** Files in each `Scan1/.temp`. Default 2. */
  readonly tempFiles?: number;
  /** Bytes of each `.temp` file. Default 64. */
  readonly tempFileBytes?: number;
  /** Modification time given to every entry, so idle checks can be exercised. */
  readonly mtime?: Date;
}

/** Deterministic bytes (a cheap xorshift stream), so sizes and digests are stable. */
export function sampleBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const words = new Uint32Array(bytes.buffer, 0, Math.floor(length / 4));
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let index = 0; index < words.length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[index] = state >>> 0;
  }
  for (let index = words.length * 4; index < length; index++) bytes[index] = index & 0xff;
  return bytes;
}

let seedCounter = 1;

/** Writes a file of `size` deterministic bytes in chunks, so multi-GiB files need little memory. */
export async function writeSampleFile(path: string, size: number): Promise<void> {
  const chunkSize = 8 * 1024 * 1024;
  const chunk = sampleBytes(Math.min(size, chunkSize), seedCounter++);
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    let remaining = size;
    while (remaining > 0) {
      const piece = remaining >= chunk.length ? chunk : chunk.subarray(0, remaining);
      let written = 0;
      while (written < piece.length) written += await file.write(piece.subarray(written));
      remaining -= piece.length;
    }
  } finally {
    file.close();
  }
}

/** Creates a study that passes every rule (unless the caller breaks it afterwards); returns its path. */
export async function makeSampleStudy(
  root: string,
  study: string,
  options: SampleStudyOptions = {},
): Promise<string> {
  const studyPath = join(root, study);
  await Deno.mkdir(studyPath, { recursive: true });
  for (const suffix of options.experiments ?? [""]) {
    const experiment = suffix === "" ? study : `${study}_${suffix}`;
    const scan = join(studyPath, experiment, "Scan1");
    await Deno.mkdir(join(scan, ".temp"), { recursive: true });
    await Deno.writeTextFile(join(studyPath, `${experiment}.xpd`), `<xpd name="${experiment}"/>\n`);
    await writeSampleFile(join(scan, `${experiment}.qptiff`), options.qptiffBytes ?? 1024);
    for (let index = 0; index < (options.tempFiles ?? 2); index++) {
      const name = `tile_${String(index).padStart(5, "0")}.bin`;
      await writeSampleFile(join(scan, ".temp", name), options.tempFileBytes ?? 64);
    }
  }
  if (options.fpr === true) await Deno.writeTextFile(join(studyPath, `${study}.fpr`), "fpr\n");
  if (options.mtime !== undefined) await setTreeMtime(studyPath, options.mtime);
  return studyPath;
}

/** Sets the modification time of a folder and everything in it. */
export async function setTreeMtime(path: string, time: Date): Promise<void> {
  for await (const entry of Deno.readDir(path)) {
    const child = join(path, entry.name);
    if (entry.isDirectory) await setTreeMtime(child, time);
    else if (entry.isFile) await Deno.utime(child, time, time);
  }
  await Deno.utime(path, time, time);
}

/** A root with passing studies and studies that each break some rules, as the demo shows. */
export async function makeSampleRoot(root: string): Promise<void> {
  await makeSampleStudy(root, "20250301_alice_lung_panel1", { experiments: ["", "B"] });
  await makeSampleStudy(root, "20250302_bob_tonsil_run2", { fpr: true });
  // R1: 2023 is not a leap year; R5: a stray file at study level.
  const badDate = await makeSampleStudy(root, "20230229_carol_liver_pilot");
  await Deno.writeTextFile(join(badDate, "notes.txt"), "scribbles\n");
  // R6: an .xpd without its experiment folder; R8: a scan without .temp.
  const broken = await makeSampleStudy(root, "20250310_dave_colon_trial");
  await Deno.writeTextFile(join(broken, "20250310_dave_colon_trial_C.xpd"), "<xpd/>\n");
  await Deno.remove(join(broken, "20250310_dave_colon_trial", "Scan1", ".temp"), {
    recursive: true,
  });
  // R2: a suffix containing '_' and '.'.
  await makeSampleStudy(root, "20250311_erin_skin_set1", { experiments: ["run_2.b"] });
}

/** Where a sample config points. */
export interface SampleConfigOptions {
  readonly source: string;
  readonly share: string;
  readonly bucket: string;
  /** An S3-compatible endpoint (the local peer). */
  readonly endpoint: string;
  /** Multipart threshold and part size, MiB; the local peer takes at most 10 MiB a request. */
  readonly partMb?: number;
  /** `[backup] instrument`. Default "fusion-01". */
  readonly instrument?: string;
  /** More TOML appended as is, e.g. a `[hooks]` table. */
  readonly extra?: string;
  /** More keys of `[truenas]`, e.g. `lock_wait_minutes = 0`. */
  readonly truenasExtra?: string;
}

/** A config.toml for sample data: instrument "fusion-01" unless told, prefix "fusion", alerts off. */
export function sampleConfigToml(options: SampleConfigOptions): string {
  const partMb = options.partMb ?? 5;
  return `[backup]
source_root = ${JSON.stringify(options.source)}
idle_days = 14
instrument = ${JSON.stringify(options.instrument ?? "fusion-01")}

[truenas]
root = ${JSON.stringify(options.share)}
${options.truenasExtra ?? ""}
[s3]
bucket = ${JSON.stringify(options.bucket)}
prefix = "fusion"
endpoint = ${JSON.stringify(options.endpoint)}
force_path_style = true
multipart_threshold_mb = ${partMb}
part_size_mb = ${partMb}

[notify]
enabled = false
${options.extra ?? ""}`;
}
