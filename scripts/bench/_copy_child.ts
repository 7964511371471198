/**
 * The child process of the copy cases: our copy to the share, or our
 * read-back verify, of every file of a study folder, driven as the backup's
 * steps drive them. `copy` lists the study (as the list step does), copies
 * it (small files four at a time, then large ones alone; part digests for
 * files above the multipart threshold; each copy flushed before it counts)
 * and writes each file's size and SHA-256 to a JSON file; `verify` reads
 * that file, as the verify step has the copy step's digests, and hashes
 * every copy against it. Run alone, with the product's file permissions,
 * so its time and peak memory are its own.
 *
 * Usage: `deno run --allow-read --allow-write _copy_child.ts copy <source> <copy> <digests.json>`
 * or `... verify <copy> <digests.json>`
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
async function copyStudy(
  source: string,
  destination: string,
  files: readonly Listed[],
): Promise<Copied[]> {
  const copied: Copied[] = [];
  const copier = new ShareCopier<Listed>((file, digest) => {
    copied.push({ ...file, sha256: digest.sha256Hex });
  });
  await forEachBySize(files, SMALL_FILE_CONCURRENCY, async (file) => {
    const partSize = file.size > MULTIPART_THRESHOLD_BYTES
      ? choosePartSize(file.size, PART_BYTES)
      : undefined;
    await copier.copy(join(source, file.path), join(destination, file.path), file, { partSize });
  });
  await copier.drain();
  return copied;
}

interface Copied extends Listed {
  readonly sha256: string;
}

async function verifyStudy(copy: string, files: readonly Copied[]) {
  await forEachBySize(files, SMALL_FILE_CONCURRENCY, async (file) => {
    const digest = await hashFile(join(copy, file.path), { sizeHint: file.size });
    if (digest.size !== file.size || digest.sha256Hex !== file.sha256) {
      throw new Error(`${file.path}: the copy differs from what was copied`);
    }
  });
}

const [mode, ...paths] = Deno.args;
if (mode === "copy" && paths.length === 3) {
  const [source, copy, digestsFile] = paths as [string, string, string];
  const files: Listed[] = [];
  const dirs = new Set<string>();
  for await (const entry of walk(source)) {
    if (entry.kind === "file") {
      files.push({ path: entry.path, size: (await Deno.lstat(join(source, entry.path))).size });
      dirs.add(dirname(join(copy, entry.path)));
    }
  }
  for (const dir of dirs) await Deno.mkdir(dir, { recursive: true });
  const copied = await copyStudy(source, copy, files);
  await Deno.writeTextFile(digestsFile, JSON.stringify(copied));
} else if (mode === "verify" && paths.length === 2) {
  const [copy, digestsFile] = paths as [string, string];
  await verifyStudy(copy, JSON.parse(await Deno.readTextFile(digestsFile)));
} else {
  console.error(
    "usage: _copy_child.ts copy <source> <copy> <digests.json> | verify <copy> <digests.json>",
  );
  Deno.exit(2);
}
