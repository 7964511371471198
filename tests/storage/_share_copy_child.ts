/**
 * A process of its own for the ShareCopier tests that watch it from
 * outside (strace) or run it where the kernel copy is refused (a user
 * namespace): copies every file of a flat folder with a ShareCopier,
 * printing `durable <destination>` from `onDurable`, then one JSON line
 * `{"refused": ..., "digests": {name: sha256}, "readBack": {name: sha256},
 * "mtimes": {name: ms}}`, the last two read from the copies (which may be on
 * a filesystem that lives only as long as this process's namespace).
 *
 * Usage: `deno run -A _share_copy_child.ts <source-dir> <destination-dir>`
 *
 * @module
 */
import { join } from "node:path";
import { hashFile, ShareCopier } from "../../lib/storage/mod.ts";

const [source, destination] = Deno.args;
if (source === undefined || destination === undefined) {
  console.error("usage: _share_copy_child.ts <source-dir> <destination-dir>");
  Deno.exit(2);
}
const names = [...Deno.readDirSync(source)].map((entry) => entry.name).sort();
const digests: Record<string, string> = {};
const copier = new ShareCopier<string>((target) => console.log(`durable ${target}`));
for (const name of names) {
  const target = join(destination, name);
  digests[name] = (await copier.copy(join(source, name), target, target)).sha256Hex;
}
await copier.drain();
const readBack: Record<string, string> = {};
const mtimes: Record<string, number | undefined> = {};
for (const name of names) {
  readBack[name] = (await hashFile(join(destination, name))).sha256Hex;
  mtimes[name] = (await Deno.stat(join(destination, name))).mtime?.getTime();
}
console.log(
  JSON.stringify({ refused: copier.kernelCopyRefused ?? null, digests, readBack, mtimes }),
);
