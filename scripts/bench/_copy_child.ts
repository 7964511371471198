/**
 * The child process of the copy cases: our copy to the share, or our
 * read-back verify, of every file of a study folder, driven as the backup's
 * copy and verify stages drive them (small files four at a time, then large
 * ones alone; the copier's part digests for files above the multipart
 * threshold; each copy flushed before it counts as done). Run alone, with
 * the product's file permissions, so its time and peak memory are its own.
 *
 * Usage: `deno run --allow-read --allow-write _copy_child.ts copy|verify <source> <copy>`
 *
 * @module
 */
import { dirname, join } from "node:path";
import { forEachBySize } from "../../lib/concurrency/mod.ts";
import { walk } from "../../lib/fs/mod.ts";
import { hashFile, ShareCopier } from "../../lib/storage/mod.ts";
import { choosePartSize, MiB } from "../../lib/storage/_parts.ts";

/** As lib/backup/steps/copy.ts and verify.ts; files above 64 MiB go to S3 in 64 MiB parts. */
const SMALL_FILE_CONCURRENCY = 4;
const MULTIPART_THRESHOLD_BYTES = 64 * MiB;
const PART_BYTES = 64 * MiB;

interface Listed {
  readonly path: string;
  readonly size: number;
}

// Once lib/backup/steps/copy.ts drives a ShareCopier (and verify.ts passes sizeHint), call
// copyStudy and the verify step here instead of these two loops, so the bench times exactly
// what `backup run` does; today they still use copyFileWithHash.
async function copyStudy(source: string, destination: string, files: readonly Listed[]) {
  const copier = new ShareCopier<Listed>(() => {});
  await forEachBySize(files, SMALL_FILE_CONCURRENCY, async (file) => {
    const partSize = file.size > MULTIPART_THRESHOLD_BYTES
      ? choosePartSize(file.size, PART_BYTES)
      : undefined;
    await copier.copy(join(source, file.path), join(destination, file.path), file, { partSize });
  });
  await copier.drain();
}

async function verifyStudy(copy: string, files: readonly Listed[]) {
  await forEachBySize(files, SMALL_FILE_CONCURRENCY, async (file) => {
    const digest = await hashFile(join(copy, file.path), { sizeHint: file.size });
    if (digest.size !== file.size) throw new Error(`${file.path}: size ${digest.size}`);
  });
}

const [mode, source, copy] = Deno.args;
if ((mode !== "copy" && mode !== "verify") || source === undefined || copy === undefined) {
  console.error("usage: _copy_child.ts copy|verify <source> <copy>");
  Deno.exit(2);
}
const files: Listed[] = [];
const dirs = new Set<string>();
for await (const entry of walk(source)) {
  if (entry.kind === "file") {
    files.push({ path: entry.path, size: (await Deno.lstat(join(source, entry.path))).size });
    dirs.add(dirname(join(copy, entry.path)));
  }
}
if (mode === "copy") {
  for (const dir of dirs) await Deno.mkdir(dir, { recursive: true });
  await copyStudy(source, copy, files);
} else {
  await verifyStudy(copy, files);
}
