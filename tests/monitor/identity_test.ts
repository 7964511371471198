/** Finding a rotated log again by its identity, and checking it is the one, on real files. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { findRenamedFile, holdsPosition, identityOf } from "../../lib/monitor/mod.ts";
import { withTempDir } from "../_helpers/temp.ts";

const HEAD = new TextEncoder().encode("2025-03-01 10:00:00 INFO start\n");

Deno.test("holdsPosition: as long as the position, starting with the remembered bytes", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "Fusion.log");
    await Deno.writeTextFile(path, "2025-03-01 10:00:00 INFO start\n2025-03-01 10:00:01 INFO on\n");
    using file = await Deno.open(path, { read: true });
    const info = await file.stat();
    assert.equal(await holdsPosition(file, info, info.size, HEAD), true);
    assert.equal(await holdsPosition(file, info, info.size + 1, HEAD), false, "shorter");
    const other = new TextEncoder().encode("2025-03-01 09:00:00 INFO start\n");
    assert.equal(await holdsPosition(file, info, 0, other), false, "another start");
    // Remembered when the file held less: only as far as they go.
    assert.equal(await holdsPosition(file, info, 0, HEAD.subarray(0, 5)), true);
  });
});

Deno.test("findRenamedFile: the renamed log beside the new one, by identity", async () => {
  await withTempDir(async (dir) => {
    const log = join(dir, "Fusion.log");
    await Deno.writeFile(log, HEAD);
    const identity = identityOf(await Deno.stat(log));
    // Where the platform gives no identity, nothing can be followed by it.
    if (identity === undefined) return;
    await Deno.rename(log, `${log}.1`);
    await Deno.writeTextFile(log, "new\n");
    const accept = (file: Deno.FsFile, info: Deno.FileInfo) =>
      holdsPosition(file, info, HEAD.length, HEAD);
    const found = await findRenamedFile(log, identity, accept);
    assert.equal(found?.path, `${log}.1`);
    found?.file.close();
    await Deno.remove(`${log}.1`);
    assert.equal(await findRenamedFile(log, identity, accept), undefined);
  });
});
