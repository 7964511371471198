/**
 * The child process of the `copy-hash` bench case: our copy+hash, or our
 * read-back verify, of every file of a study folder, exactly as the backup
 * does them (small files four at a time, large ones alone). Run alone so its
 * peak memory is its own.
 *
 * Usage: `deno run -A scripts/_bench_copy_child.ts copy|verify <source> <destination>`
 *
 * @module
 */
import { dirname, join } from "node:path";
import { forEachLimited } from "../lib/backup/mod.ts";
import { walk } from "../lib/fs/mod.ts";
import { copyFileWithHash, hashFile } from "../lib/storage/mod.ts";

const [mode, source, destination] = Deno.args;
if ((mode !== "copy" && mode !== "verify") || source === undefined || destination === undefined) {
  console.error("usage: _bench_copy_child.ts copy|verify <source> <destination>");
  Deno.exit(2);
}
const files: { path: string; size: number }[] = [];
for await (const entry of walk(source)) {
  if (entry.kind === "file") {
    files.push({ path: entry.path, size: (await Deno.stat(join(source, entry.path))).size });
  }
}
const LARGE = 64 * 1024 * 1024;
const work = async (file: { path: string }) => {
  if (mode === "copy") {
    await Deno.mkdir(dirname(join(destination, file.path)), { recursive: true });
    await copyFileWithHash(join(source, file.path), join(destination, file.path));
  } else {
    await hashFile(join(destination, file.path));
  }
};
await forEachLimited(files.filter((file) => file.size <= LARGE), 4, work);
await forEachLimited(files.filter((file) => file.size > LARGE), 1, work);
