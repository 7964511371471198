import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { WORKER_MIN_BYTES } from "../../lib/storage/hash.ts";
import { copyFileWithHash, FileHasher, hashFile } from "../../lib/storage/mod.ts";
import { sampleBytes } from "../../scripts/sample_data.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { makeFile, partDigests } from "./_files.ts";

const sha = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

Deno.test("copyFileWithHash copies exactly and hashes in the same pass", async () => {
  await withTempDir(async (dir) => {
    // Larger than two 4 MiB chunks and not a multiple of them.
    const bytes = sampleBytes(9 * 1024 * 1024 + 12345, 7);
    await Deno.writeFile(join(dir, "a"), bytes);
    let progress = 0;
    const digest = await copyFileWithHash(join(dir, "a"), join(dir, "b"), {
      onProgress: (n) => progress += n,
    });
    assert.deepEqual(digest, { size: bytes.length, sha256Hex: sha(bytes) });
    assert.equal(progress, bytes.length);
    assert.deepEqual(await Deno.readFile(join(dir, "b")), bytes);
  });
});

Deno.test("part digests match each slice, including a short last part", async () => {
  await withTempDir(async (dir) => {
    const partSize = 5 * 1024 * 1024 + 3; // not aligned with the read chunks on purpose
    const bytes = sampleBytes(3 * partSize - 1000, 9);
    await Deno.writeFile(join(dir, "a"), bytes);
    const expected = [0, 1, 2].map((i) =>
      new Uint8Array(
        createHash("sha256").update(bytes.subarray(i * partSize, (i + 1) * partSize)).digest(),
      )
    );
    const copied = await copyFileWithHash(join(dir, "a"), join(dir, "b"), { partSize });
    assert.deepEqual(copied.partDigests, expected);
    const hashed = await hashFile(join(dir, "b"), { partSize });
    assert.deepEqual(hashed, copied);
    const exact = await hashFile(join(dir, "a"), { partSize: bytes.length });
    assert.equal(exact.partDigests?.length, 1);
  });
});

Deno.test("an empty file copies and hashes to the empty digest with no parts", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "empty"), new Uint8Array(0));
    const digest = await copyFileWithHash(join(dir, "empty"), join(dir, "copy"), {
      partSize: 5 << 20,
    });
    assert.deepEqual(digest, { size: 0, sha256Hex: sha(new Uint8Array(0)), partDigests: [] });
    assert.equal((await Deno.stat(join(dir, "copy"))).size, 0);
  });
});

Deno.test("the copy keeps the source's modification time and replaces an older copy", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a"), "new content");
    await Deno.writeTextFile(join(dir, "b"), "an older, longer copy that must be truncated");
    const mtime = new Date("2024-02-29T12:00:00Z");
    await Deno.utime(join(dir, "a"), mtime, mtime);
    await copyFileWithHash(join(dir, "a"), join(dir, "b"));
    assert.equal(await Deno.readTextFile(join(dir, "b")), "new content");
    assert.equal((await Deno.stat(join(dir, "b"))).mtime?.getTime(), mtime.getTime());
  });
});

Deno.test("an aborted copy stops with the abort reason and closes its files", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(join(dir, "a"), sampleBytes(12 * 1024 * 1024, 3));
    const controller = new AbortController();
    await assert.rejects(
      copyFileWithHash(join(dir, "a"), join(dir, "b"), {
        signal: controller.signal,
        onProgress: () => controller.abort(new Error("stop")),
      }),
      /stop/,
    );
  });
});

Deno.test("a missing source is an error, not an empty copy", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(copyFileWithHash(join(dir, "nope"), join(dir, "b")), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(join(dir, "b")), Deno.errors.NotFound);
  });
});

Deno.test("hashFile reads a small file in one go when told its size, with the same digest", async () => {
  await withTempDir(async (dir) => {
    for (const size of [0, 1, 4096, 1024 * 1024, 1024 * 1024 + 1]) {
      const bytes = sampleBytes(size, size % 7);
      await Deno.writeFile(join(dir, "a"), bytes);
      const hinted = await hashFile(join(dir, "a"), { sizeHint: size, partSize: 300_000 });
      assert.deepEqual(hinted, await hashFile(join(dir, "a"), { partSize: 300_000 }));
      assert.equal(hinted.sha256Hex, sha(bytes));
      // A file that grew after the caller's listing is hashed whole, and its size says so.
      await Deno.writeFile(join(dir, "a"), new Uint8Array(5), { append: true });
      assert.equal((await hashFile(join(dir, "a"), { sizeHint: size })).size, size + 5);
    }
  });
});

Deno.test("FileHasher cuts a large file's parts on a second core, equal to one thread's, several files at once", async () => {
  await withTempDir(async (dir) => {
    const partSize = 5 * 1024 * 1024 + 3;
    const files = [
      sampleBytes(3 * partSize - 1000, 11), // large: parts on the worker
      sampleBytes(2 * 1024 * 1024 + 5, 12), // below the worker's threshold: parts on this thread
      sampleBytes(100, 13), // read in one go
    ];
    for (const [index, bytes] of files.entries()) {
      await Deno.writeFile(join(dir, `${index}`), bytes);
    }
    using hasher = new FileHasher();
    const hashed = await Promise.all(
      files.map((bytes, index) =>
        hasher.hash(join(dir, `${index}`), { sizeHint: bytes.length, partSize })
      ),
    );
    for (const [index, bytes] of files.entries()) {
      assert.deepEqual(hashed[index], await hashFile(join(dir, `${index}`), { partSize }));
      assert.equal(hashed[index]?.sha256Hex, sha(bytes));
    }
    assert.equal(hashed[0]?.partDigests?.length, 3);
    const plain = await hasher.hash(join(dir, "0"), { sizeHint: files[0]!.length });
    assert.deepEqual(plain, { size: files[0]!.length, sha256Hex: sha(files[0]!) });
  });
});

Deno.test("part digests from the worker equal the single-threaded ones at the edges", async () => {
  await withTempDir(async (dir) => {
    // Parts not aligned with the 4 MiB reads; sizes from empty to many parts.
    const partSize = WORKER_MIN_BYTES + 3;
    const sizes = [0, 1, partSize, partSize + 1, 5 * partSize + 5];
    using hasher = new FileHasher();
    for (const [index, size] of sizes.entries()) {
      const file = await makeFile(dir, `src${index}`, size, 40 + index);
      const hashed = await hasher.hash(file.path, { sizeHint: size, partSize });
      const single = await hashFile(file.path, { partSize });
      assert.deepEqual(hashed, single, `size ${size}`);
      assert.equal(hashed.sha256Hex, file.sha256Hex);
      assert.deepEqual(
        hashed.partDigests,
        size === 0 ? [] : await partDigests(file.path, partSize),
      );
    }
  });
});
