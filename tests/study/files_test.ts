/**
 * FileTable: the listing's files read back the size and time they were
 * added with, past the table's first buffer and past V8's small integers.
 */
import assert from "node:assert/strict";
import { FileTable } from "../../lib/study/mod.ts";

Deno.test("FileTable: every file reads back its path, size and time after the table grows", () => {
  const table = new FileTable();
  // Its first buffer holds 1,024 files: 3,000 make it grow twice.
  const want = Array.from({ length: 3000 }, (_, index) => ({
    path: `tiles/.temp/${index}.tmp`,
    size: index % 2 === 0 ? index : 2 ** 40 + index,
    mtime: 1_750_000_000_000 + index * 1.5,
  }));
  const files = want.map(({ path, size, mtime }) => table.add(path, size, mtime));
  assert.deepEqual(files.map(({ path, size, mtime }) => ({ path, size, mtime })), want);
  assert.equal(table.sizeAt(2999), 2 ** 40 + 2999);
  assert.equal(table.mtimeAt(0), 1_750_000_000_000);
});
