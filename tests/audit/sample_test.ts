/** `--sample` picks (lib/audit/sample.ts): pure. */
import assert from "node:assert/strict";
import { sampleItems, sampleSize } from "../../lib/audit/mod.ts";

const FILES = Array.from({ length: 40 }, (_, index) => `exp/Scan1/.temp/tile_${index}.bin`);

Deno.test("sampleSize rounds up and reads at least one file of a non-empty backup", () => {
  assert.equal(sampleSize(0, 10), 0);
  assert.equal(sampleSize(1, 1), 1);
  assert.equal(sampleSize(40, 10), 4);
  assert.equal(sampleSize(41, 10), 5);
  assert.equal(sampleSize(40, 2.5), 1);
  assert.equal(sampleSize(40, 100), 40);
});

Deno.test("the same seed and backup pick the same files, in their listed order", () => {
  const first = sampleItems(FILES, 25, 1234, "fusion-01/S");
  assert.equal(first.length, 10);
  assert.deepEqual(sampleItems(FILES, 25, 1234, "fusion-01/S"), first);
  assert.deepEqual(first, [...first].sort((a, b) => FILES.indexOf(a) - FILES.indexOf(b)));
  assert.equal(new Set(first).size, 10);
  assert.notDeepEqual(sampleItems(FILES, 25, 1235, "fusion-01/S"), first, "another seed");
  assert.notDeepEqual(sampleItems(FILES, 25, 1234, "fusion-01/T"), first, "another backup");
  assert.deepEqual(sampleItems(FILES, 100, 1, "x"), FILES);
});

Deno.test("over many seeds every file gets its turn, about equally often", () => {
  const counts = new Map<string, number>();
  for (let seed = 0; seed < 2000; seed++) {
    for (const file of sampleItems(FILES, 10, seed, "fusion-01/S")) {
      counts.set(file, (counts.get(file) ?? 0) + 1);
    }
  }
  assert.equal(counts.size, FILES.length);
  // 2000 draws of 4 of 40: 200 each on average; a fair pick stays well within 130-270.
  for (const [file, count] of counts) assert.ok(count > 130 && count < 270, `${file}: ${count}`);
});
