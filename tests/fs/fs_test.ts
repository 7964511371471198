import assert from "node:assert/strict";
import { join } from "node:path";
import { atomicWriteFile, kindAt, walk } from "../../lib/fs/mod.ts";
import { CANNOT_SYMLINK } from "../_helpers/links.ts";
import { withTempDir } from "../_helpers/temp.ts";

// Needs symbolic links: see CANNOT_SYMLINK for where they cannot be made.
Deno.test("walk lists every entry depth first, sorted, without following links", {
  ignore: CANNOT_SYMLINK,
}, async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "b", "deep"), { recursive: true });
    await Deno.writeTextFile(join(dir, "b", "deep", "f.txt"), "x");
    await Deno.writeTextFile(join(dir, "a.txt"), "x");
    await Deno.mkdir(join(dir, "target"));
    await Deno.writeTextFile(join(dir, "target", "inside.txt"), "x");
    await Deno.symlink(join(dir, "target"), join(dir, "b", "link"));
    const seen: string[] = [];
    for await (const entry of walk(dir)) seen.push(`${entry.depth} ${entry.kind} ${entry.path}`);
    assert.deepEqual(seen, [
      "1 file a.txt",
      "1 dir b",
      "2 dir b/deep",
      "3 file b/deep/f.txt",
      "2 symlink b/link",
      "1 dir target",
      "2 file target/inside.txt",
    ]);
  });
});

Deno.test("atomicWriteFile replaces content and leaves no temp file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "sidecar.txt");
    await atomicWriteFile(path, "old\n");
    await atomicWriteFile(path, new TextEncoder().encode("new\n"));
    assert.equal(await Deno.readTextFile(path), "new\n");
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, ["sidecar.txt"]);
  });
});

Deno.test("atomicWriteFile into a missing folder fails and leaves nothing behind", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(atomicWriteFile(join(dir, "missing", "x"), "x"), Deno.errors.NotFound);
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    assert.deepEqual(names, []);
  });
});

// Needs symbolic links: see CANNOT_SYMLINK for where they cannot be made.
Deno.test("kindAt tells files, folders and links apart, and undefined when absent", {
  ignore: CANNOT_SYMLINK,
}, async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "f"), "x");
    await Deno.symlink(join(dir, "f"), join(dir, "l"));
    assert.equal(await kindAt(dir), "dir");
    assert.equal(await kindAt(join(dir, "f")), "file");
    assert.equal(await kindAt(join(dir, "l")), "symlink");
    assert.equal(await kindAt(join(dir, "nothing")), undefined);
  });
});
