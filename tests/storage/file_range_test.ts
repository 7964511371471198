import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { OperationFailedError } from "../../lib/errors.ts";
import { closeStream, rangeStream, sha256OfRange } from "../../lib/storage/_file_range.ts";
import { withTempDir } from "../_helpers/temp.ts";
import { makeFile } from "./_files.ts";

const MiB = 1024 * 1024;

Deno.test("sha256OfRange hashes exactly the range, across read chunks", async () => {
  await withTempDir(async (dir) => {
    const file = await makeFile(dir, "a.bin", 3 * MiB + 11, 4);
    const bytes = await Deno.readFile(file.path);
    const ranges: [number, number][] = [[0, 3 * MiB + 11], [5, MiB + 3], [3 * MiB, 11], [7, 0]];
    for (const [start, length] of ranges) {
      const expected = createHash("sha256").update(bytes.subarray(start, start + length)).digest();
      assert.deepEqual(
        await sha256OfRange(file.path, start, length),
        new Uint8Array(expected),
        `${start}+${length}`,
      );
    }
  });
});

Deno.test("sha256OfRange says the file changed when it ends before the range", async () => {
  await withTempDir(async (dir) => {
    const file = await makeFile(dir, "a.bin", 1000);
    await assert.rejects(
      sha256OfRange(file.path, 500, 600),
      (error) =>
        error instanceof OperationFailedError &&
        /a\.bin ended 100 bytes early: it changed while being uploaded/.test(error.message),
    );
  });
});

Deno.test("rangeStream yields exactly the range and closeStream closes the file", async () => {
  await withTempDir(async (dir) => {
    const file = await makeFile(dir, "a.bin", 2 * MiB + 1, 9);
    const bytes = await Deno.readFile(file.path);
    const stream = rangeStream(file.path, MiB - 1, MiB + 2);
    const chunks: Uint8Array[] = [];
    for await (const chunk of stream) chunks.push(chunk as Uint8Array);
    const received = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let offset = 0;
    for (const chunk of chunks) {
      received.set(chunk, offset);
      offset += chunk.length;
    }
    assert.deepEqual(received, bytes.subarray(MiB - 1, 2 * MiB + 1));
    await closeStream(stream);
    // A stream given up before it was read is closed too (the sanitizer checks the handle).
    await closeStream(rangeStream(file.path, 0, 10));
  });
});
